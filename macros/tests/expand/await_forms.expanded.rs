async fn consume(mut rx: Receiver<u32>, client: Client) -> anyhow::Result<u32> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let mut total = 0;
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        while let Some(x) = match ::autocancel::__private::race(
                rx.recv(),
                __cancellable.as_mut(),
            )
            .await
        {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
        } {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            total += x;
        }
    }
    let body = match ::autocancel::__private::race(
            match ::autocancel::__private::race(
                    client
                        .get(
                            match ::autocancel::__private::race(
                                    url(total),
                                    __cancellable.as_mut(),
                                )
                                .await
                            {
                                ::core::result::Result::Ok(v) => v,
                                ::core::result::Result::Err(c) => {
                                    return ::autocancel::__private::exit(c);
                                }
                            },
                        ),
                    __cancellable.as_mut(),
                )
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            }?
                .text(),
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }?;
    match ::autocancel::__private::race(client.ping(), __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
        .unwrap();
    Ok(total + body.len() as u32)
}
