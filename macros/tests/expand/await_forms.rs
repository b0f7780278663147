// Awaits in loop headers, before `?`, nested, and at the start of a statement.
#[cancellable]
async fn consume(mut rx: Receiver<u32>, client: Client) -> anyhow::Result<u32> {
    let mut total = 0;
    while let Some(x) = rx.recv().await {
        total += x;
    }
    let body = client.get(url(total).await).await?.text().await?;
    client.ping().await.unwrap();
    Ok(total + body.len() as u32)
}
