//! Races users hit: cancelling while spawning, a deadline during `wait`, an error on the
//! deadline's instant, a group dropped from inside its own task, `wait` never called, panicking
//! `Drop`s. Deterministic under the paused clock where the race can be staged; otherwise run many
//! times on the multi-thread runtime and checked for what must hold whatever the interleaving.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use autocancel_runtime::{sleep, sleep_blocking, Cancelled, Cause, Ctx, Group};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// Moves the paused clock forward *now*, inside the current poll, so that no other task (the
/// deadline's timer task in particular) runs between the clock moving and what follows.
fn advance_in_this_poll(by: Duration) {
    let mut advance = pin!(tokio::time::advance(by));
    let _ = advance
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
}

/// Counts live task bodies (decremented on drop, so also when a task is aborted).
#[derive(Clone, Default)]
struct Bodies(Arc<AtomicUsize>);

struct Alive(Arc<AtomicUsize>);

impl Bodies {
    fn enter(&self) -> Alive {
        self.0.fetch_add(1, Ordering::SeqCst);
        Alive(self.0.clone())
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits until no task but the caller's is alive on the runtime (aborted tasks are reaped when
/// a worker next runs them); panics if that takes long.
async fn settle(baseline: usize) {
    let metrics = tokio::runtime::Handle::current().metrics();
    for round in 0..10_000 {
        if metrics.num_alive_tasks() <= baseline {
            return;
        }
        if round < 100 {
            tokio::task::yield_now().await;
        } else {
            // On the multi-thread runtime the abort is carried out by a worker thread.
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    panic!(
        "{} tokio tasks still alive, baseline {baseline}",
        metrics.num_alive_tasks()
    );
}

mod common;
use common::AppError;

// --- A task error and the deadline on the same instant: the deadline wins. ---------------------

#[tokio::test(start_paused = true)]
async fn error_on_the_deadline_instant_loses_to_the_deadline() {
    let mut group: Group<(), AppError> = Group::with_timeout(100 * MS);
    group.spawn(async {
        // Checks that do not read the clock every time (the pacer's period grows while the
        // clock stands still), then the task's clock reaches the deadline before the deadline's
        // timer task runs.
        for _ in 0..64 {
            assert!(!Ctx::current().is_cancelled());
        }
        advance_in_this_poll(100 * MS);
        Err(AppError::Failed("on the deadline"))
    });
    let err = group.wait().await.unwrap_err();
    let AppError::Cancelled(cancelled) = &err else {
        panic!("the task's error won over the deadline: {err}");
    };
    assert!(cancelled.is_deadline_exceeded(), "{cancelled}");
}

#[tokio::test(start_paused = true)]
async fn error_one_tick_before_the_deadline_wins() {
    let mut group: Group<(), AppError> = Group::with_timeout(100 * MS);
    group.spawn(async {
        advance_in_this_poll(99 * MS);
        Err(AppError::Failed("just before"))
    });
    assert!(matches!(
        group.wait().await.unwrap_err(),
        AppError::Failed("just before")
    ));
}

#[tokio::test(start_paused = true)]
async fn ok_returned_on_the_deadline_instant_is_kept_but_the_group_failed() {
    let mut group: Group<u32> = Group::with_timeout(100 * MS);
    group.spawn(async {
        // Checks that do not read the clock every time (the pacer's period grows while the
        // clock stands still), then the deadline arrives within the same poll.
        for _ in 0..64 {
            assert!(!Ctx::current().is_cancelled());
        }
        advance_in_this_poll(100 * MS);
        Ok(7)
    });
    let report = group.wait_report().await;
    assert_eq!(report.outputs, vec![Some(7)]);
    let err = report.error.expect("the task ended at the deadline");
    assert!(err.is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn explicit_cancel_after_an_unnoticed_deadline_records_the_deadline() {
    let ctx = Ctx::new().with_timeout(100 * MS);
    advance_in_this_poll(100 * MS);
    ctx.cancel_with_reason("too late");
    assert!(ctx.cause().unwrap().is_deadline_exceeded());
    assert_eq!(ctx.cancelled_at(), Some(ctx.deadline().unwrap().instant()));
}

#[tokio::test(start_paused = true)]
async fn parent_cancelled_on_the_childs_deadline_instant_records_the_deadline() {
    let parent = Ctx::new();
    let child = parent.with_timeout(100 * MS);
    let grandchild = child.child();
    advance_in_this_poll(100 * MS);
    parent.cancel_with_reason("shutdown");
    assert!(matches!(
        child.cause().unwrap(),
        Cause::DeadlineExceeded { .. }
    ));
    assert!(grandchild.cause().unwrap().is_deadline_exceeded());
    // One tick earlier, the parent's cancellation is the cause.
    let parent = Ctx::new();
    let child = parent.with_timeout(100 * MS);
    advance_in_this_poll(99 * MS);
    parent.cancel_with_reason("shutdown");
    assert!(matches!(child.cause().unwrap(), Cause::ParentCancelled(_)));
}

// --- Deadline firing during `wait`. -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_firing_during_wait_is_reported_consistently() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    for round in 0..40u64 {
        let bodies = Bodies::default();
        let start = std::time::Instant::now();
        let mut group: Group<u64> = Group::with_timeout(5 * MS);
        for i in 0..8u64 {
            let alive = bodies.clone();
            // Durations around the deadline, so that some end just before it, some at it.
            let d = Duration::from_micros(3_000 + (round * 131 + i * 977) % 4_000);
            if i % 4 == 3 {
                group.spawn_blocking(move || {
                    let _alive = alive.enter();
                    sleep_blocking(d)?;
                    Ok(i)
                });
            } else {
                group.spawn(async move {
                    let _alive = alive.enter();
                    sleep(d).await?;
                    Ok(i)
                });
            }
        }
        let report = group.wait_report().await;
        assert_eq!(bodies.count(), 0, "a task body outlived wait");
        assert!(report.stragglers.is_empty(), "{:?}", report.stragglers);
        match &report.error {
            // Everything finished first: every output is there.
            None => assert!(report.outputs.iter().all(Option::is_some)),
            Some(err) => {
                assert!(err.is_deadline_exceeded(), "{err}");
                assert!(start.elapsed() >= 5 * MS);
                // The outputs reported are those of tasks that returned `Ok`.
                for (i, out) in report.outputs.iter().enumerate() {
                    assert!(out.is_none_or(|v| v == i as u64));
                }
            }
        }
        settle(baseline).await;
    }
}

// --- Cancelling while spawning. -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_spawning_leaves_nothing_running() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    for round in 0..20usize {
        let bodies = Bodies::default();
        let started = Arc::new(AtomicUsize::new(0));
        let group: Group<usize> = if round % 2 == 0 {
            Group::new()
        } else {
            Group::builder().limit(1 + round % 5).build()
        };
        // Every body stops at its cancellable sleep: none is a straggler, however late a loaded
        // machine first polls it (the default grace, 100 ms, was not always enough under load).
        let mut group = group.grace(Duration::from_secs(60));
        let ctx = group.ctx().clone();
        // Another thread cancels somewhere in the middle of the spawning below.
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_micros(50 * round as u64));
            ctx.cancel_with_reason("stop");
        });
        for i in 0..300 {
            let (alive, started) = (bodies.clone(), started.clone());
            if i % 10 == 0 {
                group.spawn_blocking(move || {
                    let _alive = alive.enter();
                    started.fetch_add(1, Ordering::SeqCst);
                    sleep_blocking(Duration::from_secs(60))?;
                    Ok(i)
                });
            } else {
                group.spawn(async move {
                    let _alive = alive.enter();
                    started.fetch_add(1, Ordering::SeqCst);
                    sleep(Duration::from_secs(60)).await?;
                    Ok(i)
                });
            }
        }
        canceller.join().unwrap();
        let start = std::time::Instant::now();
        let report = group.wait_report().await;
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(bodies.count(), 0, "a task body outlived wait");
        assert!(report.outputs.iter().all(Option::is_none));
        let err = report.error.expect("cancelled");
        assert_eq!(err.to_string(), "cancelled: stop");
        assert!(report.stragglers.is_empty());
        settle(baseline).await;
    }
}

