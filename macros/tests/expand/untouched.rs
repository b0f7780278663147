// Closures, async blocks with a value, nested items, macros and const contexts are not rewritten.
// (The function's own `.await` at the end is: without a checkpoint of its own, a function whose
// only loops and awaits are in those places is a compile error.)
#[cancellable]
async fn untouched(tx: Sender<u32>) -> Result<(), Cancelled> {
    let f = |xs: &[u32]| {
        for x in xs {
            println!("{x}");
        }
    };
    let fut = async move {
        loop {
            tx.send(1).await?;
        }
    };
    fn helper() {
        loop {}
    }
    futures::select! {
        _ = fut => {}
        _ = async { for _ in 0..3 {} } => {}
    }
    let _arr = [0u8; { let mut n = 0; while n < 4 { n += 1; } n }];
    f(&[1, 2]);
    helper();
    tokio::task::yield_now().await;
    Ok(())
}
