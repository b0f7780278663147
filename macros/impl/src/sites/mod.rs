//! The sites the rewrite (`rewrite.rs`) changes as it walks the function's own control flow,
//! besides the loops it checkpoints and the `.await`s it races (both in `rewrite.rs`): each
//! module recognises its site by spelling (see `spelling.rs`) or by shape and says what it
//! becomes; the generated code itself is `emit.rs`'s.
//!
//! - `select`, `join`: `tokio::select!` with a cancellation branch; `join!`/`try_join!` and
//!   futures' `select!` raced as one await;
//! - `macro_args`: macros whose arguments are expressions (`println!`, `assert!`, tracing's),
//!   rewritten like the body;
//! - `spawn`, `method_spawn`: spawn calls and tokio's spawn methods, whose task inherits the
//!   function's context; `foreign_spawns`: the spawns in closures and unrewritten `async`
//!   blocks, which inherit the ambient context when they run;
//! - `sleep`, `blocking_wait`: `std::thread::sleep` and the blocking waits of a blocking `fn`;
//! - `async_block`: the `async` blocks and blocking closures with no value of their own, which
//!   are rewritten as bodies of their own; `stream`: async-stream's `stream!` bodies, rewritten
//!   as such a block;
//! - `shield`: the `#[shield]` marker.

pub(crate) mod async_block;
pub(crate) mod blocking_wait;
pub(crate) mod foreign_spawns;
pub(crate) mod join;
pub(crate) mod macro_args;
pub(crate) mod method_spawn;
pub(crate) mod select;
pub(crate) mod shield;
pub(crate) mod sleep;
pub(crate) mod spawn;
pub(crate) mod stream;
