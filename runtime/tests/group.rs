//! Group semantics, one test (at least) per rule of the runtime issue.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel_runtime::{sleep, sleep_blocking, Cancelled, Cause, Ctx, Group, TaskKind};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

mod common;
use common::AppError;

// 1. The first error cancels the group, is its cause, and is what `wait` returns.
#[tokio::test(start_paused = true)]
async fn first_error_cancels_siblings_and_is_returned() {
    let mut group: Group<(), AppError> = Group::new();
    let sibling_cause = Arc::new(Mutex::new(None));
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("first"))
    });
    group.spawn(async {
        sleep(2 * SEC).await?;
        Err(AppError::Failed("second"))
    });
    let seen = sibling_cause.clone();
    group.spawn(async move {
        let cancelled = Ctx::current().cancelled().await;
        *seen.lock().unwrap() = Some(cancelled.to_string());
        Err(cancelled.into())
    });
    let start = Instant::now();
    let err = group.wait().await.unwrap_err();
    assert_eq!(start.elapsed(), SEC);
    assert!(matches!(err, AppError::Failed("first")), "{err:?}");
    assert_eq!(
        sibling_cause.lock().unwrap().as_deref(),
        Some("cancelled: task failed: failed: first")
    );
}

// 2. The deadline cancels with DeadlineExceeded; the seed's scenario ends at exactly 7 s.
async fn seed_task(
    steps: u32,
    log: Arc<Mutex<Vec<(u32, Duration)>>>,
    start: Instant,
) -> Result<(), Cancelled> {
    let ctx = Ctx::current();
    for _ in 0..steps {
        tokio::select! {
            biased;
            c = ctx.cancelled() => return Err(c),
            () = tokio::time::sleep(SEC) => {}
        }
        log.lock().unwrap().push((steps, start.elapsed()));
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn seed_scenario_stops_at_the_deadline() {
    let start = Instant::now();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut group = Group::with_timeout(7 * SEC);
    group.spawn(seed_task(5, log.clone(), start));
    group.spawn(seed_task(10, log.clone(), start));
    let err = group.wait().await.unwrap_err();
    assert_eq!(start.elapsed(), 7 * SEC);
    assert!(err.is_deadline_exceeded());
    assert!(matches!(err.cause(), Cause::DeadlineExceeded { .. }));
    assert_eq!(err.to_string(), "deadline exceeded (after 7s)");
    let log = log.lock().unwrap();
    assert_eq!(log.iter().filter(|(n, _)| *n == 5).count(), 5);
    assert_eq!(log.iter().filter(|(n, _)| *n == 10).count(), 6);
}

#[tokio::test(start_paused = true)]
async fn deadline_error_converts_into_the_groups_error_type() {
    let mut group: Group<(), anyhow_like::Error> = Group::with_timeout(SEC);
    group.spawn(async {
        sleep(10 * SEC).await?;
        Ok(())
    });
    let err = group.wait().await.unwrap_err();
    assert_eq!(err.to_string(), "deadline exceeded (after 1s)");
}

/// A stand-in for `anyhow::Error` (no dependency here): boxes any error.
mod anyhow_like {
    pub struct Error(Box<dyn std::error::Error + Send + Sync>);
    impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
        fn from(e: E) -> Self {
            Error(Box::new(e))
        }
    }
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.fmt(f)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn all_tasks_done_before_the_deadline_is_ok_even_if_wait_is_late() {
    let mut group: Group<u32> = Group::with_timeout(SEC);
    group.spawn(async { Ok(1) });
    group.spawn(async { Ok(2) });
    tokio::time::sleep(2 * SEC).await;
    assert_eq!(group.wait().await.unwrap(), vec![1, 2]);
}

#[tokio::test(start_paused = true)]
async fn outputs_come_back_in_spawn_order() {
    let mut group: Group<u64> = Group::new();
    for i in 0..10u64 {
        group.spawn(async move {
            sleep(Duration::from_millis(100 * (10 - i))).await?;
            Ok(i)
        });
    }
    assert_eq!(group.wait().await.unwrap(), (0..10).collect::<Vec<_>>());
}

// 3. Spawned tasks run with the group's context ambient, async and blocking.
#[tokio::test(start_paused = true)]
async fn group_context_is_ambient_in_async_and_blocking_tasks() {
    let mut group: Group<bool> = Group::new();
    let ctx = group.ctx().clone();
    let c = ctx.clone();
    group.spawn(async move { Ok(Ctx::current().same_as(&c)) });
    let c = ctx.clone();
    group.spawn_blocking(move || Ok(Ctx::current().same_as(&c)));
    assert_eq!(group.wait().await.unwrap(), vec![true, true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambient_context_survives_moves_between_threads() {
    let mut group: Group<bool> = Group::new();
    let ctx = group.ctx().clone();
    for _ in 0..20 {
        let c = ctx.clone();
        group.spawn(async move {
            for _ in 0..10 {
                tokio::task::yield_now().await;
                if !Ctx::current().same_as(&c) {
                    return Ok(false);
                }
            }
            Ok(true)
        });
    }
    assert!(group.wait().await.unwrap().into_iter().all(|same| same));
}

// 4. Limit: never more than n at once; queued tasks cancelled before starting never start.
#[tokio::test(start_paused = true)]
async fn limit_bounds_concurrency() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut group: Group = Group::builder().limit(3).build();
    for _ in 0..20 {
        let (running, peak) = (running.clone(), peak.clone());
        group.spawn(async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            sleep(SEC).await?;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    let start = Instant::now();
    group.wait().await.unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), 7 * SEC); // ceil(20 / 3) rounds of 1 s
}

#[tokio::test(start_paused = true)]
async fn queued_tasks_never_start_once_cancelled() {
    let started = Arc::new(AtomicUsize::new(0));
    let mut group: Group = Group::builder().timeout(SEC).limit(2).build();
    for _ in 0..10 {
        let started = started.clone();
        group.spawn(async move {
            started.fetch_add(1, Ordering::SeqCst);
            sleep(10 * SEC).await
        });
    }
    let started_blocking = started.clone();
    group.spawn_blocking(move || {
        started_blocking.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    assert!(group.wait().await.unwrap_err().is_deadline_exceeded());
    assert_eq!(started.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn try_spawn_refuses_when_the_limit_is_reached() {
    let mut group: Group = Group::builder().limit(1).build();
    assert!(group.try_spawn(async { sleep(SEC).await }));
    assert!(!group.try_spawn(async { Ok(()) }));
    group.wait().await.unwrap();

    let mut unlimited: Group = Group::new();
    assert!((0..100).all(|_| unlimited.try_spawn(async { Ok(()) })));
    assert_eq!(unlimited.wait().await.unwrap().len(), 100);
}

#[test]
#[should_panic(expected = "Group::builder().limit(0)")]
fn limit_zero_panics_with_a_clear_message() {
    let _ = Group::builder().limit(0);
}

#[tokio::test(start_paused = true)]
async fn huge_limit_means_no_limit() {
    let mut group: Group = Group::builder().limit(usize::MAX).build();
    for _ in 0..10 {
        group.spawn(async { sleep(SEC).await });
    }
    let start = Instant::now();
    group.wait().await.unwrap();
    assert_eq!(start.elapsed(), SEC);
}

// 5. A panic cancels siblings (cause Panicked) and is re-raised after they stopped.
#[tokio::test(start_paused = true)]
async fn panic_cancels_siblings_and_is_reraised_after_they_stop() {
    let sibling_stopped = Arc::new(AtomicBool::new(false));
    let sibling_cause = Arc::new(Mutex::new(None));
    let mut group: Group = Group::new();
    group.spawn(async {
        sleep(SEC).await?;
        panic!("boom");
    });
    let (stopped, seen) = (sibling_stopped.clone(), sibling_cause.clone());
    group.spawn(async move {
        let c = Ctx::current().cancelled().await;
        *seen.lock().unwrap() = Some(c.cause().clone());
        tokio::time::sleep(Duration::from_millis(50)).await; // cleaning up
        stopped.store(true, Ordering::SeqCst);
        Err(c)
    });
    let stopped = sibling_stopped.clone();
    let result = tokio::spawn(async move {
        let r = group.wait().await;
        assert!(
            stopped.load(Ordering::SeqCst),
            "wait returned before the sibling stopped"
        );
        r
    })
    .await;
    let payload = result.unwrap_err().into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    let cause = sibling_cause.lock().unwrap().clone().unwrap();
    assert!(matches!(&cause, Cause::Panicked { message, .. } if &**message == "boom"));
}

#[tokio::test(start_paused = true)]
async fn panic_in_blocking_task_is_reraised_too() {
    let mut group: Group = Group::new();
    group.spawn_blocking(|| panic!("blocking boom"));
    let result = tokio::spawn(group.wait()).await;
    let payload = result.unwrap_err().into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"blocking boom"));
}

// 6. Structured: wait waits for every async task; stragglers are aborted after the grace period
// and reported; dropping a group cancels and aborts.
struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn stragglers_are_aborted_after_grace_and_reported() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::from_millis(250));
    let guard = SetOnDrop(dropped.clone());
    group.spawn_named("stubborn", async move {
        let _guard = guard;
        tokio::time::sleep(100 * SEC).await; // ignores cancellation
        Ok(())
    });
    group.spawn(async { sleep(100 * SEC).await });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), SEC + Duration::from_millis(250));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the straggler's future was dropped"
    );
    assert_eq!(report.stragglers.len(), 1);
    let straggler = &report.stragglers[0];
    assert_eq!(&*straggler.name, "stubborn");
    assert_eq!(straggler.kind, TaskKind::Async);
    assert!(straggler.aborted);
    assert_eq!(straggler.overdue, Duration::from_millis(250));
    assert_eq!(
        straggler.to_string(),
        "task `stubborn` ignored cancellation: aborted 250ms after it"
    );
    assert!(report.error.unwrap().is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn unnamed_stragglers_are_named_by_spawn_location() {
    let mut group: Group = Group::with_timeout(SEC);
    group.spawn(async {
        tokio::time::sleep(100 * SEC).await;
        Ok(())
    });
    let report = group.wait_report().await;
    assert!(
        report.stragglers[0]
            .name
            .starts_with("runtime/tests/group.rs:"),
        "{}",
        report.stragglers[0].name
    );
}

#[tokio::test(start_paused = true)]
async fn wait_does_not_return_while_a_task_runs() {
    let finished = Arc::new(AtomicBool::new(false));
    let mut group: Group = Group::new();
    let f = finished.clone();
    group.spawn(async move {
        tokio::time::sleep(3 * SEC).await;
        f.store(true, Ordering::SeqCst);
        Ok(())
    });
    group.wait().await.unwrap();
    assert!(finished.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    miri,
    ignore = "real clock: under Miri the task starts after its 20-50 ms deadline"
)]
async fn blocking_straggler_is_waited_for_and_reported() {
    let mut group: Group =
        Group::with_timeout(Duration::from_millis(20)).grace(Duration::from_millis(10));
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    group.spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(150)); // ignores cancellation
        f.store(true, Ordering::SeqCst);
        Ok(())
    });
    let report = group.wait_report().await;
    assert!(
        finished.load(Ordering::SeqCst),
        "wait returned while a blocking task ran"
    );
    assert_eq!(report.stragglers.len(), 1);
    assert_eq!(report.stragglers[0].kind, TaskKind::Blocking);
    assert!(!report.stragglers[0].aborted);
    assert!(report.stragglers[0].overdue >= Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    miri,
    ignore = "real clock: under Miri the task starts after its 20-50 ms deadline"
)]
async fn blocking_sleep_stops_at_the_deadline() {
    let mut group: Group = Group::with_timeout(Duration::from_millis(50));
    group.spawn_blocking(|| {
        for _ in 0..100 {
            sleep_blocking(Duration::from_millis(100))?;
        }
        Ok(())
    });
    let start = std::time::Instant::now();
    let report = group.wait_report().await;
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert!(report.stragglers.is_empty());
    assert!(report.error.unwrap().is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn dropping_a_group_cancels_and_aborts_its_tasks() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut group: Group = Group::new();
    let ctx = group.ctx().clone();
    let guard = SetOnDrop(dropped.clone());
    group.spawn(async move {
        let _guard = guard;
        tokio::time::sleep(100 * SEC).await;
        Ok(())
    });
    tokio::task::yield_now().await;
    drop(group);
    tokio::task::yield_now().await;
    assert!(ctx.is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "cancelled: group dropped before wait"
    );
}

#[tokio::test(start_paused = true)]
async fn shielded_task_is_not_aborted_as_a_straggler() {
    let finished = Arc::new(AtomicBool::new(false));
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::from_millis(10));
    let f = finished.clone();
    group.spawn(async move {
        autocancel_runtime::shield(async {
            assert!(!Ctx::current().is_cancelled());
            tokio::time::sleep(5 * SEC).await;
        })
        .await;
        f.store(true, Ordering::SeqCst);
        Ctx::current().check()
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert!(finished.load(Ordering::SeqCst));
    assert!(start.elapsed() >= 5 * SEC);
    // Waited for, and reported once it ended.
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {:?}", report.stragglers)
    };
    assert!(!straggler.aborted);
    assert_eq!(straggler.overdue, 4 * SEC);
}

#[tokio::test(start_paused = true)]
async fn context_is_cancelled_once_wait_returns() {
    let mut group: Group = Group::new();
    let ctx = group.ctx().clone();
    group.spawn(async { Ok(()) });
    group.wait().await.unwrap();
    assert!(ctx.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn empty_group_waits_for_nothing() {
    let group: Group<u8> = Group::with_timeout(SEC);
    assert_eq!(group.wait().await.unwrap(), Vec::<u8>::new());
}

// 7. Nested groups.
#[tokio::test(start_paused = true)]
async fn child_group_is_cancelled_with_its_parent() {
    let mut parent: Group = Group::with_timeout(2 * SEC);
    parent.spawn(async {
        let mut child: Group = Group::with_parent(&Ctx::current());
        child.spawn(async { sleep(100 * SEC).await });
        let err = child.wait().await.unwrap_err();
        assert!(matches!(err.cause(), Cause::ParentCancelled(_)));
        assert!(err.is_deadline_exceeded());
        Err(err)
    });
    let start = Instant::now();
    assert!(parent.wait().await.unwrap_err().is_deadline_exceeded());
    assert_eq!(start.elapsed(), 2 * SEC);
}

#[tokio::test(start_paused = true)]
async fn child_group_failure_does_not_cancel_the_parent_unless_returned() {
    let mut parent: Group<&'static str, AppError> = Group::new();
    parent.spawn(async {
        let mut child: Group<(), AppError> = Group::new(); // a child of the ambient context
        child.spawn(async { Err(AppError::Failed("inner")) });
        let inner = child.wait().await.unwrap_err();
        assert!(matches!(inner, AppError::Failed("inner")));
        assert!(!Ctx::current().is_cancelled());
        Ok("handled")
    });
    parent.spawn(async {
        sleep(SEC).await?;
        Ok("sibling finished")
    });
    assert_eq!(
        parent.wait().await.unwrap(),
        vec!["handled", "sibling finished"]
    );

    let mut parent: Group<(), AppError> = Group::new();
    parent.spawn(async {
        let mut child: Group<(), AppError> = Group::new();
        child.spawn(async { Err(AppError::Failed("inner")) });
        child.wait().await.map(drop) // propagated
    });
    assert!(matches!(
        parent.wait().await.unwrap_err(),
        AppError::Failed("inner")
    ));
}

// 8. Checks are cheap and see deadlines without timers: a CPU-bound task on a current-thread
// runtime, where no timer can fire while it spins.
#[tokio::test(flavor = "current_thread")]
async fn cpu_bound_task_on_current_thread_stops_at_the_deadline() {
    let mut group: Group<u64> = Group::with_timeout(Duration::from_millis(30));
    group.spawn(async {
        let ctx = Ctx::current();
        let mut spins = 0u64;
        loop {
            ctx.check()?;
            spins = std::hint::black_box(spins + 1);
        }
    });
    let start = std::time::Instant::now();
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded());
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn waiting_on_a_group_from_its_own_task_panics_instead_of_hanging() {
    use std::future::Future;
    use std::task::{Context, Waker};

    let slot: Arc<Mutex<Option<Group>>> = Arc::new(Mutex::new(None));
    let message = Arc::new(Mutex::new(None::<String>));
    let mut group: Group = Group::new();
    let (inner, seen) = (slot.clone(), message.clone());
    group.spawn(async move {
        tokio::task::yield_now().await;
        let group = inner.lock().unwrap().take().unwrap();
        let mut wait = std::pin::pin!(group.wait());
        let mut cx = Context::from_waker(Waker::noop());
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait.as_mut().poll(&mut cx).is_ready()
        }));
        let payload = polled.unwrap_err();
        *seen.lock().unwrap() = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        Ok(())
    });
    *slot.lock().unwrap() = Some(group);
    tokio::time::sleep(SEC).await;
    let message = message.lock().unwrap().clone().unwrap();
    assert!(
        message.contains("from one of the group's own tasks"),
        "{message}"
    );
}

