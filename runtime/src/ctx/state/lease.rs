//! Leases: a parent's reference count, spread over the threads that make its children.
//!
//! Why: a child holds its parent (its checks look there while it is unlinked, its link goes
//! there, its cause comes from there), and a server's context is the parent of every request's.
//! With an `Arc` clone and drop per child, every request of every worker writes the parent's
//! count, one cache line: a cost that grows with the number of workers (issue 19: a child on a
//! ready future, 0.1 µs on one worker, 2.6 µs on 16). Instead, once children of a parent are
//! made on two threads other than the one that made it ([`FOREIGN_BEFORE_LEASES`] of them on
//! threads other than the first: a per-request context whose few parts run elsewhere does not
//! allocate slots), it gets slots ([`spread_count`] of them, each on its own lines; a thread's
//! is picked by its [`spread_index`]), and a child made on another thread than its parent's
//! counts itself in its thread's slot. The slot holds one strong count of the parent for all the
//! children counted in it, and keeps it while it counts none, for the next: a thread that makes
//! and drops children of a shared parent writes its own slot only. A parent whose children are
//! made where it was (one thread; a per-request context's own children) never has slots: its
//! children hold an `Arc` each, as before.
//!
//! Keeping that count has to end, or the slots would keep the parent alive forever (and what it
//! owns: its hooks' functions, its parent). A child is made from a handle ([`Ctx`]), and a
//! handle only from another (cloned; a `WeakCtx` cancels without making one), so once the
//! parent's last handle is gone no child leases any more: the handles are counted
//! (`State::handles`, sharing one strong count, `ctx/mod.rs`), and the last one's drop marks
//! every slot `ORPHANED` ([`Leases::orphan`]). From then on a slot's count is given back by
//! whoever brings the slot to "no child, orphaned": the mark, if the slot counted no child then,
//! or else the last child's drop. The parent is then dropped with its last child, as it was with
//! an `Arc` per child. (The last handle's drop marks them only if its count is not the only
//! one, `recycle::release`: if it is, no slot holds one, so none counts a child, and the slots
//! are left as new, with the allocation. So the drop of a context that never had slots, a
//! per-request one, does not look for them.)
//!
//! A slot's word: [`HOLDS`], the slot owns one strong count of the parent; [`ORPHANED`], the
//! parent's handles are gone; above them, in units of [`CHILD`], the children counted here.
//!
//! Invariants:
//! - A slot that counts a child holds (`count > 0 ⇒ HOLDS`), so a leased child's pointer to its
//!   parent is valid for as long as the child is counted.
//! - `HOLDS` is set only by a lease that gives the slot a strong count it took from the handle
//!   it was made from, and cleared only by the compare-exchange that takes the slot to
//!   `ORPHANED` alone (no child), which takes that count over: one owner at every moment.
//! - An orphaned slot takes no new child (there is none to take: no handle is left to make one
//!   from; should there be, it would hold an `Arc` of its own), so once marked, a slot's count
//!   only goes down, and the mark is made once.
//! - Whoever takes a slot's count over touches the parent after that only through that count;
//!   a child that is not the last one of an orphaned slot touches nothing after its exchange.
//! - Orderings: a child's exchange is a release of everything it did with the parent, and
//!   whoever takes the count over acquires it, before its drop may free the parent.
//!
//! Checked by loom (`tests/loom.rs`, `a_leased_parent_is_dropped_after_its_last_handle_and_child`:
//! with leasing on, `__private::loom_lease`, a child made on another modelled thread leases at
//! once; off in the other models, whose interleavings it multiplies), which fails when the mark
//! is read and written in two steps
//! (`--cfg autocancel_loom_broken="lease_orphan_lost"`: a child's drop between them is lost, and
//! the parent leaks), and under Miri (this module's tests, threads included). The handle count
//! is `std`'s atomic under loom, as `Arc`'s counts are; the slots are loom's.
//!
//! [`Ctx`]: crate::Ctx

use std::mem::ManuallyDrop;
use std::sync::Arc;

use super::State;
use crate::sync::{spread_count, spread_index, AtomicUsize, Ordering, Padded};

