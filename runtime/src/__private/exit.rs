//! How a cancelled function returns: decided by its return type through a trait, not by parsing
//! type names, so aliases such as `io::Result<T>` and `anyhow::Result<T>` work.

use crate::Cancelled;

/// A return type a `#[cancellable]` function can return a cancellation through.
#[diagnostic::on_unimplemented(
    message = "`#[cancellable]` cannot return a cancellation as `{Self}`",
    label = "the cancellation must be returned through this function's return type",
    note = "return `Result<T, E>` where `E: From<autocancel::Cancelled>` (e.g. `Result<T, Cancelled>`, `io::Result<T>`, `anyhow::Result<T>`), `Option<T>`, or `()`"
)]
pub trait Exit {
    /// The value the function returns when cancelled.
    fn exit(cancelled: Cancelled) -> Self;
}

// Not recommended: when `E: From<Cancelled>` does not hold, rustc then reports `Exit` as
// unimplemented for the whole `Result` (with this trait's message, which says what to do)
// rather than only "`String: From<Cancelled>` is not satisfied".
#[diagnostic::do_not_recommend]
impl<T, E: From<Cancelled>> Exit for Result<T, E> {
    #[inline]
    fn exit(cancelled: Cancelled) -> Self {
        Err(E::from(cancelled))
    }
}

// Not listed as "other types that implement `Exit`" in the error either (that list would point
// into this file): the trait's note says what the supported types are.
#[diagnostic::do_not_recommend]
impl<T> Exit for Option<T> {
    #[inline]
    fn exit(_: Cancelled) -> Self {
        None
    }
}

#[diagnostic::do_not_recommend]
impl Exit for () {
    #[inline]
    fn exit(_: Cancelled) -> Self {}
}

/// `return exit(c)`: the return type picks the [`Exit`] impl by inference.
#[inline]
pub fn exit<R: Exit>(cancelled: Cancelled) -> R {
    R::exit(cancelled)
}