#[test]
fn causes_can_be_built_outside_the_crate() {
    let ctx = Ctx::new();
    assert!(ctx.cancel_with(Cause::task_failed("fetcher", "connection reset")));
    assert_eq!(
        ctx.check().unwrap_err().to_string(),
        "cancelled: task failed: connection reset"
    );
    let other = Ctx::new();
    other.cancel_with(Cause::cancelled(Some("user pressed ^C")));
    assert_eq!(
        other.check().unwrap_err().to_string(),
        "cancelled: user pressed ^C"
    );
}

// A task that starts after a deadline nobody has noticed yet (no timer armed, no check made)
// may run its first poll — the start check reads only the flag — but cannot make the group
// succeed: its end reads the clock, so it ended cancelled, and the deadline is the result.
#[tokio::test(start_paused = true)]
async fn a_task_starting_after_an_unnoticed_deadline_cannot_make_the_group_succeed() {
    let mut group: Group<u32> = Group::with_timeout(SEC);
    tokio::time::advance(2 * SEC).await;
    group.spawn(async { Ok(1) });
    group.spawn(async { Err(Ctx::current().check().unwrap_err()) });
    tokio::task::yield_now().await; // both tasks run before anything looks at the deadline
    let report = group.wait_report().await;
    let error = report.error.expect("the deadline is the group's result");
    assert!(
        matches!(error.cause(), Cause::DeadlineExceeded { .. }),
        "{error}"
    );
}

