//! `tokio::select!` as a checkpoint: its tokens are parsed, a cancellation branch is added (after
//! the user's), the user's branch futures are gated on the cancellation, and its handlers (the function's own
//! control flow) are handed back to the rewrite.
//!
//! The runtime side, and why the branches are gated, is in the runtime's
//! `__private/select.rs`. Recognised spellings: `tokio::select!`, `::tokio::select!` and a bare
//! `select!` (from `use tokio::select;`). A bare `select!` with futures' `default =>` or
//! `complete =>` branches is `futures::select!` and is left alone, as is anything that does not
//! parse as tokio's grammar: tokio then reports it, with its own message.
//!
//! Tokio's grammar, mirrored here (`tokio/src/macros/select.rs`):
//!
//! ```text
//! (biased;)?
//! (pat = fut (, if precondition)? => handler ,?)*     // `,` optional after a block handler
//! (else => expr ,?)?
//! ```

use crate::emit::Emit;
use crate::spelling::Spelling;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::token::Brace;
use syn::{Block, Expr, ExprBlock, Ident, Macro, Pat, Stmt, Token};

/// Tokio's branch mask is a `u64`: 64 branches at most, the cancellation branch included.
const MAX_USER_BRANCHES: usize = 63;

/// Whether `mac` is spelled as tokio's `select!`.
pub(crate) fn is_select(mac: &Macro) -> bool {
    let Some(spelling) = Spelling::of(&mac.path) else {
        return false;
    };
    match spelling.names().as_slice() {
        ["tokio", "select"] => true,
        ["select"] => spelling.relative(),
        _ => false,
    }
}

/// Whether `mac` is spelled `tokio::select!` but is not tokio's grammar: tokio reports it (so
/// it needs no "not reached" error of ours on top).
pub(crate) fn malformed_tokio_select(mac: &Macro) -> bool {
    is_select(mac) && mac.path.segments.len() == 2 && mac.parse_body::<Select>().is_err()
}

/// A parsed `select!` body.
pub(crate) struct Select {
    biased: Option<(Ident, Token![;])>,
    /// The user's branches, in order.
    pub(crate) branches: Vec<Branch>,
    pub(crate) otherwise: Option<Otherwise>,
}

/// `pat = fut, if cond => handler`.
pub(crate) struct Branch {
    pat: Pat,
    eq: Token![=],
    fut: Expr,
    cond: Option<(Token![,], Token![if], Expr)>,
    arrow: Token![=>],
    pub(crate) handler: Expr,
}

/// `else => expr`.
pub(crate) struct Otherwise {
    else_token: Token![else],
    arrow: Token![=>],
    pub(crate) expr: Expr,
}

impl Select {
    /// Parses a `select!`'s tokens; `None` for anything tokio should report itself, and for
    /// selects that cannot take one more branch.
    pub(crate) fn parse(mac: &Macro) -> Option<Select> {
        let select: Select = mac.parse_body().ok()?;
        let branches = select.branches.len();
        (1..=MAX_USER_BRANCHES)
            .contains(&branches)
            .then_some(select)
    }

