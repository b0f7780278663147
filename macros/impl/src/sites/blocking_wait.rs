//! Blocking waits in a blocking `fn`, made to end at the cancellation as `std::thread::sleep`
//! is (see `sleep.rs`): each becomes the runtime's `__private::blocking` wait on the function's
//! own context, `match wait(&scope, ..) { Ok(v) => v, Err(c) => return exit(c) }`.
//!
//! Before name resolution the macro goes by spelling:
//!
//! - `std::thread::park()`, `thread::park()`;
//! - tokio's `blocking_recv()`, `blocking_send(v)`, `blocking_lock()`, `blocking_read()`,
//!   `blocking_write()` methods (names no other common type has): `block_on` of their async
//!   counterparts (`recv()`, `send(v)`, `lock()`, `read()`, `write()`);
//! - std's `.recv()`, `.recv_timeout(d)`, `.join()` and `.wait(guard)` methods: names other
//!   types share (crossbeam's and flume's `recv`), so the runtime's wait takes the receiver
//!   through a trait implemented for std's type only, whose error for another type names the
//!   attribute and says to mark the call `#[shield]` to keep it as written.
//!
//! In an `async fn` these are left alone (`.recv()` there is tokio's, awaited and raced).

use crate::spelling::Spelling;
use syn::{ExprCall, ExprMethodCall};

/// A recognised blocking wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Wait {
    /// `thread::park()`.
    Park,
    /// tokio's `blocking_recv()`.
    TokioRecv,
    /// tokio's `blocking_send(v)`, `blocking_lock()`, `blocking_read()`, `blocking_write()`:
    /// `block_on` of this async method.
    TokioMethod(&'static str),
    /// std's `.recv()`, `.recv_timeout(d)`, `.join()`, `.wait(guard)`: the runtime function of
    /// this name.
    Std(&'static str),
}

/// `std::thread::park()` or `thread::park()`.
pub(crate) fn park_call(call: &ExprCall) -> Option<Wait> {
    if !call.args.is_empty() {
        return None;
    }
    let spelling = Spelling::of_expr(&call.func)?;
    match spelling.names().as_slice() {
        ["std", "thread", "park"] => Some(Wait::Park),
        ["thread", "park"] if spelling.relative() => Some(Wait::Park),
        _ => None,
    }
}

/// A blocking method call, by its name and number of arguments.
pub(crate) fn method_wait(call: &ExprMethodCall) -> Option<Wait> {
    if call.turbofish.is_some() {
        return None;
    }
    Some(match (call.method.to_string().as_str(), call.args.len()) {
        ("blocking_recv", 0) => Wait::TokioRecv,
        ("blocking_send", 1) => Wait::TokioMethod("send"),
        ("blocking_lock", 0) => Wait::TokioMethod("lock"),
        ("blocking_read", 0) => Wait::TokioMethod("read"),
        ("blocking_write", 0) => Wait::TokioMethod("write"),
        ("recv", 0) => Wait::Std("recv"),
        ("recv_timeout", 1) => Wait::Std("recv_timeout"),
        ("join", 0) => Wait::Std("join"),
        ("wait", 1) => Wait::Std("wait"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn spellings() {
        assert_eq!(
            park_call(&parse_quote!(std::thread::park())),
            Some(Wait::Park)
        );
        assert_eq!(park_call(&parse_quote!(thread::park())), Some(Wait::Park));
        assert_eq!(park_call(&parse_quote!(park())), None);
        assert_eq!(park_call(&parse_quote!(thread::park(x))), None);
        let m = |call: ExprMethodCall| method_wait(&call);
        assert_eq!(m(parse_quote!(rx.blocking_recv())), Some(Wait::TokioRecv));
        assert_eq!(
            m(parse_quote!(tx.blocking_send(v))),
            Some(Wait::TokioMethod("send"))
        );
        assert_eq!(m(parse_quote!(rx.recv())), Some(Wait::Std("recv")));
        assert_eq!(m(parse_quote!(h.join())), Some(Wait::Std("join")));
        assert_eq!(m(parse_quote!(cv.wait(g))), Some(Wait::Std("wait")));
        assert_eq!(m(parse_quote!(parts.join(","))), None);
        assert_eq!(m(parse_quote!(child.wait())), None);
    }
}
