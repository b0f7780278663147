async fn server(listener: TcpListener, mut rx: Receiver<Msg>) -> io::Result<()> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        loop {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            {
                let (__select, __waiter) = ::autocancel::__private::select(
                    __cancellable.as_mut(),
                    2,
                );
                tokio::select! {
                    biased; Some(msg) = __select.branch(rx.recv()), if __select
                    .enabled(open) => { match ::autocancel::__private::race(handle(msg),
                    __cancellable.as_mut()). await { ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => return
                    ::autocancel::__private::exit(c), } ?; }, res = __select
                    .branch(listener.accept()) => { let (socket, _) = res ?;
                    tokio::spawn(::autocancel::__private::inherit(serve(socket), &
                    __cancellable)); }, ::core::result::Result::Err(c) = __select
                    .cancelled(__waiter) => return ::autocancel::__private::exit(c), else
                    => break
                }
            }
        }
    }
    Ok(())
}
async fn unbiased(a: Receiver<u32>, b: Receiver<u32>) -> Option<u32> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let v = {
        let (__select, __waiter) = ::autocancel::__private::select(
            __cancellable.as_mut(),
            2,
        );
        select! {
            Some(v) = __select.branch(a.recv()) => v, Some(v) = __select.branch(b.recv())
            => v + match ::autocancel::__private::race(done(), __cancellable.as_mut()).
            await { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) =>
            return ::autocancel::__private::exit(c), }, ::core::result::Result::Err(c) =
            __select.cancelled(__waiter) => return ::autocancel::__private::exit(c),
        }
    };
    Some(v)
}
async fn left_alone() {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    match ::autocancel::__private::race(tick(), __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    match ::autocancel::__private::race(
            async {
                futures::select! {
                    v = a => v,
                }
            },
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
    select! {
        v = a => v, default => 0,
    }
    tokio::select! {
        v => v
    }
    {
        let __shield = ::autocancel::__private::shield();
        tokio::select! {
            _ = sleep(d) => {}
        }
    }
}
