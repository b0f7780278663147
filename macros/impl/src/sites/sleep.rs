//! Recognising `std::thread::sleep` calls.
//!
//! The macro runs before name resolution, so it can only go by spelling: `std::thread::sleep`,
//! `::std::thread::sleep` and `thread::sleep` (after `use std::thread;`). A bare `sleep(..)` is
//! left alone: it is as likely to be `tokio::time::sleep` or the user's own function.

use crate::spelling::Spelling;
use syn::{Expr, ExprCall};

/// A recognised `std::thread::sleep(dur)` call.
pub(crate) struct ThreadSleep<'a> {
    /// Its one argument.
    pub dur: &'a Expr,
    /// The path, when spelled `thread::sleep`: it relies on a `use std::thread;` that must not
    /// become unused once the call is rewritten.
    pub imported: Option<&'a Expr>,
}

/// Is `call` a call of `std::thread::sleep` with its one argument?
pub(crate) fn thread_sleep(call: &ExprCall) -> Option<ThreadSleep<'_>> {
    if call.args.len() != 1 {
        return None;
    }
    let spelling = Spelling::of_expr(&call.func)?;
    let imported = match spelling.names().as_slice() {
        ["std", "thread", "sleep"] => None,
        ["thread", "sleep"] if spelling.relative() => Some(&*call.func),
        _ => return None,
    };
    Some(ThreadSleep {
        dur: &call.args[0],
        imported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn is_sleep(call: ExprCall) -> bool {
        thread_sleep(&call).is_some()
    }

    #[test]
    fn imported_spelling_is_kept() {
        let call: ExprCall = parse_quote!(thread::sleep(d));
        assert!(thread_sleep(&call).unwrap().imported.is_some());
        let call: ExprCall = parse_quote!(std::thread::sleep(d));
        assert!(thread_sleep(&call).unwrap().imported.is_none());
    }

    #[test]
    fn spellings() {
        assert!(is_sleep(parse_quote!(std::thread::sleep(d))));
        assert!(is_sleep(parse_quote!(::std::thread::sleep(d))));
        assert!(is_sleep(parse_quote!(thread::sleep(Duration::from_secs(
            1
        )))));
        assert!(!is_sleep(parse_quote!(sleep(d))));
        assert!(!is_sleep(parse_quote!(tokio::time::sleep(d))));
        assert!(!is_sleep(parse_quote!(::thread::sleep(d))));
        assert!(!is_sleep(parse_quote!(std::thread::sleep(a, b))));
        assert!(!is_sleep(parse_quote!(my::thread::sleep(d))));
    }
}
