//! `()`-shaped `async` blocks inside an annotated function are rewritten too (`macros/impl/src/sites/async_block.rs`).

use autocancel::{cancellable, Cancelled, Group};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The block's loop never yields, so the `.await` of the block (raced by the function) can never
/// interrupt it: only a checkpoint inside the block can. Gives up by itself after 2 s, so that a
/// macro that does not rewrite the block fails this test instead of hanging it.
#[cancellable]
async fn spins_in_a_block(iterations: Arc<AtomicU64>) -> Result<&'static str, Cancelled> {
    let work = async {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            iterations.fetch_add(1, SeqCst);
        }
    };
    work.await;
    Ok("the block ran for 2 s: it was not checkpointed")
}

#[tokio::test(flavor = "current_thread")]
async fn unit_async_block_stops_at_the_deadline() {
    // A real clock: a paused one would never advance past a loop that never yields.
    let start = Instant::now();
    let iterations = Arc::new(AtomicU64::new(0));
    let mut group = Group::with_timeout(Duration::from_millis(50));
    group.spawn(spins_in_a_block(iterations.clone()));
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(iterations.load(SeqCst) > 0);
}

/// A block with a value is left alone: `return exit(c)` there would have to produce a `u32`.
#[cancellable]
async fn value_block() -> Result<u32, Cancelled> {
    let v = async {
        let mut n = 0u32;
        for i in 0..4 {
            n += i;
        }
        n
    };
    Ok(v.await)
}

#[tokio::test]
async fn value_async_block_is_left_alone_and_still_works() {
    assert_eq!(value_block().await.unwrap(), 6);
}

/// A `loop` without `break` has the type `!`: the spawned block's output is the handle's
/// `io::Result<()>` (issue 20: it was forced to `()`, and this did not compile). The supervisor
/// waits for the worker in a `#[shield]`, so that what ends the worker is its own checkpoint.
#[cancellable]
async fn supervises_a_never_block() -> Result<std::io::Result<()>, Cancelled> {
    let worker: tokio::task::JoinHandle<std::io::Result<()>> = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    #[shield]
    let out = worker.await.expect("the worker does not panic");
    Ok(out)
}

#[tokio::test(start_paused = true)]
async fn a_spawned_never_block_returns_the_cancellation_as_its_output() {
    let ctx = autocancel::Ctx::new().with_timeout(Duration::from_secs(3));
    let worker_out = ctx.scope(supervises_a_never_block()).await.unwrap();
    let err = worker_out.unwrap_err();
    let cancelled = Cancelled::find(&err).expect("the cancellation, as an io::Error");
    assert!(cancelled.is_deadline_exceeded(), "{err}");
}

/// mini-redis's connection task: the block is `()`-shaped, and `?err` is tracing's Debug sigil,
/// not a `?` (issue 20: the sigil was taken for one, the block left alone, and the spawned task
/// outlived its creator's deadline).
#[cancellable]
async fn spawns_a_connection_task() -> Result<tokio::task::JoinHandle<()>, Cancelled> {
    let conn = tokio::spawn(async move {
        if let Err(err) = std::future::pending::<std::io::Result<()>>().await {
            tracing::error!(cause = ?err, "connection error");
        }
    });
    Ok(conn)
}

#[tokio::test(start_paused = true)]
async fn a_block_logging_with_tracing_sigils_is_rewritten() {
    let ctx = autocancel::Ctx::new().with_timeout(Duration::from_secs(1));
    let conn = ctx.scope(spawns_a_connection_task()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), conn)
        .await
        .expect("the connection task stops at its creator's deadline")
        .unwrap();
}
