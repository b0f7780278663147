//! `ScopedGroup`: `Group`'s semantics for tasks that borrow from the caller's stack, polled
//! inside the group's own `wait`. Paused clock throughout.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel::{cancellable, shield, sleep, Cancelled, Cause, Ctx, ScopedGroup, TaskKind};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum AppError {
    Failed(&'static str),
    Cancelled(Cancelled),
}

impl From<Cancelled> for AppError {
    fn from(c: Cancelled) -> Self {
        AppError::Cancelled(c)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Failed(what) => write!(f, "failed: {what}"),
            AppError::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

/// Sets its flag when dropped: tells whether a task's future was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn tasks_borrow_and_outputs_come_in_spawn_order() {
    let words = vec![String::from("ccc"), String::from("a"), String::from("bb")];
    let mut total = 0; // mutated after the group, so the tasks' borrows ended with it
    let mut group: ScopedGroup<'_, usize> = ScopedGroup::new();
    for word in &words {
        group.spawn(async move {
            // The longest word ends last: completion order differs from spawn order.
            sleep(SEC * word.len() as u32).await?;
            Ok(word.len())
        });
    }
    let start = Instant::now();
    let lens = group.wait().await.unwrap();
    assert_eq!(lens, vec![3, 1, 2]);
    assert_eq!(start.elapsed(), 3 * SEC, "the tasks ran concurrently");
    total += lens.iter().sum::<usize>();
    assert_eq!(total, 6);
}

#[tokio::test(start_paused = true)]
async fn tasks_may_mutate_disjoint_borrows() {
    let mut counts = [0u32; 3];
    let mut group: ScopedGroup<'_> = ScopedGroup::new();
    for (i, count) in counts.iter_mut().enumerate() {
        group.spawn(async move {
            for _ in 0..=i {
                sleep(SEC).await?;
                *count += 1;
            }
            Ok(())
        });
    }
    group.wait().await.unwrap();
    assert_eq!(counts, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn first_error_cancels_siblings_and_is_returned() {
    let sibling_saw = Mutex::new(None);
    let mut group: ScopedGroup<'_, (), AppError> = ScopedGroup::new();
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("first"))
    });
    group.spawn(async {
        sleep(2 * SEC).await?;
        Err(AppError::Failed("second"))
    });
    group.spawn(async {
        let cancelled = Ctx::current().cancelled().await;
        *sibling_saw.lock().unwrap() = Some(cancelled.to_string());
        Err(cancelled.into())
    });
    let start = Instant::now();
    let err = group.wait().await.unwrap_err();
    assert_eq!(start.elapsed(), SEC);
    assert!(matches!(err, AppError::Failed("first")), "{err:?}");
    assert_eq!(
        sibling_saw.lock().unwrap().as_deref(),
        Some("cancelled: task failed: failed: first")
    );
}

#[tokio::test(start_paused = true)]
async fn deadline_cancels_the_group() {
    let mut group: ScopedGroup<'_, u32> = ScopedGroup::with_timeout(2 * SEC);
    group.spawn(async { Ok(1) });
    group.spawn(async {
        sleep(10 * SEC).await?;
        Ok(2)
    });
    let ctx = group.ctx().clone();
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), 2 * SEC);
    assert_eq!(
        report.outputs,
        vec![Some(1), None],
        "the finished task keeps its output"
    );
    let err = report.into_result().unwrap_err();
    assert!(
        matches!(err.cause(), Cause::DeadlineExceeded { .. }),
        "{err}"
    );
    assert!(ctx.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn parent_cancellation_reaches_the_tasks() {
    let parent = Ctx::new();
    let mut group: ScopedGroup<'_> = ScopedGroup::with_parent(&parent);
    group.spawn(async { sleep(10 * SEC).await });
    let canceller = parent.clone();
    let cancel = async move {
        tokio::time::sleep(SEC).await;
        canceller.cancel();
    };
    let start = Instant::now();
    let (result, ()) = tokio::join!(group.wait(), cancel);
    assert_eq!(start.elapsed(), SEC);
    assert!(matches!(
        result.unwrap_err().cause(),
        Cause::ParentCancelled { .. }
    ));
}

#[tokio::test(start_paused = true)]
async fn limit_bounds_concurrency_and_queued_tasks_never_start_after_cancel() {
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let started = AtomicUsize::new(0);
    let mut group: ScopedGroup<'_, usize> = ScopedGroup::builder()
        .timeout(3 * SEC)
        .limit(2)
        .build_scoped();
    for n in 0..10 {
        let (running, most, started) = (&running, &most, &started);
        group.spawn(async move {
            started.fetch_add(1, Ordering::SeqCst);
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let slept = sleep(SEC).await;
            running.fetch_sub(1, Ordering::SeqCst);
            slept.map(|()| n)
        });
    }
    let report = group.wait_report().await;
    assert_eq!(most.load(Ordering::SeqCst), 2);
    // Two per second, deadline at 3 s: the pair started at 2 s is cancelled at 3 s, the rest
    // never start.
    assert_eq!(started.load(Ordering::SeqCst), 6);
    let done: Vec<_> = report.outputs.iter().flatten().copied().collect();
    assert_eq!(done, vec![0, 1, 2, 3]);
    assert!(report.error.is_some());
}

#[cancellable]
async fn ticks_forever(ticks: &AtomicUsize) -> Result<(), Cancelled> {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        ticks.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn cancellable_tasks_stop_at_their_checkpoints() {
    let ticks = AtomicUsize::new(0);
    let mut group: ScopedGroup<'_, (), AppError> = ScopedGroup::new().grace(Duration::ZERO);
    group.spawn(async { Ok(ticks_forever(&ticks).await?) });
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("boom"))
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), SEC);
    assert!(
        report.stragglers.is_empty(),
        "stopped by itself: {:?}",
        report.stragglers
    );
    assert!(matches!(report.error, Some(AppError::Failed("boom"))));
    assert!((9..=10).contains(&ticks.load(Ordering::SeqCst)));
}

