//! One spare context allocation per thread: the allocation of the last context dropped on this
//! thread, kept for the next one made here.
//!
//! Why: a per-request or per-read context (`ctx.with_timeout(d).run(fut)`) is made and dropped
//! around every call, and glibc's `malloc` + `free` of it were ~135 of its ~690 instructions
//! (callgrind, `benches/child_deadline_once.rs`). With
//! the spare, a context made right after one was dropped (the per-request loop) costs no
//! allocation at all; any other pattern costs what it did.
//!
//! Invariants (all in safe code; `Arc::get_mut` is the proof of uniqueness):
//! - A spare is unique (no other `Arc`, no `Weak`), unlinked from any parent, and blank: no
//!   parent, no cause, no waker, child or timer, no idle deadline, no interop state
//!   (`State::recyclable`, `State::clear`). Nothing can reach it but this thread-local; reusing
//!   it writes the new context's configuration (`State::reuse`), keeping its lists' capacity.
//! - A context is recycled only by the drop of its last handle (`strong_count == 1`: nobody else
//!   can clone it, since cloning needs a handle), after it has left its parent's child list
//!   under the parent's lock if it was linked (`link.rs`). The parent's cancellation is the only other way to its state (it
//!   upgrades the `Weak` it took from its child list): if the parent's list is already closed,
//!   the context is dropped as usual. Any other `Weak` (an `OnCancel`, the timer task, the
//!   interop's handle) makes `Arc::get_mut` fail, and the context is dropped as usual too: its
//!   parent link then points at a slot it has already left, which `unlink` recognises by address.
//! - Not under loom: the model checks the state machine, not the allocator's job.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{Idle, Limit, State};
use crate::sync;

thread_local! {
    static SPARE: Cell<Option<Arc<State>>> = const { Cell::new(None) };
}

/// Drops the last handle to `state`, keeping its allocation as this thread's spare when it can.
#[inline]
pub(in crate::ctx) fn release(mut state: Arc<State>) {
    // Not the last handle: the usual drop. A cancelled context is not recycled: skip the
    // parent's lock.
    if Arc::strong_count(&state) != 1 || state.flagged_here() || !state.leave_parent() {
        return;
    }
    let Some(unique) = Arc::get_mut(&mut state) else {
        return;
    };
    if !unique.recyclable() {
        return;
    }
    unique.clear();
    // During the thread's teardown the slot is gone: the state is then simply dropped.
    let _ = SPARE.try_with(move |spare| drop(spare.replace(Some(state))));
}

/// This thread's spare allocation, blank, if there is one.
#[inline]
pub(super) fn take() -> Option<Arc<State>> {
    SPARE.try_with(Cell::take).ok().flatten()
}

impl State {
    /// Leaves the parent's child list, for a context about to be recycled; false if the parent
    /// is being cancelled (it has taken its list and may upgrade this context: do not recycle).
    #[inline]
    fn leave_parent(&self) -> bool {
        match &self.parent {
            // Not in the list (unlinked, or a root): nothing to leave, no lock.
            Some(parent) if !self.unlinked() => {
                parent.unlink(self.key.load(Ordering::Relaxed), self)
            }
            _ => true,
        }
    }

    /// Whether this unique state can be a spare (see this module): never cancelled, and
    /// nothing attached that would need dropping (an idle deadline, interop state, a test's
    /// countdown). Contexts made per request or per read are; the others are dropped as usual.
    #[cfg(not(loom))]
    #[inline]
    pub(super) fn recyclable(&mut self) -> bool {
        #[cfg(feature = "tokio-util")]
        if !self.interop.is_empty() {
            return false;
        }
        #[cfg(feature = "testing")]
        if self.cuts.is_some() {
            return false;
        }
        let lists = sync::get_mut(&mut self.lists);
        // What `Arc::get_mut` and the cause do not already rule out: the never-cancelled
        // context, and a detached `OnCancel` hook, which stays in the list without a handle.
        let recyclable = self.cancellable
            && self.record.get().is_none()
            && self.idle.is_none()
            && lists.hooks.is_empty();
        // Implied: cancelling records the cause before closing; a timer task, an `OnCancel`
        // and a child each hold a handle (a `Weak`, or a strong one to their parent); a waiter
        // holds a handle or borrows one.
        debug_assert!(
            !recyclable
                || (!lists.closed
                    && lists.timer.is_none()
                    && lists.waiters.is_empty()
                    && lists.children.is_empty())
        );
        recyclable
    }

