//! One spare context allocation per thread: the allocation of the last context dropped on this
//! thread, kept for the next one made here.
//!
//! Why: a per-request or per-read context (`ctx.with_timeout(d).run(fut)`) is made and dropped
//! around every call, and glibc's `malloc` + `free` of it, with `Arc`'s drop, are ~210 of its
//! ~650 instructions (callgrind, `benches/child_deadline_once.rs`: 649 without the spare, 436
//! with it; criterion, `servers` `child_deadline/with_timeout_run`, 1.26× → 1.17×
//! `tokio::time::timeout` on a quiet 2-vCPU VM, see `benches/RESULTS.md`). With the spare, a
//! context made right after one was dropped on the same thread (the per-request loop) costs no
//! allocation; any other pattern costs what it did. Nothing is shared between threads: the
//! spare is a thread-local, so this adds no write other workers see.
//!
//! Invariants (`Arc::get_mut`, when the last handle goes, is the proof of uniqueness; from
//! there the spare is a [`Spare`], made here only and reached through this thread's slot only,
//! so that its reuse takes it as unique without a second compare-exchange: this module's one
//! `unsafe`, checked by Miri through this module's tests and by the loom model below):
//! - A spare is unique (no other `Arc`, no `Weak`), out of any parent's child list, and blank:
//!   no parent, no cause, no waiter, hook, child or timer, no idle deadline, no interop or test
//!   state ([`State::recyclable`], [`State::clear`]). Nothing can reach it but this thread-local.
//!   Reusing it writes the new context's configuration over it ([`State::reuse`]), keeping its
//!   lists' capacity.
//! - A context is recycled only by the drop of its last handle (`strong_count == 1`: nobody else
//!   can clone it, since cloning needs a handle), after it has left its parent's child list
//!   under the parent's lock if it was linked (`leave_parent`). The parent's cancellation is the
//!   only other way to its state (it upgrades the `Weak` it took from its child list): when the
//!   parent's list is already closed, the context is dropped as usual. Any other `Weak` (an
//!   `OnCancel`, a timer wheel's entry being fired, the interop's handle) makes `Arc::get_mut`
//!   fail, and the context is dropped as usual too; having left its parent's list, it is marked
//!   unlinked, so its drop does not leave it again. Its own timer's entry (`timers.rs`) is taken
//!   out of its wheel first, so that a context waited on with a deadline
//!   (`with_timeout(d).run(fut)` that parks) is recycled too.
//! - The parent's closed list is an early answer, not the proof: the parent's batch holds a
//!   `Weak`, so `Arc::get_mut` would fail too. What the checks on the cause are for: a context
//!   its parent has cancelled (and let go of again) is unique, but not blank.
//! - Under loom too: `tests/loom.rs`, `a_child_is_recycled_while_its_parent_cancels`, races
//!   the last drop of a linked child, and the next child made from the spare, with the parent's
//!   cancellation; it fails when the checks for a cancellation (the flag, the cause, the closed
//!   lists) are taken out (`--cfg autocancel_loom_broken="recycle_cancelled"`: the next context
//!   starts with the previous one's cause).

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use slab::Slab;

use super::{Idle, Limit, Parent, State, UNLINKED};
use crate::sync::{self, AtomicU8};

#[cfg(not(loom))]
std::thread_local! {
    static SPARE: Cell<Option<Spare>> = const { Cell::new(None) };
}

// Loom's: per modelled thread and per execution (a std one would carry a state made with one
// execution's loom objects into the next).
#[cfg(loom)]
loom::thread_local! {
    static SPARE: Cell<Option<Spare>> = Cell::new(None);
}

/// A spare allocation: a state that [`release`] found unique (`Arc::get_mut`: no other `Arc`,
/// no `Weak`) and blanked. Made there only, and held by this thread's [`SPARE`] only until it is
/// taken: nothing else can reach it, so it is still unique then, by this module's structure (no
/// `Arc` or `Weak` of it can be made but from one, and there is none).
pub(super) struct Spare(Arc<State>);

impl Spare {
    /// The blank state, to write a new context over ([`State::reuse`]): `Arc::get_mut`,
    /// without asking again.
    #[inline(always)]
    pub(super) fn get_mut(&mut self) -> &mut State {
        debug_assert!(Arc::strong_count(&self.0) == 1 && Arc::weak_count(&self.0) == 0);
        // SAFETY: a spare is unique (see `Spare`), and `&mut self` borrows it for as long as the
        // reference lives: it is the only one to its state. `Arc::get_mut` would say so too,
        // with a compare-exchange on the weak count (a locked instruction on every per-request
        // context: `benches/RESULTS.md`, 2026-12-07).
        unsafe { &mut *Arc::as_ptr(&self.0).cast_mut() }
    }

    /// The spare as the new context's state.
    #[inline(always)]
    pub(super) fn into_arc(self) -> Arc<State> {
        self.0
    }
}