// The tasks of a group share its ambient, each setting its own index and name into it for each
// poll: shields, names and the context seen by a task's `Drop` are the task's own.
#[tokio::test(start_paused = true)]
async fn each_task_is_shielded_by_its_own_index() {
    let finished = Arc::new(AtomicBool::new(false));
    let mut group: Group = Group::with_timeout(SEC).grace(Duration::from_millis(10));
    group.spawn_named("ignores", async {
        tokio::time::sleep(100 * SEC).await; // no checkpoint
        Ok(())
    });
    let f = finished.clone();
    group.spawn(async move {
        autocancel_runtime::shield(tokio::time::sleep(5 * SEC)).await;
        f.store(true, Ordering::SeqCst);
        Ok(())
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(start.elapsed(), 5 * SEC);
    let seen: Vec<_> = report
        .stragglers
        .iter()
        .map(|s| (s.aborted, s.overdue))
        .collect();
    assert_eq!(
        seen,
        [(true, Duration::from_millis(10)), (false, 4 * SEC)],
        "the deaf task aborted, the shielded one waited for"
    );
    assert_eq!(&*report.stragglers[0].name, "ignores");
}

/// Records, when dropped, whether the ambient context then was `ctx`.
struct SeesOnDrop {
    ctx: Ctx,
    saw: Arc<Mutex<Option<bool>>>,
}

impl Drop for SeesOnDrop {
    fn drop(&mut self) {
        *self.saw.lock().unwrap() = Some(Ctx::current().same_as(&self.ctx));
    }
}

#[tokio::test(start_paused = true)]
async fn aborted_tasks_are_dropped_with_their_groups_context_ambient() {
    // After the grace period, and with the group.
    for drop_the_group in [false, true] {
        let saw = Arc::new(Mutex::new(None));
        let mut group: Group = Group::with_timeout(SEC).grace(Duration::from_millis(10));
        let sees = SeesOnDrop {
            ctx: group.ctx().clone(),
            saw: saw.clone(),
        };
        group.spawn(async move {
            let _sees = sees;
            tokio::time::sleep(100 * SEC).await; // ignores cancellation
            Ok(())
        });
        tokio::task::yield_now().await; // the task starts and parks
        if drop_the_group {
            drop(group);
        } else {
            assert_eq!(group.wait_report().await.stragglers.len(), 1);
        }
        for _ in 0..10 {
            tokio::task::yield_now().await; // the aborted task is reaped
        }
        assert_eq!(
            *saw.lock().unwrap(),
            Some(true),
            "dropped the group: {drop_the_group}"
        );
    }
}

// A task is over when tokio is done with it, however it ended, and `wait` reads each one once
// (`group/over.rs`): tasks ending on two worker threads while `wait` reads them, async and
// blocking, with and without a limit, every output in spawn order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(miri, ignore = "thousands of tasks: minutes under Miri")]
async fn tasks_ending_on_other_threads_while_wait_reads_them_are_each_read_once() {
    for limit in [None, Some(3)] {
        let mut group: Group<usize> = match limit {
            None => Group::new(),
            Some(limit) => Group::builder().limit(limit).build(),
        };
        for i in 0..3_000 {
            match i % 10 {
                0 => group.spawn_blocking(move || Ok(i)),
                1..=4 => group.spawn(async move {
                    for _ in 0..i % 4 {
                        tokio::task::yield_now().await;
                    }
                    Ok(i)
                }),
                _ => group.spawn(async move { Ok(i) }),
            }
        }
        let outputs = group.wait().await.unwrap();
        assert_eq!(outputs, (0..3_000).collect::<Vec<_>>(), "limit {limit:?}");
    }
}

// Tasks that tokio drops unfinished (their runtime shuts down) are over too: `wait`, on another
// runtime, returns instead of waiting for them forever.
#[test]
#[cfg_attr(miri, ignore = "two runtimes, one shut down under the other's feet")]
fn tasks_dropped_with_their_runtime_are_over() {
    let theirs = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let ours = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group: Group = ours.block_on(async { Group::new() });
    {
        let _on_theirs = theirs.enter();
        for _ in 0..10 {
            group.spawn(std::future::pending());
        }
        group.spawn(async { Ok(()) });
    }
    theirs.shutdown_timeout(SEC);
    let waited = ours.block_on(async { tokio::time::timeout(10 * SEC, group.wait()).await });
    let waited = waited.expect("wait returned once the runtime dropped the tasks");
    assert!(
        waited.is_err(),
        "tasks that never finished cut the group short"
    );
}

// A group can be moved to, and shared with, another thread, as when it held a `JoinSet`
// (its tasks' seats and handles must not take that away: semver).
#[test]
fn a_group_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Group<u32, Cancelled>>();
    send_sync::<Group<String, std::io::Error>>();
}

/// Issue 21, item 7: tasks spawned by one line are told apart in the report.
#[tokio::test(start_paused = true)]
async fn unnamed_stragglers_spawned_by_one_line_are_numbered() {
    let mut group: Group = Group::with_timeout(SEC);
    group.spawn_named("named", async {
        tokio::time::sleep(100 * SEC).await;
        Ok(())
    });
    let line = line!() + 2;
    for _ in 0..3 {
        group.spawn(async {
            tokio::time::sleep(100 * SEC).await; // no checkpoint
            Ok(())
        });
    }
    let report = group.wait_report().await;
    let names: Vec<&str> = report.stragglers.iter().map(|s| &*s.name).collect();
    let at = format!("{}:{}:", file!(), line);
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "named");
    for (n, name) in names[1..].iter().enumerate() {
        assert!(name.starts_with(&at), "{name}");
        assert!(name.ends_with(&format!(" #{}", n + 2)), "{name}");
    }
}

