trait Service: Send + Sync {
    #[allow(
        elided_named_lifetimes,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds
    )]
    fn handle<'life0, 'life1, 'async_trait>(
        &'life0 self,
        ctx: &'life1 Ctx,
        n: u32,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<
                Output = Result<u32, Cancelled>,
            > + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait;
    #[allow(
        elided_named_lifetimes,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds
    )]
    fn own<'life0, 'async_trait>(
        &'life0 self,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<
                Output = Result<(), Cancelled>,
            > + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait;
    #[allow(
        elided_named_lifetimes,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds
    )]
    fn unit<'life0, 'async_trait>(
        &'life0 mut self,
        ctx: Ctx,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<Output = ()> + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait;
    #[allow(
        elided_named_lifetimes,
        clippy::async_yields_async,
        clippy::diverging_sub_expression,
        clippy::let_unit_value,
        clippy::needless_arbitrary_self_type,
        clippy::no_effect_underscore_binding,
        clippy::shadow_same,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds,
        clippy::used_underscore_binding
    )]
    fn default_method<'life0, 'async_trait>(
        &'life0 self,
        ctx: Ctx,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<
                Output = Option<u32>,
            > + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                Option<u32>,
            > {
                #[allow(unreachable_code)] return __ret;
            }
            let __self = self;
            let ctx = ctx;
            let __ret: Option<u32> = {
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
                            return ::autocancel::__private::exit::<Option<u32>>(c);
                        }
                        match ::autocancel::__private::race(
                                step(),
                                __cancellable.as_mut(),
                            )
                            .await
                        {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(c) => {
                                return ::autocancel::__private::exit::<Option<u32>>(c);
                            }
                        };
                    }
                }
            };
            #[allow(unreachable_code)] __ret
        })
    }
}
impl Service for Svc {
    #[allow(
        elided_named_lifetimes,
        clippy::async_yields_async,
        clippy::diverging_sub_expression,
        clippy::let_unit_value,
        clippy::needless_arbitrary_self_type,
        clippy::no_effect_underscore_binding,
        clippy::shadow_same,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds,
        clippy::used_underscore_binding
    )]
    fn handle<'life0, 'life1, 'async_trait>(
        &'life0 self,
        ctx: &'life1 Ctx,
        n: u32,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<
                Output = Result<u32, Cancelled>,
            > + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                Result<u32, Cancelled>,
            > {
                #[allow(unreachable_code)] return __ret;
            }
            let __self = self;
            let n = n;
            let __ret: Result<u32, Cancelled> = {
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
                            return ::autocancel::__private::exit::<
                                Result<u32, Cancelled>,
                            >(c);
                        }
                        match ::autocancel::__private::race(
                                __self.step(),
                                __cancellable.as_mut(),
                            )
                            .await
                        {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(c) => {
                                return ::autocancel::__private::exit::<
                                    Result<u32, Cancelled>,
                                >(c);
                            }
                        };
                    }
                }
                Ok(n)
            };
            #[allow(unreachable_code)] __ret
        })
    }
    #[allow(
        elided_named_lifetimes,
        clippy::async_yields_async,
        clippy::diverging_sub_expression,
        clippy::let_unit_value,
        clippy::needless_arbitrary_self_type,
        clippy::no_effect_underscore_binding,
        clippy::shadow_same,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds,
        clippy::used_underscore_binding
    )]
    fn own<'life0, 'async_trait>(
        &'life0 self,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<
                Output = Result<(), Cancelled>,
            > + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                Result<(), Cancelled>,
            > {
                #[allow(unreachable_code)] return __ret;
            }
            let __self = self;
            let __ret: Result<(), Cancelled> = {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::new(& __self)
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    loop {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit::<
                                Result<(), Cancelled>,
                            >(c);
                        }
                        match ::autocancel::__private::race(
                                __self.step(),
                                __cancellable.as_mut(),
                            )
                            .await
                        {
                            ::core::result::Result::Ok(v) => v,
                            ::core::result::Result::Err(c) => {
                                return ::autocancel::__private::exit::<
                                    Result<(), Cancelled>,
                                >(c);
                            }
                        };
                    }
                }
            };
            #[allow(unreachable_code)] __ret
        })
    }
    #[allow(
        elided_named_lifetimes,
        clippy::async_yields_async,
        clippy::diverging_sub_expression,
        clippy::let_unit_value,
        clippy::needless_arbitrary_self_type,
        clippy::no_effect_underscore_binding,
        clippy::shadow_same,
        clippy::type_complexity,
        clippy::type_repetition_in_bounds,
        clippy::used_underscore_binding
    )]
    fn unit<'life0, 'async_trait>(
        &'life0 mut self,
        ctx: Ctx,
    ) -> ::core::pin::Pin<
        Box<
            dyn ::core::future::Future<Output = ()> + ::core::marker::Send + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let mut __self = self;
            let ctx = ctx;
            let _: () = {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::new(& ctx)
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    while __self.busy() {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit::<()>(c);
                        }
                    }
                }
            };
        })
    }
}
