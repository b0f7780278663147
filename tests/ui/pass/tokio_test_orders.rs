//! `#[tokio::test]` in both orders (compiled as a binary here, so the tests only type-check).
use autocancel::cancellable;

#[cancellable]
#[tokio::test]
async fn cancellable_above() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
#[cancellable]
async fn cancellable_below() -> Result<(), autocancel::Cancelled> {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        break;
    }
    Ok(())
}

fn main() {}
