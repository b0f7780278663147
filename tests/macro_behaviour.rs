//! What `#[cancellable]` functions do at run time: the seed's scenario, CPU-bound loops, shielded
//! sections, raced awaits, blocking sleeps, and every way of returning the cancellation.

use autocancel::{cancellable, Cancelled, Cause, Ctx, Group};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

/// The seed's task: `steps` one-second sleeps, recording each completed step.
#[cancellable]
async fn seed_task(steps: u32, done: Arc<AtomicU32>) -> Result<(), Cancelled> {
    for _ in 0..steps {
        tokio::time::sleep(SEC).await;
        done.fetch_add(1, SeqCst);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn seed_scenario_stops_at_the_deadline() {
    let start = Instant::now();
    let (done1, done2) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let mut group = Group::with_timeout(7 * SEC);
    group.spawn(seed_task(5, done1.clone()));
    group.spawn(seed_task(10, done2.clone()));
    let err = group.wait().await.unwrap_err();

    assert_eq!(
        start.elapsed(),
        7 * SEC,
        "the group stops at the deadline, not at 10 s"
    );
    assert!(err.is_deadline_exceeded(), "{err}");
    assert_eq!(done1.load(SeqCst), 5, "task 1 finished on its own");
    assert_eq!(
        done2.load(SeqCst),
        6,
        "task 2 is cut during its 7th step: the step due at 7 s loses the tie"
    );
}

#[cancellable]
async fn spin(iterations: Arc<AtomicU64>) -> Result<(), Cancelled> {
    // No await: only the loop checkpoint can stop this.
    loop {
        iterations.fetch_add(1, SeqCst);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn cpu_bound_loop_stops_once_the_deadline_passes() {
    // A real clock: a paused one would never advance past a loop that never yields.
    let start = std::time::Instant::now();
    let iterations = Arc::new(AtomicU64::new(0));
    let mut group = Group::with_timeout(Duration::from_millis(50));
    group.spawn(spin(iterations.clone()));
    let err = group.wait().await.unwrap_err();
    let elapsed = start.elapsed();
    assert!(err.is_deadline_exceeded(), "{err}");
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "noticed late: {elapsed:?}"
    );
    assert!(iterations.load(SeqCst) > 0);
}

#[cancellable]
async fn critical(log: Arc<Mutex<Vec<&'static str>>>) -> Result<(), Cancelled> {
    #[shield]
    {
        for _ in 0..3 {
            tokio::time::sleep(SEC).await;
            log.lock().unwrap().push("write");
        }
        log.lock().unwrap().push("commit");
    }
    tokio::time::sleep(SEC).await;
    log.lock().unwrap().push("after");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn shielded_section_completes_despite_cancellation() {
    let start = Instant::now();
    let log = Arc::new(Mutex::new(Vec::new()));
    // The deadline (1.5 s) falls inside the section; the group's grace period (100 ms) runs
    // out long before the section ends, yet the task is not aborted while shielded.
    let mut group = Group::with_timeout(Duration::from_millis(1500));
    group.spawn(critical(log.clone()));
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    assert_eq!(*log.lock().unwrap(), ["write", "write", "write", "commit"]);
    assert_eq!(
        start.elapsed(),
        3 * SEC,
        "stopped at the first await after the section"
    );
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

async fn never(dropped: Arc<AtomicBool>) -> u32 {
    let _guard = SetOnDrop(dropped);
    std::future::pending().await
}

#[cancellable]
async fn waits_forever(ctx: Ctx, dropped: Arc<AtomicBool>) -> Result<u32, Cancelled> {
    let n = never(dropped.clone()).await;
    assert!(!dropped.load(SeqCst));
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn await_race_drops_the_inner_future() {
    let ctx = Ctx::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(waits_forever(ctx.clone(), dropped.clone()));
    tokio::time::sleep(SEC).await;
    assert!(!dropped.load(SeqCst));
    ctx.cancel_with_reason("shutting down");
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err.cause(), Cause::Cancelled { .. }), "{err}");
    assert!(
        dropped.load(SeqCst),
        "the losing future is dropped, as select! drops it"
    );
}

#[cancellable]
async fn ready_after_cancel(ctx: &Ctx, polled: &AtomicBool) -> Option<u32> {
    let n = async {
        polled.store(true, SeqCst);
        7
    }
    .await;
    Some(n)
}

#[tokio::test]
async fn cancellation_wins_against_a_ready_future() {
    let ctx = Ctx::new();
    ctx.cancel();
    let polled = AtomicBool::new(false);
    assert_eq!(ready_after_cancel(&ctx, &polled).await, None);
    assert!(
        !polled.load(SeqCst),
        "biased: the future is not even polled"
    );
    // Not cancelled: the value goes through.
    assert_eq!(ready_after_cancel(&Ctx::new(), &polled).await, Some(7));
}

#[cancellable]
async fn consume(
    ctx: &Ctx,
    mut rx: tokio::sync::mpsc::Receiver<u32>,
    seen: &AtomicU32,
) -> Result<(), Cancelled> {
    while let Some(x) = rx.recv().await {
        seen.fetch_add(x, SeqCst);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn while_let_recv_stops_on_cancellation() {
    let ctx = Ctx::new();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let seen = Arc::new(AtomicU32::new(0));
    let consumer = {
        let (ctx, seen) = (ctx.clone(), seen.clone());
        tokio::spawn(async move { consume(&ctx, rx, &seen).await })
    };
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    tokio::time::sleep(SEC).await;
    ctx.cancel();
    // The sender is still open: only the cancellation ends the loop.
    assert!(consumer.await.unwrap().is_err());
    assert_eq!(seen.load(SeqCst), 3);
    drop(tx);
}

#[cancellable]
async fn count_unit(counter: Arc<AtomicU32>) {
    loop {
        counter.fetch_add(1, SeqCst);
        tokio::time::sleep(SEC).await;
    }
}

#[cancellable]
fn count_option(ctx: Ctx, limit: u32) -> Option<u32> {
    let mut n = 0;
    while n < limit {
        n += 1;
        if n == 3 {
            ctx.cancel();
        }
    }
    Some(n)
}

#[tokio::test(start_paused = true)]
async fn unit_and_option_returns() {
    let start = Instant::now();
    let counter = Arc::new(AtomicU32::new(0));
    let mut group = Group::<(), Cancelled>::with_timeout(Duration::from_millis(2500));
    let c = counter.clone();
    group.spawn(async move {
        count_unit(c).await; // returns `()` when cancelled
        Ok(())
    });
    assert!(group.wait().await.unwrap_err().is_deadline_exceeded());
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    assert_eq!(counter.load(SeqCst), 3);

    // `Option`: `None`, at the first checkpoint after the cancellation.
    assert_eq!(count_option(Ctx::new(), 10), None);
    assert_eq!(count_option(Ctx::new(), 2), Some(2));
}

#[cancellable]
async fn steps_with_ctx(ctx: Ctx, done: &AtomicU32) -> Result<(), Cancelled> {
    for _ in 0..10 {
        tokio::time::sleep(SEC).await;
        done.fetch_add(1, SeqCst);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn context_parameter_is_used_over_the_ambient_one() {
    let start = Instant::now();
    let done = AtomicU32::new(0);
    // No group: the ambient context is never cancelled, the parameter's is.
    let ctx = Ctx::new().with_timeout(Duration::from_millis(3500));
    let err = steps_with_ctx(ctx, &done).await.unwrap_err();
    assert!(err.is_deadline_exceeded());
    assert_eq!(done.load(SeqCst), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(3500));

    // Called plainly, without a context parameter nor a group: never cancelled.
    let done = Arc::new(AtomicU32::new(0));
    seed_task(3, done.clone()).await.unwrap();
    assert_eq!(done.load(SeqCst), 3);
}

/// The seed's task on a blocking thread, with `std::thread::sleep`.
#[cancellable]
fn blocking_task(steps: u32, step: Duration, done: Arc<AtomicU32>) -> Result<(), Cancelled> {
    for _ in 0..steps {
        std::thread::sleep(step);
        done.fetch_add(1, SeqCst);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_sleep_stops_at_the_deadline_itself() {
    let start = std::time::Instant::now();
    let step = Duration::from_millis(100);
    let deadline = Duration::from_millis(350);
    let (done1, done2) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let mut group = Group::with_timeout(deadline);
    let d1 = done1.clone();
    group.spawn_blocking(move || blocking_task(2, step, d1));
    let d2 = done2.clone();
    group.spawn_blocking(move || blocking_task(10, step, d2));
    let err = group.wait().await.unwrap_err();
    let elapsed = start.elapsed();

    assert!(err.is_deadline_exceeded(), "{err}");
    assert_eq!(done1.load(SeqCst), 2);
    assert_eq!(done2.load(SeqCst), 3, "cut in the middle of its 4th sleep");
    assert!(elapsed >= deadline, "{elapsed:?}");
    // Not at the next iteration (400 ms): at the deadline. Generous bound for a loaded machine.
    assert!(
        elapsed < deadline + Duration::from_millis(100),
        "overshoot: {:?}",
        elapsed - deadline
    );
}
