//! Lazy links: how a child context reaches its parent's cancellation.
//!
//! A child starts *unlinked*: it holds its parent, but is not in the parent's child
//! list, so making and dropping it takes no lock (a per-request or per-read context that is
//! only checked, or runs a future that is ready, never touches the parent's lock). The check
//! stays one load: `bits` holds `FLAG` and `UNLINKED`, and the fast path is `bits == 0`; an
//! unlinked child's check looks at its ancestors' flags on the slow path and, finding one
//! cancelled, records the cancellation as the parent's push would have (same cause, same
//! instant, a deadline due before it still wins). A child is linked, ancestors first, the first
//! time something must be woken by a cancellation from above (a waiter registers: `watch`), or
//! once it has been checked `LINK_AFTER_CHECKS` times (a loop: its checks are one load again).
//!
//! Invariants: a linked context's ancestors are all linked, or cancelled and closed (then the
//! link records the cancellation instead); `UNLINKED` is cleared only under the lock of the
//! parent's list the child goes to (its own, or a spread one: `spread.rs`), as the child is
//! inserted there, and `key` is written there, under that lock, and read through `&mut`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::spread::list_and_slot;
use super::{inherited_by_children, Parent, State, FLAG, LINK_AFTER_CHECKS, UNLINKED};

impl State {
    /// Whether anything is set: cancelled, or unlinked. The loop checkpoint's fast path.
    #[inline(always)]
    pub(in crate::ctx) fn unsettled(&self) -> bool {
        self.bits.load(Ordering::Acquire) != 0
    }

    /// Whether this context's own flag is set (an ancestor's cancellation not recorded here yet
    /// does not count).
    #[inline(always)]
    pub(super) fn flagged_here(&self) -> bool {
        self.bits.load(Ordering::Acquire) & FLAG != 0
    }

    /// Whether this context is not in its parent's child list yet.
    #[inline(always)]
    pub(super) fn unlinked(&self) -> bool {
        self.bits.load(Ordering::Acquire) & UNLINKED != 0
    }

    /// [`State::flag`] for the checks of [`Ctx`](crate::Ctx) (and so of annotated code): the
    /// same one load while nothing is set, and an unlinked context that is checked again and
    /// again (a loop) links itself, so that its checks are that one load again.
    #[inline(always)]
    pub(in crate::ctx) fn check(self: &Arc<State>) -> bool {
        let bits = self.bits.load(Ordering::Acquire);
        bits != 0 && (bits & FLAG != 0 || self.check_unlinked())
    }

    #[cold]
    #[inline(never)]
    fn check_unlinked(self: &Arc<State>) -> bool {
        // The usual case: the parent is linked (or a root) and not cancelled, one load.
        let parent = self
            .parent()
            .map_or(0, |parent| parent.bits.load(Ordering::Acquire));
        if parent != 0 && self.ancestor_cancelled() {
            return true;
        }
        // A plain counter (no read-modify-write): a lost update only links a little later.
        let checks = self.unlinked_checks.load(Ordering::Relaxed);
        if checks < LINK_AFTER_CHECKS {
            self.unlinked_checks.store(checks + 1, Ordering::Relaxed);
            return false;
        }
        self.link();
        // Linking finds a parent cancelled meanwhile and records it.
        self.flagged_here()
    }

    /// An unlinked context's check: whether an ancestor is cancelled (then this context is
    /// too, recorded now as the parent's push would have). Walks up the unlinked ancestors to
    /// the first that is cancelled or linked: a linked one that is not cancelled means none
    /// above it is either, as far as this context can tell (its push has not come yet).
    #[cold]
    #[inline(never)]
    pub(super) fn ancestor_cancelled(&self) -> bool {
        let mut here = self;
        loop {
            let Some(parent) = here.parent() else {
                return false;
            };
            if parent.flagged_here() {
                break;
            }
            if !parent.unlinked() {
                return false;
            }
            here = parent;
        }
        self.inherit_cancellation();
        true
    }

    /// Records the cancellation of the nearest cancelled ancestor in this context and in the
    /// unlinked ones between (top-down, each inheriting its parent's: the cause and the instant
    /// a push would have given). Call only once an ancestor is known to be cancelled.
    #[cold]
    pub(super) fn inherit_cancellation(&self) {
        let mut chain = vec![self];
        let mut here = self;
        while let Some(parent) = here.parent() {
            if parent.flagged_here() {
                break;
            }
            chain.push(parent);
            here = parent;
        }
        for state in chain.into_iter().rev() {
            let Some((cancelled, at)) = state.parent().and_then(State::record) else {
                continue;
            };
            state.cancel_at(inherited_by_children(cancelled), *at);
        }
    }