/// Issue 21, item 6: the report says how each task ended.
#[tokio::test(start_paused = true)]
async fn the_report_says_how_each_task_ended() {
    use autocancel_runtime::TaskOutcome;
    let mut group: Group<u32, AppError> = Group::builder()
        .timeout(10 * SEC)
        .limit(4)
        .build::<u32, AppError>()
        .grace(SEC);
    group.spawn(async {
        // 0: succeeds, after the cancellation but within the grace period (no checkpoint).
        tokio::time::sleep(3 * SEC / 2).await;
        Ok(1)
    });
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("fetch")) // 1: fails at 1 s, cancelling the rest
    });
    group.spawn(async {
        sleep(60 * SEC).await?; // 2: cancelled in flight
        Ok(2)
    });
    group.spawn(async {
        tokio::time::sleep(60 * SEC).await; // 3: ignores it, aborted
        Ok(3)
    });
    group.spawn(async { Ok(4) }); // 4: queued behind the limit until the cancellation
    let report = group.wait_report().await;
    assert_eq!(
        report.outcomes,
        [
            TaskOutcome::Succeeded,
            TaskOutcome::Failed,
            TaskOutcome::Cancelled,
            TaskOutcome::Aborted,
            TaskOutcome::NotStarted,
        ]
    );
    assert_eq!(report.outputs, [Some(1), None, None, None, None]);
    assert!(matches!(report.error, Some(AppError::Failed("fetch"))));
    assert!(report.errors.is_empty());
}

