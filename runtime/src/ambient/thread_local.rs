//! The ambient context of a thread: set by [`enter`] until its guard is dropped (blocking group
//! tasks, [`Ctx::enter`](crate::Ctx::enter)).

use std::cell::RefCell;

use super::Ambient;

thread_local! {
    static CURRENT: RefCell<Option<Ambient>> = const { RefCell::new(None) };
}

/// Calls `f` with the thread's ambient, if any.
pub(super) fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    CURRENT.with(|current| f(current.borrow().as_ref()))
}

/// Sets the thread's ambient context until the guard is dropped (restoring the previous one,
/// also when unwinding).
pub(crate) fn enter(ambient: Ambient) -> EnterGuard {
    let previous = CURRENT.with(|current| current.replace(Some(ambient)));
    EnterGuard {
        previous,
        _thread_bound: std::marker::PhantomData,
    }
}

/// Restores the thread's previous ambient context on drop. See [`Ctx::enter`](crate::Ctx::enter).
///
/// Guards nest: drop them in the reverse order of their creation (as scopes do), or the thread is
/// left with the context of a guard already gone. It stays on the thread that created it.
#[must_use = "the context is ambient only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Ambient>,
    /// `!Send`: dropped on another thread, it would set that thread's context.
    _thread_bound: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
