//! Methods `#[async_trait]` (also `tonic::async_trait`, a re-export) already expanded.
//!
//! `#[async_trait]` sits on the `impl` or `trait` block, so it always expands before a
//! `#[cancellable]` on one of its methods. async-trait 0.1.x turns `async fn f(&self, x: X) -> R`
//! into a plain `fn` returning `Pin<Box<dyn Future<Output = R> + Send + 'async_trait>>` whose
//! body is (0.1.92):
//!
//! ```text
//! Box::pin(async move {
//!     if let Some(__ret) = None::<R> { return __ret; }   // a return-type hint
//!     let __self = self;                                 // parameters rebound ...
//!     let x = x;
//!     let __ret: R = { <body, `self` renamed `__self`> }; // `let _: () = {..};` for `()`
//!     __ret
//! })
//! ```
//!
//! Older 0.1.x versions put the rebinding `let`s first inside the `{ <body> }` block. The
//! `Box::pin(async move ..)` is found by `future_body`; this module finds `<body>` inside it,
//! and says whether `self` is spelled `__self` there (for `#[cancellable(ctx = self)]`).

use syn::{Block, Expr, Pat, Stmt, Type};

/// The user's body inside the `async move` block async-trait returns.
pub(crate) fn user_body(block: &mut Block) -> Option<&mut Block> {
    block.stmts.iter_mut().rev().find_map(|stmt| {
        let Stmt::Local(local) = stmt else {
            return None;
        };
        let Pat::Type(typed) = &local.pat else {
            return None;
        };
        let is_ret = match (&*typed.pat, &*typed.ty) {
            (Pat::Ident(ident), _) => ident.ident == "__ret",
            (Pat::Wild(_), Type::Tuple(unit)) => unit.elems.is_empty(),
            _ => false,
        };
        let init = local.init.as_mut()?;
        match &mut *init.expr {
            Expr::Block(body) if is_ret && init.diverge.is_none() => Some(&mut body.block),
            _ => None,
        }
    })
}

/// Whether `block` has async-trait's `let __self = self;` among its statements.
pub(crate) fn renames_self(block: &Block) -> bool {
    block
        .stmts
        .iter()
        .any(|stmt| matches!(rebinding(stmt), Some((to, from)) if to == "__self" && from == "self"))
}

/// How many statements at the start of `block` only rebind a parameter (`let x = x;`,
/// `let mut __self = self;`): the context parameter is read after them.
pub(crate) fn prelude_len(block: &Block) -> usize {
    block
        .stmts
        .iter()
        .take_while(|stmt| rebinding(stmt).is_some())
        .count()
}

/// `let [mut] to = from;` with both sides plain names.
fn rebinding(stmt: &Stmt) -> Option<(String, String)> {
    let Stmt::Local(local) = stmt else {
        return None;
    };
    let Pat::Ident(to) = &local.pat else {
        return None;
    };
    let init = local.init.as_ref()?;
    if init.diverge.is_some() || to.subpat.is_some() || to.by_ref.is_some() {
        return None;
    }
    let Expr::Path(from) = &*init.expr else {
        return None;
    };
    let from = from.path.get_ident()?;
    Some((to.ident.to_string(), from.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    #[test]
    fn finds_the_body_after_the_rebindings() {
        let mut b: Block = parse_quote!({
            if let ::core::option::Option::Some(__ret) = ::core::option::Option::None::<u32> {
                return __ret;
            }
            let __self = self;
            let ctx = ctx;
            let __ret: u32 = { __self.go(ctx) };
            __ret
        });
        assert!(renames_self(&b));
        let body = user_body(&mut b).unwrap();
        assert_eq!(body.to_token_stream().to_string(), "{ __self . go (ctx) }");
        let mut b: Block = parse_quote!({
            let _: () = {
                let mut __self = self;
                let x = x;
                work(x)
            };
        });
        let body = user_body(&mut b).unwrap();
        assert!(renames_self(body));
        assert_eq!(prelude_len(body), 2);
    }

    #[test]
    fn other_blocks_are_not_bodies() {
        let mut b: Block = parse_quote!({
            let x: u32 = { 1 };
            let _: u32 = { 2 };
            x
        });
        assert!(user_body(&mut b).is_none());
    }
}