    /// Makes a recyclable, unlinked state a blank: it lets go of its parent (whose drop, if this
    /// was the last handle, unlinks up the chain as usual). The lists keep their capacity.
    #[cfg(not(loom))]
    #[inline]
    pub(super) fn clear(&mut self) {
        self.parent = None;
    }

    /// A blank made into a new context: what [`State::with`] would build, in the blank's place.
    #[cfg(not(loom))]
    #[inline(always)]
    pub(super) fn reuse(
        &mut self,
        limit: Option<Limit>,
        idle: Option<Idle>,
        idle_above: bool,
        parent: Option<Arc<State>>,
    ) {
        debug_assert!(self.parent.is_none() && self.recyclable());
        self.configure(limit, idle, idle_above, parent);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::take;
    use crate::{Cause, Ctx};

    fn spare_is(ctx: &Ctx) -> bool {
        let address = Arc::as_ptr(&ctx.state);
        let spare = take();
        spare.is_some_and(|spare| Arc::as_ptr(&spare) == address)
    }

    #[test]
    fn the_last_handle_of_a_per_request_context_leaves_its_allocation_for_the_next() {
        let server = Ctx::new();
        let _ = take();
        let request = server.with_timeout(Duration::from_secs(60));
        let address = Arc::as_ptr(&request.state);
        let copy = request.clone();
        drop(request);
        assert!(take().is_none(), "not the last handle");
        drop(copy);
        let next = server.with_timeout(Duration::from_secs(3600));
        assert_eq!(Arc::as_ptr(&next.state), address, "the spare is reused");
        // And it is a new context: not cancelled, its own deadline, its parent's child.
        assert!(!next.is_cancelled());
        let left = next.deadline().unwrap().remaining();
        assert!(left > Duration::from_secs(3000), "{left:?}");
        server.cancel_with_reason("shutdown");
        assert!(next.is_cancelled());
        assert!(matches!(next.cause(), Some(Cause::ParentCancelled(_))));
    }

    #[test]
    fn a_linked_context_leaves_its_parents_list_before_it_is_kept() {
        let server = Ctx::new();
        let request = server.child();
        assert!(request.on_cancel(|_| {}).stop(), "a waiter links it");
        assert_eq!(server.state.lock().children.len(), 1);
        let probe = request.clone();
        drop(request);
        assert!(!spare_is(&probe), "not the last handle");
        drop(probe);
        assert_eq!(server.state.lock().children.len(), 0, "left the list");
        let next = server.child();
        server.cancel();
        assert!(next.is_cancelled());
    }

    #[test]
    fn cancelled_contexts_and_contexts_others_hold_weakly_are_dropped_as_usual() {
        let server = Ctx::new();
        let _ = take();
        let cancelled = server.child();
        cancelled.cancel();
        drop(cancelled);
        assert!(take().is_none(), "a cancelled context is not kept");

        let watched = server.child();
        let hook = watched.on_cancel(|_| {});
        drop(watched);
        assert!(take().is_none(), "a hook holds it weakly");
        drop(hook);

        let idle = server.with_idle_timeout(Duration::from_secs(1));
        drop(idle);
        assert!(take().is_none(), "an idle deadline is not kept");

        drop(Ctx::never());
        assert!(
            take().is_none(),
            "a never-cancelled context is not reused as a cancellable one"
        );

        let detached = server.child();
        detached.on_cancel(|_| {}).detach();
        drop(detached);
        assert!(take().is_none(), "a detached hook stays with its context");
    }

    #[test]
    fn dropping_the_last_child_of_a_dropped_parent_releases_the_chain() {
        let _ = take();
        let leaf = {
            let root = Ctx::new();
            let middle = root.child();
            middle.child()
        };
        let address = Arc::as_ptr(&leaf.state);
        drop(leaf);
        let spare = take().expect("kept");
        assert_eq!(Arc::as_ptr(&spare), address);
        assert!(spare.parent().is_none(), "its parents were released");
    }
}