#[tokio::test(start_paused = true)]
async fn spawning_into_a_cancelled_group_starts_nothing() {
    let started = Arc::new(AtomicUsize::new(0));
    let mut group: Group = Group::new();
    group.ctx().cancel();
    for _ in 0..10 {
        let count = started.clone();
        group.spawn(async move {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let count = started.clone();
        group.spawn_blocking(move || {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
    }
    assert!(group.try_spawn(async { Ok(()) }));
    let err = group.wait().await.unwrap_err();
    assert_eq!(err.to_string(), "cancelled");
    assert_eq!(started.load(Ordering::SeqCst), 0);
}

// --- Dropping a group from inside one of its own tasks. -----------------------------------------

#[tokio::test(start_paused = true)]
async fn group_dropped_from_inside_its_own_task() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let bodies = Bodies::default();
    let slot: Arc<Mutex<Option<Group>>> = Arc::new(Mutex::new(None));
    let mut group: Group = Group::new();
    let ctx = group.ctx().clone();
    for _ in 0..5 {
        let alive = bodies.clone();
        group.spawn(async move {
            let _alive = alive.enter();
            tokio::time::sleep(Duration::from_secs(60)).await; // ignores cancellation
            Ok(())
        });
    }
    let (alive, inner) = (bodies.clone(), slot.clone());
    let after_drop = Arc::new(AtomicUsize::new(0));
    let after = after_drop.clone();
    group.spawn(async move {
        let _alive = alive.enter();
        tokio::time::sleep(MS).await;
        let group = inner.lock().unwrap().take().expect("the group is there");
        drop(group); // aborts every task of the group, this one included
        assert!(Ctx::current().is_cancelled());
        after.fetch_add(1, Ordering::SeqCst); // still runs: an abort takes effect at an await
        tokio::task::yield_now().await;
        after.fetch_add(1, Ordering::SeqCst); // never runs
        Ok(())
    });
    *slot.lock().unwrap() = Some(group);
    tokio::time::sleep(10 * MS).await;
    settle(baseline).await;
    assert_eq!(bodies.count(), 0, "a task body outlived its dropped group");
    assert_eq!(after_drop.load(Ordering::SeqCst), 1);
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "cancelled: group dropped before wait"
    );
}

// --- `wait` never called. -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_never_called_cancels_aborts_and_releases_blocking_tasks() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let bodies = Bodies::default();
    {
        let mut group: Group = Group::builder()
            .timeout(Duration::from_secs(60))
            .limit(4)
            .build();
        for i in 0..20 {
            let alive = bodies.clone();
            if i % 5 == 0 {
                group.spawn_blocking(move || {
                    let _alive = alive.enter();
                    sleep_blocking(Duration::from_secs(60))
                });
            } else {
                group.spawn(async move {
                    let _alive = alive.enter();
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(())
                });
            }
        }
        tokio::time::sleep(10 * MS).await; // let some start
    } // dropped here, never waited
    let start = std::time::Instant::now();
    while bodies.count() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} bodies still running",
            bodies.count()
        );
        tokio::time::sleep(MS).await;
    }
    settle(baseline).await;
}

