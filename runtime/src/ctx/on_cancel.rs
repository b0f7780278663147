//! [`Ctx::on_cancel`]: run a function when a context is cancelled (Go's `context.AfterFunc`,
//! .NET's `CancellationToken.Register`), to unblock what no checkpoint can reach: close the
//! socket a blocking read waits on, kill a child process, cancel another library's token.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Wake, Waker};

use super::state::State;
use crate::{Cancelled, Ctx};

type Callback = Box<dyn FnOnce(Cancelled) + Send>;

/// The function, stored as the waker registered with the context: the cancellation wakes its
/// waiters, and waking this one calls the function. No task, and no allocation beyond this one.
struct Hook {
    f: Mutex<Option<Callback>>,
    /// Weak: the context holds this hook in its waiter list, and must not be kept alive by it.
    /// At wake-up the context is being cancelled, by a caller that holds it.
    state: Weak<State>,
}

impl Hook {
    fn take(&self) -> Option<Callback> {
        self.f
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl Wake for Hook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(state) = self.state.upgrade() else {
            return;
        };
        if !state.flag() {
            return; // not a cancellation (nothing else wakes it; still, be sure)
        }
        if let Some(f) = self.take() {
            // The cancelling thread runs the other waiters' wake-ups after this one: a panic
            // here must not leave them asleep.
            if catch_unwind(AssertUnwindSafe(|| f(state.cancelled_error()))).is_err() {
                tracing::warn!("a Ctx::on_cancel function panicked");
            }
        }
    }
}

/// Keeps a function registered with [`Ctx::on_cancel`]; dropping it unregisters the function if
/// it has not run yet. [`OnCancel::detach`] keeps it registered for the context's lifetime.
#[must_use = "dropping the guard unregisters the function at once; use `detach` to keep it"]
pub struct OnCancel {
    hook: Arc<Hook>,
    /// The hook's key in the context's hooks, while registered.
    registration: Option<usize>,
}

impl OnCancel {
    /// Unregisters the function; `true` if this stopped it from running (Go's `stop()`), `false`
    /// if it has already run or is running.
    pub fn stop(mut self) -> bool {
        self.unregister();
        self.hook.take().is_some()
    }

    /// Leaves the function registered until the context is cancelled or dropped, whichever comes
    /// first (then it is dropped without running).
    pub fn detach(mut self) {
        self.registration = None;
    }

    fn unregister(&mut self) {
        if let Some(key) = self.registration.take() {
            if let Some(state) = self.hook.state.upgrade() {
                state.unwatch_hook(key);
            }
        }
    }
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if self.registration.is_some() {
            self.unregister();
            self.hook.take();
        }
    }
}

impl std::fmt::Debug for OnCancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnCancel")
            .field("registered", &self.registration.is_some())
            .finish()
    }
}

impl Ctx {
    /// Calls `f` once, with the cancellation, when this context is cancelled or its deadline
    /// passes — on the thread that cancels it (a deadline: a short task its timer spawns), so
    /// `f` must be quick and must not block. If the context is already cancelled, `f` runs now, on this
    /// thread. Dropping the returned guard unregisters `f` (it then never runs); a panic in `f`
    /// is caught and logged.
    ///
    /// For work no checkpoint reaches: a blocking call waits on a socket or a pipe, and `f`
    /// closes it. The registration costs one lock and one allocation, no task; a deadline arms
    /// the context's timer (on the current tokio runtime, if any).
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// let ctx = Ctx::new();
    /// let closed = Arc::new(AtomicBool::new(false));
    /// let guard = ctx.on_cancel({
    ///     let closed = closed.clone();
    ///     move |cancelled| {
    ///         println!("closing the connection: {cancelled}");
    ///         closed.store(true, Ordering::SeqCst);
    ///     }
    /// });
    /// ctx.cancel_with_reason("shutting down");
    /// assert!(closed.load(Ordering::SeqCst));
    /// assert!(!guard.stop()); // it has run
    /// ```
    pub fn on_cancel(&self, f: impl FnOnce(Cancelled) + Send + 'static) -> OnCancel {
        let hook = Arc::new(Hook {
            f: Mutex::new(Some(Box::new(f))),
            state: Arc::downgrade(&self.state),
        });
        let waker = Waker::from(hook.clone());
        let mut registration = None;
        let registered = !self.state.cancelled_now() && {
            let (key, live) = self.state.watch_hook(&waker);
            registration = key;
            live
        };
        if !registered {
            // Already cancelled (and never registered, or the cancellation took the waker
            // between registering and the flag check: then it is woken, and `take` decides).
            if let Some(f) = hook.take() {
                f(self.state.cancelled_error());
            }
        }
        OnCancel { hook, registration }
    }
}
