//! `async_stream::stream! { .. }`: the body of a stream, whose loops and awaits are the
//! function's work as much as an `async` block's.
//!
//! async-stream's `stream!` turns its tokens into an `async` block of output `()` whose `yield x`
//! sends `x` to the stream's consumer, and whose end (or `return`) ends the stream. So its body
//! is rewritten as a `()`-shaped `async` block is (see `async_block.rs`): its own scope on the
//! ambient context of the task that polls the stream (in a function's own task, the function's),
//! its loops checkpointed and its awaits raced; at the cancellation it returns, and the stream
//! ends. Recognised as `stream!` or `async_stream::stream!`, when the tokens parse as statements
//! and the block has no value by its shape.
//!
//! `try_stream!` too: there each `?` becomes "yield `Err(e.into())`, end the stream", so its body
//! is `()` whatever `?`s it holds. At the cancellation it ends the stream as `stream!` does,
//! without an `Err` item: the item's error type is not known here, and one that does not
//! convert from `Cancelled` would break code that compiled.

use crate::sites::async_block::{is_unit_shaped, is_unit_shaped_but_for_try};
use crate::spelling::Spelling;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::Parser;
use syn::{Block, ExprAsync, Macro};

/// The body of a recognised `stream!`, as an `async` block to rewrite, if it parses and has no
/// value of its own by its shape.
pub(crate) fn body(mac: &Macro) -> Option<ExprAsync> {
    let spelling = Spelling::of(&mac.path)?;
    let tries = match spelling.names().as_slice() {
        ["stream"] if spelling.relative() => false,
        ["try_stream"] if spelling.relative() => true,
        ["async_stream", "stream"] => false,
        ["async_stream", "try_stream"] => true,
        _ => return None,
    };
    let stmts = Block::parse_within.parse2(mac.tokens.clone()).ok()?;
    let block: ExprAsync = syn::parse_quote!(async { #(#stmts)* });
    let shaped = if tries {
        is_unit_shaped_but_for_try(&block.block)
    } else {
        is_unit_shaped(&block)
    };
    shaped.then_some(block)
}

/// The macro again, with the (rewritten) body as its tokens.
pub(crate) fn with_body(mac: &Macro, body: &ExprAsync) -> Macro {
    let mut tokens = TokenStream::new();
    for stmt in &body.block.stmts {
        stmt.to_tokens(&mut tokens);
    }
    let mut mac = mac.clone();
    mac.tokens = tokens;
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn recognised_spellings() {
        let m: Macro = parse_quote!(stream! { loop { yield rx.recv().await; } });
        assert!(body(&m).is_some());
        let m: Macro = parse_quote!(async_stream::stream! { for x in xs { yield x; } });
        assert!(body(&m).is_some());
        let m: Macro = parse_quote!(async_stream::try_stream! { yield f().await?; });
        assert!(body(&m).is_some(), "try_stream!'s `?` has no value");
        let m: Macro = parse_quote!(stream! { yield f().await?; });
        assert!(
            body(&m).is_none(),
            "stream!'s `?` is not rewritten by async-stream"
        );
        let m: Macro = parse_quote!(other::stream! { yield 1; });
        assert!(body(&m).is_none());
        let m: Macro = parse_quote!(stream! { not a block + });
        assert!(body(&m).is_none());
    }
}
