//! Recognising the calls that start a task, whose argument then inherits the caller's context:
//! `tokio::spawn(fut)` → `tokio::spawn(inherit(fut, &__cancellable))`.
//!
//! Before name resolution the macro goes by spelling only:
//!
//! - futures: `tokio::spawn`, `tokio::task::spawn`, `tokio::task::spawn_local`, with or without
//!   a leading `::`, and `task::spawn`, `task::spawn_local` (after `use tokio::task;`);
//! - closures: `tokio::task::spawn_blocking` and `task::spawn_blocking`.
//!
//! Not recognised: a bare `spawn(..)` (as likely `std::thread::spawn`), bare `spawn_local` and
//! `spawn_blocking`, calls with a turbofish (the wrapper changes the argument's type), and
//! methods (`JoinSet::spawn`, `Handle::spawn`, `Builder::spawn`: before type checking a `.spawn()`
//! could be anything, `Group::spawn` included, which sets the context itself). An argument that
//! is a call of `detached(..)`/`detached_blocking(..)` (the runtime's explicit way out) is left
//! as written.

use crate::spelling::{ends_with, Spelling};
use syn::{Expr, ExprCall};

/// What a recognised spawn call starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Spawn {
    /// A future (`spawn`, `spawn_local`).
    Future,
    /// A closure for the blocking pool (`spawn_blocking`).
    Blocking,
}

/// Whether `call` starts a task whose argument should inherit the caller's context.
pub(crate) fn spawn_call(call: &ExprCall) -> Option<Spawn> {
    if call.args.len() != 1 || is_detached(&call.args[0]) {
        return None;
    }
    let spelling = Spelling::of_expr(&call.func)?;
    let local = spelling.relative();
    match spelling.names().as_slice() {
        ["tokio", "spawn"] | ["tokio", "task", "spawn" | "spawn_local"] => Some(Spawn::Future),
        ["task", "spawn" | "spawn_local"] if local => Some(Spawn::Future),
        ["tokio", "task", "spawn_blocking"] => Some(Spawn::Blocking),
        ["task", "spawn_blocking"] if local => Some(Spawn::Blocking),
        _ => None,
    }
}

/// `detached(..)`, `autocancel::detached_blocking(..)`, ...: detached on purpose.
fn is_detached(arg: &Expr) -> bool {
    let Expr::Call(call) = arg else {
        return false;
    };
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    ends_with(&func.path, &["detached"]) || ends_with(&func.path, &["detached_blocking"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn kind(call: ExprCall) -> Option<Spawn> {
        spawn_call(&call)
    }

    #[test]
    fn spellings() {
        assert_eq!(kind(parse_quote!(tokio::spawn(f))), Some(Spawn::Future));
        assert_eq!(kind(parse_quote!(::tokio::spawn(f))), Some(Spawn::Future));
        assert_eq!(
            kind(parse_quote!(tokio::task::spawn(f))),
            Some(Spawn::Future)
        );
        assert_eq!(
            kind(parse_quote!(task::spawn_local(f))),
            Some(Spawn::Future)
        );
        assert_eq!(
            kind(parse_quote!(tokio::task::spawn_blocking(|| 1))),
            Some(Spawn::Blocking)
        );
        assert_eq!(
            kind(parse_quote!(task::spawn_blocking(f))),
            Some(Spawn::Blocking)
        );
        assert_eq!(kind(parse_quote!(spawn(f))), None);
        assert_eq!(kind(parse_quote!(spawn_blocking(f))), None);
        assert_eq!(kind(parse_quote!(::task::spawn(f))), None);
        assert_eq!(kind(parse_quote!(std::thread::spawn(f))), None);
        assert_eq!(kind(parse_quote!(tokio::spawn::<F>(f))), None);
        assert_eq!(kind(parse_quote!(tokio::spawn(a, b))), None);
    }

    #[test]
    fn detached_on_purpose() {
        assert_eq!(kind(parse_quote!(tokio::spawn(detached(f)))), None);
        assert_eq!(
            kind(parse_quote!(tokio::spawn(autocancel::detached(f)))),
            None
        );
        assert_eq!(
            kind(parse_quote!(tokio::task::spawn_blocking(
                detached_blocking(f)
            ))),
            None
        );
    }
}
