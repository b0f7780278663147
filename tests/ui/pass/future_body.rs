//! Functions that return their body as a future, by hand.
use autocancel::{cancellable, Cancelled};
use std::future::Future;
use std::pin::Pin;

#[cancellable]
pub fn impl_future(n: u32) -> impl Future<Output = Result<u32, Cancelled>> + Send {
    async move {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
        Ok(n)
    }
}

#[cancellable]
pub fn boxed(n: u32) -> Pin<Box<dyn Future<Output = Option<u32>> + Send>> {
    let start = n * 2;
    Box::pin(async move {
        loop {
            tokio::task::yield_now().await;
            return Some(start);
        }
    })
}

/// The output type cannot be spelled (`impl Trait` inside): inference from the async block's
/// own tail suffices.
#[cancellable]
pub fn opaque_output() -> impl Future<Output = Result<impl std::fmt::Debug, Cancelled>> {
    async {
        loop {
            tokio::task::yield_now().await;
            break;
        }
        Ok(1u8)
    }
}

fn main() {}
