//! Recognising `std::thread::sleep` calls.
//!
//! The macro runs before name resolution, so it can only go by spelling: `std::thread::sleep`,
//! `::std::thread::sleep` and `thread::sleep` (after `use std::thread;`). A bare `sleep(..)` is
//! left alone: it is as likely to be `tokio::time::sleep` or the user's own function.

use syn::{Expr, ExprCall};

/// Is `call` a call of `std::thread::sleep` with its one argument? Returns the argument.
pub(crate) fn thread_sleep_arg(call: &ExprCall) -> Option<&Expr> {
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    if func.qself.is_some() || call.args.len() != 1 {
        return None;
    }
    let path = &func.path;
    if path.segments.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let matches = match names.as_slice() {
        ["std", "thread", "sleep"] => true,
        ["thread", "sleep"] => path.leading_colon.is_none(),
        _ => false,
    };
    matches.then(|| &call.args[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn is_sleep(call: ExprCall) -> bool {
        thread_sleep_arg(&call).is_some()
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
