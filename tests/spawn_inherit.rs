//! Work spawned inside a `#[cancellable]` function follows its creator: `tokio::spawn`,
//! `tokio::task::spawn`, `spawn_local` and `spawn_blocking` carry the caller's context into the
//! new task, where it is ambient. `detached` opts out.

use autocancel::{cancellable, detached, Cancelled, Ctx, Group};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SEC: Duration = Duration::from_secs(1);

/// A grandchild: ticks every 100 ms until cancelled, through the ambient context.
#[cancellable]
async fn ticker(ticks: Arc<AtomicU32>) -> Result<(), Cancelled> {
    loop {
        tokio::time::sleep(SEC / 10).await;
        ticks.fetch_add(1, SeqCst);
    }
}

type Handle = JoinHandle<Result<(), Cancelled>>;

/// A group task that starts the grandchild with plain `tokio::spawn`, then waits forever.
#[cancellable]
async fn parent(
    ticks: Arc<AtomicU32>,
    handle: Arc<Mutex<Option<Handle>>>,
    detach: bool,
) -> Result<(), Cancelled> {
    let spawned = if detach {
        tokio::spawn(detached(ticker(ticks)))
    } else {
        tokio::spawn(ticker(ticks))
    };
    *handle.lock().unwrap() = Some(spawned);
    std::future::pending::<()>().await;
    Ok(())
}

async fn run_group(detach: bool) -> (Arc<AtomicU32>, Handle) {
    let ticks = Arc::new(AtomicU32::new(0));
    let handle = Arc::new(Mutex::new(None));
    let mut group = Group::<(), Cancelled>::with_timeout(SEC);
    group.spawn(parent(ticks.clone(), handle.clone(), detach));
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    let handle = handle.lock().unwrap().take().unwrap();
    (ticks, handle)
}

#[tokio::test(start_paused = true)]
async fn groups_deadline_stops_a_grandchild_started_with_tokio_spawn() {
    let (ticks, handle) = run_group(false).await;
    let at_wait = ticks.load(SeqCst);
    assert!(at_wait > 0, "it ran before the deadline");
    tokio::time::sleep(10 * SEC).await;
    assert_eq!(
        ticks.load(SeqCst),
        at_wait,
        "it must not run after `wait` returns"
    );
    let err = handle.await.unwrap().unwrap_err();
    assert!(
        err.is_deadline_exceeded(),
        "stopped by the group's deadline: {err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_detached_task_keeps_running() {
    let (ticks, handle) = run_group(true).await;
    let at_wait = ticks.load(SeqCst);
    tokio::time::sleep(10 * SEC).await;
    assert!(
        ticks.load(SeqCst) >= at_wait + 90,
        "{} after {at_wait}",
        ticks.load(SeqCst)
    );
    handle.abort();
}

/// What the spawned tasks see as `Ctx::current()`, by each recognised spelling. (Not inside a
/// `vec![..]`: macro arguments are opaque to `#[cancellable]`.)
#[cancellable]
async fn spawns(ctx: &Ctx) -> Result<Vec<bool>, Cancelled> {
    use tokio::task;
    let mut seen = Vec::new();
    seen.push(tokio::spawn(async { Ctx::current() }).await.unwrap());
    seen.push(::tokio::spawn(async { Ctx::current() }).await.unwrap());
    seen.push(tokio::task::spawn(async { Ctx::current() }).await.unwrap());
    seen.push(task::spawn(async { Ctx::current() }).await.unwrap());
    seen.push(tokio::task::spawn_blocking(Ctx::current).await.unwrap());
    seen.push(task::spawn_blocking(Ctx::current).await.unwrap());
    Ok(seen.into_iter().map(|seen| seen.same_as(ctx)).collect())
}

/// `spawn_local`, called from a function running on a `LocalSet`.
#[cancellable]
async fn spawns_local(ctx: &Ctx) -> Result<bool, Cancelled> {
    let seen = tokio::task::spawn_local(async { Ctx::current() })
        .await
        .unwrap();
    Ok(seen.same_as(ctx))
}

#[tokio::test]
async fn every_recognised_spawn_sees_the_callers_context() {
    let ctx = Ctx::new();
    let seen = spawns(&ctx).await.unwrap();
    assert_eq!(seen, [true; 6]);
    let local = tokio::task::LocalSet::new();
    assert!(local.run_until(spawns_local(&ctx)).await.unwrap());
}

/// Without the macro, a spawned task sees no context: the baseline the tests above improve on.
#[tokio::test]
async fn a_plain_spawn_outside_the_macro_does_not_inherit() {
    let ctx = Ctx::new();
    let seen = ctx
        .scope(async { tokio::spawn(async { Ctx::current() }).await.unwrap() })
        .await;
    assert!(!seen.same_as(&ctx));
}

/// A blocking function spawned from an annotated one stops when the caller's context is
/// cancelled. (`give_up` only ends it if it ignored the cancellation, so that a failing test
/// does not hang in the runtime's shutdown, which waits for blocking tasks.)
#[cancellable]
fn spin(started: oneshot::Sender<()>, give_up: Arc<AtomicBool>) -> Result<(), Cancelled> {
    let _ = started.send(());
    loop {
        if give_up.load(SeqCst) {
            return Ok(());
        }
        std::hint::spin_loop();
    }
}

#[cancellable]
async fn starts_blocking(
    ctx: &Ctx,
    give_up: Arc<AtomicBool>,
) -> Result<JoinHandle<Result<(), Cancelled>>, Cancelled> {
    let (started, rx) = oneshot::channel();
    let handle = tokio::task::spawn_blocking(move || spin(started, give_up));
    rx.await.unwrap();
    Ok(handle)
}

#[tokio::test]
async fn spawn_blocking_work_stops_with_the_caller() {
    let ctx = Ctx::new();
    let give_up = Arc::new(AtomicBool::new(false));
    let handle = starts_blocking(&ctx, give_up.clone()).await.unwrap();
    ctx.cancel();
    let joined = tokio::time::timeout(Duration::from_secs(60), handle).await;
    give_up.store(true, SeqCst);
    let result = joined.expect("the blocking task ignored the cancellation");
    assert!(result.unwrap().is_err(), "stopped by the cancellation");
}

/// Inside `#[shield]`, spawns are left as written: the task sees a never-cancelled context, as
/// `Ctx::current()` does inside the section.
#[cancellable]
async fn spawn_waiting(
    ctx: &Ctx,
    go: oneshot::Receiver<()>,
    shielded: bool,
) -> Result<JoinHandle<bool>, Cancelled> {
    let report = async {
        go.await.unwrap();
        Ctx::current().is_cancelled()
    };
    let handle = if shielded {
        #[shield]
        tokio::spawn(report)
    } else {
        tokio::spawn(report)
    };
    Ok(handle)
}

#[tokio::test]
async fn a_task_spawned_in_a_shield_is_not_cancelled_with_the_caller() {
    for shielded in [false, true] {
        let ctx = Ctx::new();
        let (go, rx) = oneshot::channel();
        let handle = spawn_waiting(&ctx, rx, shielded).await.unwrap();
        ctx.cancel();
        go.send(()).unwrap();
        assert_eq!(handle.await.unwrap(), !shielded, "shielded: {shielded}");
    }
}
