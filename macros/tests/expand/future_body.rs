// Functions that return their body as a future: the returned `async` block is rewritten, with
// `exit::<T>` spelled from the `Output = T` of the return type.
#[cancellable]
fn impl_future(ctx: Ctx) -> impl Future<Output = Result<u32, Cancelled>> + Send {
    async move {
        loop {
            step(&ctx).await;
        }
    }
}

#[cancellable]
fn boxed(n: u32) -> Pin<Box<dyn Future<Output = Option<u32>> + Send>> {
    let limit = n * 2;
    Box::pin(async move {
        for _ in 0..limit {
            step().await;
        }
        Some(limit)
    })
}
