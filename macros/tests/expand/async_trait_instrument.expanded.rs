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
    fn above<'life0, 'life1, 'async_trait>(
        &'life0 self,
        ctx: &'life1 Ctx,
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
        ::std::boxed::Box::pin(async move {
            let __tracing_attr_span = {
                use ::tracing::__macro_support::Callsite as _;
                static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                    static META: ::tracing::Metadata<'static> = {
                        ::tracing_core::metadata::Metadata::new(
                            "above",
                            "foreign",
                            ::tracing::Level::INFO,
                            ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                            ::tracing_core::__macro_support::Option::Some(7u32),
                            ::tracing_core::__macro_support::Option::Some("foreign"),
                            ::tracing_core::field::FieldSet::new(
                                &[],
                                ::tracing_core::callsite::Identifier(&__CALLSITE),
                            ),
                            ::tracing::metadata::Kind::SPAN,
                        )
                    };
                    ::tracing::callsite::DefaultCallsite::new(&META)
                };
                let mut interest = ::tracing::subscriber::Interest::never();
                if ::tracing::Level::INFO <= ::tracing::level_filters::STATIC_MAX_LEVEL
                    && ::tracing::Level::INFO
                        <= ::tracing::level_filters::LevelFilter::current()
                    && {
                        interest = __CALLSITE.interest();
                        !interest.is_never()
                    }
                    && ::tracing::__macro_support::__is_enabled(
                        __CALLSITE.metadata(),
                        interest,
                    )
                {
                    let meta = __CALLSITE.metadata();
                    ::tracing::Span::new(meta, &{ meta.fields().value_set_all(&[]) })
                } else {
                    let span = ::tracing::__macro_support::__disabled_span(
                        __CALLSITE.metadata(),
                    );
                    {};
                    span
                }
            };
            let __tracing_instrument_future = async move {
                match async move {
                    if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<
                        Result<u32, Cancelled>,
                    > {
                        #[allow(unreachable_code)] return __ret;
                    }
                    let __self = self;
                    let __ret: Result<u32, Cancelled> = {
                        let __cancellable_ctx = ::autocancel::__private::ctx_of(ctx);
                        let mut __cancellable = ::core::pin::pin!(
                            ::autocancel::__private::Call::borrowed(__cancellable_ctx)
                        );
                        {
                            let mut __cancellable_pace = __cancellable.as_mut().pace();
                            loop {
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
                    };
                    #[allow(unreachable_code)] __ret
                }
                    .await
                {
                    #[allow(clippy::unit_arg)]
                    Ok(x) => Ok(x),
                    Err(e) => {
                        {
                            use ::tracing::__macro_support::Callsite as _;
                            static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                                static META: ::tracing::Metadata<'static> = {
                                    ::tracing_core::metadata::Metadata::new(
                                        "event src/lib.rs:7",
                                        "foreign",
                                        ::tracing::Level::ERROR,
                                        ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                                        ::tracing_core::__macro_support::Option::Some(7u32),
                                        ::tracing_core::__macro_support::Option::Some("foreign"),
                                        ::tracing_core::field::FieldSet::new(
                                            &[
                                                {
                                                    const NAME: ::tracing::__macro_support::FieldName<
                                                        { ::tracing::__macro_support::FieldName::len("error") },
                                                    > = ::tracing::__macro_support::FieldName::new("error");
                                                    NAME.as_str()
                                                },
                                            ],
                                            ::tracing_core::callsite::Identifier(&__CALLSITE),
                                        ),
                                        ::tracing::metadata::Kind::EVENT,
                                    )
                                };
                                ::tracing::callsite::DefaultCallsite::new(&META)
                            };
                            let enabled = ::tracing::Level::ERROR
                                <= ::tracing::level_filters::STATIC_MAX_LEVEL
                                && ::tracing::Level::ERROR
                                    <= ::tracing::level_filters::LevelFilter::current()
                                && {
                                    let interest = __CALLSITE.interest();
                                    !interest.is_never()
                                        && ::tracing::__macro_support::__is_enabled(
                                            __CALLSITE.metadata(),
                                            interest,
                                        )
                                };
                            if enabled {
                                (|value_set: ::tracing::field::ValueSet| {
                                    let meta = __CALLSITE.metadata();
                                    ::tracing::Event::dispatch(meta, &value_set);
                                })({
                                    #[allow(unused_imports)]
                                    use ::tracing::field::{debug, display, Value};
                                    __CALLSITE
                                        .metadata()
                                        .fields()
                                        .value_set_all(
                                            &[
                                                (::tracing::__macro_support::Option::Some(
                                                    &::tracing::field::display(&e)
                                                        as &dyn ::tracing::field::Value,
                                                )),
                                            ],
                                        )
                                });
                            } else {
                            }
                        };
                        Err(e)
                    }
                }
            };
            if !__tracing_attr_span.is_disabled() {
                ::tracing::Instrument::instrument(
                        __tracing_instrument_future,
                        __tracing_attr_span,
                    )
                    .await
            } else {
                __tracing_instrument_future.await
            }
        })
    }
    #[tracing::instrument(skip_all)]
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
    fn below<'life0, 'life1, 'async_trait>(
        &'life0 self,
        ctx: &'life1 Ctx,
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
            let __ret: Result<u32, Cancelled> = {
                let __cancellable_ctx = ::autocancel::__private::ctx_of(ctx);
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::borrowed(__cancellable_ctx)
                );
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    loop {
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
            };
            #[allow(unreachable_code)] __ret
        })
    }
}
