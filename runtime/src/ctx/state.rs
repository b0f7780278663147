//! The shared state behind a [`Ctx`](crate::Ctx): the cancellation flag, the recorded cause,
//! the waiters to wake and the children to propagate to.
//!
//! Why not `tokio_util::sync::CancellationToken`? Its `is_cancelled()` locks a mutex, and a
//! checkpoint runs at every loop iteration. Here the check is one atomic load of `bits`; the
//! mutex is touched only to register a waiter (once per annotated call that ever waits), to link
//! or unlink a child (lazily: a child that is only checked never is, see `state/link.rs`), and
//! when the context is cancelled; once it is found contended, waiters and children go to lists
//! of their own, each under its own lock (`state/spread.rs`). A child holds its parent; once
//! children are made on several threads, each thread's children count their hold in a slot of
//! the parent's for that thread rather than in its reference count (`state/lease.rs`).
//!
//! Ordering: `cancel` records the cause, then sets `flag`, then marks the lists closed under the
//! lock and empties the waiter list (`wait_list.rs`). A registration takes the same lock and
//! refuses when closed, so every waiter either sees the flag or is woken. See `tests/loom.rs`
//! for the model check.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::Waker;
use std::time::Duration;

use slab::Slab;
use tokio::time::Instant;

use super::idle::{Due, Idle};
use super::wait_list::{release_all, Batch, WaitList, WaitNode};

mod lease;
mod link;
pub(super) mod recycle;
mod spread;

use super::timers::{self, TimerKey};
use crate::sync::{self, AtomicU8, Mutex, MutexGuard, OnceLock};
use crate::{Cancelled, Cause, Deadline};
use lease::{Leases, Parent};
use link::release_parent;
use spread::{Spread, Taken};

/// `State::bits`: cancelled.
const FLAG: u8 = 1;
/// `State::bits`: not in the parent's child list yet.
const UNLINKED: u8 = 2;
/// How many checks of an unlinked context before it links itself: enough that a context only
/// checked once or twice (per request, per read) never takes its parent's lock, few enough that
/// a loop's checks are soon one load.
const LINK_AFTER_CHECKS: u8 = 4;

/// A context's effective deadline: the earlier of its own and its parent's, and the budget it
/// was created with (for "deadline exceeded (after 7s)").
#[derive(Clone, Copy, Debug)]
pub(super) struct Limit {
    pub(super) deadline: Deadline,
    pub(super) budget: Duration,
    /// The deadline came from the caller (see `Ctx::with_propagated_timeout`).
    pub(super) propagated: bool,
}

pub(super) struct State {
    /// `FLAG`: set, once, right after `record`; `UNLINKED`: not in the parent's child list yet
    /// (see `state/link.rs`, "Lazy links"). The only thing a checkpoint reads: zero is "running".
    bits: AtomicU8,
    /// The first cancellation and when it happened (for "how long overdue").
    record: OnceLock<(Cancelled, Instant)>,
    pub(super) limit: Option<Limit>,
    /// False only for [`State::never`]: then nothing cancels it, and nothing registers with it.
    cancellable: bool,
    /// A deadline that can be pushed back ([`Ctx::with_idle_timeout`](crate::Ctx::with_idle_timeout)).
    pub(super) idle: Option<Idle>,
    /// Whether this context or an ancestor has an idle deadline: its children do not copy it
    /// (it moves), so the slow paths walk up to it.
    pub(super) idle_chain: bool,
    /// Whether any deadline applies (`limit`, or an idle one here or above): whether checks
    /// read the clock every so often.
    pub(super) timed: bool,
    /// Keeps the parent alive while a child exists: an `Arc` of its own, or a count in the
    /// parent's slot for this thread (`state/lease.rs`).
    parent: Option<Parent>,
    /// How many [`Ctx`](crate::Ctx) handles there are: they share one strong count, and the
    /// last one's drop orphans the slots (`state/lease.rs`, `ctx/mod.rs`). `std`'s atomic
    /// under loom too, as `Arc`'s counts are (`sync.rs`).
    handles: AtomicUsize,
    /// The thread this context was made on ([`sync::thread_home`]): its children made there
    /// hold an `Arc` each, those made elsewhere may lease (`state/lease.rs`).
    home: usize,
    /// The first other thread (its [`sync::thread_home`]) a child of this context was made on,
    /// and how many were made on yet others before the slots were (`state/lease.rs`). Hints:
    /// a context kept for reuse keeps its last ones.
    first_foreign: AtomicUsize,
    foreign: std::sync::atomic::AtomicU32,
    /// The parent's reference count, spread over threads, once it has children on several.
    leases: OnceLock<Leases>,
    /// The slot in the parent's child list, once linked (see `state/link.rs`).
    key: AtomicUsize,
    /// How many checks found this context unlinked (see [`State::check`]).
    unlinked_checks: std::sync::atomic::AtomicU8,
    lists: Mutex<Lists>,
    /// The lists its children link into once its own was found contended (`state/spread.rs`).
    spread: OnceLock<Spread>,
    /// What the `tokio-util` interop keeps with the context (`handles.rs`).
    #[cfg(feature = "tokio-util")]
    pub(super) bridges: super::handles::Bridges,
    /// A context of `autocancel::testing` (or derived from one): its cancellation points count
    /// down to a cut.
    #[cfg(feature = "testing")]
    pub(super) cuts: Option<Arc<super::Cuts>>,
}

