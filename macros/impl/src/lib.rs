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
//! - `args`: the attribute's arguments (`crate = path`, `ctx = name`);
//! - `ctx_param`: which parameter holds the context, if any;
//! - `body`: which block to rewrite, through other macros' wrappers: `tokio` (bodies
//!   `#[tokio::main]`/`#[tokio::test]` already expanded), `future_body` (a returned `async`
//!   block), `async_trait` (`#[async_trait]` methods), `instrument` (`#[tracing::instrument]`);
//! - `own_flow`: what the function's own control flow is (the const contexts every walk skips);
//! - `spelling`: path matching by spelling, for every site below;
//! - `rewrite`: the `VisitMut` that inserts checkpoints, races awaits and handles `#[shield]`;
//! - `reach`: never silent: the loops and waits the rewrite declined to enter (the rewrite
//!   records them as it goes), an error when they are all the function has;
//! - the sites, by spelling: `shield` (the `#[shield]` marker), `sleep` (`std::thread::sleep`),
//!   `blocking_wait` (blocking waits), `select`, `join` (and futures' `select!`), `macro_args`
//!   (macros whose arguments are expressions), `spawn`, `method_spawn` (spawn calls and tokio's
//!   spawn methods), `foreign_spawns` (spawns in closures), `async_block` (the blocks and
//!   closures with no value of their own);
//! - `emit`: the generated snippets;
//! - `expand`: the top level, and error reporting.

#![forbid(unsafe_code)]

mod args;
mod async_block;
mod async_trait;
mod blocking_wait;
mod body;
mod ctx_param;
mod emit;
mod expand;
mod foreign_spawns;
mod future_body;
mod instrument;
mod join;
mod macro_args;
mod method_spawn;
mod own_flow;
mod reach;
mod rewrite;
mod select;
mod shield;
mod sleep;
mod spawn;
mod spelling;
mod tokio;

use proc_macro2::TokenStream;

/// Expands `#[cancellable(attr)] item`: the rewritten function, or on any error the function
/// unchanged (its `#[shield]` markers removed) beside the `compile_error!`s. Never panics.
///
/// What `autocancel-macros` runs for the attribute; the fuzz target and `tools/annotate` run
/// it on token streams of their own.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::cancellable(attr, item)
}

/// Whether an `async` block has no value of its own by its shape, the blocks the rewrite
/// enters (when the function's context is the ambient one): for `tools/annotate`, which counts
/// the loops and waits of the other blocks as out of the macro's reach.
pub fn is_unit_shaped(block: &syn::ExprAsync) -> bool {
    async_block::is_unit_shaped(block)
}
