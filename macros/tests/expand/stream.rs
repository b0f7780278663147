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

// `try_stream!`: its `?` yields the error and ends the stream; the body is `()` all the same.
#[cancellable]
async fn route_chat(mut stream: Streaming<RouteNote>) -> Result<Chat, Status> {
    Ok(Box::pin(async_stream::try_stream! {
        while let Some(note) = stream.next().await {
            let note = note?;
            yield note;
        }
    }))
}
