async fn fan_out(
    n: u32,
    set: &mut JoinSet<u32>,
    group: &mut Group,
) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let hs: Vec<_> = (0..n)
        .map(|i| tokio::spawn(::autocancel::__private::inherit_current(worker(i))))
        .collect();
    let blocking: Vec<_> = (0..n)
        .map(move |i| task::spawn_blocking(
            ::autocancel::__private::inherit_current_blocking(move || crunch(i)),
        ))
        .collect();
    let mut local = JoinSet::new();
    local.spawn(::autocancel::__private::inherit(worker(0), &__cancellable));
    set.spawn_blocking(
        ::autocancel::__private::inherit_blocking(move || crunch(1), &__cancellable),
    );
    Handle::current().spawn(::autocancel::__private::inherit(worker(2), &__cancellable));
    tokio::task::Builder::new()
        .name("w")
        .spawn(::autocancel::__private::inherit(worker(3), &__cancellable))?;
    (0..n)
        .for_each(|i| {
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
                                    tick(i),
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
        });
    group.spawn(worker(4));
    other.spawn(worker(5));
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        for h in hs {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            match ::autocancel::__private::race(h, __cancellable.as_mut()).await {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            };
        }
    }
    Ok(())
}
