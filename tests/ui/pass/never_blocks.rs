//! `async` blocks whose body is a `loop` without `break` have the type `!`: their output is
//! whatever the code around them needs. Annotated, they keep that freedom (issue 20's three
//! reproductions, plus an output nothing constrains).
use autocancel::{cancellable, Cancelled};
use futures_util::future::{BoxFuture, FutureExt};
use std::future::Future;
use tracing::Instrument;

/// The spawned block's output is `io::Result<()>`, from the handle's declared type.
#[cancellable]
pub async fn supervisor() -> Result<(), Cancelled> {
    let h: tokio::task::JoinHandle<std::io::Result<()>> = tokio::spawn(async move {
        loop {
            tokio::task::yield_now().await;
        }
    });
    let _ = h.await;
    Ok(())
}

/// `.boxed()`, returned as a `BoxFuture` of a `Result`.
#[cancellable]
pub fn boxed(n: u32) -> BoxFuture<'static, Result<u32, std::io::Error>> {
    let _ = n;
    async move {
        loop {
            tokio::task::yield_now().await;
        }
    }
    .boxed()
}

/// `.instrument(span)` on a hand-built future.
#[cancellable]
pub fn instrumented() -> impl Future<Output = anyhow::Result<()>> {
    async move {
        loop {
            tokio::task::yield_now().await;
        }
    }
    .instrument(tracing::info_span!("worker"))
}

/// Nothing says what the output is: it falls back to `()` (edition 2021).
#[cancellable]
pub async fn unconstrained() {
    let h = tokio::spawn(async move {
        loop {
            tokio::task::yield_now().await;
        }
    });
    h.abort();
    let _detached = async {
        loop {
            tokio::task::yield_now().await;
        }
    };
}

/// A value nothing reads but a type annotation: `Option`.
#[cancellable]
pub async fn option_output() {
    let h: tokio::task::JoinHandle<Option<u8>> = tokio::spawn(async move {
        loop {
            tokio::task::yield_now().await;
        }
    });
    let _ = h.await;
}

fn main() {}