#[derive(Default)]
struct Lists {
    /// Once cancelled, nothing is added any more.
    closed: bool,
    /// The waiters, linked from their own memory (see `wait_list.rs`).
    waiters: WaitList,
    /// The wakers of [`Ctx::on_cancel`](crate::Ctx::on_cancel) functions: owned here, not
    /// linked, since a detached one outlives its guard and lives as long as the context.
    hooks: Slab<Waker>,
    children: Slab<Weak<State>>,
    /// The entry that cancels the context at its deadline, in the timer wheel of the thread
    /// its first waiter registered from (`timers.rs`; a context nobody waits on needs no timer:
    /// checkpoints read the clock), so that creating a context with a deadline costs no more
    /// than an allocation.
    timer: Option<TimerKey>,
}

impl State {
    pub(super) fn root() -> Arc<State> {
        Arc::new(State::with(None, None, false, None, sync::thread_home()))
    }

    /// A context that is never cancelled: the ambient context outside any group, shared by every
    /// task of a process. Waiting on it and creating children of it take no lock (a lock shared
    /// by every task of a server otherwise), and `cancel` does nothing.
    pub(super) fn never() -> Arc<State> {
        let mut state = State::with(None, None, false, None, sync::thread_home());
        state.cancellable = false;
        Arc::new(state)
    }

    /// `Arc::new(State::with(..))`, in this thread's spare allocation if there is one (see
    /// `state/recycle.rs`), else built in place: `Arc::new` built the state on the stack and
    /// copied it into the allocation (a 250-byte `memcpy` on every per-request context). Kept
    /// because it pays: with `Arc::new`, `with_timeout(d).run(fut)` took 707 instructions
    /// instead of 650 (+57, callgrind, `benches/child_deadline_once.rs`) and its criterion
    /// ratio to `tokio::time::timeout` went from 1.45–1.53× to 1.42–1.89× on the same machine.
    /// Miri checks it (the lib tests), and loom runs it (it is not `cfg`'d out of the model).
    #[inline(always)]
    fn new_arc(
        limit: Option<Limit>,
        idle: Option<Idle>,
        idle_above: bool,
        parent: Option<Parent>,
        home: usize,
    ) -> Arc<State> {
        if let Some(mut spare) = recycle::take() {
            spare.get_mut().reuse(limit, idle, idle_above, parent, home);
            return spare.into_arc();
        }
        let arc = Arc::<State>::new_uninit();
        // SAFETY: the allocation is fresh and not shared yet, so writing through the pointer
        // is the only access; it is fully initialised by the write before `assume_init`.
        unsafe {
            let slot = Arc::as_ptr(&arc).cast_mut();
            (*slot).write(State::with(limit, idle, idle_above, parent, home));
            arc.assume_init()
        }
    }

    #[inline(always)]
    fn with(
        limit: Option<Limit>,
        idle: Option<Idle>,
        idle_above: bool,
        parent: Option<Parent>,
        home: usize,
    ) -> State {
        let idle_chain = idle_above || idle.is_some();
        State {
            bits: AtomicU8::new(if parent.is_some() { UNLINKED } else { 0 }),
            key: AtomicUsize::new(0),
            unlinked_checks: std::sync::atomic::AtomicU8::new(0),
            record: OnceLock::new(),
            limit,
            cancellable: true,
            timed: limit.is_some() || idle_chain,
            idle,
            idle_chain,
            #[cfg(feature = "testing")]
            cuts: parent.as_ref().and_then(|parent| parent.arc().cuts.clone()),
            parent,
            handles: AtomicUsize::new(1),
            home,
            first_foreign: AtomicUsize::new(0),
            foreign: std::sync::atomic::AtomicU32::new(0),
            leases: OnceLock::new(),
            lists: Mutex::new(Lists::default()),
            spread: OnceLock::new(),
            #[cfg(feature = "tokio-util")]
            bridges: Default::default(),
        }
    }

