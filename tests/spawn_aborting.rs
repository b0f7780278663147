//! A spawned `async` block the rewrite cannot enter (it has a value: what would a checkpoint
//! return?) is aborted when its creator's context is cancelled, at its next `.await`, through
//! the handle its spawn returned: its `JoinHandle` answers `JoinError::is_cancelled()`, as after
//! `JoinHandle::abort`. Before (issue 20), such a task ran on after its creator stopped.

use autocancel::{cancellable, Cancelled, Ctx, Group};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinError, JoinHandle, JoinSet};

/// `fut`, or a failure after a minute on the paused clock: without the abort, these tasks would
/// hang the test rather than fail it.
async fn within_a_minute<F: std::future::Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("the spawned task was not aborted")
}

/// hyper-util's `graceful_shutdown` test's shape: a task that accepts one connection and
/// returns it (a value: a `TcpStream`), spawned by a function that then waits for it.
#[cancellable]
async fn accept_in_a_task(
    listener: TcpListener,
) -> Result<Result<TcpStream, JoinError>, Cancelled> {
    let accept: JoinHandle<TcpStream> =
        tokio::spawn(async move { listener.accept().await.unwrap().0 });
    #[shield]
    let accepted = accept.await;
    Ok(accepted)
}

#[tokio::test(start_paused = true)]
async fn a_spawned_block_with_a_value_is_aborted_at_its_creators_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let accepted = within_a_minute(ctx.scope(accept_in_a_task(listener)))
        .await
        .unwrap();
    let err = accepted.expect_err("nobody connects: the task can only end by the abort");
    assert!(err.is_cancelled(), "{err}");
}

#[tokio::test(start_paused = true)]
async fn one_that_ends_first_gives_its_value() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Ctx::new().with_timeout(Duration::from_secs(60));
    let client = tokio::spawn(TcpStream::connect(addr));
    let accepted = ctx.scope(accept_in_a_task(listener)).await.unwrap();
    assert_eq!(accepted.unwrap().local_addr().unwrap(), addr);
    client.await.unwrap().unwrap();
}

/// `JoinSet::spawn` (a declared `JoinSet`) returns an `AbortHandle`: the same.
#[cancellable]
async fn join_set_of_values(dropped: Arc<AtomicBool>) -> Result<JoinSet<u32>, Cancelled> {
    let mut set: JoinSet<u32> = JoinSet::new();
    set.spawn(async move {
        let _guard = SetOnDrop(dropped);
        std::future::pending::<()>().await;
        7
    });
    Ok(set)
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_join_sets_task_with_a_value_is_aborted_too() {
    let dropped = Arc::new(AtomicBool::new(false));
    let mut group = Group::with_timeout(Duration::from_secs(1));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let d = dropped.clone();
    group.spawn(async move {
        let set = join_set_of_values(d).await?;
        tx.send(set).ok();
        std::future::pending::<()>().await;
        Ok::<(), Cancelled>(())
    });
    let mut set = rx.await.unwrap();
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    let joined = within_a_minute(set.join_next()).await.unwrap();
    assert!(joined.unwrap_err().is_cancelled());
    assert!(dropped.load(SeqCst), "the block's future was dropped");
}

/// In a function whose context is a parameter, no `async` block is rewritten (it would have to
/// capture the `&Ctx`): a spawned one, `()` or not, is aborted at that context's cancellation.
#[cancellable]
async fn with_a_param(ctx: &Ctx) -> Result<JoinHandle<()>, Cancelled> {
    let worker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Ok(worker)
}

#[tokio::test(start_paused = true)]
async fn a_spawned_block_of_a_function_with_a_ctx_parameter_is_aborted() {
    let ctx = Ctx::new();
    let worker = with_a_param(&ctx).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!worker.is_finished());
    ctx.cancel();
    assert!(within_a_minute(worker).await.unwrap_err().is_cancelled());
}

/// A spawn spelled like tokio's that is another crate's (`use other_runtime::task;`): the
/// rewrite cannot tell before type checking; the result has no tokio handle, so the task runs
/// on as it would without the macro (and the code compiles as it did).
mod task {
    pub struct Handle<T>(pub tokio::task::JoinHandle<T>);

    pub fn spawn<F>(fut: F) -> Handle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Handle(tokio::spawn(fut))
    }
}

#[cancellable]
async fn another_runtimes_spawn(ctx: &Ctx) -> Result<task::Handle<u8>, Cancelled> {
    Ok(task::spawn(async { 3 }))
}

#[tokio::test]
async fn another_runtimes_spawn_compiles_and_runs_on() {
    let ctx = Ctx::new();
    let handle = another_runtimes_spawn(&ctx).await.unwrap();
    ctx.cancel();
    assert_eq!(handle.0.await.unwrap(), 3);
}

/// Fan-out in a closure, each task with a value: the tasks are aborted at the cancellation of
/// the context ambient where they were spawned (the function's).
#[cancellable]
async fn fan_out(n: u32) -> Result<Vec<JoinHandle<u32>>, Cancelled> {
    let workers = (0..n)
        .map(|i| {
            tokio::spawn(async move {
                std::future::pending::<()>().await;
                i
            })
        })
        .collect();
    Ok(workers)
}

#[tokio::test(start_paused = true)]
async fn blocks_with_a_value_spawned_in_a_closure_are_aborted_too() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let workers = ctx.scope(fan_out(3)).await.unwrap();
    for worker in workers {
        assert!(within_a_minute(worker).await.unwrap_err().is_cancelled());
    }
}
