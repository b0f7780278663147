//! The cleanup hazard: once the context is cancelled, every `.await` of a `#[cancellable]`
//! function returns at once — including a graceful shutdown's drain at the end of the function
//! (mini-redis' `server::run`: `shutdown_complete_rx.recv().await` waits for every connection
//! handler to finish). Shielding the drain makes it wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Ctx};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A connection handler: holds a clone of the drain's sender, takes 3 s to finish (flush its
/// connection), then counts itself done.
fn spawn_handler(done_tx: mpsc::Sender<()>, flushed: Arc<AtomicUsize>) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        flushed.fetch_add(1, Ordering::SeqCst);
        drop(done_tx);
    });
}

/// Accepts connections until cancelled.
#[cancellable]
async fn accept_loop(ctx: &Ctx) -> Result<(), Cancelled> {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await; // accept()
    }
}

/// mini-redis' `server::run`, annotated: serve until the accept loop ends (here: cancelled),
/// then drain. The drain's `.await` is raced like any other, and the context is cancelled by
/// then. (`select!` is a macro: left alone, as `#[cancellable]` leaves every macro.)
#[cancellable]
async fn serve(ctx: &Ctx, flushed: &Arc<AtomicUsize>) -> Result<(), Cancelled> {
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    for _ in 0..4 {
        spawn_handler(done_tx.clone(), flushed.clone());
    }
    drop(done_tx);
    tokio::select! {
        _ = accept_loop(ctx) => {}
    }
    done_rx.recv().await; // the drain: returns at once, and the function returns `Err`
    Ok(())
}

/// The same, with the drain shielded: it waits for every handler.
#[cancellable]
async fn serve_shielded(ctx: &Ctx, flushed: &Arc<AtomicUsize>) -> Result<(), Cancelled> {
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    for _ in 0..4 {
        spawn_handler(done_tx.clone(), flushed.clone());
    }
    drop(done_tx);
    tokio::select! {
        _ = accept_loop(ctx) => {}
    }
    #[shield]
    done_rx.recv().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_drain_after_the_cancellation_returns_at_once() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let flushed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let err = serve(&ctx, &flushed).await.unwrap_err();
    assert!(err.is_deadline_exceeded());
    assert_eq!(err.location().unwrap().line(), 45, "the drain's .await");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        flushed.load(Ordering::SeqCst),
        0,
        "returned before any handler finished"
    );
}

#[tokio::test(start_paused = true)]
async fn a_shielded_drain_waits_for_every_handler() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let flushed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    serve_shielded(&ctx, &flushed).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(flushed.load(Ordering::SeqCst), 4);
}
