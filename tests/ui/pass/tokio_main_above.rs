//! `#[cancellable]` above `#[tokio::main]`: the async fn is rewritten, then tokio wraps it.
use autocancel::{cancellable, Cancelled};

#[cancellable]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Cancelled> {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    Ok(())
}
