async fn fan_out(jobs: Vec<Job>) -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        for job in jobs {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            tokio::spawn(::autocancel::__private::inherit(run(job), &__cancellable));
        }
    }
    let local = {
        #[allow(unused_imports)]
        use ::autocancel::__private::{ArmOther as _, ArmTokio as _};
        let __arm = ::autocancel::__private::Arm::new();
        (&::autocancel::__private::ArmWith::new(
            tokio::task::spawn_local(
                ::autocancel::__private::inherit_aborting(
                    async move { tick().await },
                    &__cancellable,
                    &__arm,
                ),
            ),
        ))
            .arm(__arm)
    };
    let blocking = task::spawn_blocking(
        ::autocancel::__private::inherit_blocking(move || crunch(), &__cancellable),
    );
    tokio::spawn(autocancel::detached(flush()));
    std::thread::spawn(|| ());
    set.spawn(run(Job::default()));
    {
        let __shield = ::autocancel::__private::shield();
        tokio::spawn(cleanup())
    };
    match ::autocancel::__private::race(local, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
        .unwrap();
    match ::autocancel::__private::race(blocking, __cancellable.as_mut()).await {
        ::core::result::Result::Ok(v) => v,
        ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
    }
        .unwrap();
    Ok(())
}
fn start(handle: &Handle, ctx: &Ctx) {
    let __cancellable_ctx = ::autocancel::__private::ctx_of(ctx);
    let mut __cancellable = ::core::pin::pin!(
        ::autocancel::__private::Call::borrowed(__cancellable_ctx)
    );
    let _enter = handle.enter();
    tokio::spawn(::autocancel::__private::inherit(run(Job::default()), &__cancellable));
}
