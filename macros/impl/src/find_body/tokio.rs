//! Functions that `#[tokio::main]` / `#[tokio::test]` expanded before `#[cancellable]` ran.
//!
//! Attribute macros expand outermost first. With `#[cancellable]` above `#[tokio::main]`, the
//! macro sees the user's `async fn` and rewrites it like any other; tokio then wraps the
//! rewritten body. With `#[cancellable]` *below*, it receives what tokio-macros 2.x made of the
//! function: a plain `fn` whose body is
//!
//! ```text
//! let body = async { <original body> };
//! ...                                   // pinning / a type check
//! { use tokio::runtime::Builder; return Builder::new_..().build().expect(..).block_on(body); }
//! ```
//!
//! Treated as a blocking fn, that body has nothing to rewrite (the `async` block is not entered),
//! and the user's loops and awaits would silently stay uncancellable. So this shape is
//! recognised and the `async` block's body is rewritten as the async function it was: both
//! attribute orders behave the same.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Block, Expr, ItemFn, Local, LocalInit, Pat, Stmt};

/// The original async body inside a function `#[tokio::main]`/`#[tokio::test]` generated.
pub(crate) fn original_body(func: &mut ItemFn) -> Option<&mut Block> {
    if func.sig.asyncness.is_some() {
        return None;
    }
    original_body_in(&mut func.block)
}

/// The same, in a block: the function's body, or the block `#[tracing::instrument]` made of it
/// when written between `#[tokio::main]` and `#[cancellable]`.
pub(crate) fn original_body_in(block: &mut Block) -> Option<&mut Block> {
    let last = block.stmts.last()?;
    if !calls_block_on_body(last.to_token_stream()) {
        return None;
    }
    match block.stmts.first_mut()? {
        Stmt::Local(Local {
            pat: Pat::Ident(pat),
            init:
                Some(LocalInit {
                    expr,
                    diverge: None,
                    ..
                }),
            ..
        }) if pat.ident == "body" && pat.subpat.is_none() => match &mut **expr {
            Expr::Async(block) => Some(&mut block.block),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `tokens` contain `block_on(body)`.
fn calls_block_on_body(tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(i, tt)| match tt {
        TokenTree::Ident(ident) if ident == "block_on" => match tokens.get(i + 1) {
            Some(TokenTree::Group(args)) => args.stream().to_string() == "body",
            _ => false,
        },
        TokenTree::Group(group) => calls_block_on_body(group.stream()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn recognises_tokio_main_output() {
        let mut f: ItemFn = parse_quote! {
            fn main() -> Result<(), Cancelled> {
                let body = async { run().await };
                let body = { body };
                #[allow(clippy::expect_used)]
                {
                    use tokio::runtime::Builder;
                    return Builder::new_multi_thread().enable_all().build().expect("x").block_on(body);
                }
            }
        };
        let body = original_body(&mut f).expect("recognised");
        assert_eq!(body.to_token_stream().to_string(), "{ run () . await }");
    }

    #[test]
    fn ignores_other_functions() {
        let mut f: ItemFn = parse_quote! {
            fn main() { let body = async {}; }
        };
        assert!(original_body(&mut f).is_none());
        let mut f: ItemFn = parse_quote! {
            async fn main() { let body = async {}; rt.block_on(body) }
        };
        assert!(original_body(&mut f).is_none());
        let mut f: ItemFn = parse_quote! {
            fn main() { let body = make(); rt.block_on(body) }
        };
        assert!(original_body(&mut f).is_none());
    }
}
