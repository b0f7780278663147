// Without the `testing` feature: no context is ever under a cancellation test, and the compiler
// knows it (`Cuts` has no values: `ctx/mod.rs`), so the branches the hooks add compile to
// nothing. (Not `//!`: the module's documentation is the one on its declaration in lib.rs.)

pub(crate) use crate::ctx::Cuts;
use crate::Ctx;

#[inline(always)]
pub(crate) fn cuts_of(ctx: &Ctx) -> Option<&Cuts> {
    ctx.cuts()
}
