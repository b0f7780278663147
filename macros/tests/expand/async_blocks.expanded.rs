async fn starts_work(mut rx: Receiver<u32>, tx: Sender<u32>) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    tokio::spawn(
        ::autocancel::__private::inherit(
            async move {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::ambient()
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    while let Some(v) = match ::autocancel::__private::race(
                            rx.recv(),
                            __cancellable.as_mut(),
                        )
                        .await
                    {
                        ::core::result::Result::Ok(v) => v,
                        ::core::result::Result::Err(c) => {
                            return ::autocancel::__private::exit_block(c);
                        }
                    } {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit_block(c);
                        }
                        println!("{v}");
                    }
                }
            },
            &__cancellable,
        ),
    );
    let ticker = async {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            loop {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit_block(c);
                }
                match ::autocancel::__private::race(tick(), __cancellable.as_mut()).await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit_block(c);
                    }
                };
            }
        }
    };
    let value = async { tx.send(1).await.is_ok() };
    match ::autocancel::__private::race(ticker, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    match ::autocancel::__private::race(value, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
async fn typed_blocks(addr: SocketAddr) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let connected = async move {
        let __cancellable_exit = {
            #[allow(unused_imports)]
            use ::autocancel::__private::{NoExit as _, ViaFrom as _};
            (&::autocancel::__private::ErrExit::<ConnectError>::new()).exit()
        };
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient_if(__cancellable_exit.is_some())
        );
        let stream = match ::autocancel::__private::race(
                TcpStream::connect(addr),
                __cancellable.as_mut(),
            )
            .await
        {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(c) => {
                return ::core::result::Result::Err(
                    ::autocancel::__private::exit_err(__cancellable_exit, c),
                );
            }
        }?;
        tokio::spawn(
            ::autocancel::__private::inherit_current(async move {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::ambient()
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    loop {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit_block(c);
                        }
                        match ::autocancel::__private::race(
                                tick(),
                                __cancellable.as_mut(),
                            )
                            .await
                        {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(c) => {
                                return ::autocancel::__private::exit_block(c);
                            }
                        };
                    }
                }
            }),
        );
        Ok::<_, ConnectError>(stream)
    };
    let parked = async {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        if ready() {
            match ::autocancel::__private::race(
                    std::future::pending::<()>(),
                    __cancellable.as_mut(),
                )
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => {
                    return ::autocancel::__private::exit_block(c);
                }
            }
        } else {
            match ::autocancel::__private::race(
                    std::future::ready(()),
                    __cancellable.as_mut(),
                )
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => {
                    return ::autocancel::__private::exit_block(c);
                }
            }
        }
    };
    let _ = match ::autocancel::__private::race(connected, __cancellable.as_mut()).await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    match ::autocancel::__private::race(parked, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
async fn write_all<T: Write + Unpin>(
    io: &mut T,
    buf: &[u8],
) -> Result<(), std::io::Error> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let mut n = 0;
    match ::autocancel::__private::race(
            poll_fn(move |cx| {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::ambient()
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    while n < buf.len() {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit_pending(c, cx);
                        }
                        n += ready!(Pin::new(& mut * io).poll_write(cx, & buf[n..]) ?);
                    }
                }
                Poll::Ready(Ok(()))
            }),
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }?;
    match ::autocancel::__private::race(
            std::future::poll_fn(|__cancellable_cx| {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::ambient()
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    loop {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit_pending(
                                c,
                                __cancellable_cx,
                            );
                        }
                        if done() {
                            break Poll::Ready(());
                        }
                    }
                }
            }),
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
