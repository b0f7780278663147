//! The expansion of `#[cancellable]`, the attribute of the
//! [`autocancel`](https://docs.rs/autocancel) crate.
//!
//! **Not a stable API.** This crate is published only because `autocancel-macros` (the
//! proc-macro entry) depends on it, pinned to the same version. Its functions exist for that
//! crate and for autocancel's own fuzz target and tools; they may change in any release. Use
//! the attribute through `autocancel::cancellable`.
//!
//! The expansion works on `proc_macro2` tokens, in plain modules:
//!
//! - `expand`: the top level, and error reporting; `args`: the attribute's arguments
//!   (`crate = path`, `ctx = name`); `ctx_param`: which parameter holds the context, if any;
//! - `find_body/`: which block to rewrite, found inside other macros' output: `tokio` (bodies
//!   `#[tokio::main]`/`#[tokio::test]` already expanded), `future_body` (a returned `async`
//!   block), `async_trait` (`#[async_trait]` methods), `instrument` (`#[tracing::instrument]`);
//! - `own_flow`: what the function's own control flow is, for every walk of the body: the parts
//!   that are not (const contexts, closures, `async` blocks, nested items, macros' tokens) and
//!   what each walk does there;
//! - `rewrite`: the walk of the body that checkpoints loops, races awaits and hands every other
//!   site to its module in `sites/` (select!/join!, macro arguments, spawns, sleeps, blocking
//!   waits, `async` blocks, `#[shield]`);
//! - `reach`: never silent: the loops and waits the rewrite declined to enter (the rewrite
//!   records them as it goes), an error when they are all the function has;
//! - `spelling`: path matching by spelling, for every site;
//! - `emit`: the generated snippets.

#![forbid(unsafe_code)]

mod args;
mod ctx_param;
mod emit;
mod expand;
mod find_body;
mod own_flow;
mod reach;
mod rewrite;
mod sites;
mod spelling;

use proc_macro2::TokenStream;

/// Expands `#[cancellable(attr)] item`: the rewritten function, or on any error the function
/// unchanged (its `#[shield]` markers removed) beside the `compile_error!`s. Never panics.
///
/// What `autocancel-macros` runs for the attribute; the fuzz target and `tools/annotate` run
/// it on token streams of their own.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::cancellable(attr, item)
}

/// Whether an `async` block has no value of its own by its shape: as a spawn's argument, the
/// blocks the rewrite enters; the others are aborted at the cancellation. For `tools/annotate`.
pub fn is_unit_shaped(block: &syn::ExprAsync) -> bool {
    sites::async_block::is_unit_shaped(block)
}

/// Whether the rewrite enters an `async` block (when the function's context is the ambient
/// one): one with no value of its own by its shape, or one spelled `Result<_, E>` by its tail's
/// turbofish. For `tools/annotate`, which counts the loops and waits of the other blocks as out
/// of the macro's reach.
pub fn is_rewritten(block: &syn::ExprAsync) -> bool {
    sites::async_block::is_rewritten(block)
}

/// Functions that return their body as a future (`-> impl Future<Output = T>`, a boxed future):
/// the `async` block the body ends with, and `T` as the return type spells it. For
/// `tools/annotate`, which annotates such functions as the macro reads them.
pub mod future_body {
    use proc_macro2::TokenStream;
    use syn::{Block, ReturnType};

    /// The `async` block the body ends with (`async {..}`, or as the argument of `Box::pin`).
    pub fn returned_async_block(body: &mut Block) -> Option<&mut Block> {
        crate::find_body::future_body::returned_async_block(body)
    }

    /// `T` in `impl Future<Output = T>`, a boxed `dyn Future<Output = T>` or `BoxFuture<'_, T>`.
    pub fn output_type(output: &ReturnType) -> Option<TokenStream> {
        crate::find_body::future_body::output_type(output)
    }
}
