//! The ambient cell of tasks: one typed pointer per thread to the [`Here`] of the task running
//! on it, set for the length of a closure ([`set`]: each poll of a task, a blocking task's
//! body). Threads that users start have their own cell (`enter.rs`), read when this one is empty.
//! Like tokio's `runtime/context/scoped.rs`: a pointer set and restored, rather than tokio's
//! `task_local!` (which swaps a value in and out of a `RefCell` twice per poll), since every
//! poll of every task of a group pays for it and every `#[cancellable]` check reads it.
//!
//! Invariant: `CURRENT` is null, or points to the `Here` borrowed by a call of [`set`] still
//! running on this thread, which restores the previous pointer when it returns or unwinds. Only
//! `set` writes the cell, so calls of it nest like the stack frames they are.

use std::cell::Cell;
use std::ptr;

use super::Here;

thread_local! {
    static CURRENT: Cell<*const Here<'static>> = const { Cell::new(ptr::null()) };
}

/// `here` with its lifetime erased, for the cell: it is only ever read back through [`with`],
/// which hands it out for no longer than the closure it calls.
#[inline(always)]
fn erase(here: &Here<'_>) -> *const Here<'static> {
    ptr::from_ref(here).cast()
}

/// Runs `f` with `here` as what the running code sees, then restores what it saw before, also
/// when `f` unwinds.
#[inline]
pub(crate) fn set<R>(here: &Here<'_>, f: impl FnOnce() -> R) -> R {
    /// Restores the previous pointer when `set` returns or unwinds.
    struct Reset(*const Here<'static>);

    impl Drop for Reset {
        // Inline: this runs after every poll of every group task.
        #[inline]
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let _reset = Reset(CURRENT.replace(erase(here)));
    f()
}

/// Calls `f` with what the running code sees, if anything is set.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(Option<&Here<'_>>) -> R) -> R {
    let current = CURRENT.get();
    // SAFETY: by the invariant above, `current` is null or points to the `Here` borrowed (shared)
    // by a call of `set` below us on this thread's stack: alive and unchanged for as long as that
    // call runs, so for the whole of `f`, whatever `f` runs (a `set` inside it restores the cell
    // before returning). `f` is generic over the lifetimes it is given: it cannot keep them.
    f(unsafe { current.as_ref() })
}
