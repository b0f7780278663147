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

// A block spelled `Result<_, E>` by its tail's turbofish gets a scope too: `Err(E::from(c))`
// when `E: From<Cancelled>` (the probe), else the never-cancelled root; its spawns take the
// ambient context. Tails whose spelling says `()` make a block `()`-shaped.
#[cancellable]
async fn typed_blocks(addr: SocketAddr) -> Result<(), Cancelled> {
    let connected = async move {
        let stream = TcpStream::connect(addr).await?;
        tokio::spawn(async move { loop { tick().await; } });
        Ok::<_, ConnectError>(stream)
    };
    let parked = async {
        if ready() {
            std::future::pending::<()>().await
        } else {
            std::future::ready(()).await
        }
    };
    let _ = connected.await;
    parked.await;
    Ok(())
}

// The closure of a `poll_fn` whose `.await` the function races: its loops return
// `Poll::Pending` when cancelled (waking the task), and the race then ends the function.
#[cancellable]
async fn write_all<T: Write + Unpin>(io: &mut T, buf: &[u8]) -> Result<(), std::io::Error> {
    let mut n = 0;
    poll_fn(move |cx| {
        while n < buf.len() {
            n += ready!(Pin::new(&mut *io).poll_write(cx, &buf[n..])?);
        }
        Poll::Ready(Ok(()))
    })
    .await?;
    std::future::poll_fn(|_| loop {
        if done() {
            break Poll::Ready(());
        }
    })
    .await;
    Ok(())
}
