async fn starts_work(mut rx: Receiver<u32>, tx: Sender<u32>) -> Result<(), Cancelled> {
    let mut __cancellable = ::autocancel::__private::Call::ambient();
    tokio::spawn(
        ::autocancel::__private::inherit(
            async move {
                let mut __cancellable = ::autocancel::__private::Call::ambient();
                while let Some(v) = match ::autocancel::__private::race(
                        rx.recv(),
                        &mut __cancellable,
                    )
                    .await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit::<()>(c);
                    }
                } {
                    if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
                        return ::autocancel::__private::exit::<()>(c);
                    }
                    println!("{v}");
                }
            },
            &__cancellable,
        ),
    );
    let ticker = async {
        let mut __cancellable = ::autocancel::__private::Call::ambient();
        loop {
            if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
                return ::autocancel::__private::exit::<()>(c);
            }
            match ::autocancel::__private::race(tick(), &mut __cancellable).await {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => {
                    return ::autocancel::__private::exit::<()>(c);
                }
            };
        }
    };
    let value = async { tx.send(1).await.is_ok() };
    match ::autocancel::__private::race(ticker, &mut __cancellable).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    match ::autocancel::__private::race(value, &mut __cancellable).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