/// The slot owns one strong count of the parent.
const HOLDS: usize = 1;
/// The parent's handles are gone: the slot gives its count back once it counts no child.
const ORPHANED: usize = 2;
/// One child counted in the slot.
const CHILD: usize = 4;

/// How many children made on other threads than its own and than the first other one a parent
/// has before it gets slots: a per-request context whose few children run elsewhere (a request
/// that spawns its parts) keeps an `Arc` per child rather than allocating a slot per thread of
/// the machine.
#[cfg(not(loom))]
const FOREIGN_BEFORE_LEASES: u32 = 64;
/// Under loom a child made on another modelled thread than its parent leases at once (the
/// first other thread too), in the models that turn leasing on (`__private::loom_lease`).
#[cfg(loom)]
const FOREIGN_BEFORE_LEASES: u32 = 0;

/// A parent's slots, one per thread turn (masked).
pub(in crate::ctx) struct Leases {
    slots: Box<[Padded<AtomicUsize>]>,
}

impl Leases {
    fn new() -> Leases {
        Leases {
            slots: (0..spread_count())
                .map(|_| Padded(AtomicUsize::new(0)))
                .collect(),
        }
    }

    fn slot(&self, index: usize) -> &AtomicUsize {
        &self.slots[index].0
    }

    /// Counts a child of `parent` in the running thread's slot, giving the slot a strong count
    /// if it holds none; `None` if the slot is orphaned (the child then takes an `Arc`).
    #[inline]
    fn lease(&self, parent: &Arc<State>) -> Option<usize> {
        let index = spread_index(self.slots.len());
        let slot = self.slot(index);
        let word = slot.load(Ordering::Relaxed);
        // The usual case: the slot holds its count already, and is not orphaned.
        if word & (HOLDS | ORPHANED) == HOLDS
            && slot
                .compare_exchange(word, word + CHILD, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            return Some(index);
        }
        self.lease_slow(parent, index)
    }

    /// [`Leases::lease`], the general case: the slot gets its count, or another thread
    /// changed it meanwhile.
    #[cold]
    #[inline(never)]
    fn lease_slow(&self, parent: &Arc<State>, index: usize) -> Option<usize> {
        let slot = self.slot(index);
        let mut word = slot.load(Ordering::Relaxed);
        // A strong count taken for the slot and not given to it yet.
        let mut taken: Option<Arc<State>> = None;
        let leased = loop {
            if word & ORPHANED != 0 {
                break None;
            }
            let holds = word & HOLDS != 0;
            if !holds && taken.is_none() {
                taken = Some(Arc::clone(parent));
            }
            let new = (word + CHILD) | HOLDS;
            match slot.compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    if !holds {
                        // Given to the slot: it is the slot's count now, dropped by whoever
                        // takes it over (`unlease`, `orphan`).
                        std::mem::forget(taken.take());
                    }
                    break Some(index);
                }
                Err(now) => word = now,
            }
        };
        // Taken, but another lease gave the slot its count first (or the slot was orphaned):
        // given back, which cannot be the last count (`parent` is one).
        drop(taken);
        leased
    }

    /// Uncounts a child from slot `index`; true if it was the last child of an orphaned slot,
    /// whose strong count the caller then owns. After a `false`, the parent may be gone.
    #[inline]
    fn unlease(&self, index: usize) -> bool {
        let slot = self.slot(index);
        let mut word = slot.load(Ordering::Relaxed);
        // The usual case: not orphaned, so not the slot's count to take.
        if word & ORPHANED == 0
            && slot
                .compare_exchange(word, word - CHILD, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            return false;
        }
        loop {
            debug_assert!(
                word >= CHILD && word & HOLDS != 0,
                "a leased child is counted"
            );
            let last = word == HOLDS | ORPHANED | CHILD;
            let new = if last { ORPHANED } else { word - CHILD };
            match slot.compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return last,
                Err(now) => word = now,
            }
        }
    }

    /// Marks every slot orphaned, for the last handle of `parent` (which it still holds, so that
    /// the counts given back here never free it), giving back the count of each slot that
    /// counts no child.
    pub(in crate::ctx) fn orphan(&self, parent: &Arc<State>) {
        for index in 0..self.slots.len() {
            if self.mark(index) {
                // SAFETY: `mark` took the slot's count over (the one `lease` forgot): given back
                // here, once. `parent` is another, so this is not the last.
                unsafe { Arc::decrement_strong_count(Arc::as_ptr(parent)) };
            }
        }
    }

    /// Marks slot `index` orphaned; true if it held a count and counted no child (the count is
    /// then the caller's).
    #[cfg(not(autocancel_loom_broken = "lease_orphan_lost"))]
    fn mark(&self, index: usize) -> bool {
        let slot = self.slot(index);
        let mut word = slot.load(Ordering::Relaxed);
        loop {
            if word & ORPHANED != 0 {
                return false;
            }
            let release = word == HOLDS;
            let new = if release { ORPHANED } else { word | ORPHANED };
            match slot.compare_exchange_weak(word, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return release,
                Err(now) => word = now,
            }
        }
    }

    /// Broken on purpose (for the loom model): the mark read and written in two steps, so that
    /// a child's drop in between is lost (its slot then counts a child that is gone, and keeps
    /// the parent forever).
    #[cfg(autocancel_loom_broken = "lease_orphan_lost")]
    fn mark(&self, index: usize) -> bool {
        let slot = self.slot(index);
        let word = slot.load(Ordering::Acquire);
        if word & ORPHANED != 0 {
            return false;
        }
        let release = word == HOLDS;
        slot.store(
            if release { ORPHANED } else { word | ORPHANED },
            Ordering::Release,
        );
        release
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        // Dropped with the parent, which no slot holds any more (each holder owns a count).
        debug_assert!(self
            .slots
            .iter()
            .all(|slot| slot.0.load(Ordering::Relaxed) & HOLDS == 0));
    }
}

