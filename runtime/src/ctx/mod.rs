//! [`Ctx`]: a cancellation context with an optional deadline, a recorded cause, and children.

#[cfg(feature = "tokio-util")]
mod handles;
mod idle;
mod on_cancel;
pub(crate) mod pacer;
mod run;
mod state;
#[cfg(feature = "testing")]
mod testing;
mod timer_heap;
mod timers;
mod wait;
mod wait_list;
mod waiter;

use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

#[cfg(feature = "tokio-util")]
pub(crate) use handles::WeakCtx;
pub use on_cancel::OnCancel;
pub(crate) use pacer::{thread as thread_pacer, UNPACED};
pub use run::Run;
use state::{Limit, State};
#[cfg(feature = "testing")]
pub(crate) use testing::Cuts;
pub use wait::{WaitForCancellation, WaitForCancellationOwned};
pub(crate) use waiter::{Registration, Waiter};

use crate::deadline::far_add;
use crate::{Cancelled, Cause, Deadline};

/// Makes the next check on this thread read the clock: called when a task resumes, since time
/// may have passed while it was suspended.
#[inline]
pub(crate) fn reset_pacer() {
    pacer::thread::reset();
}

/// A cancellation context: a flag that, once set, stays set, with the [`Cause`] of the
/// cancellation, an optional [`Deadline`], and children that are cancelled with it.
///
/// `Ctx` is cheap to clone (one reference count) and `Send + Sync`. Checking it costs one atomic
/// load; a deadline is noticed by the check itself, reading the clock only every so often (at
/// most ~50 µs apart in a tight loop), so a CPU-bound loop stops at its deadline even where no
/// timer can fire.
///
/// ```
/// use autocancel::{Cause, Ctx};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let parent = Ctx::new();
/// let child = parent.with_timeout(Duration::from_secs(7));
/// assert!(!child.is_cancelled());
///
/// parent.cancel_with_reason("shutting down");
/// assert!(child.is_cancelled());
/// assert!(matches!(child.cause(), Some(Cause::ParentCancelled(_))));
/// assert_eq!(child.check().unwrap_err().to_string(), "cancelled: parent context: cancelled: shutting down");
/// # }
/// ```
pub struct Ctx {
    /// Private to `ctx/`: the layers above (ambient, group, `__private`) use the methods below.
    ///
    /// The handles of a context share one strong count, and count themselves in
    /// `State::handles`: the last one's drop is how the context knows that no child can be
    /// made of it any more (`state/lease.rs`), at the cost of one count as before. So this
    /// `Arc` owns a strong count only in the last handle, and is dropped by hand (`Drop for
    /// Ctx`), where the last handle may also keep the allocation for the next context made on
    /// this thread (`state/recycle.rs`).
    state: ManuallyDrop<Arc<State>>,
}

impl Clone for Ctx {
    #[inline]
    fn clone(&self) -> Ctx {
        self.state.add_handle();
        Ctx {
            // SAFETY: no strong count of its own: the handles' one, which stays until the last
            // of them (this one now counts) is dropped. Only that drop takes the `Arc` out.
            state: ManuallyDrop::new(unsafe { Arc::from_raw(Arc::as_ptr(&self.state)) }),
        }
    }
}

impl Drop for Ctx {
    #[inline]
    fn drop(&mut self) {
        if !self.state.drop_handle() {
            // Other handles hold the count: this one's `Arc` is not a count to drop.
            return;
        }
        // SAFETY: the last handle: `state` holds the handles' count, now this drop's. Not used
        // again: this is the handle's own drop, which runs once, and nothing of `self` is read
        // after it.
        let state = unsafe { ManuallyDrop::take(&mut self.state) };
        // Kept for reuse, or dropped; holding that count, the slots its children leased (if
        // others hold it: a slot that holds is one of them) let go first (`state/recycle.rs`).
        state::recycle::release(state);
    }
}

/// A context's flag word, borrowed for as long as the context: what a check reads (see
/// [`Ctx::unsettled`]), one load away. A task's [`Here`](crate::ambient::Here) carries its
/// context's, so that the checks of the calls it runs reach the flag in one load from there
/// rather than through the ambient and its handle (two more dependent loads per check).
#[derive(Clone, Copy)]
pub(crate) struct Flags<'a>(&'a State);

impl Flags<'_> {
    /// [`Ctx::unsettled`].
    #[inline(always)]
    pub(crate) fn unsettled(self) -> bool {
        self.0.unsettled()
    }
}