#[tokio::test(start_paused = true)]
async fn group_never_waited_nor_spawned_into_is_fine() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    for _ in 0..100 {
        let _group: Group = Group::with_timeout(Duration::from_secs(1));
    }
    settle(baseline).await;
}

// --- Panicking `Drop`s. --------------------------------------------------------------------------

struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn future_whose_drop_panics_after_completing_cancels_siblings_and_is_reraised() {
    let bodies = Bodies::default();
    let mut group: Group = Group::new();
    group.spawn(async {
        let _bomb = PanicOnDrop("drop of a finished future");
        tokio::time::sleep(MS).await;
        Ok(())
    });
    let alive = bodies.clone();
    group.spawn(async move {
        let _alive = alive.enter();
        sleep(Duration::from_secs(3600)).await // stops only if the panic cancels the group
    });
    let start = Instant::now();
    let payload = tokio::spawn(group.wait()).await.unwrap_err().into_panic();
    assert_eq!(panic_message(&*payload), "drop of a finished future");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "siblings were not cancelled: {:?}",
        start.elapsed()
    );
    assert_eq!(bodies.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn aborted_straggler_whose_drop_panics_is_reraised_by_wait() {
    let mut group: Group = Group::with_timeout(10 * MS).grace(10 * MS);
    group.spawn(async {
        let _bomb = PanicOnDrop("drop of an aborted future");
        tokio::time::sleep(Duration::from_secs(60)).await; // ignores cancellation
        Ok(())
    });
    let payload = tokio::spawn(group.wait()).await.unwrap_err().into_panic();
    assert_eq!(panic_message(&*payload), "drop of an aborted future");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_error_whose_drop_panics_does_not_cut_wait_short() {
    let bodies = Bodies::default();
    // The second task must end by itself for its losing error to be dropped: a long grace, so
    // that a loaded machine's late poll does not make it a straggler that is aborted instead.
    let mut group: Group<(), Bomb> = Group::new().grace(Duration::from_secs(60));
    group.spawn(async {
        tokio::time::sleep(MS).await;
        Err(Bomb::Fail("first"))
    });
    group.spawn(async {
        tokio::time::sleep(10 * MS).await; // ignores cancellation
        Err(Bomb::Fail("second, which loses")) // loses: the group is already cancelled
    });
    let alive = bodies.clone();
    group.spawn_blocking(move || {
        let _alive = alive.enter();
        std::thread::sleep(Duration::from_millis(100)); // ignores cancellation
        Ok(())
    });
    let result = tokio::spawn(group.wait()).await;
    assert_eq!(bodies.count(), 0, "wait unwound while a blocking task ran");
    // The drop's panic is re-raised, once every task has ended.
    let payload = result.unwrap_err().into_panic();
    assert_eq!(panic_message(&*payload), "drop of a losing error");
}

#[tokio::test(start_paused = true)]
async fn error_whose_display_panics_cancels_siblings_and_is_reraised() {
    let bodies = Bodies::default();
    let mut group: Group<(), Bomb> = Group::new();
    group.spawn(async { Err(Bomb::BadDisplay) });
    let alive = bodies.clone();
    group.spawn(async move {
        let _alive = alive.enter();
        sleep(Duration::from_secs(3600)).await?; // stops only if the panic cancels the group
        Ok(())
    });
    let start = Instant::now();
    let payload = tokio::spawn(group.wait()).await.unwrap_err().into_panic();
    assert_eq!(panic_message(&*payload), "Display of an error");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "siblings were not cancelled: {:?}",
        start.elapsed()
    );
    assert_eq!(bodies.count(), 0);
}

// The same from a blocking task of a group with a limit (its body runs in a task of its own).
#[tokio::test(start_paused = true)]
async fn blocking_error_whose_display_panics_is_reraised_with_a_limit_too() {
    let mut group: Group<(), Bomb> = Group::builder().limit(2).build();
    group.spawn_blocking(|| Err(Bomb::BadDisplay));
    let payload = tokio::spawn(group.wait()).await.unwrap_err().into_panic();
    assert_eq!(panic_message(&*payload), "Display of an error");
}

#[derive(Debug)]
enum Bomb {
    Fail(&'static str),
    BadDisplay,
    Cancelled,
}

impl From<Cancelled> for Bomb {
    fn from(_: Cancelled) -> Self {
        Bomb::Cancelled
    }
}

impl std::fmt::Display for Bomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if matches!(self, Bomb::BadDisplay) {
            panic!("Display of an error");
        }
        write!(f, "{self:?}")
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if matches!(self, Bomb::Fail("second, which loses")) && !std::thread::panicking() {
            panic!("drop of a losing error");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn output_whose_drop_panics_is_handed_back_not_dropped() {
    let mut group: Group<PanicOnDrop> = Group::new();
    group.spawn(async { Ok(PanicOnDrop("output")) });
    let outputs = group.wait().await.unwrap();
    assert_eq!(outputs.len(), 1);
    std::mem::forget(outputs);
}

/// A future that is ready at once, and whose `Drop` panics: dropped after it completed, outside
/// the task body's own `catch_unwind`.
struct ReadyBomb;

impl Future for ReadyBomb {
    type Output = Result<(), Cancelled>;
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl Drop for ReadyBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop of a ready future");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_whose_drop_panics_after_it_returned_does_not_hang_wait() {
    let bodies = Bodies::default();
    let mut group: Group = Group::new();
    group.spawn(ReadyBomb);
    let alive = bodies.clone();
    group.spawn(async move {
        let _alive = alive.enter();
        sleep(Duration::from_secs(3)).await // cut short if the panic cancels the group
    });
    let start = std::time::Instant::now();
    let waited = tokio::time::timeout(Duration::from_secs(10), tokio::spawn(group.wait()))
        .await
        .expect("wait hung");
    assert_eq!(bodies.count(), 0);
    match waited {
        Err(join) => {
            assert_eq!(panic_message(&*join.into_panic()), "drop of a ready future");
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "siblings not cancelled"
            );
        }
        Ok(result) => panic!("the panic was lost: {result:?}"),
    }
}
