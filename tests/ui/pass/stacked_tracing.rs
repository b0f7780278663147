//! `#[tracing::instrument]` in both orders and all its forms, async and blocking.
use autocancel::{cancellable, Cancelled, Ctx};

#[tracing::instrument]
#[cancellable]
async fn plain(n: u32) -> Result<u32, Cancelled> {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    Ok(n)
}

#[tracing::instrument(skip(ctx), err, ret, level = "debug", fields(n = n))]
#[cancellable]
async fn err_ret(ctx: &Ctx, n: u32) -> Result<u32, Cancelled> {
    while ctx.check().is_ok() {
        tokio::task::yield_now().await;
    }
    Ok(n)
}

#[tracing::instrument(skip_all, ret)]
#[cancellable]
async fn unit_ret() {
    loop {
        tokio::task::yield_now().await;
    }
}

#[tracing::instrument(err)]
#[cancellable]
fn blocking(n: u32) -> Result<u32, Cancelled> {
    for _ in 0..n {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Ok(n)
}

#[tracing::instrument(ret)]
#[cancellable]
fn blocking_option(n: u32) -> Option<u32> {
    let mut i = 0;
    while i < n {
        i += 1;
    }
    Some(i)
}

#[cancellable]
#[tracing::instrument(skip_all, err)]
async fn below(n: u32) -> Result<u32, Cancelled> {
    loop {
        tokio::task::yield_now().await;
        if n > 0 {
            return Ok(n);
        }
    }
}

fn main() {
    let _ = (plain(1), err_ret(&Ctx::new(), 1), unit_ret(), below(1));
    let _ = (blocking(1), blocking_option(1));
}
