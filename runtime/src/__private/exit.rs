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

impl<T, E: From<Cancelled>> Exit for Result<T, E> {
    #[inline]
    fn exit(cancelled: Cancelled) -> Self {
        Err(E::from(cancelled))
    }
}

impl<T> Exit for Option<T> {
    #[inline]
    fn exit(_: Cancelled) -> Self {
        None
    }
}

impl Exit for () {
    #[inline]
    fn exit(_: Cancelled) -> Self {}
}

/// `return exit(c)`: the return type picks the [`Exit`] impl by inference.
#[inline]
pub fn exit<R: Exit>(cancelled: Cancelled) -> R {
    R::exit(cancelled)
}
