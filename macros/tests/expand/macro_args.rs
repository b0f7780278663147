// Waits and loops inside the arguments of std's and tracing's macros are the function's own.
#[cancellable]
async fn report(mut rx: Receiver<u32>, client: Client) -> Result<(), Cancelled> {
    println!("{:?} {n}", rx.recv().await, n = client.count().await);
    assert_eq!(client.get().await?, 200, "status");
    tracing::info!(target: "app", len = ?rx.len(), "next: {}", rx.recv().await.unwrap_or(0));
    let v = vec![client.count().await; 2];
    assert!(matches!(rx.recv().await, Some(1 | 2)));
    // A user's macro: left as written.
    show!(rx.recv().await);
    Ok(())
}
