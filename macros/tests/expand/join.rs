// `join!` and `try_join!` are raced as one await.
#[cancellable]
async fn both(a: Client, b: Client) -> Result<(u32, u32), Error> {
    let (x, y) = tokio::join!(a.get(), b.get());
    let (z, w) = ::tokio::try_join!(a.get(), b.get())?;
    futures::join!(a.ping(), b.ping());
    Ok((x + z, y + w))
}

// Left as written: arguments that would leave an `async` block, and shielded joins.
#[cancellable]
async fn left_alone(a: Client) -> Result<(), Error> {
    a.connect().await?;
    tokio::join!(a.get_with(x?), a.ping());
    #[shield]
    let _ = tokio::join!(a.ping());
    Ok(())
}
