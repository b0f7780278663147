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

/// A block with a value whose tail spells its output, `Result<u32, io::Error>`, is rewritten:
/// cancelled during its first step (the function's context, from inside), it ends at the
/// checkpoint of its second with `Err(io::Error::from(cancelled))`. Its loop yields nothing,
/// so the function's race around `.await` cannot stop it partway: only its own checks can
/// (left alone, as before, it ran all three steps, and the function ended with `Cancelled`).
#[cancellable]
async fn io_typed_block(steps: Arc<AtomicU64>) -> Result<std::io::Result<u32>, Cancelled> {
    let me = autocancel::Ctx::current();
    let work = async {
        for _ in 0..3 {
            steps.fetch_add(1, SeqCst);
            me.cancel();
        }
        Ok::<_, std::io::Error>(3)
    };
    let out = work.await;
    Ok(out)
}

#[tokio::test]
async fn a_block_spelled_result_ends_with_the_cancellation_as_its_error() {
    let steps = Arc::new(AtomicU64::new(0));
    let ctx = autocancel::Ctx::new();
    let out = ctx.scope(io_typed_block(steps.clone())).await;
    let err = out.unwrap().unwrap_err();
    assert!(Cancelled::find(&err).is_some(), "{err}");
    assert_eq!(steps.load(SeqCst), 1);
}

/// An error type with no `From<Cancelled>`.
#[derive(Debug, PartialEq)]
struct Refuses;

/// The same block spelled `Result<u32, Refuses>`: it has no way to end with the cancellation,
/// so it compiles and runs as written, all three steps (a probe in the block finds no
/// conversion, and its checks are made on the never-cancelled root).
#[cancellable]
async fn refusing_typed_block(steps: Arc<AtomicU64>) -> Result<Result<u32, Refuses>, Cancelled> {
    let me = autocancel::Ctx::current();
    let work = async {
        for _ in 0..3 {
            steps.fetch_add(1, SeqCst);
            me.cancel();
        }
        Ok::<u32, Refuses>(3)
    };
    let out = work.await;
    Ok(out)
}

#[tokio::test]
async fn a_block_spelled_result_of_an_error_without_the_conversion_runs_as_written() {
    let steps = Arc::new(AtomicU64::new(0));
    let ctx = autocancel::Ctx::new();
    let out = ctx.scope(refusing_typed_block(steps.clone())).await;
    assert_eq!(out.unwrap(), Ok(3));
    assert_eq!(steps.load(SeqCst), 3);
}

/// A loop in the closure of a `poll_fn` the function awaits: its checkpoint returns
/// `Poll::Pending` once the function's context is cancelled (here from inside, at the first
/// step), and the race around the `.await` ends the function. The loop never returns `Pending`
/// of its own, so nothing else could stop it partway (left alone, as before, it ran all its
/// 100,000 steps).
#[cancellable]
async fn spins_in_a_poll_fn(steps: Arc<AtomicU64>) -> Result<u64, Cancelled> {
    let me = autocancel::Ctx::current();
    let done = std::future::poll_fn(|_| {
        while steps.load(SeqCst) < 100_000 {
            steps.fetch_add(1, SeqCst);
            me.cancel();
        }
        std::task::Poll::Ready(steps.load(SeqCst))
    })
    .await;
    Ok(done)
}

#[tokio::test]
async fn a_loop_in_an_awaited_poll_fn_stops_at_the_cancellation() {
    let steps = Arc::new(AtomicU64::new(0));
    let ctx = autocancel::Ctx::new();
    let err = ctx
        .scope(spins_in_a_poll_fn(steps.clone()))
        .await
        .unwrap_err();
    assert!(!err.is_deadline_exceeded(), "{err}");
    assert_eq!(steps.load(SeqCst), 1);
}
