//! The ambient context of an async task: [`WithAmbient`] sets it for the length of each poll
//! (and of the drop) of the task's future.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::Ambient;

thread_local! {
    /// The ambient of the task being polled on this thread, set by [`WithAmbient`] for the length
    /// of each poll. A pointer set and restored, rather than tokio's `task_local!` (which swaps
    /// the value in and out of a `RefCell` twice per poll): this is paid on every poll of every
    /// group task.
    static CURRENT: Cell<*const Ambient> = const { Cell::new(ptr::null()) };
}

/// Calls `f` with the ambient of the task being polled on this thread, if any.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    let current = CURRENT.get();
    if current.is_null() {
        return f(None);
    }
    // SAFETY: `CURRENT` is non-null only while a `WithAmbient` polls or drops its future, on this
    // thread, and then points to that `WithAmbient`'s `ambient` field, which is neither moved
    // (the `WithAmbient` is pinned) nor mutated (it is only read) until `SetCurrent` restores the
    // previous value, also when unwinding. `f` cannot keep the reference: it is generic over
    // its lifetime.
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
                let _set = SetCurrent::new(this.ambient.as_ref());
                fut.set(None);
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
        let _set = SetCurrent::new(this.ambient.as_ref());
        let Some(inner) = fut.as_mut().as_pin_mut() else {
            panic!("`WithAmbient` polled after completion");
        };
        let output = inner.poll(cx);
        if output.is_ready() {
            fut.set(None); // dropped with its ambient set
        }
        output
    }
}

/// Sets [`CURRENT`] until dropped, then restores the previous value (also when unwinding).
struct SetCurrent {
    previous: *const Ambient,
}

impl SetCurrent {
    fn new(ambient: Option<&Ambient>) -> SetCurrent {
        let current = ambient.map_or(ptr::null(), ptr::from_ref);
        SetCurrent {
            previous: CURRENT.replace(current),
        }
    }
}

impl Drop for SetCurrent {
    fn drop(&mut self) {
        CURRENT.set(self.previous);
    }
}
