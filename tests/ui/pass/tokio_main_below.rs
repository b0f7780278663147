//! `#[cancellable]` below `#[tokio::main]`: it sees the fn tokio generated and rewrites the
//! original body inside it.
use autocancel::{cancellable, Cancelled};

#[tokio::main]
#[cancellable]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut n = 0;
    while n < 3 {
        tokio::task::yield_now().await;
        n += 1;
    }
    let _: Result<(), Cancelled> = Ok(());
    Ok(())
}