/// Issue 21, item 6: the report says where each task cancelled in flight stopped.
#[tokio::test(start_paused = true)]
async fn the_report_says_where_each_cancelled_task_stopped() {
    use autocancel_runtime::TaskOutcome;
    #[autocancel::cancellable]
    async fn poll_forever() -> Result<u32, AppError> {
        loop {
            tokio::time::sleep(3 * SEC).await; // the deadline (10 s) falls in the 4th sleep
        }
    }
    let line = line!() - 3;
    let mut group: Group<u32, AppError> = Group::with_timeout(10 * SEC);
    group.spawn(poll_forever());
    group.spawn(async { Ok(7) });
    group.spawn(async {
        // Stops for the cancellation without a place that reports it.
        let cancelled = Ctx::current().cancelled().await;
        Err(AppError::from(cancelled))
    });
    let report = group.wait_report().await;
    assert_eq!(
        report.outcomes,
        [
            TaskOutcome::Cancelled,
            TaskOutcome::Succeeded,
            TaskOutcome::Cancelled
        ]
    );
    let at = report.cancelled_at[0].expect("where it stopped");
    assert_eq!((at.file(), at.line()), (file!(), line));
    assert_eq!(report.cancelled_at[1..], [None, None]);
}

/// Issue 21, item 6: with `collect_errors`, a failure cancels nobody and every error is kept.
#[tokio::test(start_paused = true)]
async fn collect_errors_keeps_every_error_and_cancels_nobody() {
    use autocancel_runtime::TaskOutcome;
    let mut group: Group<u32, AppError> = Group::builder().collect_errors().build();
    for n in 0..5u32 {
        group.spawn(async move {
            sleep((5 - n) * SEC).await?; // the last spawned ends first
            if n % 2 == 0 {
                return Err(AppError::Failed(["a", "b", "c"][n as usize / 2]));
            }
            Ok(n)
        });
    }
    let ctx = group.ctx().clone();
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), 5 * SEC, "every task ran to its end");
    assert_eq!(report.outputs, [None, Some(1), None, Some(3), None]);
    use TaskOutcome::{Failed, Succeeded};
    assert_eq!(
        report.outcomes,
        [Failed, Succeeded, Failed, Succeeded, Failed]
    );
    // The first to end is `error` (what `wait` returns), the others in the order they ended.
    assert!(matches!(report.error, Some(AppError::Failed("c"))));
    let others: Vec<_> = report
        .errors
        .iter()
        .map(|(i, e)| (*i, e.to_string()))
        .collect();
    assert_eq!(others, [(2, "failed: b".into()), (0, "failed: a".into())]);
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "cancelled: group finished",
        "no failure cancelled it"
    );
}