impl State {
    /// The slot to count a child made on thread `home` ([`sync::thread_home`]) in, if this
    /// parent leases. Not for the children made on its own thread, nor, until a second thread
    /// makes children of it, on the first other thread that does (a server's context on one
    /// worker): there the `Arc` clones write a line no other thread is writing.
    ///
    /// [`sync::thread_home`]: crate::sync::thread_home
    #[inline]
    fn lease(self: &Arc<State>, home: usize) -> Option<usize> {
        // (Under loom, no look at the slots here: their `OnceLock` is a loom operation, which
        // the models that do not lease would interleave on.)
        if home == self.home
            || (!cfg!(loom)
                && self.leases.get().is_none()
                && self.first_foreign.load(Ordering::Relaxed) == home)
        {
            return None;
        }
        self.lease_elsewhere(home)
    }

    #[inline(never)]
    fn lease_elsewhere(self: &Arc<State>, home: usize) -> Option<usize> {
        #[cfg(loom)]
        if !crate::sync::loom_only::leasing() {
            return None;
        }
        let leases = match self.leases.get() {
            Some(leases) => leases,
            None => self.foreign_child(home)?,
        };
        leases.lease(self)
    }

    /// Notes a child made on another thread than this context's; the slots, made now, once
    /// [`FOREIGN_BEFORE_LEASES`] were made on threads other than the first of them.
    #[cold]
    fn foreign_child(&self, home: usize) -> Option<&Leases> {
        if !cfg!(loom) {
            let first = match self.first_foreign.compare_exchange(
                0,
                home,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return None,
                Err(first) => first,
            };
            if first == home {
                return None;
            }
        }
        let seen = self.foreign.fetch_add(1, Ordering::Relaxed);
        (seen >= FOREIGN_BEFORE_LEASES).then(|| self.leases.get_or_init(Leases::new))
    }
}