    /// The root of a cancellation test (see `crate::testing`).
    #[cfg(feature = "testing")]
    pub(super) fn with_cuts(cuts: Arc<super::Cuts>) -> State {
        let mut state = State::with(None, None, false, None, sync::thread_home());
        state.cuts = Some(cuts);
        state
    }

    /// A child of `parent` with `limit` (already merged with the parent's) and, for
    /// [`Ctx::with_idle_timeout`](crate::Ctx::with_idle_timeout), an idle deadline of its own;
    /// `now` if the caller has just read the clock.
    pub(super) fn child(
        parent: &Arc<State>,
        limit: Option<Limit>,
        idle: Option<Idle>,
        now: Option<Instant>,
    ) -> Arc<State> {
        let idle_above = parent.idle_chain;
        let home = sync::thread_home();
        let child = if parent.cancellable {
            // Unlinked (see `state/link.rs`): no lock. Made from a cancelled parent, it is
            // cancelled from the start. Made on another thread than its parent, it may lease
            // its hold on the parent (`state/lease.rs`).
            let parent_hold = Parent::new(parent, home);
            let child = State::new_arc(limit, idle, idle_above, Some(parent_hold), home);
            // The parent's own flag only: an ancestor's cancellation the parent has not seen yet
            // is found by the child's first check, and looking for it here would walk the
            // whole unlinked chain for every child made at the end of it.
            if parent.flagged_here() {
                child.inherit_cancellation();
                return child;
            }
            child
        } else {
            // Nothing to inherit, nothing to be cancelled with: no parent at all.
            State::new_arc(limit, idle, idle_above, None, home)
        };
        // No timer yet: checks notice a passed deadline by reading the clock, and the first
        // waiter arms the timer (`watch`). A deadline already passed cancels the child now; one
        // the caller has just computed from the clock (`with_timeout`) needs no second look.
        if child.timed {
            match now {
                Some(now)
                    if !child.idle_chain && limit.is_some_and(|l| l.deadline.instant() > now) => {}
                _ => {
                    child.expire_if_due(now.unwrap_or_else(sync::now));
                }
            }
        }
        child
    }

    /// The parent, if any (not the never-cancelled context: children of it have none).
    pub(super) fn parent(&self) -> Option<&State> {
        self.parent.as_ref().map(|parent| &**parent.arc())
    }

    /// False only for [`State::never`] (the ambient context outside any group).
    #[inline]
    pub(super) fn can_be_cancelled(&self) -> bool {
        self.cancellable
    }

    /// The checkpoint's fast path: one atomic load.
    #[inline(always)]
    pub(super) fn flag(&self) -> bool {
        let bits = self.bits.load(Ordering::Acquire);
        bits != 0 && (bits & FLAG != 0 || self.ancestor_cancelled())
    }

    /// The recorded cancellation. Call only once `flag()` is true (or `record` is set).
    #[cold]
    pub(super) fn cancelled_error(&self) -> Cancelled {
        match self.record.get() {
            Some((cancelled, _)) => cancelled.clone(),
            // Unreachable: the flag is set after the record. Still, no panic in a library.
            None => Cancelled::new(Cause::Cancelled { reason: None }),
        }
    }

    pub(super) fn record(&self) -> Option<&(Cancelled, Instant)> {
        self.record.get()
    }

    /// Cancels with `cancelled` unless already cancelled; true if this call won.
    pub(super) fn cancel(&self, cancelled: Cancelled) -> bool {
        self.cancel_at(cancelled, sync::now())
    }

    fn cancel_at(&self, cancelled: Cancelled, at: Instant) -> bool {
        if !self.cancellable {
            return false;
        }
        let Some(children) = self.cancel_one(cancelled, at) else {
            return false;
        };
        if children.1.is_empty() {
            return true; // the usual case: no work list to allocate
        }
        // The descendants, with a work list rather than recursion: a chain of contexts nested
        // thousands deep must not overflow the stack.
        let mut pending = vec![children];
        while let Some((inherited, children)) = pending.pop() {
            for child in children.children() {
                if let Some(child) = child.upgrade() {
                    if let Some(grandchildren) = child.cancel_one(inherited.clone(), at) {
                        pending.push(grandchildren);
                    }
                }
            }
        }
        true
    }

