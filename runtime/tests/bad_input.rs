//! Every public constructor and method given zero, huge and out-of-range values: a documented
//! result, never an overflow panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autocancel_runtime::{
    shield, sleep, sleep_blocking, Cancelled, Ctx, Deadline, Group, DEFAULT_GRACE,
};
use tokio::sync::Semaphore;
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);
const YEAR: Duration = Duration::from_secs(86_400 * 365);

/// The farthest instants the platform can represent around now (or as far as we dare go).
fn far_past() -> Instant {
    let now = Instant::now();
    [100 * 1000 * YEAR, 1000 * YEAR, 100 * YEAR, 10 * YEAR, YEAR]
        .iter()
        .find_map(|d| now.checked_sub(*d))
        .unwrap_or(now)
}

fn far_future() -> Instant {
    let now = Instant::now();
    [100 * 1000 * YEAR, 1000 * YEAR, 100 * YEAR]
        .iter()
        .find_map(|d| now.checked_add(*d))
        .expect("a century ahead is representable")
}

#[tokio::test(start_paused = true)]
async fn deadlines_at_the_extremes() {
    // Zero: expired at once, nothing remains.
    let zero = Deadline::after(Duration::ZERO);
    assert!(zero.is_expired());
    assert_eq!(zero.remaining(), Duration::ZERO);
    // Duration::MAX: about 30 years ahead, never expires in practice.
    let max = Deadline::after(Duration::MAX);
    assert!(!max.is_expired());
    assert!(max.remaining() > 29 * YEAR);
    // Far past and far future instants, tokio's and std's.
    let past = Deadline::at(far_past());
    assert!(past.is_expired());
    assert_eq!(past.remaining(), Duration::ZERO);
    let future = Deadline::at(far_future());
    assert!(!future.is_expired());
    assert!(future > max);
    let std_future: Deadline = std::time::Instant::now()
        .checked_add(100 * YEAR)
        .unwrap()
        .into();
    assert!(!std_future.is_expired());
    assert_eq!(past.min(future), past);
}

#[tokio::test(start_paused = true)]
async fn contexts_with_extreme_deadlines() {
    let root = Ctx::new();
    // Zero and past: cancelled at once, with a deadline cause, before any timer runs.
    for ctx in [
        root.with_timeout(Duration::ZERO),
        root.with_deadline(Deadline::at(far_past())),
        root.with_deadline(Deadline::at(Instant::now())),
    ] {
        assert!(ctx.is_cancelled());
        assert!(ctx.check().unwrap_err().is_deadline_exceeded());
        assert!(ctx.cancelled().await.is_deadline_exceeded());
        assert!(ctx.cause().unwrap().is_deadline_exceeded());
        // Their children are born cancelled too.
        assert!(ctx.child().is_cancelled());
        assert!(ctx.with_timeout(Duration::MAX).is_cancelled());
    }
    // Huge: a timer is armed (the context has a deadline of its own) but never fires.
    let huge = [
        root.with_timeout(Duration::MAX),
        root.with_deadline(Deadline::after(Duration::MAX)),
        root.with_deadline(Deadline::at(far_future())),
    ];
    tokio::time::advance(10 * YEAR).await;
    for ctx in &huge {
        assert!(!ctx.is_cancelled());
        assert!(ctx.check().is_ok());
        assert!(ctx.cause().is_none());
        // A child's deadline is the earlier one, whichever way round.
        let short = ctx.with_timeout(SEC);
        assert_eq!(short.deadline().unwrap().remaining(), SEC);
        let child = short.with_timeout(Duration::MAX);
        assert_eq!(child.deadline(), short.deadline());
    }
    // And they still cancel when told.
    huge[0].cancel();
    assert!(huge[0].is_cancelled());
    // Display of extreme budgets does not panic.
    let _ = root
        .with_timeout(Duration::ZERO)
        .cause()
        .unwrap()
        .to_string();
}