/// The most slots a spare's child and hook lists keep (see [`State::clear`]).
const KEPT_CAPACITY: usize = 16;

/// Drops the last handle to `state` (the handles' strong count, `ctx/mod.rs`), keeping its
/// allocation as this thread's spare when it can.
#[inline]
pub(in crate::ctx) fn release(mut state: Arc<State>) {
    // Others holding it (its children, a timer firing): the usual drop. Its children's slots
    // (`lease.rs`) are among them if any holds a count, and are orphaned first, holding ours.
    // If none holds one (the only count is ours), none counts a child: the slots are as new,
    // and stay with the allocation if it is kept. (The count is read after the handles' count
    // was seen at one, with `Acquire`: every lease made from another handle, and the count it
    // gave its slot, happened before.) So a per-request context's drop does not look at them.
    if Arc::strong_count(&state) != 1 {
        state.orphan();
        return;
    }
    // A cancelled context is not recycled: skip the parent's lock.
    #[cfg(not(autocancel_loom_broken = "recycle_cancelled"))]
    if state.flagged_here() {
        return;
    }
    if !state.leave_parent() {
        return;
    }
    let timed = state.timed;
    let unique = match Arc::get_mut(&mut state) {
        Some(unique) => unique,
        // A `Weak` holds it. Its thread's timer wheel's entry, if it has one (`timers.rs`: only
        // a context with a deadline that something waited on): out of the wheel (its lock is
        // taken), and asked again. Asked first, so that a context nothing waited on (a request
        // on a ready future) reads its weak count once, in `get_mut`'s compare-exchange.
        None if timed => {
            state.drop_timer();
            match Arc::get_mut(&mut state) {
                Some(unique) => unique,
                None => return,
            }
        }
        None => return,
    };
    if !unique.recyclable() {
        return;
    }
    unique.clear();
    // During the thread's teardown the slot is gone: the state is then simply dropped.
    let _ = SPARE.try_with(move |spare| drop(spare.replace(Some(Spare(state)))));
}

/// This thread's spare allocation, blank, if there is one.
#[inline]
pub(super) fn take() -> Option<Spare> {
    SPARE.try_with(Cell::take).ok().flatten()
}

impl State {
    /// Leaves the parent's child list, for a context about to be recycled; false if the parent
    /// is being cancelled (it has taken its list and may upgrade this context: do not recycle).
    /// Marks the context unlinked once it has left, so that no later drop leaves again.
    #[inline]
    fn leave_parent(&self) -> bool {
        match &self.parent {
            // Not in the list (unlinked, or a root): nothing to leave, no lock.
            Some(parent) if !self.unlinked() => {
                let left = parent.arc().leave(self.key.load(Ordering::Relaxed), self);
                if left {
                    self.bits.fetch_or(UNLINKED, Ordering::AcqRel);
                }
                left
            }
            _ => true,
        }
    }

    /// Whether this unique state can be a spare (see this module): never cancelled, and
    /// nothing attached that would need dropping or that holds it (an idle deadline, interop
    /// state, a test's countdown, a hook, a waiter, a child, a timer). Contexts made per request
    /// or per read are; the others are dropped as usual.
    #[inline]
    fn recyclable(&mut self) -> bool {
        #[cfg(feature = "tokio-util")]
        if !self.bridges.is_empty() {
            return false;
        }
        #[cfg(feature = "testing")]
        if self.cuts.is_some() {
            return false;
        }
        #[cfg(not(autocancel_loom_broken = "recycle_cancelled"))]
        if self.record.get().is_some() {
            return false;
        }
        // A parent whose children were spread (`spread.rs`): the lists go with it. (Slots its
        // children leased, `lease.rs`, count none here, and stay: see `release`.)
        if !self.cancellable || self.idle.is_some() || self.spread.get().is_some() {
            return false;
        }
        let lists = sync::get_mut(&mut self.lists);
        #[cfg(not(autocancel_loom_broken = "recycle_cancelled"))]
        if lists.closed {
            return false;
        }
        lists.timer.is_none()
            && lists.hooks.is_empty()
            && lists.waiters.is_empty()
            && lists.children.is_empty()
    }

    /// Makes a recyclable state that has left its parent's list a blank: it lets go of its
    /// parent (whose drop, if this was the last handle to it, unlinks up the chain as usual).
    /// The lists keep a small capacity, not a large one: a spare that once had thousands of
    /// children would otherwise keep their slab for as long as the thread lives.
    #[inline(always)]
    fn clear(&mut self) {
        if let Some(parent) = self.parent.take() {
            drop(parent.into_count());
        }
        let lists = sync::get_mut(&mut self.lists);
        if lists.children.capacity() > KEPT_CAPACITY {
            lists.children = Slab::new();
        }
        if lists.hooks.capacity() > KEPT_CAPACITY {
            lists.hooks = Slab::new();
        }
    }

