//! Which block `#[cancellable]` rewrites: the function's own body, found through the wrappers
//! other macros put around it when they expanded first, and through a returned `async` block.
//!
//! | the annotated item                                   | the block rewritten                 |
//! |------------------------------------------------------|-------------------------------------|
//! | `async fn`                                           | its body                            |
//! | `fn` made by `#[tokio::main]`/`#[tokio::test]`       | the `async` block (`tokio`)         |
//! | ... then instrumented by `#[tracing::instrument]`     | the same block                      |
//! | `fn` ending in `async move {..}`/`Box::pin(async ..)` | that block (`future_body`)         |
//! | ... made so by `#[async_trait]`                      | the body inside it (`async_trait`)  |
//! | body made by `#[tracing::instrument]`                | the body inside it (`instrument`)   |
//! | any other `fn`                                       | its body, as a blocking function    |
//!
//! Layers combine (`#[instrument]` on an `#[async_trait]` method is tracing's wrapper inside
//! async-trait's). Each layer is recognised by the structure its macro generates, not by the
//! attribute's name, which is gone once it has expanded.

mod async_trait;
pub(crate) mod future_body;
mod instrument;
mod tokio;

use crate::expand::mentions_impl;
use crate::rewrite::Flavor;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Block, ItemFn, ReturnType, Stmt};

/// The block to rewrite, and how.
pub(crate) struct Body<'a> {
    pub(crate) block: &'a mut Block,
    pub(crate) flavor: Flavor,
    /// `Some(T)` to spell `exit::<T>` where rustc cannot see the function's return type from
    /// inside the block (an `async` block whose type a coercion or an `.await` hides).
    pub(crate) exit_ty: Option<TokenStream>,
    /// async-trait renamed `self` to `__self` inside the block.
    pub(crate) self_renamed: bool,
    /// How many statements at the start of `block` to keep before the scope is declared
    /// (async-trait's parameter rebindings, which the scope may read).
    pub(crate) scope_at: usize,
    /// Statements that run before the returned `async` block, when the function builds its
    /// future by hand: they are not rewritten (see `reach`).
    pub(crate) before: Vec<Stmt>,
}

/// Finds the block of `func` to rewrite.
pub(crate) fn find(func: &mut ItemFn) -> Body<'_> {
    // The return type spelled out, for `exit::<T>` (unless it is an `impl Trait`, which cannot
    // be spelled in a turbofish: inference is left to do its best).
    let fn_ret = match &func.sig.output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) => {
            let ty = ty.to_token_stream();
            (!mentions_impl(ty.clone())).then_some(ty)
        }
    };
    if func.sig.asyncness.is_some() {
        let (block, peeled) = instrumented_async(&mut func.block);
        return Body::new(block, Flavor::Async, fn_ret.filter(|_| peeled));
    }
    if tokio::original_body(func).is_some() {
        let body = tokio::original_body(func).expect("checked above");
        let (block, _) = instrumented_async(body);
        return Body::new(block, Flavor::Async, fn_ret);
    }
    if future_body::returned_async_block(&mut func.block).is_some() {
        let output = future_body::output_type(&func.sig.output);
        let stmts = &func.block.stmts;
        let before = stmts[..stmts.len() - 1].to_vec();
        let future = future_body::returned_async_block(&mut func.block).expect("checked above");
        let (mut block, _) = instrumented_async(future);
        let mut self_renamed = async_trait::renames_self(block);
        if async_trait::user_body(block).is_some() {
            block = async_trait::user_body(block).expect("checked above");
        }
        self_renamed |= async_trait::renames_self(block);
        let scope_at = async_trait::prelude_len(block);
        return Body {
            self_renamed,
            scope_at,
            before,
            ..Body::new(block, Flavor::Async, output)
        };
    }
    let mut block = &mut *func.block;
    let mut peeled = false;
    if instrument::blocking_body(block).is_some() {
        block = instrument::blocking_body(block).expect("checked above");
        peeled = true;
    }
    if instrument::strip_return_hint(block).is_some() {
        block = instrument::strip_return_hint(block).expect("checked above");
    }
    // `#[tokio::main]` above `#[tracing::instrument]`: tracing instrumented tokio's blocking fn.
    if peeled && tokio::original_body_in(block).is_some() {
        let body = tokio::original_body_in(block).expect("checked above");
        return Body::new(body, Flavor::Async, fn_ret);
    }
    Body::new(block, Flavor::Blocking, fn_ret.filter(|_| peeled))
}

/// `block`, or the body `#[tracing::instrument]` wrapped in it; and whether it was wrapped.
fn instrumented_async(mut block: &mut Block) -> (&mut Block, bool) {
    let mut peeled = false;
    if instrument::async_body(block).is_some() {
        block = instrument::async_body(block).expect("checked above");
        peeled = true;
    }
    if instrument::strip_return_hint(block).is_some() {
        block = instrument::strip_return_hint(block).expect("checked above");
    }
    (block, peeled)
}

impl<'a> Body<'a> {
    fn new(block: &'a mut Block, flavor: Flavor, exit_ty: Option<TokenStream>) -> Self {
        Body {
            block,
            flavor,
            exit_ty,
            self_renamed: false,
            scope_at: 0,
            before: Vec::new(),
        }
    }
}
