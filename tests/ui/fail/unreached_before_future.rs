//! A hand-built future: the loop runs while the future is built, outside the `async` block.
use autocancel::{cancellable, Cancelled};
use std::future::Future;

#[cancellable]
fn prepare(items: Vec<u32>) -> impl Future<Output = Result<u32, Cancelled>> {
    let mut total = 0;
    for item in &items {
        total += item;
    }
    async move { Ok(total) }
}

fn main() {}
