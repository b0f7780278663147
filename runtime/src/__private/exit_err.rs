//! How a cancelled `async` block whose output is spelled `Result<_, E>` ends: [`exit_err`].
//!
//! A block with a value of its own is rewritten only when the macro can read its output type:
//! its tail is `Ok::<T, E>(..)` or `Err::<T, E>(..)` (a turbofish, as code writes when nothing
//! else tells rustc what `?` converts into). The block then ends with `Err(E::from(c))`, when
//! `E: From<Cancelled>`. When it is not, the block must still compile and run as written: the
//! probe below says so at compile time (autoref specialisation: the by-value impl, bounded by
//! `E: From<Cancelled>`, is picked before the by-reference one, which holds for every `E`), and
//! the block's call is then made on the never-cancelled root ([`Call::ambient_if`]), so that no
//! check of it ever takes the exit it does not have.
//!
//! [`Call::ambient_if`]: super::Call::ambient_if

use crate::Cancelled;
use std::marker::PhantomData;

/// The probe: `(&ErrExit::<E>::new()).exit()` is `Some(E::from)` when `E: From<Cancelled>`,
/// `None` otherwise (with [`ViaFrom`] and [`NoExit`] in scope).
pub struct ErrExit<E>(PhantomData<fn() -> E>);

impl<E> ErrExit<E> {
    /// The probe for `E`.
    #[inline(always)]
    pub const fn new() -> ErrExit<E> {
        ErrExit(PhantomData)
    }
}

impl<E> Default for ErrExit<E> {
    fn default() -> Self {
        ErrExit::new()
    }
}

/// `E: From<Cancelled>`: the block can end with `Err(E::from(c))`. Picked first, by value.
pub trait ViaFrom<E> {
    /// `Some(E::from)`.
    fn exit(&self) -> Option<fn(Cancelled) -> E>;
}

impl<E: From<Cancelled>> ViaFrom<E> for ErrExit<E> {
    #[inline(always)]
    fn exit(&self) -> Option<fn(Cancelled) -> E> {
        Some(E::from)
    }
}

/// Any other `E`: the block has no exit. Picked only through the autoref, when [`ViaFrom`] does
/// not apply.
pub trait NoExit<E> {
    /// `None`.
    #[inline(always)]
    fn exit(&self) -> Option<fn(Cancelled) -> E> {
        None
    }
}

impl<E> NoExit<E> for &ErrExit<E> {}

/// `return Err(exit_err(exit, c))`: the cancellation as the block's error type.
///
/// # Panics
///
/// Never when called as the macro does: with no exit (`None`), the block's call checks the
/// never-cancelled root, so no check of it fails.
#[inline]
pub fn exit_err<E>(exit: Option<fn(Cancelled) -> E>, cancelled: Cancelled) -> E {
    match exit {
        Some(exit) => exit(cancelled),
        None => unreachable!("a block with no exit checks the never-cancelled root: {cancelled}"),
    }
}

#[cfg(test)]
// The borrow is the point: the by-reference impl is the fallback (autoref specialisation).
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Takes(#[allow(dead_code)] Cancelled);
    impl From<Cancelled> for Takes {
        fn from(c: Cancelled) -> Self {
            Takes(c)
        }
    }
    struct Refuses;

    #[test]
    fn the_probe_finds_the_conversion_when_there_is_one() {
        #[allow(unused_imports)]
        use super::{NoExit as _, ViaFrom as _};
        assert!((&ErrExit::<Takes>::new()).exit().is_some());
        assert!((&ErrExit::<std::io::Error>::new()).exit().is_some());
        assert!((&ErrExit::<Refuses>::new()).exit().is_none());
        assert!((&ErrExit::<u32>::new()).exit().is_none());
    }

    #[test]
    fn generic_error_types_without_the_bound_have_no_exit() {
        #[allow(unused_imports)]
        use super::{NoExit as _, ViaFrom as _};
        fn probe<E>() -> bool {
            (&ErrExit::<E>::new()).exit().is_some()
        }
        fn probe_bounded<E: From<Cancelled>>() -> bool {
            (&ErrExit::<E>::new()).exit().is_some()
        }
        assert!(!probe::<Takes>());
        assert!(probe_bounded::<Takes>());
    }
}
