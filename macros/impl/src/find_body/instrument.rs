//! Bodies `#[tracing::instrument]` already expanded (it was written above `#[cancellable]`).
//!
//! tracing-attributes 0.1.x keeps the function's signature and replaces its body. For an async
//! body (an `async fn`, or the `async move` block async-trait returns) it writes
//!
//! ```text
//! let __tracing_attr_span = <span>;
//! let __tracing_instrument_future = async move <B>;      // (1) no `err`/`ret`
//! if !__tracing_attr_span.is_disabled() { Instrument::instrument(__tracing_instrument_future, ..).await }
//! else { __tracing_instrument_future.await }
//! ```
//!
//! where with `err` and/or `ret` the future is `async move { match async move <B>.await {..} }`,
//! `async move { let __match_scrutinee = async move <B>.await; .. }` or
//! `async move { let x = async move <B>.await; event!(..); x }`. For a blocking `fn` it enters the
//! span and runs `<B>` in place (in a block of its own: `{ <span>; <B> }`), or, with
//! `err`/`ret`, as `(move || <B>)()`. In an `fn`'s body
//! `<B>` is `{ if false { let __tracing_attr_fake_return: T = loop {}; return ..; } { <body> } }`
//! (a return-type hint); async-trait's block is instrumented without the hint.
//!
//! The user's `<body>` is found by that structure (the `__tracing_attr_span` local and the shapes
//! above), and rewritten as the body it was: tracing's own `.await`s stay as they are, and a
//! cancelled body returns through tracing's `err`/`ret` events like any other return.

use syn::{Block, Expr, Local, Pat, Stmt};

/// Inside an async body tracing generated, the block holding the instrumented body.
pub(crate) fn async_body(body: &mut Block) -> Option<&mut Block> {
    if !declares_span(body) {
        return None;
    }
    let future = body.stmts.iter_mut().find_map(instrumented_future)?;
    // With `err`/`ret` the body is awaited inside tracing's own future.
    if awaited_inner(future).is_some() {
        return awaited_inner(future);
    }
    Some(future)
}

/// Inside a blocking body tracing generated, the block holding the instrumented body.
pub(crate) fn blocking_body(body: &mut Block) -> Option<&mut Block> {
    // Without `err`/`ret` (0.1.31): `{ <span>; #[warn(..)] <B> }` as the body's last statement.
    let body = if declares_span(body) {
        body
    } else {
        match body.stmts.last_mut() {
            Some(Stmt::Expr(Expr::Block(inner), None)) if declares_span(&inner.block) => {
                &mut inner.block
            }
            _ => return None,
        }
    };
    if body.stmts.iter_mut().find_map(called_closure).is_some() {
        return body.stmts.iter_mut().find_map(called_closure);
    }
    match body.stmts.last_mut() {
        Some(Stmt::Expr(Expr::Block(block), None)) => Some(&mut block.block),
        _ => None,
    }
}

/// `{ if false { let __tracing_attr_fake_return: T = loop {}; return ..; } { <body> } }` →
/// `<body>`: tracing's return-type hint is not the user's code (and its `loop {}` is no loop to
/// checkpoint).
pub(crate) fn strip_return_hint(block: &mut Block) -> Option<&mut Block> {
    let [Stmt::Expr(Expr::If(hint), None), Stmt::Expr(Expr::Block(body), None)] =
        block.stmts.as_mut_slice()
    else {
        return None;
    };
    let is_hint = matches!(
        hint.then_branch.stmts.first(),
        Some(Stmt::Local(local)) if binds(local, "__tracing_attr_fake_return")
    );
    is_hint.then_some(&mut body.block)
}

/// `let __tracing_attr_span = ..;` (async) or `let __tracing_attr_span;` (blocking).
fn declares_span(body: &Block) -> bool {
    body.stmts
        .iter()
        .any(|stmt| matches!(stmt, Stmt::Local(local) if binds(local, "__tracing_attr_span")))
}

fn binds(local: &Local, name: &str) -> bool {
    let pat = match &local.pat {
        Pat::Type(typed) => &*typed.pat,
        pat => pat,
    };
    matches!(pat, Pat::Ident(ident) if ident.ident == name)
}