#[tokio::test(start_paused = true)]
async fn cancel_reasons_of_any_size() {
    let ctx = Ctx::new();
    ctx.cancel_with_reason("");
    assert_eq!(ctx.cause().unwrap().to_string(), "cancelled: ");
    let ctx = Ctx::new();
    let long = "x".repeat(1 << 20);
    ctx.cancel_with_reason(long.as_str());
    assert_eq!(ctx.check().unwrap_err().to_string().len(), (1 << 20) + 11);
    // Cancelling again, any number of times, keeps the first cause.
    for _ in 0..1000 {
        ctx.cancel();
    }
    assert_eq!(ctx.cause().unwrap().to_string().len(), (1 << 20) + 11);
}

#[tokio::test(start_paused = true)]
async fn sleeps_of_zero_and_max() {
    assert!(sleep(Duration::ZERO).await.is_ok());
    let mut group: Group = Group::with_timeout(SEC);
    group.spawn(async {
        sleep(Duration::ZERO).await?;
        sleep(Duration::MAX).await // ends at the group's deadline
    });
    let start = Instant::now();
    assert!(group.wait().await.unwrap_err().is_deadline_exceeded());
    assert_eq!(start.elapsed(), SEC);
}

#[test]
fn blocking_sleeps_of_zero_and_max() {
    assert!(sleep_blocking(Duration::ZERO).is_ok());
    let ctx = Ctx::new();
    let canceller = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            ctx.cancel_with_reason("enough");
        })
    };
    let _ambient = ctx.enter();
    let start = std::time::Instant::now();
    let err = sleep_blocking(Duration::MAX).unwrap_err();
    assert_eq!(err.to_string(), "cancelled: enough");
    assert!(start.elapsed() < Duration::from_secs(5));
    canceller.join().unwrap();
    // With a huge deadline of its own, a short sleep just sleeps.
    let huge = Ctx::new().with_timeout(Duration::MAX);
    let _ambient = huge.enter();
    assert!(sleep_blocking(Duration::from_millis(1)).is_ok());
}

