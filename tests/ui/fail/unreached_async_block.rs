//! A body wrapped in a way #[cancellable] does not recognise (here by hand; the same happens
//! with an attribute macro it does not know, expanded below it): the `async` block is not the
//! function's body, and nothing else would be checkpointed.
use autocancel::{cancellable, Cancelled};
use std::future::Future;

fn traced<F: Future>(f: F) -> F {
    f
}

#[cancellable]
fn serve(mut rx: tokio::sync::mpsc::Receiver<u32>) -> impl Future<Output = Result<(), Cancelled>> {
    traced(async move {
        while let Some(job) = rx.recv().await {
            println!("{job}");
        }
        Ok(())
    })
}

fn main() {}
