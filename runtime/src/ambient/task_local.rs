//! The ambient context of an async task: [`WithAmbient`] sets it for the length of each poll
//! (and of the drop) of the task's future.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::Ambient;

thread_local! {
    /// The ambient of the task being polled on this thread, set by [`set`] for the length of a
    /// closure (each poll of a [`WithAmbient`]). A pointer set and restored, like tokio's own
    /// `runtime/context/scoped.rs`, rather than tokio's `task_local!` (which swaps the value in
    /// and out of a `RefCell` twice per poll): this is paid on every poll of every group task.
    ///
    /// Invariant: it is null, or points to the `Ambient` borrowed by a call of [`set`] that has
    /// not returned yet, on this thread.
    static CURRENT: Cell<*const Ambient> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with `ambient` as the task's ambient (none if `None`), then restores the previous
/// one, also when `f` unwinds.
#[inline]
fn set<R>(ambient: Option<&Ambient>, f: impl FnOnce() -> R) -> R {
    /// Restores the previous pointer when `set` returns or unwinds.
    struct Reset(*const Ambient);

    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let pointer = ambient.map_or(ptr::null(), ptr::from_ref);
    let _reset = Reset(CURRENT.replace(pointer));
    f()
}

/// Calls `f` with the ambient of the task being polled on this thread, if any.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    let current = CURRENT.get();
    if current.is_null() {
        return f(None);
    }
    // SAFETY: by `CURRENT`'s invariant, `current` points to the `Ambient` borrowed by a call of
    // `set` still running on this thread (it is below us on the stack: we run inside its `f`).
    // That borrow is shared and lives for the whole call, so the `Ambient` is alive and not
    // mutated; calls of `set` nest like the stack frames they are, and each restores the
    // pointer it replaced before its borrow ends (`Reset`, also when unwinding). The reference
    // given to `f` cannot outlive this call: `f` is generic over its lifetime.
    f(Some(unsafe { &*current }))
}

pin_project_lite::pin_project! {
    /// A future with an ambient context: while it is polled, and when it is dropped, its
    /// `ambient` is the task's.
    pub(crate) struct WithAmbient<F> {
        ambient: Option<Ambient>,
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for WithAmbient<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Dropped with its ambient set, as it would be polled.
                set(this.ambient.as_ref(), || fut.set(None));
            }
        }
    }
}

impl<F> WithAmbient<F> {
    /// Runs `fut` with `ambient` as its task's ambient context.
    pub(crate) fn new(ambient: Ambient, fut: F) -> WithAmbient<F> {
        WithAmbient {
            ambient: Some(ambient),
            fut: Some(fut),
        }
    }

    /// Takes the ambient back (once the future is done).
    pub(crate) fn take_ambient(self: Pin<&mut Self>) -> Option<Ambient> {
        self.project().ambient.take()
    }
}

impl<F: Future> Future for WithAmbient<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut fut = this.fut;
        set(this.ambient.as_ref(), || {
            let Some(inner) = fut.as_mut().as_pin_mut() else {
                panic!("`WithAmbient` polled after completion");
            };
            let output = inner.poll(cx);
            if output.is_ready() {
                fut.set(None); // dropped with its ambient set
            }
            output
        })
    }
}