#[tokio::test(start_paused = true)]
async fn groups_with_zero_and_past_deadlines_start_nothing() {
    let started = Arc::new(AtomicUsize::new(0));
    for mut group in [
        Group::<(), Cancelled>::with_timeout(Duration::ZERO),
        Group::with_deadline(Deadline::at(far_past())),
        Group::builder().timeout(Duration::ZERO).limit(1).build(),
    ] {
        for _ in 0..5 {
            let s = started.clone();
            group.spawn(async move {
                s.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
            let s = started.clone();
            group.spawn_blocking(move || {
                s.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        let err = group.wait().await.unwrap_err();
        assert!(err.is_deadline_exceeded());
        assert_eq!(err.to_string(), "deadline exceeded (after 0ns)");
    }
    assert_eq!(started.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn groups_with_huge_deadlines_run_to_completion() {
    for mut group in [
        Group::<u32, Cancelled>::with_timeout(Duration::MAX),
        Group::with_deadline(Deadline::at(far_future())),
        Group::with_deadline(Deadline::after(Duration::MAX)),
    ] {
        group.spawn(async {
            sleep(YEAR).await?;
            Ok(1)
        });
        assert_eq!(group.wait().await.unwrap(), vec![1]);
    }
}

#[tokio::test(start_paused = true)]
async fn limits_at_the_extremes() {
    // 1: one at a time.
    let mut one: Group<u32> = Group::builder().limit(1).build();
    for i in 0..3 {
        one.spawn(async move {
            sleep(SEC).await?;
            Ok(i)
        });
    }
    let start = Instant::now();
    assert_eq!(one.wait().await.unwrap(), vec![0, 1, 2]);
    assert_eq!(start.elapsed(), 3 * SEC);
    // The largest limit tokio's semaphore takes, one more, and usize::MAX: no effective limit.
    for n in [
        Semaphore::MAX_PERMITS,
        Semaphore::MAX_PERMITS + 1,
        usize::MAX,
    ] {
        let mut group: Group = Group::builder().limit(n).build();
        for _ in 0..100 {
            assert!(group.try_spawn(async { sleep(SEC).await }));
        }
        let start = Instant::now();
        group.wait().await.unwrap();
        assert_eq!(start.elapsed(), SEC, "limit({n})");
    }
}

#[tokio::test(start_paused = true)]
async fn grace_of_zero_aborts_stragglers_at_once() {
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::ZERO);
    group.spawn_named("stubborn", async {
        tokio::time::sleep(100 * SEC).await; // ignores cancellation
        Ok(())
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), SEC);
    assert_eq!(report.stragglers.len(), 1);
    assert_eq!(report.stragglers[0].overdue, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn grace_of_max_waits_for_stragglers_without_overflow() {
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::MAX);
    group.spawn(async {
        tokio::time::sleep(100 * SEC).await; // ignores cancellation
        Ok(())
    });
    group.spawn(async {
        shield(tokio::time::sleep(50 * SEC)).await;
        Ok(())
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), 100 * SEC);
    assert!(report.stragglers.is_empty());
    assert!(report.error.unwrap().is_deadline_exceeded());
    assert_eq!(DEFAULT_GRACE, Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn shielded_straggler_with_huge_grace_does_not_overflow() {
    // abort_stragglers re-arms at `now + grace` while a shielded task runs.
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::MAX - SEC);
    group.spawn(async {
        shield(tokio::time::sleep(10 * SEC)).await;
        Ok(())
    });
    group.wait().await.unwrap_err();
}

#[tokio::test(start_paused = true)]
async fn names_of_any_size() {
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::ZERO);
    group.spawn_named("", async {
        tokio::time::sleep(10 * SEC).await;
        Ok(())
    });
    group.spawn_named("n".repeat(100_000), async {
        tokio::time::sleep(10 * SEC).await;
        Ok(())
    });
    let report = group.wait_report().await;
    assert_eq!(report.stragglers.len(), 2);
    for straggler in &report.stragglers {
        let _ = straggler.to_string();
    }
}

/// Cancelling, rendering and dropping a chain of contexts recurse once per level: 500 levels
/// (far deeper than any real tree of groups) fit in a test thread's 2 MiB stack in a debug build;
/// a few thousand do not.
#[tokio::test(start_paused = true)]
async fn deep_nesting_of_contexts_and_shields() {
    let mut ctx = Ctx::new().with_timeout(Duration::MAX);
    let root = ctx.clone();
    for _ in 0..500 {
        ctx = ctx.child();
    }
    root.cancel_with_reason("deep");
    assert!(ctx.is_cancelled());
    assert_eq!(ctx.cause().unwrap().root().to_string(), "cancelled: deep");
    let _ = ctx.cause().unwrap().to_string();
    drop(root);
    drop(ctx);

    let mut group: Group = Group::new();
    group.spawn(async {
        let mut guards = Vec::new();
        for _ in 0..10_000 {
            guards.push(autocancel_runtime::__private::shield());
        }
        assert!(!Ctx::current().is_cancelled());
        drop(guards);
        Ok(())
    });
    group.wait().await.unwrap();
}

/// Contexts nested far deeper than any program would: cancelling the root, printing the
/// cause and dropping the chain must not recurse once per level (100,000 levels would overflow
/// the test thread's stack).
#[test]
fn a_chain_of_100_000_nested_contexts_cancels_prints_and_drops_without_recursion() {
    let root = autocancel_runtime::Ctx::new();
    let mut leaf = root.clone();
    for _ in 0..100_000 {
        leaf = leaf.child();
    }
    root.cancel_with_reason("deep");
    assert!(leaf.is_cancelled());
    assert_eq!(
        leaf.check().unwrap_err().to_string(),
        "cancelled: parent context: cancelled: deep"
    );
    drop(root);
    drop(leaf); // the last reference to the whole chain
}

// Spawning outside a runtime panics, as `tokio::spawn` does; the group stays usable, and counts
// the task that could not be spawned as one that never started.
#[test]
fn a_group_survives_a_spawn_outside_a_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group: Group<u32> = runtime.block_on(async { Group::new() });
    runtime.block_on(async { group.spawn(async { Ok(1) }) });
    let outside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        group.spawn(async { Ok(2) });
    }));
    assert!(outside.is_err(), "no runtime to spawn on");
    runtime.block_on(async { group.spawn(async { Ok(3) }) });
    let report = runtime.block_on(group.wait_report());
    assert_eq!(report.outputs, [Some(1), None, Some(3)]);
    assert!(
        report.error.is_some(),
        "a task that never started cuts the group short"
    );
}