    /// Makes sure a cancellation of an ancestor is pushed to this context (and so wakes its
    /// waiters): links it, and its unlinked ancestors first, into their parents' child lists.
    /// One load once linked.
    #[inline]
    pub(in crate::ctx) fn link(self: &Arc<State>) {
        if self.unlinked() {
            self.link_slow();
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn link_slow(self: &Arc<State>) {
        // The common case, a request of a server: its parent is linked already. No chain to
        // collect (its `Vec` was a `malloc` and a `free`, ~110 of the ~3,300 instructions a
        // request with a deadline that parks once costs; callgrind, `child_deadline_once`).
        if !self.parent().is_some_and(State::unlinked) {
            self.link_to_parent();
            return;
        }
        // The unlinked chain, from this context up; linked top-down so that a linked context's
        // ancestors are always linked (or cancelled: then the link records that instead).
        let mut chain = vec![self];
        let mut here = self;
        while let Some(parent) = here.parent.as_ref().map(Parent::arc) {
            if !parent.unlinked() {
                break;
            }
            chain.push(parent);
            here = parent;
        }
        for state in chain.into_iter().rev() {
            state.link_to_parent();
        }
    }

    /// Takes the parent, with the slot this context holds in its parent's child list if
    /// linked: what `release_parent` lets go of.
    pub(super) fn take_link(&mut self) -> Option<(Parent, Option<usize>)> {
        let key = (!self.unlinked()).then(|| *self.key.get_mut());
        self.parent.take().map(|parent| (parent, key))
    }
}

/// Unregisters the context at `me` from its parent (if linked: `Some` slot); and if it was the
/// last to hold the parent, drops the parent here too, and so on up: a loop, not the recursion
/// of nested drops, so that a chain of contexts thousands deep does not overflow the stack.
pub(super) fn release_parent(mut link: Option<(Parent, Option<usize>)>, mut me: *const State) {
    while let Some((parent, key)) = link {
        if let Some(key) = key {
            parent.arc().leave(key, me);
        }
        me = Arc::as_ptr(parent.arc());
        // Not the parent's to drop (another child's, a handle's, or a slot's that others
        // still count in): it is not touched again.
        link = parent
            .into_count()
            .and_then(Arc::into_inner)
            .and_then(|mut parent| parent.take_link());
    }
}

impl State {
    /// Removes the child at `me` from its place `key` in this context's child lists (its own,
    /// or a spread one: `spread.rs`), saying whether the child is out of the list: false when
    /// the list is closed (this context is being cancelled, has taken its children and may
    /// still upgrade the one at `me`). A child about to be recycled (`recycle.rs`) then marks
    /// itself unlinked: no one else leaves a list for it, so the slot is still its own.
    #[cold]
    #[inline(never)]
    pub(super) fn leave(&self, key: usize, me: *const State) -> bool {
        let (list, slot) = list_and_slot(key);
        let removed = {
            let Some(mut guard) = self.lock_list(list) else {
                return true;
            };
            let (closed, children) = guard.parts();
            if closed {
                return false;
            }
            debug_assert!(children
                .get(slot)
                .is_some_and(|child| std::ptr::eq(child.as_ptr(), me)));
            children.try_remove(slot)
        };
        // The `Weak` is dropped outside the lock.
        drop(removed);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::{LINK_AFTER_CHECKS, UNLINKED};
    use crate::{Cause, Ctx};

    fn linked(ctx: &Ctx) -> bool {
        ctx.state.bits.load(Ordering::Acquire) & UNLINKED == 0
    }

    /// The point of lazy links: a per-request context that is only checked takes no lock of
    /// its parent's, which every request of a server shares.
    #[test]
    fn a_child_only_checked_never_takes_its_parents_lock() {
        let server = Ctx::new();
        let held = server.state.lock();
        let (done, finished) = mpsc::channel();
        let worker = std::thread::spawn({
            let server = server.clone();
            move || {
                let request = server.with_timeout(Duration::from_secs(60));
                assert!(!request.is_cancelled());
                request.check().unwrap();
                drop(request);
                done.send(()).unwrap();
            }
        });
        let result = finished.recv_timeout(Duration::from_secs(10));
        drop(held);
        worker.join().unwrap();
        result.expect("made, checked and dropped without the parent's lock");
    }

    #[test]
    fn a_waiter_links_the_unlinked_chain_top_down_and_is_woken() {
        let root = Ctx::new();
        let request = root.with_timeout(Duration::from_secs(60));
        let call = request.child();
        assert!(!linked(&request) && !linked(&call));
        let (fired, seen) = mpsc::channel();
        let hook = call.on_cancel(move |cancelled| fired.send(cancelled.to_string()).unwrap());
        assert!(linked(&request) && linked(&call), "linked, ancestors first");
        root.cancel_with_reason("stop");
        assert_eq!(
            seen.try_recv().unwrap(),
            "cancelled: parent context: cancelled: stop"
        );
        drop(hook);
    }

    #[test]
    fn a_context_checked_in_a_loop_links_itself() {
        let root = Ctx::new();
        let child = root.child();
        for _ in 0..LINK_AFTER_CHECKS {
            assert!(!child.is_cancelled());
        }
        assert!(!linked(&child), "a few checks: still no lock");
        assert!(!child.is_cancelled());
        assert!(linked(&child), "then linked: one load per check again");
        root.cancel();
        assert!(
            child.state.bits.load(Ordering::Acquire) & super::FLAG != 0,
            "pushed"
        );
    }

    #[test]
    fn an_unlinked_child_of_a_cancelled_parent_is_cancelled_as_if_pushed() {
        let root = Ctx::new();
        let child = root.with_timeout(Duration::from_secs(60));
        let grandchild = child.child();
        root.cancel_with_reason("stop");
        assert!(grandchild.is_cancelled());
        assert_eq!(
            grandchild.check().unwrap_err().to_string(),
            "cancelled: parent context: cancelled: stop"
        );
        assert_eq!(
            child.cancelled_at(),
            root.cancelled_at(),
            "the parent's instant"
        );
        assert_eq!(grandchild.cancelled_at(), root.cancelled_at());
        assert!(matches!(child.cause(), Some(Cause::ParentCancelled(_))));
        // Made after the cancellation: cancelled from the start.
        assert!(root.child().is_cancelled());
    }

    /// A deadline due before the parent's cancellation is the cause, however late an unlinked
    /// child notices either.
    #[tokio::test(start_paused = true)]
    async fn a_deadline_before_the_parents_cancellation_wins_when_noticed_late() {
        let root = Ctx::new();
        let child = root.with_timeout(Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        root.cancel();
        assert!(child.is_cancelled());
        assert!(matches!(
            child.cause(),
            Some(Cause::DeadlineExceeded { .. })
        ));
    }
}
