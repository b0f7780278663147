//! The `#[shield]` marker: a critical section with no checkpoints inside.
//!
//! `#[shield]` is not a real attribute: it only has meaning inside a `#[cancellable]` body,
//! which removes it before rustc resolves attributes. The section it marks gets no checkpoint
//! and no raced `.await`, and runs while holding the runtime's `shield()` guard so that nothing
//! else (a group's straggler abort, a runtime `checkpoint`) cuts it short either.

use crate::own_flow::{own_flow, OwnFlowMut};
use crate::sites::async_block::is_rewritten;
use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Arm, Attribute, Expr, ExprAsync, Local, Meta, StmtMacro};

/// Removes every `#[shield]` from `attrs`; returns the span of the first, if any.
///
/// `#[shield(...)]` / `#[shield = ..]` are errors: the marker takes no arguments.
pub(crate) fn take_marker(attrs: &mut Vec<Attribute>) -> syn::Result<Option<Span>> {
    let mut found = None;
    let mut error = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident("shield") {
            return true;
        }
        if !matches!(attr.meta, Meta::Path(_)) {
            error = Some(syn::Error::new_spanned(
                &attr.meta,
                "#[shield] takes no arguments: write `#[shield]` before a statement, block or expression",
            ));
        }
        found.get_or_insert(attr.pound_token.spans[0]);
        false
    });
    match error {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

/// The outer attributes of an expression, where `#[shield]` may be.
pub(crate) fn attrs_mut(expr: &mut Expr) -> Option<&mut Vec<Attribute>> {
    Some(match expr {
        Expr::Array(e) => &mut e.attrs,
        Expr::Assign(e) => &mut e.attrs,
        Expr::Async(e) => &mut e.attrs,
        Expr::Await(e) => &mut e.attrs,
        Expr::Binary(e) => &mut e.attrs,
        Expr::Block(e) => &mut e.attrs,
        Expr::Break(e) => &mut e.attrs,
        Expr::Call(e) => &mut e.attrs,
        Expr::Cast(e) => &mut e.attrs,
        Expr::Closure(e) => &mut e.attrs,
        Expr::Const(e) => &mut e.attrs,
        Expr::Continue(e) => &mut e.attrs,
        Expr::Field(e) => &mut e.attrs,
        Expr::ForLoop(e) => &mut e.attrs,
        Expr::Group(e) => &mut e.attrs,
        Expr::If(e) => &mut e.attrs,
        Expr::Index(e) => &mut e.attrs,
        Expr::Infer(e) => &mut e.attrs,
        Expr::Let(e) => &mut e.attrs,
        Expr::Lit(e) => &mut e.attrs,
        Expr::Loop(e) => &mut e.attrs,
        Expr::Macro(e) => &mut e.attrs,
        Expr::Match(e) => &mut e.attrs,
        Expr::MethodCall(e) => &mut e.attrs,
        Expr::Paren(e) => &mut e.attrs,
        Expr::Path(e) => &mut e.attrs,
        Expr::Range(e) => &mut e.attrs,
        Expr::RawAddr(e) => &mut e.attrs,
        Expr::Reference(e) => &mut e.attrs,
        Expr::Repeat(e) => &mut e.attrs,
        Expr::Return(e) => &mut e.attrs,
        Expr::Struct(e) => &mut e.attrs,
        Expr::Try(e) => &mut e.attrs,
        Expr::TryBlock(e) => &mut e.attrs,
        Expr::Tuple(e) => &mut e.attrs,
        Expr::Unary(e) => &mut e.attrs,
        Expr::Unsafe(e) => &mut e.attrs,
        Expr::While(e) => &mut e.attrs,
        Expr::Yield(e) => &mut e.attrs,
        _ => return None,
    })
}

/// Removes the `#[shield]` markers from a function that is emitted unchanged beside a compile
/// error: left in, each would add an "attributes on expressions are experimental" or "cannot
/// find attribute `shield`" error to the one that matters. Enters what the rewrite enters.
pub(crate) struct StripMarkers;

// Closures, nested items and macros' tokens are not entered (see `own_flow.rs`).
impl OwnFlowMut for StripMarkers {
    // The blocks the rewrite enters (see `async_block.rs`).
    fn at_async_block(&mut self, block: &mut ExprAsync) {
        if is_rewritten(block) {
            visit_mut::visit_expr_async_mut(self, block);
        }
    }
}

impl VisitMut for StripMarkers {
    own_flow!(mut);

    fn visit_local_mut(&mut self, local: &mut Local) {
        let _ = take_marker(&mut local.attrs);
        visit_mut::visit_local_mut(self, local);
    }

    fn visit_stmt_macro_mut(&mut self, mac: &mut StmtMacro) {
        let _ = take_marker(&mut mac.attrs);
    }

    fn visit_arm_mut(&mut self, arm: &mut Arm) {
        let _ = take_marker(&mut arm.attrs);
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(attrs) = attrs_mut(expr) {
            let _ = take_marker(attrs);
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn removes_only_shield() {
        let mut attrs: Vec<Attribute> =
            vec![parse_quote!(#[allow(unused)]), parse_quote!(#[shield])];
        assert!(take_marker(&mut attrs).unwrap().is_some());
        assert_eq!(attrs.len(), 1);
        assert!(take_marker(&mut attrs).unwrap().is_none());
    }

    #[test]
    fn strip_markers_everywhere_the_rewrite_goes() {
        let mut f: syn::ItemFn = parse_quote! {
            async fn f() {
                #[shield] let a = 1;
                #[shield] { b() }
                let c = #[shield(x)] d();
                match e { #[shield] _ => {} }
                #[shield] m!();
                let g = || { #[shield] h() };
            }
        };
        StripMarkers.visit_item_fn_mut(&mut f);
        let out = quote::ToTokens::to_token_stream(&f).to_string();
        assert_eq!(out.matches("shield").count(), 1, "{out}");
    }

    #[test]
    fn arguments_are_an_error() {
        let mut attrs: Vec<Attribute> = vec![parse_quote!(#[shield(now)])];
        assert!(take_marker(&mut attrs)
            .unwrap_err()
            .to_string()
            .contains("takes no arguments"));
        assert!(attrs.is_empty());
    }
}
