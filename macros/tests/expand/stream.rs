// async-stream's `stream!` body is rewritten as a `()` async block: its loop checkpointed, its
// await raced, and at the cancellation it returns (the stream ends).
#[cancellable]
async fn subscribe(mut rx: Receiver<Message>) -> Result<Messages, Cancelled> {
    Ok(Box::pin(async_stream::stream! {
        loop {
            match rx.recv().await {
                Ok(msg) => yield msg,
                Err(RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    }))
}