    /// Cancels this context alone; if this call won, returns what its children inherit and the
    /// children to cancel with it.
    fn cancel_one(&self, cancelled: Cancelled, at: Instant) -> Option<(Cancelled, Taken)> {
        // A deadline at or before this cancellation came first, even if nobody noticed it yet:
        // it is the cause, and it wins a tie (a task failing, or a parent cancelled, on the
        // deadline's instant). A cancellation that already stems from a deadline stays as is.
        if self.timed && !cancelled.is_deadline_exceeded() {
            if let Some(due) = self.next_due() {
                if due.at <= at {
                    due.fire();
                    return None;
                }
            }
        }
        let mut won = false;
        let (recorded, _) = self.record.get_or_init(|| {
            won = true;
            (cancelled, at)
        });
        if !won {
            // Another call won and may not have set the flag yet: set it here too (the record
            // is there, which is all the flag promises), so that once any `cancel` returns, the
            // context reads as cancelled. Found by tests/loom.rs.
            self.bits.fetch_or(FLAG, Ordering::SeqCst);
            return None;
        }
        self.bits.fetch_or(FLAG, Ordering::SeqCst);
        let mut lists = self.lock();
        lists.closed = true;
        let own = std::mem::take(&mut lists.children);
        // Under the lock, now closed: see `state/spread.rs`.
        let spread = self.spread_lists();
        let hooks = std::mem::take(&mut lists.hooks);
        let timer = lists.timer.take();
        // The waiters, in batches woken outside the lock.
        release_all(
            lists,
            &mut Batch::new(),
            || self.lock(),
            |lists| &mut lists.waiters,
        );
        for (_, hook) in hooks {
            hook.wake();
        }
        // Out of the wheel (its lock is taken after this context's, never inside it).
        drop(timer);
        let spread = State::close_spread(spread);
        Some((inherited_by_children(recorded), Taken { own, spread }))
    }

    /// Cancels with `DeadlineExceeded` if the deadline is at or before `now`; true if cancelled
    /// (by this call or earlier).
    #[cold]
    pub(super) fn expire_if_due(&self, now: Instant) -> bool {
        if !self.flag() {
            if let Some(due) = self.next_due() {
                if now >= due.at {
                    due.fire();
                }
            }
        }
        self.flag()
    }

