async fn with_ctx(ctx: &autocancel::Ctx, n: u32) -> Result<(), Cancelled> {
    let __cancellable_ctx = ::autocancel::__private::ctx_of(ctx);
    let mut __cancellable = ::core::pin::pin!(
        ::autocancel::__private::Call::borrowed(__cancellable_ctx)
    );
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        for _ in 0..n {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint_in(__cancellable_ctx, &mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            match ::autocancel::__private::race(
                    tokio::task::yield_now(),
                    __cancellable.as_mut(),
                )
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            };
        }
    }
    Ok(())
}
fn with_named(parent: Handle, n: u32) -> Option<u32> {
    let mut __cancellable = ::core::pin::pin!(
        ::autocancel::__private::Call::new(& parent)
    );
    let mut i = 0;
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        while i < n {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            i += 1;
        }
    }
    Some(i)
}
