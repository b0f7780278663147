//! The cleanup hazard: once the context is cancelled, every `.await` of a `#[cancellable]`
//! function returns at once, cleanup awaits included — such as a graceful shutdown's drain
//! (mini-redis' `shutdown_complete_rx.recv().await`, which waits for every connection handler to
//! finish) run after the server was cancelled. Shielding the drain makes it wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autocancel::{cancellable, shield, Cancelled, Ctx};
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

/// Starts four handlers, then accepts connections until cancelled.
#[cancellable]
async fn serve(done_tx: mpsc::Sender<()>, flushed: &Arc<AtomicUsize>) -> Result<(), Cancelled> {
    for _ in 0..4 {
        spawn_handler(done_tx.clone(), flushed.clone());
    }
    drop(done_tx);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await; // accept()
    }
}

/// The graceful shutdown: wait until every handler has dropped its sender.
#[cancellable]
async fn drain(mut done_rx: mpsc::Receiver<()>) -> Result<(), Cancelled> {
    done_rx.recv().await; // line 39
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_drain_after_the_cancellation_returns_at_once() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let flushed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    ctx.scope(async {
        let (done_tx, done_rx) = mpsc::channel(1);
        let _ = serve(done_tx, &flushed).await; // stops at the deadline
        let err = drain(done_rx).await.unwrap_err(); // and so does the drain, at once
        assert!(err.is_deadline_exceeded());
        assert_eq!(err.location().unwrap().line(), 39, "the drain's .await");
    })
    .await;
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
    ctx.scope(async {
        let (done_tx, done_rx) = mpsc::channel(1);
        let _ = serve(done_tx, &flushed).await;
        shield(drain(done_rx)).await.unwrap(); // sees a never-cancelled context: waits
    })
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(flushed.load(Ordering::SeqCst), 4);
}