/// With `collect_errors`, a deadline still cancels the group: the tasks it stops are cancelled,
/// not failed, and `wait` returns the error of the one that failed before it.
#[tokio::test(start_paused = true)]
async fn collect_errors_still_stops_at_the_deadline() {
    use autocancel_runtime::TaskOutcome;
    let mut group: Group<(), AppError> = Group::builder().timeout(2 * SEC).collect_errors().build();
    group.spawn(async { Err(AppError::Failed("early")) });
    group.spawn(async {
        sleep(60 * SEC).await?;
        Ok(())
    });
    let report = group.wait_report().await;
    assert_eq!(
        report.outcomes,
        [TaskOutcome::Failed, TaskOutcome::Cancelled]
    );
    assert!(matches!(report.error, Some(AppError::Failed("early"))));
    assert!(report.errors.is_empty());
}

/// Issue 21, item 6: tasks as they end, each with its own outcome; the group's rules hold
/// meanwhile (the first error cancels the rest, stragglers are aborted after the grace period).
#[tokio::test(start_paused = true)]
async fn join_next_hands_out_tasks_as_they_end() {
    use autocancel_runtime::TaskOutcome;
    let mut group: Group<u32, AppError> = Group::new().grace(SEC);
    group.spawn_named("fast", async {
        sleep(SEC).await?;
        Ok(1)
    });
    group.spawn_named("broken", async {
        sleep(2 * SEC).await?;
        Err(AppError::Failed("fetch"))
    });
    group.spawn_named("slow", async {
        sleep(60 * SEC).await?;
        Ok(3)
    });
    group.spawn_named("deaf", async {
        tokio::time::sleep(60 * SEC).await; // no checkpoint
        Ok(4)
    });
    let start = Instant::now();
    let first = group.join_next().await.unwrap();
    assert_eq!((first.index, &*first.name), (0, "fast"));
    assert_eq!(
        (first.outcome, first.output),
        (TaskOutcome::Succeeded, Some(1))
    );
    assert_eq!(start.elapsed(), SEC);
    // Spawned between calls: it is one of the group's.
    group.spawn_named("late", async {
        sleep(60 * SEC).await?;
        Ok(5)
    });
    let broken = group.join_next().await.unwrap();
    assert_eq!(broken.outcome, TaskOutcome::Failed);
    assert!(matches!(broken.error, Some(AppError::Failed("fetch"))));
    assert_eq!(start.elapsed(), 2 * SEC);
    let mut rest = Vec::new();
    while let Some(task) = group.join_next().await {
        rest.push((
            task.name.to_string(),
            task.outcome,
            task.straggler.map(|s| s.overdue),
        ));
    }
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rest,
        [
            ("deaf".to_string(), TaskOutcome::Aborted, Some(SEC)),
            ("late".to_string(), TaskOutcome::Cancelled, None),
            ("slow".to_string(), TaskOutcome::Cancelled, None),
        ]
    );
    assert_eq!(start.elapsed(), 3 * SEC, "the grace period, then the abort");
    assert!(group.join_next().await.is_none());
}

