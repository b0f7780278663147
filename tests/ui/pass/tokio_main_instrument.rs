//! `#[tokio::main]` above `#[tracing::instrument]` above `#[cancellable]`: tokio's blocking `fn`,
//! instrumented by tracing; the macro finds the `async` body inside both. (Were it not found,
//! the loop would be in an `async` block that is not the body: a compile error.)
use autocancel::Cancelled;

#[tokio::main(flavor = "current_thread")]
#[tracing::instrument]
#[autocancel::cancellable]
async fn main() -> Result<(), Cancelled> {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    Ok(())
}
