fn consume(
    rx: std::sync::mpsc::Receiver<u32>,
    mut trx: Receiver<u32>,
    m: &Mutex<u8>,
    cv: &Condvar,
    state: &StdMutex<bool>,
) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let v = match ::autocancel::__private::blocking::recv(&__cancellable, &(rx)) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let w = match ::autocancel::__private::blocking::recv_timeout(
        &__cancellable,
        &(rx),
        Duration::from_secs(1),
    ) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let t = match ::autocancel::__private::blocking::block_on(
        &__cancellable,
        {
            use ::autocancel::__private::blocking::RecvFuture as _;
            (trx).__autocancel_recv()
        },
    ) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    match ::autocancel::__private::blocking::block_on(&__cancellable, (tx).send(5)) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
        .unwrap();
    let g = match ::autocancel::__private::blocking::block_on(
        &__cancellable,
        (m).lock(),
    ) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let mut ready = state.lock().unwrap();
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        while !*ready {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            ready = match ::autocancel::__private::blocking::wait(
                &__cancellable,
                &(cv),
                ready,
            ) {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            }
                .unwrap();
        }
    }
    match ::autocancel::__private::blocking::park(&__cancellable) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let out = match ::autocancel::__private::blocking::join(&__cancellable, worker) {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    let s = parts.join(",");
    let __shield = ::autocancel::__private::shield();
    let kept = rx.recv();
    ::core::mem::drop(__shield);
    Ok(())
}
async fn start(rx: std::sync::mpsc::Receiver<u32>) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let h = tokio::task::spawn_blocking(
        ::autocancel::__private::inherit_blocking(
            move || {
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
                        let job = match ::autocancel::__private::blocking::recv(
                            &__cancellable,
                            &(rx),
                        ) {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(c) => {
                                return ::autocancel::__private::exit_block(c);
                            }
                        };
                        if let ::core::result::Result::Err(c) = __cancellable
                            .sleep_blocking(Duration::from_millis(10))
                        {
                            return ::autocancel::__private::exit_block(c);
                        }
                    }
                }
            },
            &__cancellable,
        ),
    );
    match ::autocancel::__private::race(h, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    };
    Ok(())
}
