async fn untouched(tx: Sender<u32>) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
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
    match ::autocancel::__private::race(
            async {
                futures::select! {
                    _ = fut => {} _ = async { for _ in 0..3 {} } => {}
                }
            },
            __cancellable.as_mut(),
        )
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
    let _arr = [0u8; {
        let mut n = 0;
        while n < 4 {
            n += 1;
        }
        n
    }];
    f(&[1, 2]);
    helper();
    match ::autocancel::__private::race(tokio::task::yield_now(), __cancellable.as_mut())
        .await
    {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