    /// The `select!` with the cancellation branch and the gates, in a block that declares their
    /// shared state: `{ let __select = ..; tokio::select! { .. } }`. `mac` is the user's macro
    /// (path and delimiter kept); the handlers must have been rewritten already.
    pub(crate) fn emit(self, mac: &Macro, emit: &Emit) -> Expr {
        let span = mac.path.span();
        let (init, select) = emit.select_init(self.branches.len(), span);
        let mut tokens = TokenStream::new();
        if let Some((biased, semi)) = &self.biased {
            tokens.extend(quote!(#biased #semi));
        }
        for branch in &self.branches {
            let Branch {
                pat,
                eq,
                fut,
                cond,
                arrow,
                handler,
            } = branch;
            let fut_span = crate::emit::span_at(fut.span());
            let gated = quote_spanned!(fut_span=> #select.branch(#fut));
            tokens.extend(quote!(#pat #eq #gated));
            if let Some((comma, if_token, cond)) = cond {
                let span = crate::emit::span_at(cond.span());
                let cond = quote_spanned!(span=> #select.enabled(#cond));
                tokens.extend(quote!(#comma #if_token #cond));
            }
            tokens.extend(quote!(#arrow #handler,));
        }
        // Last: the gates already make cancellation win every tie (a gated branch is not polled
        // once the context is cancelled), and a select whose first branch is ready then never
        // polls the cancellation branch at all (see the runtime's `__private/select.rs`).
        tokens.extend(emit.select_branch(&select, span));
        if let Some(Otherwise {
            else_token,
            arrow,
            expr,
        }) = &self.otherwise
        {
            tokens.extend(quote!(#else_token #arrow #expr));
        }
        let mut mac = mac.clone();
        mac.tokens = tokens;
        let brace = Brace(span);
        Expr::Block(ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: Block {
                brace_token: brace,
                stmts: vec![
                    init,
                    Stmt::Expr(
                        Expr::Macro(syn::ExprMacro {
                            attrs: Vec::new(),
                            mac,
                        }),
                        None,
                    ),
                ],
            },
        })
    }
}

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Select> {
        let biased = if input.peek(Ident) && input.peek2(Token![;]) {
            let ident: Ident = input.parse()?;
            if ident != "biased" {
                return Err(syn::Error::new(ident.span(), "not tokio's `biased;`"));
            }
            Some((ident, input.parse()?))
        } else {
            None
        };
        let mut branches = Vec::new();
        let mut otherwise = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                otherwise = Some(Otherwise {
                    else_token: input.parse()?,
                    arrow: input.parse()?,
                    expr: input.parse()?,
                });
                input.parse::<Option<Token![,]>>()?;
                if !input.is_empty() {
                    return Err(input.error("`else` is the last branch"));
                }
                break;
            }
            // futures' `default => ..` and `complete => ..`: not tokio's.
            if input.peek2(Token![=>]) {
                return Err(input.error("not a tokio branch"));
            }
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            if input.peek(Token![=>]) || input.peek(Token![==]) {
                return Err(input.error("expected `=`"));
            }
            let eq = input.parse()?;
            let fut = input.parse()?;
            let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
                Some((input.parse()?, input.parse()?, input.parse()?))
            } else {
                None
            };
            let arrow = input.parse()?;
            // As tokio: a handler that starts with a block is that block, `,` optional.
            let handler = if input.peek(Brace) {
                let block: Block = input.parse()?;
                input.parse::<Option<Token![,]>>()?;
                Expr::Block(ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block,
                })
            } else {
                let handler = input.parse()?;
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
                handler
            };
            branches.push(Branch {
                pat,
                eq,
                fut,
                cond,
                arrow,
                handler,
            });
        }
        Ok(Select {
            biased,
            branches,
            otherwise,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn parse(mac: Macro) -> Option<Select> {
        Select::parse(&mac)
    }

    #[test]
    fn spellings() {
        assert!(is_select(&parse_quote!(tokio::select! {})));
        assert!(is_select(&parse_quote!(::tokio::select! {})));
        assert!(is_select(&parse_quote!(select! {})));
        assert!(!is_select(&parse_quote!(::select! {})));
        assert!(!is_select(&parse_quote!(futures::select! {})));
        assert!(!is_select(&parse_quote!(futures::select_biased! {})));
        assert!(!is_select(&parse_quote!(my::select! {})));
    }

    #[test]
    fn malformed_is_tokios_to_report_only_when_spelled_as_tokios() {
        assert!(malformed_tokio_select(&parse_quote!(
            tokio::select! { v => v }
        )));
        assert!(!malformed_tokio_select(&parse_quote!(select! { v => v })));
        assert!(!malformed_tokio_select(&parse_quote!(
            tokio::select! { v = f => v }
        )));
    }

    #[test]
    fn tokio_grammar() {
        let s = parse(parse_quote!(tokio::select! {
            biased;
            Some(x) = rx.recv(), if open => { use_it(x) }
            _ = sleep(d) => break,
            Ok(v) | Err(v) = f() => v.await,
            else => return None,
        }))
        .unwrap();
        assert!(s.biased.is_some());
        assert_eq!(s.branches.len(), 3);
        assert!(s.branches[0].cond.is_some());
        assert!(s.otherwise.is_some());
        // The last handler may go without a comma.
        let s = parse(parse_quote!(select! { v = f() => v })).unwrap();
        assert_eq!(s.branches.len(), 1);
        let s = parse(parse_quote!(select! { v = f() => { v } w = g() => w })).unwrap();
        assert_eq!(s.branches.len(), 2);
    }

    #[test]
    fn anything_else_is_left_for_tokio_to_report() {
        // futures::select! through a bare `select!`.
        assert!(parse(parse_quote!(select! { v = f => v, default => 0 })).is_none());
        assert!(parse(parse_quote!(select! { v = f => v, complete => 0 })).is_none());
        // Malformed.
        assert!(parse(parse_quote!(select! { v => v })).is_none());
        assert!(parse(parse_quote!(select! { v = f() })).is_none());
        assert!(parse(parse_quote!(select! { v = f() => a b })).is_none());
        assert!(parse(parse_quote!(select! { unbiased; v = f() => v })).is_none());
        assert!(parse(parse_quote!(select! { else => 1, v = f() => v })).is_none());
        // No branch, only `else`: nothing to wait for.
        assert!(parse(parse_quote!(select! { else => 1 })).is_none());
        assert!(parse(parse_quote!(select! {})).is_none());
    }

    #[test]
    fn at_most_63_user_branches() {
        let branches = |n: usize| {
            let b = (0..n).map(|i| quote!(_ = f(#i) => #i,));
            let mac: Macro = parse_quote!(tokio::select! { #(#b)* });
            parse(mac)
        };
        assert!(branches(63).is_some());
        assert!(branches(64).is_none());
    }
}
