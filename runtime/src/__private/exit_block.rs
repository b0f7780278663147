//! How a cancelled `async` block inside a `#[cancellable]` function ends: [`exit_block`].
//!
//! The macro cannot see types, and an `async` block whose body is a `loop` without `break` has
//! the type `!`: its output is whatever the surrounding code needs
//! (`JoinHandle<io::Result<()>>`, `BoxFuture<'_, Result<T, E>>`, or nothing at all). So the
//! generated `return exit_block(c)` leaves the output to inference, and [`ExitBlock`] covers
//! every type an output can then be:
//!
//! - an [`Exit`] type (`Result<T, E: From<Cancelled>>`, `Option<T>`, `()`), returned as for a
//!   function;
//! - `!` itself, which is what an unconstrained output falls back to in edition 2024 (edition
//!   2021 falls back to `()`): no value of it exists, so the block ends by unwinding with the
//!   [`Cancelled`] as the payload, through [`std::panic::resume_unwind`], which does not run the
//!   panic hook (nothing is printed). A spawned task then ends with a `JoinError` whose
//!   `into_panic()` is the `Cancelled`.

use super::Exit;
use crate::Cancelled;

/// A type the output of a rewritten `async` block can be: see the module docs.
#[diagnostic::on_unimplemented(
    message = "`#[cancellable]` cannot end this `async` block or closure with a cancellation as `{Self}`",
    label = "its output is `{Self}`, set by the code around it",
    note = "#[cancellable] rewrites the loops of an `async` block (or a closure handed to `spawn_blocking`) that has no value of its own, such as a `loop` without `break`: make the code around it expect `Result<T, E>` where `E: From<autocancel::Cancelled>`, `Option<T>` or `()`, or move the loop into a #[cancellable] fn of that return type"
)]
pub trait ExitBlock {
    /// The value the block returns when cancelled.
    fn exit_block(cancelled: Cancelled) -> Self;
}

// Not recommended (as in `exit.rs`): the error is then this trait's, which says what to do.
#[diagnostic::do_not_recommend]
impl<T: Exit> ExitBlock for T {
    #[inline]
    fn exit_block(cancelled: Cancelled) -> Self {
        T::exit(cancelled)
    }
}

/// Names `!` on stable Rust: the output type of a `fn() -> !`.
pub trait HasOutput {
    /// The function pointer's return type.
    type Output;
}

impl<T> HasOutput for fn() -> T {
    type Output = T;
}

/// The never type, `!`.
pub type Never = <fn() -> ! as HasOutput>::Output;

#[diagnostic::do_not_recommend]
impl ExitBlock for Never {
    #[cold]
    fn exit_block(cancelled: Cancelled) -> Self {
        std::panic::resume_unwind(Box::new(cancelled))
    }
}

/// `return exit_block(c)`: the block's output picks the [`ExitBlock`] impl by inference.
#[inline]
pub fn exit_block<R: ExitBlock>(cancelled: Cancelled) -> R {
    R::exit_block(cancelled)
}

/// `return exit_pending(c, cx)`: how a cancelled loop checkpoint ends a poll of the closure of
/// a `poll_fn(..)` whose `.await` the function races. `Poll::Pending`, whatever the closure's
/// output: the race around the `.await` checks the same (ambient) context as soon as its future
/// returns `Pending`, finds the cancellation and ends the function with it.
///
/// The task is woken all the same. A check fails only once its context is cancelled (a cut of
/// `autocancel::testing` cancels the test's root first), so the race finds it; were it ever not
/// to, the task would otherwise wait for good, with nothing to wake it. With the wake-up the
/// next poll runs the closure again; after a cancellation it costs one poll of a task that has
/// moved on.
#[inline]
pub fn exit_pending<T>(
    cancelled: Cancelled,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<T> {
    drop(cancelled);
    cx.waker().wake_by_ref();
    std::task::Poll::Pending
}
