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
