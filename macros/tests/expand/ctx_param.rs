// A context parameter by reference is used instead of the ambient context.
#[cancellable]
async fn with_ctx(ctx: &autocancel::Ctx, n: u32) -> Result<(), Cancelled> {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    Ok(())
}

// Named explicitly.
#[cancellable(ctx = parent)]
fn with_named(parent: Handle, n: u32) -> Option<u32> {
    let mut i = 0;
    while i < n {
        i += 1;
    }
    Some(i)
}
