//! Context semantics: cancellation, causes, children, deadlines on tokio's clock.

use std::time::Duration;

use autocancel_runtime::{Cancelled, Cause, Ctx, Deadline};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

#[test]
fn new_context_is_not_cancelled_until_told() {
    let ctx = Ctx::new();
    assert!(!ctx.is_cancelled());
    assert!(ctx.check().is_ok());
    assert!(ctx.cause().is_none());
    assert!(ctx.deadline().is_none());
    ctx.cancel();
    assert!(ctx.is_cancelled());
    assert!(matches!(
        ctx.cause(),
        Some(Cause::Cancelled { reason: None, .. })
    ));
    assert_eq!(ctx.check().unwrap_err().to_string(), "cancelled");
}

#[test]
fn first_cause_wins() {
    let ctx = Ctx::new();
    ctx.cancel_with_reason("first");
    ctx.cancel_with_reason("second");
    ctx.cancel_with_reason("third");
    assert_eq!(ctx.check().unwrap_err().to_string(), "cancelled: first");
}

#[test]
fn child_is_cancelled_with_parent_but_not_the_reverse() {
    let parent = Ctx::new();
    let child = parent.child();
    let grandchild = child.child();
    child.cancel();
    assert!(!parent.is_cancelled());
    assert!(grandchild.is_cancelled());

    let other = parent.child();
    parent.cancel_with_reason("stop");
    assert!(other.is_cancelled());
    let cause = other.cause().unwrap();
    assert!(matches!(cause, Cause::ParentCancelled(_)));
    assert!(matches!(cause.root(), Cause::Cancelled { .. }));
    assert_eq!(
        other.check().unwrap_err().to_string(),
        "cancelled: parent context: cancelled: stop"
    );
    // A child created after the parent was cancelled starts cancelled.
    assert!(parent.child().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn deadline_cancels_at_the_exact_instant() {
    let start = Instant::now();
    let ctx = Ctx::new().with_timeout(7 * SEC);
    assert_eq!(ctx.deadline().unwrap().instant(), start + 7 * SEC);
    let err = ctx.cancelled().await;
    assert_eq!(start.elapsed(), 7 * SEC);
    assert!(err.is_deadline_exceeded());
    assert_eq!(err.to_string(), "deadline exceeded (after 7s)");
    assert_eq!(ctx.cancelled_at(), Some(start + 7 * SEC));
}

#[tokio::test(start_paused = true)]
async fn child_deadline_is_the_earlier_of_its_own_and_its_parents() {
    let parent = Ctx::new().with_timeout(5 * SEC);
    let later = parent.with_timeout(10 * SEC);
    let sooner = parent.with_timeout(2 * SEC);
    assert_eq!(later.deadline(), parent.deadline());
    assert!(sooner.deadline() < parent.deadline());
    assert_eq!(parent.child().deadline(), parent.deadline());

    let start = Instant::now();
    sooner.cancelled().await;
    assert_eq!(start.elapsed(), 2 * SEC);
    assert!(!parent.is_cancelled());
    let err = later.cancelled().await;
    assert_eq!(start.elapsed(), 5 * SEC);
    assert!(err.is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn passed_deadline_is_seen_without_any_timer_firing() {
    // Created outside any waiting, then time jumps without a timer of ours running: the checks
    // themselves read the clock.
    let ctx = Ctx::new().with_deadline(Deadline::at(Instant::now() + SEC));
    tokio::time::advance(2 * SEC).await;
    assert!(ctx.cause().is_some_and(|c| c.is_deadline_exceeded()));
    let ctx = Ctx::new().with_timeout(SEC);
    tokio::time::advance(2 * SEC).await;
    let checks = (0..2048).take_while(|_| !ctx.is_cancelled()).count();
    assert!(checks < 1024, "noticed after {checks} checks");
    assert!(ctx.check().unwrap_err().is_deadline_exceeded());
}

#[test]
fn cpu_bound_loop_without_runtime_stops_at_deadline() {
    // No runtime, no timer: only the amortised clock reads of `is_cancelled` can notice.
    let ctx = Ctx::new().with_timeout(Duration::from_millis(30));
    let start = std::time::Instant::now();
    let mut spins = 0u64;
    while !ctx.is_cancelled() {
        spins = std::hint::black_box(spins + 1);
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(30));
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(ctx.cause().unwrap().is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn zero_and_past_deadlines_start_cancelled_huge_ones_never_fire() {
    assert!(Ctx::new().with_timeout(Duration::ZERO).is_cancelled());
    let past = Deadline::at(Instant::now() - SEC);
    assert!(past.is_expired());
    assert_eq!(past.remaining(), Duration::ZERO);
    assert!(Ctx::new().with_deadline(past).is_cancelled());

    let never = Ctx::new().with_timeout(Duration::MAX);
    let huge = Deadline::after(Duration::MAX);
    assert!(huge.remaining() > Duration::from_secs(86_400 * 365 * 10));
    tokio::time::advance(Duration::from_secs(86_400 * 365)).await;
    assert!(!never.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn cancelled_future_wakes_on_cancel_from_another_task() {
    let ctx = Ctx::new();
    let waiter = tokio::spawn({
        let ctx = ctx.clone();
        async move { ctx.cancelled().await }
    });
    tokio::time::sleep(SEC).await;
    ctx.cancel_with_reason("done");
    let err: Cancelled = waiter.await.unwrap();
    assert_eq!(err.to_string(), "cancelled: done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_waiters_all_wake_on_multi_thread_runtime() {
    let ctx = Ctx::new();
    let waiters: Vec<_> = (0..100)
        .map(|_| {
            let ctx = ctx.child();
            tokio::spawn(async move { ctx.cancelled().await })
        })
        .collect();
    tokio::task::yield_now().await;
    ctx.cancel();
    for waiter in waiters {
        assert!(matches!(
            waiter.await.unwrap().cause(),
            Cause::ParentCancelled(_)
        ));
    }
}

#[test]
fn cancelled_converts_into_common_error_types() {
    let ctx = Ctx::new();
    ctx.cancel_with_reason("bye");
    let err = ctx.check().unwrap_err();
    let boxed: Box<dyn std::error::Error + Send + Sync> = err.clone().into();
    assert_eq!(boxed.to_string(), "cancelled: bye");
    let io: std::io::Error = err.clone().into();
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
    fn assert_bounds<T: std::error::Error + Send + Sync + Clone + 'static>() {}
    assert_bounds::<Cancelled>();
}

#[test]
fn ambient_context_outside_groups_is_never_cancelled_and_enter_sets_it() {
    assert!(!Ctx::current().is_cancelled());
    let ctx = Ctx::new();
    {
        let _guard = ctx.enter();
        assert!(Ctx::current().same_as(&ctx));
    }
    assert!(!Ctx::current().same_as(&ctx));
}
