//! A `loop` without `break` in a spawned block has the type `!`: its output is what the handle
//! says, here a `u32`, which cannot carry a cancellation. The error names the attribute.
use autocancel::{cancellable, Cancelled};

#[cancellable]
async fn supervise() -> Result<(), Cancelled> {
    let h: tokio::task::JoinHandle<u32> = tokio::spawn(async move {
        loop {
            tokio::task::yield_now().await;
        }
    });
    let _ = h.await;
    Ok(())
}

fn main() {}
