//! A `select!` that is not tokio's grammar is left as written: tokio reports it, with its own
//! message, not a worse one from `#[cancellable]`.
use autocancel::{cancellable, Cancelled};

#[cancellable]
async fn malformed() -> Result<(), Cancelled> {
    tokio::select! {
        v => v,
    }
    Ok(())
}

fn main() {}
