fn impl_future(ctx: Ctx) -> impl Future<Output = Result<u32, Cancelled>> + Send {
    async move {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::new(& ctx)
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            loop {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit::<Result<u32, Cancelled>>(c);
                }
                match ::autocancel::__private::race(step(&ctx), __cancellable.as_mut())
                    .await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit::<Result<u32, Cancelled>>(c);
                    }
                };
            }
        }
    }
}
fn boxed(n: u32) -> Pin<Box<dyn Future<Output = Option<u32>> + Send>> {
    let limit = n * 2;
    Box::pin(async move {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            for _ in 0..limit {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit::<Option<u32>>(c);
                }
                match ::autocancel::__private::race(step(), __cancellable.as_mut()).await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit::<Option<u32>>(c);
                    }
                };
            }
        }
        Some(limit)
    })
}