impl Ctx {
    /// This context's flag word, borrowed (see [`Flags`]).
    #[inline(always)]
    pub(crate) fn flags(&self) -> Flags<'_> {
        Flags(&self.state)
    }

    /// A root context: never cancelled until [`Ctx::cancel`] is called, no deadline.
    pub fn new() -> Ctx {
        Ctx::from_state(State::root())
    }

    /// A child context: cancelled when this one is (cause [`Cause::ParentCancelled`]), with the
    /// same deadline; cancelling the child leaves this one alone.
    pub fn child(&self) -> Ctx {
        self.child_with(self.state.limit)
    }

    /// A child context whose deadline is `timeout` from now, or this context's deadline if that
    /// is earlier. A timeout too large for the clock (`Duration::MAX`) means no deadline of its
    /// own. Cheap enough per request or per read: no timer task (checks read the clock; a
    /// waiter arms the deadline in its thread's timer wheel), and no lock of this context's
    /// until something waits on the child (`with_timeout(d).run(fut)` on a ready future: 1.23×
    /// `tokio::time::timeout`, in the README's cost table). A root context with a deadline is
    /// `Ctx::new().with_timeout(timeout)` (a group with one,
    /// [`Group::with_timeout`](crate::Group::with_timeout)).
    pub fn with_timeout(&self, timeout: Duration) -> Ctx {
        // One clock read for the deadline and the check that it has not passed: on a per-request
        // path, a second read would cost about as much as the rest of this function.
        let now = crate::sync::now();
        self.limited(Deadline::at(far_add(now, timeout)), timeout, false, now)
    }

    /// [`Ctx::with_timeout`] for a deadline that came from the caller over the network (a
    /// `grpc-timeout` header): its [`Cause::DeadlineExceeded`] says `propagated`, so that a
    /// server tells "the caller's budget ran out" from "our own timeout fired". An earlier
    /// deadline of this context wins, and keeps its own origin.
    pub fn with_propagated_timeout(&self, timeout: Duration) -> Ctx {
        let now = crate::sync::now();
        self.limited(Deadline::at(far_add(now, timeout)), timeout, true, now)
    }

    /// A child context whose deadline is `deadline`, or this context's deadline if that is
    /// earlier. A deadline already passed gives a context that is already cancelled.
    pub fn with_deadline(&self, deadline: Deadline) -> Ctx {
        let now = crate::sync::now();
        let budget = deadline.instant().saturating_duration_since(now);
        self.limited(deadline, budget, false, now)
    }

    fn limited(&self, deadline: Deadline, budget: Duration, propagated: bool, now: Instant) -> Ctx {
        let own = Limit {
            deadline,
            budget,
            propagated,
        };
        let limit = match self.state.limit {
            Some(parent) if parent.deadline <= deadline => parent,
            _ => own,
        };
        Ctx::from_state(State::child(&self.state, Some(limit), None, Some(now)))
    }

    fn child_with(&self, limit: Option<Limit>) -> Ctx {
        Ctx::from_state(State::child(&self.state, limit, None, None))
    }

    /// Cancels this context and its children, with cause [`Cause::Cancelled`]. Does nothing if it
    /// is already cancelled: the first cause stays. Does nothing either to the context
    /// [`Ctx::current`] returns outside any group, which is never cancelled.
    pub fn cancel(&self) {
        self.cancel_with(Cause::Cancelled { reason: None });
    }

    /// Cancels with a reason that [`Cause::Cancelled`] carries and logs will show.
    pub fn cancel_with_reason(&self, reason: impl Into<Arc<str>>) {
        self.cancel_with(Cause::Cancelled {
            reason: Some(reason.into()),
        });
    }

    /// Cancels with the given cause; returns true if this call cancelled the context, false if it
    /// was already cancelled (the earlier cause stays). A deadline that has passed counts as an
    /// earlier cancellation, noticed or not: the cause is then [`Cause::DeadlineExceeded`].
    pub fn cancel_with(&self, cause: Cause) -> bool {
        self.state.cancel(Cancelled::new(cause))
    }

    /// Whether this context is cancelled, or its deadline has passed.
    ///
    /// One atomic load when there is no deadline; with a deadline, the clock is also read, but
    /// only every so often (a thread-local countdown), so that this is cheap in a loop.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        if self.state.check() {
            return true;
        }
        self.state.timed && self.deadline_check()
    }

    #[inline]
    fn deadline_check(&self) -> bool {
        pacer::thread::tick() && self.deadline_check_slow()
    }

    #[cold]
    #[inline(never)]
    fn deadline_check_slow(&self) -> bool {
        let (now, _) = pacer::thread::now();
        self.state.expire_if_due(now)
    }

    /// Waits until this context is cancelled (or its deadline passes) and returns the
    /// cancellation. Cancel-safe; registering costs one lock, and arms the deadline timer.
    pub fn cancelled(&self) -> WaitForCancellation<'_> {
        WaitForCancellation::new(self)
    }

    /// [`Ctx::cancelled`], owning the context: a `'static` future, to store or to move into a
    /// spawned task.
    ///
    /// ```
    /// use autocancel::Ctx;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ctx = Ctx::new();
    /// let watcher = tokio::spawn(ctx.clone().cancelled_owned());
    /// ctx.cancel_with_reason("shutting down");
    /// assert_eq!(watcher.await.unwrap().to_string(), "cancelled: shutting down");
    /// # }
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationOwned {
        WaitForCancellationOwned::new(self)
    }

    /// This context's deadline: its own or an ancestor's, whichever is earlier (for an idle
    /// deadline, where it is now).
    pub fn deadline(&self) -> Option<Deadline> {
        self.state.next_due().map(|due| Deadline::at(due.at))
    }

    /// Why this context was cancelled, or `None` if it is not (a passed deadline counts, even if
    /// no timer has fired yet).
    pub fn cause(&self) -> Option<Cause> {
        self.state.expire_if_due(crate::sync::now());
        self.state.record().map(|(c, _)| c.cause().clone())
    }

    /// When this context was cancelled (for a deadline: the deadline itself).
    pub fn cancelled_at(&self) -> Option<Instant> {
        self.state.expire_if_due(crate::sync::now());
        self.state.record().map(|(_, at)| *at)
    }

    /// Whether two handles are the same context.
    pub fn same_as(&self, other: &Ctx) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

