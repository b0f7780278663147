//! async-stream's `stream!` body in an annotated function is rewritten as a `()` `async` block
//! (`macros/impl/src/sites/stream.rs`): its loops and awaits check the ambient context of the
//! task that polls the stream, and the stream ends at the cancellation (issue 20: mini-redis's
//! `subscribe_to_channel` stream, and tonic's streaming examples, ran on after their deadline).

use autocancel::{cancellable, Cancelled, Ctx};
use futures_util::StreamExt;
use std::pin::Pin;
use std::time::Duration;

type Ticks = Pin<Box<dyn futures_util::Stream<Item = u32> + Send>>;

/// A stream of ticks every 100 ms that only its consumer's cancellation can end.
#[cancellable]
async fn ticks() -> Result<Ticks, Cancelled> {
    Ok(Box::pin(async_stream::stream! {
        let mut n = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            n += 1;
            yield n;
        }
    }))
}

#[tokio::test(start_paused = true)]
async fn a_stream_body_ends_at_its_consumers_deadline() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let consumed = ctx.scope(async {
        let ticks = ticks().await?;
        Ok::<_, Cancelled>(ticks.collect::<Vec<u32>>().await)
    });
    let got = tokio::time::timeout(Duration::from_secs(60), consumed)
        .await
        .expect("the stream ended at the deadline")
        .unwrap();
    // Paused clock: the deadline and the tenth tick fall due at the same instant.
    assert!((9..=10).contains(&got.len()), "{got:?}");
}

/// `stream!` imported by name, its items from a channel: the same.
use async_stream::stream;

#[cancellable]
async fn relay(
    mut rx: tokio::sync::mpsc::Receiver<u8>,
) -> Result<Pin<Box<dyn futures_util::Stream<Item = u8> + Send>>, Cancelled> {
    Ok(Box::pin(stream! {
        while let Some(m) = rx.recv().await {
            yield m;
        }
    }))
}

#[tokio::test(start_paused = true)]
async fn a_relay_stream_ends_when_cancelled_though_its_sender_lives() {
    let ctx = Ctx::new();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(1).await.unwrap();
    let mut relayed = ctx.scope(relay(rx)).await.unwrap();
    let first = ctx.scope(relayed.next()).await;
    assert_eq!(first, Some(1));
    ctx.cancel();
    let rest = tokio::time::timeout(Duration::from_secs(60), ctx.scope(relayed.next()))
        .await
        .expect("the stream ended at the cancellation");
    assert_eq!(rest, None);
    drop(tx);
}

/// tonic's `route_chat` shape: `try_stream!`, whose `?` yields the error and ends the stream.
/// Its body is `()` whatever `?`s it holds, so it is rewritten too (it was the never-silent
/// error: all the function's waits were in it); at the cancellation the stream ends.
#[cancellable]
async fn echo_until_error(
    mut rx: tokio::sync::mpsc::Receiver<Result<u8, std::io::Error>>,
) -> Result<Pin<Box<dyn futures_util::Stream<Item = Result<u8, std::io::Error>> + Send>>, Cancelled>
{
    Ok(Box::pin(async_stream::try_stream! {
        while let Some(m) = rx.recv().await {
            let m = m?;
            yield m;
        }
    }))
}

#[tokio::test(start_paused = true)]
async fn a_try_stream_body_ends_at_the_cancellation_and_keeps_its_errors() {
    let ctx = Ctx::new();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(Ok(1)).await.unwrap();
    let mut echoed = ctx.scope(echo_until_error(rx)).await.unwrap();
    assert_eq!(ctx.scope(echoed.next()).await.unwrap().unwrap(), 1);
    ctx.cancel();
    let rest = tokio::time::timeout(Duration::from_secs(60), ctx.scope(echoed.next()))
        .await
        .expect("the stream ended at the cancellation");
    assert!(rest.is_none());

    // Uncancelled, an error item is yielded and ends the stream, as written.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(Err(std::io::Error::other("boom"))).await.unwrap();
    let mut echoed = echo_until_error(rx).await.unwrap();
    assert_eq!(
        echoed.next().await.unwrap().unwrap_err().to_string(),
        "boom"
    );
    assert!(echoed.next().await.is_none());
}
