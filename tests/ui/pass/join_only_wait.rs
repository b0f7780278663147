//! The only wait is a `join!`: raced as one await, it is the function's checkpoint (it was the
//! "waits in its own expansion" error before `join!` was understood).
use autocancel::{cancellable, Cancelled};

async fn fetch() -> u32 {
    1
}

#[cancellable]
async fn both() -> Result<u32, Cancelled> {
    let (a, b) = tokio::join!(fetch(), fetch());
    Ok(a + b)
}

fn main() {
    let _ = both();
}
