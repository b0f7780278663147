async fn both(a: Client, b: Client) -> Result<(u32, u32), Error> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let (x, y) = match ::autocancel::__private::race(
            async { tokio::join!(a.get(), b.get()) },
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let (z, w) = match ::autocancel::__private::race(
            async { ::tokio::try_join!(a.get(), b.get()) },
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }?;
    match ::autocancel::__private::race(
            async { futures::join!(a.ping(), b.ping()) },
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok((x + z, y + w))
}
async fn left_alone(a: Client) -> Result<(), Error> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    match ::autocancel::__private::race(a.connect(), __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }?;
    tokio::join!(a.get_with(x ?), a.ping());
    let __shield = ::autocancel::__private::shield();
    let _ = tokio::join!(a.ping());
    ::core::mem::drop(__shield);
    Ok(())
}