    /// A blank made into a new context: what [`State::with`] would build, in the blank's place.
    #[inline(always)]
    pub(super) fn reuse(
        &mut self,
        limit: Option<Limit>,
        idle: Option<Idle>,
        idle_above: bool,
        parent: Option<Parent>,
        home: usize,
    ) {
        debug_assert!(self.parent.is_none() && self.recyclable());
        let idle_chain = idle_above || idle.is_some();
        self.bits = AtomicU8::new(if parent.is_some() { UNLINKED } else { 0 });
        *self.key.get_mut() = 0;
        *self.unlinked_checks.get_mut() = 0;
        // `handles` is one already (the last handle's drop leaves it so), and the foreign
        // threads are only hints (`lease.rs`): not written.
        debug_assert_eq!(self.handle_count(), 1);
        self.home = home;
        self.limit = limit;
        self.timed = limit.is_some() || idle_chain;
        self.idle = idle;
        self.idle_chain = idle_chain;
        #[cfg(feature = "testing")]
        {
            self.cuts = parent.as_ref().and_then(|parent| parent.arc().cuts.clone());
        }
        self.parent = parent;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::take;
    use crate::{Cause, Ctx};

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

    /// A request that waited with a deadline: its thread's timer wheel holds it (a `Weak`, the
    /// wheel's entry) until its drop takes it out, and then it is kept.
    #[cfg_attr(miri, ignore)] // tokio's runtime: the context tests cover the rest under Miri
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_request_that_waited_with_a_deadline_leaves_its_timer_and_is_kept() {
        let server = Ctx::new();
        let _ = take();
        let request = server.with_timeout(Duration::from_secs(60));
        let address = Arc::as_ptr(&request.state);
        request.run(tokio::task::yield_now()).await.unwrap();
        assert_ne!(Arc::weak_count(&request.state), 0, "the wheel's entry");
        drop(request);
        let spare = take().expect("kept, once out of the wheel");
        assert_eq!(Arc::as_ptr(&spare.0), address);
        assert_eq!(Arc::weak_count(&spare.0), 0);
    }

    #[test]
    fn a_linked_context_leaves_its_parents_list_before_it_is_kept() {
        let server = Ctx::new();
        let _ = take();
        let request = server.child();
        let address = Arc::as_ptr(&request.state);
        request.state.link();
        assert_eq!(server.state.lock().children.len(), 1);
        drop(request);
        assert_eq!(server.state.lock().children.len(), 0, "left the list");
        let next = server.child();
        assert_eq!(Arc::as_ptr(&next.state), address, "the spare is reused");
        server.cancel();
        assert!(next.is_cancelled());
    }

    #[test]
    fn cancelled_contexts_and_contexts_others_hold_are_dropped_as_usual() {
        let server = Ctx::new();
        let _ = take();
        let cancelled = server.child();
        cancelled.cancel();
        drop(cancelled);
        assert!(take().is_none(), "a cancelled context is not kept");

        let watched = server.child();
        let hook = watched.on_cancel(|_| {});
        drop(watched);
        assert!(take().is_none(), "a hook holds it");
        drop(hook);

        let idle = server.with_idle_timeout(Duration::from_secs(1));
        drop(idle);
        assert!(take().is_none(), "an idle deadline is not kept");

        let parent = server.child();
        let child = parent.child();
        drop(parent);
        assert!(take().is_none(), "its child holds it");
        drop(child);
        assert!(take().is_some(), "the last of the chain is kept");
        assert!(take().is_none(), "one spare per thread");
    }

    #[test]
    fn a_spare_keeps_a_small_list_capacity_not_a_large_one() {
        for (children, kept) in [(4, true), (1_000, false)] {
            let _ = take();
            let server = Ctx::new();
            let many: Vec<Ctx> = (0..children).map(|_| server.child()).collect();
            for child in &many {
                child.state.link();
            }
            drop(many);
            let capacity = server.state.lock().children.capacity();
            assert!(capacity >= children);
            drop(server);
            let spare = take().expect("the server's allocation");
            let capacity = crate::sync::lock(&spare.0.lists).children.capacity();
            assert_eq!(
                capacity >= children,
                kept,
                "{children} children: {capacity}"
            );
        }
    }

    #[test]
    fn a_child_of_a_cancelled_parent_is_not_kept_and_a_spare_does_not_carry_a_cause() {
        let server = Ctx::new();
        let _ = take();
        let request = server.child();
        request.state.link();
        server.cancel_with_reason("shutdown");
        drop(request);
        assert!(
            take().is_none(),
            "its parent's list is closed: dropped as usual"
        );
        let other = Ctx::new();
        let fresh = other.child();
        drop(fresh);
        let next = other.child();
        assert!(!next.is_cancelled());
        assert!(next.cause().is_none());
    }
}
