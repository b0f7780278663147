//! The ambient context of a thread that users start themselves: [`enter`] until its guard is
//! dropped ([`Ctx::enter`](crate::Ctx::enter)). The runtime's own tasks, blocking ones too, set
//! theirs for the length of a poll or of their body instead ([`scoped::set`](super::scoped::set)),
//! which takes precedence.
//!
//! A `RefCell`, not the scoped pointer: a guard can be dropped by any code holding it, so a
//! reader must hold a borrow while it looks (dropping a guard meanwhile panics rather than
//! freeing what is being read); and guards must be dropped in the reverse order of their
//! creation, which `depth` checks, as tokio's `runtime/context/current.rs` does.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use super::Ambient;

thread_local! {
    static CURRENT: RefCell<Option<Ambient>> = const { RefCell::new(None) };
    /// How many guards are alive on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Calls `f` with the thread's ambient, if any, borrowed for the call.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    if DEPTH.get() == 0 {
        return f(None); // the common case, without the borrow
    }
    CURRENT.with(|current| f(current.borrow().as_ref()))
}

/// Makes `ambient` the thread's until the guard is dropped (restoring the previous one, also
/// when unwinding).
pub(crate) fn enter(ambient: Ambient) -> EnterGuard {
    let previous = CURRENT.with(|current| current.replace(Some(ambient)));
    let depth = DEPTH.get() + 1;
    DEPTH.set(depth);
    EnterGuard {
        previous,
        depth,
        _thread_bound: PhantomData,
    }
}

/// Restores the thread's previous ambient context on drop. See [`Ctx::enter`](crate::Ctx::enter).
///
/// Guards nest: drop them in the reverse order of their creation (as scopes do). Dropping one
/// while a later one is still alive panics (as tokio's `EnterGuard` does) and leaves the
/// thread's context as it is. A guard stays on the thread that created it.
#[must_use = "the context is ambient only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Ambient>,
    /// This guard's place among the thread's live guards (1 for the first).
    depth: usize,
    /// `!Send`: dropped on another thread, it would set that thread's context.
    _thread_bound: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if DEPTH.get() != self.depth {
            if !std::thread::panicking() {
                panic!(
                    "`EnterGuard`s dropped out of order: guards returned by `Ctx::enter` must \
                     be dropped in the reverse order of their creation"
                );
            }
            return;
        }
        DEPTH.set(self.depth - 1);
        let previous = self.previous.take();
        // The replaced ambient is dropped after the borrow ends: dropping a context may run
        // anything that reads the ambient.
        let entered = CURRENT.with(|current| current.replace(previous));
        drop(entered);
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::Ctx;

    #[test]
    fn guards_nest_and_restore() {
        let (a, b) = (Ctx::new(), Ctx::new());
        let ga = a.enter();
        let gb = b.enter();
        assert!(Ctx::current().same_as(&b));
        drop(gb);
        assert!(Ctx::current().same_as(&a));
        drop(ga);
        assert!(!Ctx::current().same_as(&a));
    }

    #[test]
    fn dropping_guards_out_of_order_panics_and_keeps_the_later_context() {
        let (a, b) = (Ctx::new(), Ctx::new());
        let ga = a.enter();
        let gb = b.enter();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(ga)));
        let message = panicked.unwrap_err();
        assert!(message
            .downcast_ref::<&str>()
            .copied()
            .or(message.downcast_ref::<String>().map(String::as_str))
            .is_some_and(|m| m.contains("out of order")));
        assert!(Ctx::current().same_as(&b), "left as it was");
        drop(gb);
    }
}