    /// The deadline that falls due first: the limit, this context's idle deadline, or an
    /// ancestor's (which cancels this one through the parent link).
    pub(super) fn next_due(&self) -> Option<Due<'_>> {
        let mut due = self.limit.map(|limit| Due {
            at: limit.deadline.instant(),
            state: self,
            idle: false,
        });
        if self.idle_chain {
            let mut here = Some(self);
            while let Some(state) = here {
                if let Some(idle) = &state.idle {
                    let candidate = idle.due(state);
                    if due.as_ref().is_none_or(|d| candidate.at < d.at) {
                        due = Some(candidate);
                    }
                }
                here = state.parent();
                if !here.is_some_and(|p| p.idle_chain) {
                    break;
                }
            }
        }
        due
    }

    /// Cancels with a deadline's cause, recorded at `at` (see [`Due::fire`]).
    pub(super) fn expire(&self, cause: Cause, at: Instant) {
        self.cancel_at(Cancelled::new(cause), at);
    }

    /// Whether cancelled, reading the clock if there is a deadline (not paced): for the places
    /// that must decide at the exact instant, such as a task's end.
    pub(super) fn cancelled_now(&self) -> bool {
        self.flag() || (self.timed && self.expire_if_due(sync::now()))
    }

    /// Makes sure `waker` is woken when this context is cancelled, arming the deadline timer on
    /// the first registration; `false` if the context is already cancelled (do not wait then).
    ///
    /// `node` is the caller's place in the waiter list (one per annotated call, per
    /// `cancelled()` future), pinned: registering takes the lock once and links it; later polls
    /// by the same task, whose waker is still the stored one, cost a `will_wake` comparison and
    /// nothing else. No allocation: the node is the caller's own memory.
    #[inline]
    pub(super) fn watch(self: &Arc<State>, node: Pin<&WaitNode>, waker: &Waker) -> bool {
        // Only the cancellation unlinks a node its owner still holds, and then the flag says so.
        if !node.waits_with(waker) && !self.watch_slow(node, waker) {
            return false;
        }
        // A cancellation between the caller's check and the registration has taken the waiter
        // list (or will, and wake this waker); the flag tells.
        !self.flag()
    }

    #[cold]
    #[inline(never)]
    fn watch_slow(self: &Arc<State>, node: Pin<&WaitNode>, waker: &Waker) -> bool {
        if !self.cancellable {
            return true; // never woken, so nothing to store
        }
        // A cancellation from above must reach this waiter.
        self.link();
        // In the own list, or a spread one if the context is contended (`state/spread.rs`).
        self.watch_listed(node, waker)
    }

    /// Unlinks the caller's node, if linked; call before dropping it. Inline for the common
    /// cases: a waiter that never had to wait (a ready future), and one the cancellation has
    /// woken (and is done with): nothing to do, no lock.
    #[inline]
    pub(super) fn unwatch(&self, node: Pin<&WaitNode>) {
        if node.is_registered() && !node.is_released() {
            self.unwatch_slow(node);
        }
    }

    #[cold]
    fn unwatch_slow(&self, node: Pin<&WaitNode>) {
        let waker = self.unwatch_listed(node);
        drop(waker); // outside the lock: dropping a waker may run anything
    }

    /// Registers the waker of an [`Ctx::on_cancel`](crate::Ctx::on_cancel) function: its key,
    /// if stored, and `false` if the context is already cancelled (then the function runs now,
    /// unless the cancellation, which has taken or will take the waker, runs it first).
    pub(super) fn watch_hook(self: &Arc<State>, waker: &Waker) -> (Option<usize>, bool) {
        if !self.cancellable {
            return (None, true); // never woken, so nothing to store
        }
        // A cancellation from above must reach this hook.
        self.link();
        let mut lists = self.lock();
        if lists.closed {
            return (None, false);
        }
        if lists.timer.is_none() {
            lists.timer = self.arm_timer();
        }
        let key = lists.hooks.insert(waker.clone());
        drop(lists);
        (Some(key), !self.flag())
    }

    /// Removes a hook's waker stored by [`State::watch_hook`].
    pub(super) fn unwatch_hook(&self, key: usize) {
        if self.flag() {
            // The cancellation takes (or has taken) every hook under the lock: nothing to
            // remove, and no need to contend for the lock.
            return;
        }
        let mut lists = self.lock();
        if !lists.closed {
            lists.hooks.try_remove(key);
        }
    }

    #[cfg(test)]
    pub(super) fn waiter_count(&self) -> usize {
        self.waiters_listed()
    }

    /// The timer that cancels this context at its deadline, armed in this thread's wheel on the
    /// current runtime if there is one (`timers.rs`). It holds only a weak reference, and
    /// leaves the wheel when the context is cancelled or dropped, so it never keeps anything
    /// alive. An idle deadline pushed back while it slept is armed again, for the deadline as
    /// it is now (a reset is one atomic store; the timer catches up lazily).
    fn arm_timer(self: &Arc<State>) -> Option<TimerKey> {
        if !self.timed {
            return None;
        }
        timers::arm(self, self.next_due()?.at)
    }

    /// Takes the timer out of its wheel, for a context about to be recycled.
    pub(super) fn drop_timer(&self) {
        let timer = self.lock().timer.take();
        drop(timer);
    }

    /// Replaces the timer (a firing of its wheel has taken the old one's entry, due, and found
    /// the idle deadline pushed back); dropped if the context is cancelled meanwhile.
    pub(super) fn replace_timer(&self, timer: TimerKey) {
        let mut lists = self.lock();
        let old = if lists.closed {
            Some(timer)
        } else {
            lists.timer.replace(timer)
        };
        drop(lists);
        drop(old);
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, Lists> {
        sync::lock(&self.lists)
    }
}

impl Drop for State {
    fn drop(&mut self) {
        let lists = sync::get_mut(&mut self.lists);
        drop(lists.timer.take());
        let me: *const State = self;
        release_parent(self.take_link(), me);
    }
}

/// What a context's children record when it is cancelled: `ParentCancelled` with the root cause,
/// so that causes do not nest as deep as the contexts (and print in one line whatever the depth).
fn inherited_by_children(cancelled: &Cancelled) -> Cancelled {
    match cancelled.cause() {
        Cause::ParentCancelled(root) => Cancelled::new(Cause::ParentCancelled(root.clone())),
        _ => Cancelled::new(Cause::ParentCancelled(cancelled.clone())),
    }
}
