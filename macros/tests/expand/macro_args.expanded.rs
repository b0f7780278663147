async fn report(mut rx: Receiver<u32>, client: Client) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    println!(
        "{:?} {n}", match ::autocancel::__private::race(rx.recv(), __cancellable
        .as_mut()). await { ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c), }, n =
        match ::autocancel::__private::race(client.count(), __cancellable.as_mut()).
        await { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) =>
        return ::autocancel::__private::exit(c), }
    );
    assert_eq!(
        match ::autocancel::__private::race(client.get(), __cancellable.as_mut()). await
        { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) => return
        ::autocancel::__private::exit(c), } ?, 200, "status"
    );
    tracing::info!(
        target : "app", len = ? rx.len(), "next: {}", match
        ::autocancel::__private::race(rx.recv(), __cancellable.as_mut()). await {
        ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) => return
        ::autocancel::__private::exit(c), } .unwrap_or(0)
    );
    let v = vec![
        match ::autocancel::__private::race(client.count(), __cancellable.as_mut()).
        await { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) =>
        return ::autocancel::__private::exit(c), }; 2
    ];
    assert!(
        matches!(match ::autocancel::__private::race(rx.recv(), __cancellable.as_mut()).
        await { ::core::result::Result::Ok(v) => v, ::core::result::Result::Err(c) =>
        return ::autocancel::__private::exit(c), }, Some(1 | 2))
    );
    show!(rx.recv(). await);
    Ok(())
}