/// `let __tracing_instrument_future = async move {..};` (tracing-attributes ≥ 0.1.22), or an
/// `async` block instrumented in place, `Instrument::instrument(async move {..}, span).await`
/// (older 0.1.x).
fn instrumented_future(stmt: &mut Stmt) -> Option<&mut Block> {
    match stmt {
        Stmt::Local(local) if binds(local, "__tracing_instrument_future") => {
            match local.init.as_mut().map(|init| &mut *init.expr) {
                Some(Expr::Async(future)) => Some(&mut future.block),
                _ => None,
            }
        }
        Stmt::Expr(Expr::Await(awaited), _) => match &mut *awaited.base {
            Expr::Call(call) => match call.args.first_mut() {
                Some(Expr::Async(future)) => Some(&mut future.block),
                _ => None,
            },
            Expr::MethodCall(call) => match &mut *call.receiver {
                Expr::Async(future) => Some(&mut future.block),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// With `err`/`ret`: the `async move <B>` awaited first thing in tracing's future, as
/// `let __match_scrutinee = async move <B>.await;`, `let x = async move <B>.await;` or
/// `match async move <B>.await {..}`.
fn awaited_inner(future: &mut Block) -> Option<&mut Block> {
    let awaited = match future.stmts.first_mut()? {
        Stmt::Local(local) if binds(local, "__match_scrutinee") || binds(local, "x") => {
            &mut *local.init.as_mut()?.expr
        }
        Stmt::Expr(Expr::Match(m), _) => &mut *m.expr,
        _ => return None,
    };
    match awaited {
        Expr::Await(awaited) => match &mut *awaited.base {
            Expr::Async(inner) => Some(&mut inner.block),
            _ => None,
        },
        _ => None,
    }
}

/// `(move || <B>)()` as a statement, a `let` initialiser or a `match` scrutinee: the body
/// tracing runs in a closure to see its result (`err`/`ret`).
fn called_closure(stmt: &mut Stmt) -> Option<&mut Block> {
    let expr = match stmt {
        Stmt::Local(local) => &mut *local.init.as_mut()?.expr,
        Stmt::Expr(Expr::Match(m), _) => &mut *m.expr,
        Stmt::Expr(expr, _) => expr,
        _ => return None,
    };
    let Expr::Call(call) = expr else { return None };
    if !call.args.is_empty() {
        return None;
    }
    let mut func = &mut *call.func;
    while let Expr::Paren(paren) = func {
        func = &mut *paren.expr;
    }
    match func {
        Expr::Closure(closure) if closure.inputs.is_empty() => match &mut *closure.body {
            Expr::Block(block) => Some(&mut block.block),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    fn s(b: Option<&mut Block>) -> String {
        b.map(|b| b.to_token_stream().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn plain_and_err_ret_async_shapes() {
        let mut b: Block = parse_quote!({
            let __tracing_attr_span = span();
            let __tracing_instrument_future = async move { user() };
            if !__tracing_attr_span.is_disabled() {
                ::tracing::Instrument::instrument(__tracing_instrument_future, __tracing_attr_span)
                    .await
            } else {
                __tracing_instrument_future.await
            }
        });
        assert_eq!(s(async_body(&mut b)), "{ user () }");
        let mut b: Block = parse_quote!({
            let __tracing_attr_span = span();
            let __tracing_instrument_future = async move {
                match async move { user() }.await {
                    Ok(x) => Ok(x),
                    Err(e) => Err(e),
                }
            };
            __tracing_instrument_future.await
        });
        assert_eq!(s(async_body(&mut b)), "{ user () }");
        let mut b: Block = parse_quote!({
            let __tracing_attr_span = span();
            ::tracing::Instrument::instrument(async move { user() }, __tracing_attr_span).await
        });
        assert_eq!(s(async_body(&mut b)), "{ user () }");
    }

    #[test]
    fn blocking_shapes_and_the_return_hint() {
        let mut b: Block = parse_quote!({
            let __tracing_attr_span;
            let __tracing_attr_guard;
            match (move || {
                if false {
                    let __tracing_attr_fake_return: R = loop {};
                    return __tracing_attr_fake_return;
                }
                {
                    user()
                }
            })() {
                Ok(x) => Ok(x),
                Err(e) => Err(e),
            }
        });
        let closure_body = blocking_body(&mut b).unwrap();
        assert_eq!(s(strip_return_hint(closure_body)), "{ user () }");
    }

    #[test]
    fn blocking_shape_without_err_or_ret() {
        let mut b: Block = parse_quote!({
            {}
            #[allow(clippy::suspicious_else_formatting)]
            {
                let __tracing_attr_span;
                let __tracing_attr_guard;
                if enabled() {
                    __tracing_attr_span = span();
                    __tracing_attr_guard = __tracing_attr_span.enter();
                }
                #[warn(clippy::suspicious_else_formatting)]
                {
                    if false {
                        let __tracing_attr_fake_return: R = loop {};
                        return __tracing_attr_fake_return;
                    }
                    {
                        user()
                    }
                }
            }
        });
        let inner = blocking_body(&mut b).unwrap();
        assert_eq!(s(strip_return_hint(inner)), "{ user () }");
    }

    #[test]
    fn user_code_is_not_mistaken_for_tracing() {
        let mut b: Block = parse_quote!({
            let fut = async move { user() };
            fut.await
        });
        assert!(async_body(&mut b).is_none());
        let mut b: Block = parse_quote!({
            if false {
                return;
            }
            {
                user()
            }
        });
        assert!(strip_return_hint(&mut b).is_none());
    }
}
