use autocancel::{cancellable, Cancelled};
use std::thread;
use std::time::Duration;

#[cancellable]
async fn task() -> Result<(), Cancelled> {
    for _ in 0..10 {
        thread::sleep(Duration::from_secs(1));
    }
    std::thread::sleep(Duration::from_secs(1));
    Ok(())
}

fn main() {}
