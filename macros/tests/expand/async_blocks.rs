// `()`-shaped async blocks get their own scope on the ambient context; others are left alone.
#[cancellable]
async fn starts_work(mut rx: Receiver<u32>, tx: Sender<u32>) -> Result<(), Cancelled> {
    tokio::spawn(async move {
        while let Some(v) = rx.recv().await {
            println!("{v}");
        }
    });
    let ticker = async {
        loop {
            tick().await;
        }
    };
    let value = async { tx.send(1).await.is_ok() };
    ticker.await;
    value.await;
    Ok(())
}
