// `tokio::select!` gets a cancellation branch (first, so that it wins ties under `biased;`), its
// branch futures are gated on the cancellation, and its handlers are rewritten like the rest of
// the body. Patterns, preconditions, `biased;` and `else` are kept.
#[cancellable]
async fn server(listener: TcpListener, mut rx: Receiver<Msg>) -> io::Result<()> {
    loop {
        tokio::select! {
            biased;
            Some(msg) = rx.recv(), if open => {
                handle(msg).await?;
            }
            res = listener.accept() => {
                let (socket, _) = res?;
                tokio::spawn(serve(socket));
            }
            else => break,
        }
    }
    Ok(())
}

#[cancellable]
async fn unbiased(a: Receiver<u32>, b: Receiver<u32>) -> Option<u32> {
    let v = select! {
        Some(v) = a.recv() => v,
        Some(v) = b.recv() => v + done().await,
    };
    Some(v)
}

// Left as written: `futures::select!`, a bare `select!` with futures' `default` branch, a
// malformed one (for tokio to report), and one inside `#[shield]`. (The `.await` is there so
// that the function has a checkpoint: otherwise it is the "never silent" compile error.)
#[cancellable]
async fn left_alone() {
    tick().await;
    futures::select! {
        v = a => v,
    }
    select! {
        v = a => v,
        default => 0,
    }
    tokio::select! {
        v => v
    }
    #[shield]
    tokio::select! {
        _ = sleep(d) => {}
    }
}