#[tokio::test(start_paused = true)]
async fn a_task_ignoring_cancellation_is_dropped_after_the_grace_period() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut group: ScopedGroup<'_, (), AppError> =
        ScopedGroup::new().grace(Duration::from_millis(250));
    let flag = DropFlag(dropped.clone());
    group.spawn_named("stubborn", async move {
        let _flag = flag;
        tokio::time::sleep(100 * SEC).await; // not raced: ignores the cancellation
        Ok(())
    });
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("first"))
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), SEC + Duration::from_millis(250));
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(report.stragglers.len(), 1);
    let straggler = &report.stragglers[0];
    assert_eq!(&*straggler.name, "stubborn");
    assert_eq!(straggler.kind, TaskKind::Async);
    assert!(straggler.aborted);
    assert_eq!(straggler.overdue, Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn a_shielded_task_is_waited_for() {
    let finished = AtomicBool::new(false);
    let mut group: ScopedGroup<'_, (), AppError> =
        ScopedGroup::new().grace(Duration::from_millis(100));
    group.spawn(async {
        shield(tokio::time::sleep(2 * SEC)).await;
        finished.store(true, Ordering::SeqCst);
        Ok(Ctx::current().check()?)
    });
    group.spawn(async {
        sleep(SEC / 10).await?;
        Err(AppError::Failed("early"))
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert!(finished.load(Ordering::SeqCst));
    assert!(start.elapsed() >= 2 * SEC);
    // Waited for, and reported once it ended.
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {:?}", report.stragglers)
    };
    assert!(!straggler.aborted);
    assert_eq!(straggler.overdue, 19 * SEC / 10);
    assert!(report.error.is_some());
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_reraised_after_the_others_stopped() {
    let sibling_stopped = Arc::new(AtomicBool::new(false));
    let seen = sibling_stopped.clone();
    let join = tokio::spawn(async move {
        let mut group: ScopedGroup<'_> = ScopedGroup::new();
        group.spawn(async {
            sleep(SEC).await?;
            panic!("task blew up");
        });
        let flag = DropFlag(seen);
        group.spawn(async move {
            let _flag = flag;
            sleep(100 * SEC).await
        });
        group.wait().await
    });
    let start = Instant::now();
    let err = join.await.unwrap_err();
    assert_eq!(start.elapsed(), SEC);
    assert!(err.is_panic());
    assert!(sibling_stopped.load(Ordering::SeqCst));
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"task blew up"));
}

/// An error whose `Display` panics.
#[derive(Debug)]
struct BadDisplay;

impl From<Cancelled> for BadDisplay {
    fn from(_: Cancelled) -> Self {
        BadDisplay
    }
}

impl std::fmt::Display for BadDisplay {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Display blew up")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_error_display_is_the_tasks_panic_reraised_after_the_others_stop() {
    let sibling_saw_cancel = Arc::new(AtomicBool::new(false));
    let seen = sibling_saw_cancel.clone();
    let join = tokio::spawn(async move {
        let mut group: ScopedGroup<'_, (), BadDisplay> = ScopedGroup::new();
        group.spawn(async {
            sleep(SEC).await?;
            Err(BadDisplay)
        });
        group.spawn(async move {
            let cancelled = sleep(100 * SEC).await;
            // Stopped by itself, through the cancellation, not dropped mid-flight.
            seen.store(cancelled.is_err(), Ordering::SeqCst);
            Ok(())
        });
        group.wait().await
    });
    let err = join.await.unwrap_err();
    assert!(err.is_panic());
    assert!(sibling_saw_cancel.load(Ordering::SeqCst));
    assert_eq!(
        err.into_panic().downcast_ref::<&str>(),
        Some(&"Display blew up")
    );
}

/// A future that is ready at once and panics when dropped (after it finished, outside its poll).
struct ReadyThenPanicOnDrop;

impl std::future::Future for ReadyThenPanicOnDrop {
    type Output = Result<(), Cancelled>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl Drop for ReadyThenPanicOnDrop {
    fn drop(&mut self) {
        panic!("Drop blew up");
    }
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_a_finished_tasks_drop_is_reraised_after_the_others_stop() {
    let sibling_saw_cancel = Arc::new(AtomicBool::new(false));
    let seen = sibling_saw_cancel.clone();
    let join = tokio::spawn(async move {
        let mut group: ScopedGroup<'_> = ScopedGroup::new();
        group.spawn(async move {
            let cancelled = sleep(100 * SEC).await;
            seen.store(cancelled.is_err(), Ordering::SeqCst);
            Ok(())
        });
        group.spawn(ReadyThenPanicOnDrop);
        group.wait().await
    });
    let err = join.await.unwrap_err();
    assert!(err.is_panic());
    assert!(sibling_saw_cancel.load(Ordering::SeqCst));
    assert_eq!(
        err.into_panic().downcast_ref::<&str>(),
        Some(&"Drop blew up")
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_wait_drops_the_tasks() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut group: ScopedGroup<'_> = ScopedGroup::new();
    let ctx = group.ctx().clone();
    let flag = DropFlag(dropped.clone());
    group.spawn(async move {
        let _flag = flag;
        tokio::time::sleep(100 * SEC).await;
        Ok(())
    });
    let timed_out = tokio::time::timeout(SEC, group.wait()).await;
    assert!(timed_out.is_err());
    assert!(dropped.load(Ordering::SeqCst));
    assert!(ctx.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn an_empty_group_is_ok() {
    let group: ScopedGroup<'_, u8> = ScopedGroup::new();
    assert_eq!(group.wait().await.unwrap(), Vec::<u8>::new());
}

#[tokio::test(start_paused = true)]
async fn a_limit_set_after_spawning_counts_every_task() {
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let mut group: ScopedGroup<'_> = ScopedGroup::new();
    for _ in 0..5 {
        let (running, most) = (&running, &most);
        group.spawn(async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            sleep(SEC).await?;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    let start = Instant::now();
    #[allow(deprecated)] // the old way, kept working: a limit set on the group after spawns
    group.limit(2).wait().await.unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(start.elapsed(), 3 * SEC);
}

#[test]
#[should_panic(expected = "ScopedGroup::limit(0)")]
#[allow(deprecated)]
fn limit_zero_panics() {
    let _: ScopedGroup<'_> = ScopedGroup::new().limit(0);
}

/// Records, when dropped, whether the ambient context then was `ctx` (what the task's future
/// sees in its `Drop`).
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
async fn each_task_is_shielded_by_its_own_index() {
    // The tasks share their group's ambient, each setting its own index into it when polled: a
    // shield entered by task 1 must not protect task 0 from being dropped after the grace period.
    let shielded_finished = AtomicBool::new(false);
    let mut group: ScopedGroup<'_, (), AppError> =
        ScopedGroup::new().grace(Duration::from_millis(100));
    group.spawn_named("ignores", async {
        tokio::time::sleep(100 * SEC).await; // no checkpoint
        Ok(())
    });
    group.spawn(async {
        shield(tokio::time::sleep(2 * SEC)).await;
        shielded_finished.store(true, Ordering::SeqCst);
        Ok(())
    });
    group.spawn(async {
        sleep(SEC / 10).await?;
        Err(AppError::Failed("early"))
    });
    let start = Instant::now();
    let report = group.wait_report().await;
    assert!(shielded_finished.load(Ordering::SeqCst));
    assert_eq!(start.elapsed(), 2 * SEC);
    let seen: Vec<_> = report
        .stragglers
        .iter()
        .map(|s| (s.aborted, s.overdue))
        .collect();
    assert_eq!(
        seen,
        [(true, Duration::from_millis(100)), (false, 19 * SEC / 10)]
    );
    assert_eq!(&*report.stragglers[0].name, "ignores");
}

#[tokio::test(start_paused = true)]
async fn tasks_are_dropped_with_their_groups_context_ambient() {
    // After the grace period, and with the group.
    for drop_the_group in [false, true] {
        let saw = Arc::new(Mutex::new(None));
        let mut group: ScopedGroup<'_> =
            ScopedGroup::with_timeout(SEC).grace(Duration::from_millis(100));
        let sees = SeesOnDrop {
            ctx: group.ctx().clone(),
            saw: saw.clone(),
        };
        group.spawn(async move {
            let _sees = sees;
            tokio::time::sleep(100 * SEC).await; // ignores cancellation
            Ok(())
        });
        if drop_the_group {
            // The task starts and parks; then `wait` is dropped, and the group with it.
            let waited = tokio::time::timeout(SEC / 2, group.wait_report()).await;
            assert!(waited.is_err());
        } else {
            let report = group.wait_report().await;
            assert_eq!(report.stragglers.len(), 1);
        }
        assert_eq!(
            *saw.lock().unwrap(),
            Some(true),
            "dropped the group: {drop_the_group}"
        );
    }
}

/// The report says how each task ended, as a `Group`'s does (issue 21, item 6).
#[tokio::test(start_paused = true)]
async fn the_report_says_how_each_task_ended() {
    use autocancel::TaskOutcome;
    let mut group: ScopedGroup<'_, u32, AppError> = ScopedGroup::builder()
        .timeout(10 * SEC)
        .limit(3)
        .build_scoped()
        .grace(SEC);
    group.spawn(async {
        tokio::time::sleep(3 * SEC / 2).await; // ends within the grace period
        Ok(1)
    });
    group.spawn(async {
        sleep(SEC).await?;
        Err(AppError::Failed("fetch"))
    });
    group.spawn(async {
        tokio::time::sleep(60 * SEC).await; // ignores the cancellation
        Ok(3)
    });
    group.spawn(async { Ok(4) }); // queued behind the limit until the cancellation
    let report = group.wait_report().await;
    use TaskOutcome::{Aborted, Failed, NotStarted, Succeeded};
    assert_eq!(report.outcomes, [Succeeded, Failed, Aborted, NotStarted]);
    assert_eq!(report.outputs, [Some(1), None, None, None]);
}

/// A scoped group's builder is a `Group`'s: its parent and its limit, set the same way.
#[tokio::test(start_paused = true)]
async fn the_builder_sets_a_scoped_groups_parent_and_limit_as_a_groups() {
    let parent = Ctx::new();
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let mut group: ScopedGroup<'_> = ScopedGroup::builder()
        .parent(&parent)
        .limit(1)
        .build_scoped();
    for _ in 0..3 {
        let (running, most) = (&running, &most);
        group.spawn(async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            sleep(SEC).await?;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    let start = Instant::now();
    group.wait().await.unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), 3 * SEC);
    let child: ScopedGroup<'_> = ScopedGroup::builder().parent(&parent).build_scoped();
    parent.cancel();
    assert!(
        child.ctx().is_cancelled(),
        "a child of the builder's parent"
    );
}

/// Where each task cancelled in flight stopped, as a `Group`'s report says (issue 21, item 6).
#[tokio::test(start_paused = true)]
async fn the_report_says_where_each_cancelled_task_stopped() {
    use autocancel::TaskOutcome;
    #[cancellable]
    async fn poll_forever() -> Result<u32, AppError> {
        loop {
            tokio::time::sleep(3 * SEC).await; // the deadline (10 s) falls in the 4th sleep
        }
    }
    let line = line!() - 3;
    let mut group: ScopedGroup<'_, u32, AppError> = ScopedGroup::with_timeout(10 * SEC);
    group.spawn(async { Ok(7) });
    group.spawn(poll_forever());
    let report = group.wait_report().await;
    assert_eq!(
        report.outcomes,
        [TaskOutcome::Succeeded, TaskOutcome::Cancelled]
    );
    assert_eq!(report.cancelled_at[0], None);
    let at = report.cancelled_at[1].expect("where it stopped");
    assert_eq!((at.file(), at.line()), (file!(), line));
}