/// The handles ([`Ctx`](crate::Ctx)): counted in `State::handles`, sharing one strong count.
impl State {
    /// One handle more, from an existing one (so the shared strong count is there).
    #[inline]
    pub(in crate::ctx) fn add_handle(&self) {
        // As `Arc`'s clone: a new handle is made from one, so `Relaxed` suffices, and a count
        // that could overflow means handles were leaked without end.
        if self.handles.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// One handle less; true if it was the last, whose caller then owns the handles' strong
    /// count, and must orphan the slots if there are any ([`State::orphan`]) before it lets go
    /// of that count.
    #[inline]
    pub(in crate::ctx) fn drop_handle(&self) -> bool {
        // The only handle: no other can be made (a handle is made from a handle only, and this
        // one is being dropped), so no write, the usual drop of a per-request context.
        self.handles.load(Ordering::Acquire) == 1 || self.drop_shared_handle()
    }

    /// For the last handle's drop, holding the handles' count (so that the parent outlives the
    /// counts the slots give back), where others hold the parent too: orphans the slots, if
    /// there are any. (Where the handles' count is the only one, no slot holds one, so none
    /// counts a child: nothing to give back, and the slots stay as new, `recycle::release`.)
    #[inline]
    pub(in crate::ctx) fn orphan(self: &Arc<State>) {
        // No child was ever made on a thread that counts (`foreign_child`), so no slots: what a
        // context's last drop usually finds, without the slots' `OnceLock` (a loom operation
        // under loom, which every model's drops would then interleave on). Seen if it was
        // counted: whoever counted held a handle, whose drop happened before this one's.
        if self.foreign.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(leases) = self.leases.get() {
            leases.orphan(self);
        }
    }

    /// [`State::drop_handle`] where others were seen: true if they are gone now. Leaves the
    /// count at one if so (it is this handle's to do so: no other can appear), so that a state
    /// kept for reuse (`recycle.rs`) needs no write to start with one handle.
    fn drop_shared_handle(&self) -> bool {
        let last = self.handles.fetch_sub(1, Ordering::AcqRel) == 1;
        if last {
            self.handles.store(1, Ordering::Relaxed);
        }
        last
    }

    /// Whether this context holds its parent through a slot (for the loom model).
    #[cfg(loom)]
    pub(in crate::ctx) fn leases_its_parent(&self) -> bool {
        self.parent.as_ref().is_some_and(Parent::leased)
    }

    /// How many handles there are (for tests and assertions).
    pub(in crate::ctx) fn handle_count(&self) -> usize {
        self.handles.load(Ordering::Acquire)
    }
}

/// A child's hold on its parent: an `Arc` of its own, or a count in one of the parent's slots.
/// Two words, so that a context's `Option<Parent>` is too (the `Arc`'s niche): it is written
/// and read on every child's making and drop.
pub(in crate::ctx) struct Parent {
    /// The parent. Owns a strong count when `slot` is [`OWN_ARC`]; else it is the count the slot
    /// holds, borrowed for as long as this child is counted there, and never dropped from here.
    arc: ManuallyDrop<Arc<State>>,
    /// The slot this child is counted in, or [`OWN_ARC`].
    slot: usize,
}

/// [`Parent::slot`] of a child that holds an `Arc` of its own (no slot has that index: there
/// are [`spread_count`] of them).
const OWN_ARC: usize = usize::MAX;

impl Parent {
    /// Holds `parent` for a child made on thread `home` ([`crate::sync::thread_home`]).
    #[inline]
    pub(super) fn new(parent: &Arc<State>, home: usize) -> Parent {
        match parent.lease(home) {
            Some(slot) => Parent {
                // SAFETY: not a count of its own: the slot's, which stays while this child is
                // counted there (the invariants above); `ManuallyDrop`, and never taken out but
                // by `give_back` once `unlease` has handed the count over.
                arc: ManuallyDrop::new(unsafe { Arc::from_raw(Arc::as_ptr(parent)) }),
                slot,
            },
            None => Parent {
                arc: ManuallyDrop::new(Arc::clone(parent)),
                slot: OWN_ARC,
            },
        }
    }

    /// The parent, as an `Arc` (for linking: the parent's list keeps a `Weak` of the child, and
    /// the chain of unlinked ancestors is linked through their `Arc`s).
    #[inline(always)]
    pub(super) fn arc(&self) -> &Arc<State> {
        &self.arc
    }

    /// Whether this child counts itself in a slot of its parent's.
    #[cfg(any(test, loom))]
    pub(super) fn leased(&self) -> bool {
        self.slot != OWN_ARC
    }

