//! `join!` and `try_join!` as one raced await: `tokio::join!(a, b)` becomes
//! `race(async { tokio::join!(a, b) }, __cancellable.as_mut()).await`, so that a join of futures that
//! never complete still ends at the cancellation (and drops them).
//!
//! Wrapping does not depend on which crate's macro it is: any `join!` is an expression that must
//! be awaited in an async context, and so is its `async` block. Recognised spellings: `join!` and
//! `try_join!`, bare or under `tokio::`, `::tokio::`, `futures::`, `::futures::` or
//! `futures_util::`; and futures' `select!` and `select_biased!` under `futures::` or
//! `futures_util::` (and a bare `select_biased!`), raced the same way: the whole `select!` ends
//! at the cancellation, its futures dropped (a bare `select!` is taken to be tokio's, see
//! `select.rs`).
//!
//! Left alone: a macro whose arguments contain `?`, `return`, `break` or `continue` (for
//! `select!`, in its handlers: `complete => break` is common). Inside the `async` block they
//! would mean something else (return from the block, or not compile); the loop around such a
//! `select!` still gets its checkpoint, but the `select!` itself waits as written.

use crate::spelling::Spelling;
use proc_macro2::{TokenStream, TokenTree};
use syn::Macro;

/// Whether `mac` is a `join!`/`try_join!` (or futures' `select!`) that can be wrapped in an
/// `async` block.
pub(crate) fn is_join(mac: &Macro) -> bool {
    let Some(spelling) = Spelling::of(&mac.path) else {
        return false;
    };
    let spelled = match spelling.names().as_slice() {
        ["tokio" | "futures" | "futures_util", "join" | "try_join"] => true,
        ["join" | "try_join"] => spelling.relative(),
        ["futures" | "futures_util", "select" | "select_biased"] => true,
        ["select_biased"] => spelling.relative(),
        _ => false,
    };
    spelled && !leaves_the_block(mac.tokens.clone())
}

/// Whether the tokens contain `?`, `return`, `break` or `continue` (anywhere, even inside a
/// closure where it would be harmless: a false positive only leaves the `join!` as written).
fn leaves_the_block(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Ident(i) => i == "return" || i == "break" || i == "continue",
        TokenTree::Group(g) => leaves_the_block(g.stream()),
        TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn spellings() {
        assert!(is_join(&parse_quote!(tokio::join!(a, b))));
        assert!(is_join(&parse_quote!(::tokio::try_join!(a, b))));
        assert!(is_join(&parse_quote!(futures::join!(a, b))));
        assert!(is_join(&parse_quote!(join!(a, b))));
        assert!(is_join(&parse_quote!(try_join!(biased; a, b))));
        assert!(!is_join(&parse_quote!(::join!(a, b))));
        assert!(!is_join(&parse_quote!(my::join!(a, b))));
        assert!(!is_join(&parse_quote!(tokio::select!(a, b))));
        assert!(is_join(&parse_quote!(futures::select! { a = x => {} })));
        assert!(is_join(&parse_quote!(
            futures_util::select_biased! { a = x => {} }
        )));
        assert!(is_join(&parse_quote!(select_biased! { a = x => {} })));
        assert!(!is_join(&parse_quote!(select! { a = x => {} })));
        assert!(!is_join(&parse_quote!(
            futures::select! { a = x => {}, complete => break }
        )));
    }

    #[test]
    fn control_flow_in_the_arguments_is_left_alone() {
        assert!(!is_join(&parse_quote!(tokio::join!(f()?, b))));
        assert!(!is_join(&parse_quote!(tokio::join!(a, async { return 1 }))));
        assert!(!is_join(&parse_quote!(join!(f(if x { break } else { y })))));
        assert!(is_join(&parse_quote!(join!(f(x.await), "return?"))));
    }
}