// What the layers above the context (the ambient context, groups, the code `#[cancellable]`
// generates) need beyond the public API: the flag without the clock, the recorded error, and
// deadline checks at a given instant. (A plain comment: rustdoc would show a doc comment here
// over an impl block with no public items.)
impl Ctx {
    /// The first handle of a context just made (whose handle count is one).
    #[inline]
    fn from_state(state: Arc<State>) -> Ctx {
        Ctx {
            state: ManuallyDrop::new(state),
        }
    }

    /// A context that is never cancelled ([`Ctx::cancel`] does nothing to it), which waiting on
    /// costs no lock: the ambient context outside any group.
    pub(crate) fn never() -> Ctx {
        Ctx::from_state(State::never())
    }

    /// Whether the cancellation flag is set: one atomic load, no clock (a passed deadline that
    /// nothing has noticed yet reads `false`). The checkpoint's fast path.
    #[inline(always)]
    pub(crate) fn flagged(&self) -> bool {
        self.state.check()
    }

    /// Whether the context needs a closer look: cancelled, or not linked to its parent yet
    /// (then [`Ctx::flagged`] looks at the parent). One load and no branch of its own, for the
    /// loop checkpoint, which combines it with its clock countdown: zero in the common case.
    #[inline(always)]
    pub(crate) fn unsettled(&self) -> bool {
        self.state.unsettled()
    }

    /// The recorded cancellation. Call only once [`Ctx::flagged`] (or a check) said cancelled.
    #[cold]
    pub(crate) fn cancelled_error(&self) -> Cancelled {
        self.state.cancelled_error()
    }

    /// Whether a deadline applies to this context (its own, inherited, or an ancestor's idle
    /// deadline): whether checks read the clock every so often.
    #[inline(always)]
    pub(crate) fn has_deadline(&self) -> bool {
        self.state.timed
    }

    /// Cancels with `DeadlineExceeded` if the deadline is at or before `now`; true if cancelled
    /// (by this call or earlier).
    #[inline]
    pub(crate) fn expire_if_due(&self, now: Instant) -> bool {
        self.state.expire_if_due(now)
    }

    /// Whether cancelled, reading the clock if there is a deadline (not paced): for the places
    /// that must decide at the exact instant, such as a task's end.
    pub(crate) fn cancelled_now(&self) -> bool {
        self.state.cancelled_now()
    }

    /// Counts the cancellation point at `at` if this context is under a cancellation test
    /// (feature `testing`); true if the test cuts here.
    #[inline(always)]
    pub(crate) fn cut_here(&self, at: &'static std::panic::Location<'static>) -> bool {
        self.cuts().is_some_and(|cuts| cuts.reached(at))
    }

    /// Without the `testing` feature no context is under a cancellation test, and the compiler
    /// knows it ([`Cuts`] has no values).
    #[cfg(not(feature = "testing"))]
    #[inline(always)]
    pub(crate) fn cuts(&self) -> Option<&Cuts> {
        None
    }

    /// How many wakers are registered with this context.
    #[cfg(test)]
    pub(crate) fn waiter_count(&self) -> usize {
        self.state.waiter_count()
    }

    /// Whether this context holds its parent through a slot of the parent's
    /// (`state/lease.rs`), for the loom model to check that it models what it means to.
    #[cfg(loom)]
    pub(crate) fn leases_its_parent(&self) -> bool {
        self.state.leases_its_parent()
    }

    /// How many references this context has: its handles, and the other strong counts
    /// (`Arc::strong_count` counts the handles' as one). What entering a call must not change.
    #[cfg(test)]
    pub(crate) fn handles(&self) -> usize {
        self.state.handle_count() + Arc::strong_count(&self.state) - 1
    }
}

/// Without the `testing` feature: the countdown a context under a cancellation test carries
/// (`ctx/testing.rs`) has no values, so that the branches asking for it compile to nothing.
#[cfg(not(feature = "testing"))]
pub(crate) enum Cuts {}

#[cfg(not(feature = "testing"))]
impl Cuts {
    pub(crate) fn reached(&self, _: &'static std::panic::Location<'static>) -> bool {
        match *self {}
    }
}

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx::new()
    }
}

impl AsRef<Ctx> for Ctx {
    fn as_ref(&self) -> &Ctx {
        self
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("cancelled", &self.state.flag())
            .field("deadline", &self.deadline())
            .field("cause", &self.state.record().map(|(c, _)| c))
            .finish()
    }
}
