//! The only wait is a macro that waits in its own expansion and that #[cancellable] leaves as
//! written: a `join!` whose arguments hold a `?` (inside the `async` block it is raced in, the
//! `?` would return from the block, not the function).
use autocancel::{cancellable, Cancelled};

async fn fetch(n: u32) -> u32 {
    n
}

#[cancellable]
async fn both(n: Result<u32, Cancelled>) -> Result<u32, Cancelled> {
    let (a, b) = tokio::join!(fetch(n?), fetch(1));
    Ok(a + b)
}

fn main() {}