/// `wait_report` after `join_next`: every task's outcome, the outputs and the error not handed
/// out yet; the error `join_next` handed out is not returned twice.
#[tokio::test(start_paused = true)]
async fn wait_report_after_join_next_goes_on_from_it() {
    use autocancel_runtime::TaskOutcome;
    let mut group: Group<u32, AppError> = Group::new();
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("fetch"))
    });
    group.spawn(async {
        sleep(60 * SEC).await?;
        Ok(2)
    });
    group.spawn(async { Ok(3) });
    let first = group.join_next().await.unwrap();
    assert_eq!((first.index, first.output), (2, Some(3)));
    let broken = group.join_next().await.unwrap();
    assert!(broken.error.is_some());
    let report = group.wait_report().await;
    assert_eq!(
        report.outcomes,
        [
            TaskOutcome::Failed,
            TaskOutcome::Cancelled,
            TaskOutcome::Succeeded
        ]
    );
    assert_eq!(report.outputs, [None, None, None], "handed out already");
    let Some(AppError::Cancelled(error)) = report.error else {
        panic!("the group's cancellation, the task's error was handed out")
    };
    assert_eq!(error.to_string(), "cancelled: task failed: failed: fetch");
}

/// Dropping `join_next`'s future loses nothing: the task that ended meanwhile comes next.
#[tokio::test(start_paused = true)]
async fn join_next_is_cancel_safe() {
    let mut group: Group<u32> = Group::new();
    group.spawn(async {
        sleep(2 * SEC).await?;
        Ok(7)
    });
    let timed_out = tokio::time::timeout(SEC, group.join_next()).await;
    assert!(timed_out.is_err());
    tokio::time::sleep(5 * SEC).await; // the task ends while nobody is joining
    let task = group.join_next().await.unwrap();
    assert_eq!(task.output, Some(7));
    assert!(group.join_next().await.is_none());
    assert_eq!(group.wait().await.unwrap(), Vec::<u32>::new());
}

/// With `collect_errors`, every failed task hands out its own error.
#[tokio::test(start_paused = true)]
async fn join_next_hands_out_every_error_when_collecting() {
    let mut group: Group<(), AppError> = Group::builder().collect_errors().build();
    for (n, what) in ["a", "b", "c"].into_iter().enumerate() {
        group.spawn(async move {
            sleep((n as u32 + 1) * SEC).await?;
            Err(AppError::Failed(what))
        });
    }
    let mut errors = Vec::new();
    while let Some(task) = group.join_next().await {
        errors.push(task.error.unwrap().to_string());
    }
    assert_eq!(errors, ["failed: a", "failed: b", "failed: c"]);
}

#[tokio::test(start_paused = true)]
async fn join_next_reraises_a_panic_at_the_end() {
    let mut group: Group = Group::new();
    group.spawn(async {
        if true {
            panic!("boom");
        }
        Ok(())
    });
    let task = group.join_next().await.unwrap();
    assert_eq!(task.outcome, autocancel_runtime::TaskOutcome::Panicked);
    let end = tokio::spawn(async move { group.join_next().await.is_none() });
    let panic = end.await.unwrap_err().into_panic();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"boom"));
}
