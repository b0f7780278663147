//! The only wait is a macro that waits in its own expansion. (When `join!` becomes a raced wait
//! of its own, issue 8 item 2, this case compiles: then move it to `tests/ui/pass`.)
use autocancel::{cancellable, Cancelled};

async fn fetch() -> u32 {
    1
}

#[cancellable]
async fn both() -> Result<u32, Cancelled> {
    let (a, b) = tokio::join!(fetch(), fetch());
    Ok(a + b)
}

fn main() {}
