async fn plain(ctx: &Ctx) -> Result<(), Cancelled> {
    {}
    let __tracing_attr_span = {
        use ::tracing::__macro_support::Callsite as _;
        static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
            static META: ::tracing::Metadata<'static> = {
                ::tracing_core::metadata::Metadata::new(
                    "plain",
                    "foreign",
                    ::tracing::Level::INFO,
                    ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                    ::tracing_core::__macro_support::Option::Some(4u32),
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
            && ::tracing::Level::INFO <= ::tracing::level_filters::LevelFilter::current()
            && {
                interest = __CALLSITE.interest();
                !interest.is_never()
            }
            && ::tracing::__macro_support::__is_enabled(__CALLSITE.metadata(), interest)
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
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let __tracing_attr_fake_return: Result<(), Cancelled> = loop {};
            return __tracing_attr_fake_return;
        }
        {
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
                        return ::autocancel::__private::exit::<Result<(), Cancelled>>(c);
                    }
                    match ::autocancel::__private::race(step(), __cancellable.as_mut())
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
}
async fn err_ret(ctx: &Ctx, n: u32) -> Result<u32, Cancelled> {
    {}
    let __tracing_attr_span = {
        use ::tracing::__macro_support::Callsite as _;
        static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
            static META: ::tracing::Metadata<'static> = {
                ::tracing_core::metadata::Metadata::new(
                    "err_ret",
                    "foreign",
                    ::tracing::Level::INFO,
                    ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                    ::tracing_core::__macro_support::Option::Some(12u32),
                    ::tracing_core::__macro_support::Option::Some("foreign"),
                    ::tracing_core::field::FieldSet::new(
                        &[
                            {
                                const NAME: ::tracing::__macro_support::FieldName<
                                    { ::tracing::__macro_support::FieldName::len("n") },
                                > = ::tracing::__macro_support::FieldName::new("n");
                                NAME.as_str()
                            },
                        ],
                        ::tracing_core::callsite::Identifier(&__CALLSITE),
                    ),
                    ::tracing::metadata::Kind::SPAN,
                )
            };
            ::tracing::callsite::DefaultCallsite::new(&META)
        };
        let mut interest = ::tracing::subscriber::Interest::never();
        if ::tracing::Level::INFO <= ::tracing::level_filters::STATIC_MAX_LEVEL
            && ::tracing::Level::INFO <= ::tracing::level_filters::LevelFilter::current()
            && {
                interest = __CALLSITE.interest();
                !interest.is_never()
            }
            && ::tracing::__macro_support::__is_enabled(__CALLSITE.metadata(), interest)
        {
            let meta = __CALLSITE.metadata();
            ::tracing::Span::new(
                meta,
                &{
                    #[allow(unused_imports)]
                    use ::tracing::field::{debug, display, Value};
                    meta.fields()
                        .value_set_all(
                            &[
                                (::tracing::__macro_support::Option::Some(
                                    &n as &dyn ::tracing::field::Value,
                                )),
                            ],
                        )
                },
            )
        } else {
            let span = ::tracing::__macro_support::__disabled_span(
                __CALLSITE.metadata(),
            );
            {};
            span
        }
    };
    let __tracing_instrument_future = async move {
        let __match_scrutinee = async move {
            #[allow(
                unknown_lints,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::let_with_type_underscore,
                clippy::needless_return,
                clippy::unreachable
            )]
            if false {
                let __tracing_attr_fake_return: Result<u32, Cancelled> = loop {};
                return __tracing_attr_fake_return;
            }
            {
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
                                step(),
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
            }
        }
            .await;
        match __match_scrutinee {
            #[allow(clippy::unit_arg)]
            Ok(x) => {
                {
                    use ::tracing::__macro_support::Callsite as _;
                    static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                        static META: ::tracing::Metadata<'static> = {
                            ::tracing_core::metadata::Metadata::new(
                                "event src/lib.rs:12",
                                "foreign",
                                ::tracing::Level::INFO,
                                ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                                ::tracing_core::__macro_support::Option::Some(12u32),
                                ::tracing_core::__macro_support::Option::Some("foreign"),
                                ::tracing_core::field::FieldSet::new(
                                    &[
                                        {
                                            const NAME: ::tracing::__macro_support::FieldName<
                                                { ::tracing::__macro_support::FieldName::len("return") },
                                            > = ::tracing::__macro_support::FieldName::new("return");
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
                    let enabled = ::tracing::Level::INFO
                        <= ::tracing::level_filters::STATIC_MAX_LEVEL
                        && ::tracing::Level::INFO
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
                                            &::tracing::field::debug(&x) as &dyn ::tracing::field::Value,
                                        )),
                                    ],
                                )
                        });
                    } else {
                    }
                };
                Ok(x)
            }
            Err(e) => {
                {
                    use ::tracing::__macro_support::Callsite as _;
                    static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                        static META: ::tracing::Metadata<'static> = {
                            ::tracing_core::metadata::Metadata::new(
                                "event src/lib.rs:12",
                                "foreign",
                                ::tracing::Level::ERROR,
                                ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                                ::tracing_core::__macro_support::Option::Some(12u32),
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
}
fn blocking(n: u32) -> Result<u32, Cancelled> {
    {}
    let __tracing_attr_span;
    let __tracing_attr_guard;
    if ::tracing::Level::INFO <= ::tracing::level_filters::STATIC_MAX_LEVEL
        && ::tracing::Level::INFO <= ::tracing::level_filters::LevelFilter::current()
        || { false }
    {
        __tracing_attr_span = {
            use ::tracing::__macro_support::Callsite as _;
            static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                static META: ::tracing::Metadata<'static> = {
                    ::tracing_core::metadata::Metadata::new(
                        "blocking",
                        "foreign",
                        ::tracing::Level::INFO,
                        ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                        ::tracing_core::__macro_support::Option::Some(21u32),
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
        __tracing_attr_guard = __tracing_attr_span.enter();
    }
    #[allow(clippy::redundant_closure_call)]
    match (move || {
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let __tracing_attr_fake_return: Result<u32, Cancelled> = loop {};
            return __tracing_attr_fake_return;
        }
        {
            let mut __cancellable = ::core::pin::pin!(
                ::autocancel::__private::Call::ambient()
            );
            let mut i = 0;
            {
                let mut __cancellable_pace = __cancellable.as_mut().pace();
                while i < n {
                    if let ::core::result::Result::Err(c) = __cancellable
                        .as_mut()
                        .checkpoint(&mut __cancellable_pace)
                    {
                        return ::autocancel::__private::exit::<
                            Result<u32, Cancelled>,
                        >(c);
                    }
                    i += 1;
                }
            }
            Ok(i)
        }
    })() {
        #[allow(clippy::unit_arg)]
        Ok(x) => Ok(x),
        Err(e) => {
            {
                use ::tracing::__macro_support::Callsite as _;
                static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                    static META: ::tracing::Metadata<'static> = {
                        ::tracing_core::metadata::Metadata::new(
                            "event src/lib.rs:21",
                            "foreign",
                            ::tracing::Level::ERROR,
                            ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                            ::tracing_core::__macro_support::Option::Some(21u32),
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
}
fn blocking_plain(n: u32) -> Option<u32> {
    {}
    #[allow(clippy::suspicious_else_formatting)]
    {
        let __tracing_attr_span;
        let __tracing_attr_guard;
        if ::tracing::Level::INFO <= ::tracing::level_filters::STATIC_MAX_LEVEL
            && ::tracing::Level::INFO <= ::tracing::level_filters::LevelFilter::current()
            || { false }
        {
            __tracing_attr_span = {
                use ::tracing::__macro_support::Callsite as _;
                static __CALLSITE: ::tracing::callsite::DefaultCallsite = {
                    static META: ::tracing::Metadata<'static> = {
                        ::tracing_core::metadata::Metadata::new(
                            "blocking_plain",
                            "foreign",
                            ::tracing::Level::INFO,
                            ::tracing_core::__macro_support::Option::Some("src/lib.rs"),
                            ::tracing_core::__macro_support::Option::Some(31u32),
                            ::tracing_core::__macro_support::Option::Some("foreign"),
                            ::tracing_core::field::FieldSet::new(
                                &[
                                    {
                                        const NAME: ::tracing::__macro_support::FieldName<
                                            { ::tracing::__macro_support::FieldName::len("n") },
                                        > = ::tracing::__macro_support::FieldName::new("n");
                                        NAME.as_str()
                                    },
                                ],
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
                    ::tracing::Span::new(
                        meta,
                        &{
                            #[allow(unused_imports)]
                            use ::tracing::field::{debug, display, Value};
                            meta.fields()
                                .value_set_all(
                                    &[
                                        (::tracing::__macro_support::Option::Some(
                                            &n as &dyn ::tracing::field::Value,
                                        )),
                                    ],
                                )
                        },
                    )
                } else {
                    let span = ::tracing::__macro_support::__disabled_span(
                        __CALLSITE.metadata(),
                    );
                    {};
                    span
                }
            };
            __tracing_attr_guard = __tracing_attr_span.enter();
        }
        #[warn(clippy::suspicious_else_formatting)]
        {
            #[allow(
                unknown_lints,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::let_with_type_underscore,
                clippy::needless_return,
                clippy::unreachable
            )]
            if false {
                let __tracing_attr_fake_return: Option<u32> = loop {};
                return __tracing_attr_fake_return;
            }
            {
                let mut __cancellable = ::core::pin::pin!(
                    ::autocancel::__private::Call::ambient()
                );
                let mut i = 0;
                {
                    let mut __cancellable_pace = __cancellable.as_mut().pace();
                    while i < n {
                        if let ::core::result::Result::Err(c) = __cancellable
                            .as_mut()
                            .checkpoint(&mut __cancellable_pace)
                        {
                            return ::autocancel::__private::exit::<Option<u32>>(c);
                        }
                        i += 1;
                    }
                }
                Some(i)
            }
        }
    }
}