    /// Lets go of the parent; the strong count this gave back, if it is one the caller must
    /// drop (its own `Arc`, or its slot's once orphaned and left by its last child).
    #[inline(always)]
    pub(super) fn into_count(self) -> Option<Arc<State>> {
        let mut this = ManuallyDrop::new(self);
        this.give_back()
    }

    /// See [`Parent::into_count`]; called once, by it or by the drop.
    #[inline(always)]
    fn give_back(&mut self) -> Option<Arc<State>> {
        if self.slot != OWN_ARC && !self.unlease(self.slot) {
            // Not ours: the parent may be gone now, and is not touched again.
            return None;
        }
        // SAFETY: taken once (`into_count` forgets `self`; the drop runs once), and only when
        // the count is this child's: its own `Arc`, or the slot's handed over by `unlease`.
        Some(unsafe { ManuallyDrop::take(&mut self.arc) })
    }

    /// Uncounts this child from its parent's slot `slot`; true if the slot's count is now its
    /// own (see [`Leases::unlease`]). Out of line: the drop of a child holding an `Arc` stays
    /// small enough to be inlined where contexts are dropped.
    #[inline(never)]
    fn unlease(&self, slot: usize) -> bool {
        let leases = self.arc.leases.get();
        debug_assert!(leases.is_some(), "a leased child's parent has slots");
        leases.is_some_and(|leases| leases.unlease(slot))
    }
}

impl Drop for Parent {
    #[inline(always)]
    fn drop(&mut self) {
        drop(self.give_back());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};

    use super::FOREIGN_BEFORE_LEASES;
    use crate::Ctx;

    /// Counts the drops of what a context's hook holds: the context's own drop, observed.
    struct Dropped(Arc<AtomicUsize>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A context whose drop shows in the count it returns (its detached hook owns a
    /// [`Dropped`]).
    fn observed() -> (Ctx, Arc<AtomicUsize>) {
        let ctx = Ctx::new();
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = Dropped(dropped.clone());
        ctx.on_cancel(move |_| drop(guard)).detach();
        (ctx, dropped)
    }

    /// Makes children of `parent` on two other threads until it leases.
    fn warm(parent: &Ctx) {
        let parent = parent.clone();
        std::thread::spawn(move || {
            drop(
                std::thread::spawn({
                    let parent = parent.clone();
                    move || parent.child()
                })
                .join()
                .unwrap(),
            );
            for _ in 0..=FOREIGN_BEFORE_LEASES {
                drop(parent.child());
            }
            assert!(parent.child().state.parent.as_ref().unwrap().leased());
        })
        .join()
        .unwrap();
    }

    /// A child's hold on its parent, with its `Option`, is two words (the `Arc`'s niche): it is
    /// written at every child's making and read at its drop, on one thread as on many.
    #[test]
    fn a_hold_on_the_parent_is_two_words() {
        assert_eq!(
            std::mem::size_of::<Option<super::Parent>>(),
            2 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn children_made_where_their_parent_was_hold_an_arc_each() {
        let parent = Ctx::new();
        for _ in 0..=FOREIGN_BEFORE_LEASES {
            let child = parent.child();
            assert!(!child.state.parent.as_ref().unwrap().leased());
        }
        assert!(parent.state.leases.get().is_none(), "no slots");
    }

    /// A server's context on one worker: one thread besides the parent's makes its children,
    /// and nobody else writes the parent's count, so no slots.
    #[test]
    fn children_made_on_one_other_thread_hold_an_arc_each() {
        let parent = Ctx::new();
        let worker = parent.clone();
        std::thread::spawn(move || {
            for _ in 0..=2 * FOREIGN_BEFORE_LEASES {
                let child = worker.child();
                assert!(!child.state.parent.as_ref().unwrap().leased());
            }
        })
        .join()
        .unwrap();
        assert!(parent.state.leases.get().is_none(), "no slots");
    }

    /// The point: a worker making and dropping children of a shared parent writes none of the
    /// parent's counts (here, its strong count does not move).
    #[test]
    fn children_made_on_other_threads_lease_without_touching_the_parents_count() {
        let parent = Ctx::new();
        warm(&parent);
        let worker = parent.clone();
        let counts = std::thread::spawn(move || {
            // The first child here gives this thread's slot its count (kept from then on).
            drop(worker.child());
            let before = Arc::strong_count(&worker.state);
            for _ in 0..100 {
                let child = worker.with_timeout(std::time::Duration::from_secs(60));
                assert!(child.state.parent.as_ref().unwrap().leased());
                let grandchild = child.child();
                assert!(!grandchild.is_cancelled());
            }
            (before, Arc::strong_count(&worker.state))
        })
        .join()
        .unwrap();
        assert_eq!(counts.0, counts.1);
        parent.cancel_with_reason("stop");
    }

    #[test]
    fn a_leased_child_sees_its_parents_cancellation_and_cause() {
        let parent = Ctx::new();
        warm(&parent);
        let worker = parent.clone();
        let (made, child) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let child = worker.child();
            let waited = child.child();
            made.send((child, waited)).unwrap();
        });
        let (child, waited) = child.recv().unwrap();
        thread.join().unwrap();
        let hook = waited.on_cancel(|_| {});
        parent.cancel_with_reason("stop");
        assert_eq!(
            child.check().unwrap_err().to_string(),
            "cancelled: parent context: cancelled: stop"
        );
        assert!(waited.is_cancelled());
        drop(hook);
    }

    /// The slots keep their counts while the parent has a handle, and give them back once it
    /// has none: the parent is dropped with its last child, as with an `Arc` per child.
    #[test]
    fn a_leased_parent_is_dropped_with_its_last_handle_or_child() {
        // Handle last: the slots count no child when it goes.
        let (parent, dropped) = observed();
        warm(&parent);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        drop(parent);
        assert_eq!(dropped.load(Ordering::SeqCst), 1, "handle last");

        // Child last, dropped on another thread than the one that leased it.
        let (parent, dropped) = observed();
        warm(&parent);
        let worker = parent.clone();
        let child = std::thread::spawn(move || worker.child()).join().unwrap();
        assert!(child.state.parent.as_ref().unwrap().leased());
        drop(parent);
        assert_eq!(dropped.load(Ordering::SeqCst), 0, "the child holds it");
        let grandchild = child.child();
        drop(child);
        assert_eq!(dropped.load(Ordering::SeqCst), 0, "through the grandchild");
        std::thread::spawn(move || drop(grandchild)).join().unwrap();
        assert_eq!(dropped.load(Ordering::SeqCst), 1, "child last");
    }

    /// A parent whose handles are gone is still cancelled by the token it was made from (a
    /// `WeakCtx`, which makes no handle), and its leased children see it.
    #[cfg(feature = "tokio-util")]
    #[test]
    fn a_parent_without_handles_is_still_cancelled_by_its_token() {
        let token = tokio_util::sync::CancellationToken::new();
        let parent = Ctx::from_token(token.clone());
        warm(&parent);
        let worker = parent.clone();
        let child = std::thread::spawn(move || worker.child()).join().unwrap();
        assert!(child.state.parent.as_ref().unwrap().leased());
        drop(parent);
        token.cancel();
        assert_eq!(
            child.check().unwrap_err().to_string(),
            "cancelled: parent context: cancelled: CancellationToken cancelled"
        );
    }

    /// Many threads leasing, dropping and orphaning at once: every parent dropped once.
    #[test]
    fn threads_leasing_while_the_last_handle_goes_drop_the_parent_once() {
        let rounds = if cfg!(miri) { 2 } else { 50 };
        for _ in 0..rounds {
            let (parent, dropped) = observed();
            warm(&parent);
            let workers: Vec<_> = (0..3)
                .map(|_| {
                    let worker = parent.clone();
                    std::thread::spawn(move || {
                        let children: Vec<_> = (0..4).map(|_| worker.child()).collect();
                        drop(worker);
                        children
                    })
                })
                .collect();
            drop(parent);
            let children: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
            assert_eq!(dropped.load(Ordering::SeqCst), 0);
            std::thread::scope(|scope| {
                for batch in children {
                    scope.spawn(move || drop(batch));
                }
            });
            assert_eq!(dropped.load(Ordering::SeqCst), 1);
        }
    }
}
