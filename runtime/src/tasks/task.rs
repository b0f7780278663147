//! One task of a [`TaskSet`](crate::TaskSet): the user's future with the set's context ambient,
//! its panic caught, its outcome counted and reported, and its slot in the set released when its
//! future is dropped (finished or aborted), so that a finished task costs the set nothing.
//!
//! A task is aborted by itself: once the set says so ([`Shared::abort`]), the task's next poll
//! drops the user's future instead of polling it (unless inside a shielded section), as tokio's
//! abort would have; the set wakes the tasks that have parked so that they get that poll. This
//! costs no abort handle per task, nor any list of them: a task registers its waker with the
//! set only if it parks, once.
//!
//! A task's index in the set (what its shield depth and where it waits are kept under) is taken
//! when first needed ([`TaskIndex::Lazy`]): when it parks (with its waker), enters a shielded
//! section, or an annotated call reports where it waits. A task that ends in its first poll
//! without those takes none.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::report::{FailureKind, Outcomes, TaskFailure};
use super::{Abort, Shared};
use crate::ambient::{self, Here, LazyIndex, TaskIndex};
use crate::group::{abort_straggler, TaskName};
use crate::Cancelled;

pin_project_lite::pin_project! {
    /// The future spawned for a task. Drops in order: the user's future first (closing its
    /// socket), with its ambient set, then the slot (its name, and the set's ambient), so that
    /// once the set is empty every task's resources are gone.
    pub(super) struct SetTask<F, N: Label> {
        // `None` once done: dropped with the ambient set, as soon as it is.
        #[pin]
        fut: Option<F>,
        slot: LiveEntry<N>,
    }

    impl<F, N: Label> PinnedDrop for SetTask<F, N> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.fut.is_some() {
                drop_unfinished(this.fut, this.slot);
            }
            this.slot.end();
        }
    }
}

/// Dropped by the runtime before it ended, or it panicked: its future is dropped with its
/// ambient set, as it would be polled. Out of line: a task that ends has nothing left to drop.
#[cold]
#[inline(never)]
fn drop_unfinished<F, N: Label>(mut fut: Pin<&mut Option<F>>, slot: &LiveEntry<N>) {
    ambient::set(&here(slot), || fut.set(None));
}

/// What a task keeps of its name: [`Spawned`] (a [`TaskSet::spawn`](super::TaskSet::spawn)'s),
/// or the name given to [`TaskSet::spawn_named`](super::TaskSet::spawn_named). Two words
/// either way, where a [`TaskName`] takes three: every byte of the task is moved several times
/// as tokio spawns it.
pub(super) trait Label {
    /// The task's name, for a report.
    fn name(&self) -> TaskName;
}

/// The name of a task spawned by [`TaskSet::spawn`](super::TaskSet::spawn): where, and its
/// number in spawn order.
#[derive(Clone, Copy)]
pub(super) struct Spawned {
    pub(super) at: &'static Location<'static>,
    pub(super) number: u64,
}

impl Label for Spawned {
    fn name(&self) -> TaskName {
        TaskName::Numbered(self.at, self.number)
    }
}

impl Label for Arc<str> {
    fn name(&self) -> TaskName {
        TaskName::Given(self.clone())
    }
}

/// A task's place in the set, given back on drop, and its name.
pub(super) struct LiveEntry<N> {
    shared: Arc<Shared>,
    /// Its index in the set ([`Shards`](super::shards::Shards)) once taken, plus one, shifted
    /// left by two (0: none taken yet), and two flags: [`PARKED`], [`COUNTED`]. One word, so
    /// that the task tokio moves and stores is as small as it can be.
    state: Cell<usize>,
    /// Its name: kept with its index, as [`LazyIndex`] gives both.
    label: N,
}

/// In [`LiveEntry::state`]: its waker is registered with the set (at its first `Pending`).
const PARKED: usize = 1;
/// In [`LiveEntry::state`]: its outcome is counted (a task dropped before that was aborted).
const COUNTED: usize = 2;
/// [`LiveEntry::state`]'s index is above its flags.
const INDEX_SHIFT: u32 = 2;

impl<N> LiveEntry<N> {
    pub(super) fn new(shared: Arc<Shared>, label: N) -> LiveEntry<N> {
        LiveEntry {
            shared,
            state: Cell::new(0),
            label,
        }
    }

    #[inline]
    fn has(&self, flag: usize) -> bool {
        self.state.get() & flag != 0
    }

    #[inline]
    fn set(&self, flag: usize) {
        self.state.set(self.state.get() | flag);
    }

    /// Takes an index, in the shard of the running thread, with the task's waker if it parks.
    /// (An index is below the shards times the tasks running: the shift does not overflow.)
    #[cold]
    fn take_index(&self, waker: Option<Waker>) -> usize {
        let shards = &self.shared.shards;
        let index = shards.take(shards.here(), waker);
        let flags = self.state.get() & (PARKED | COUNTED);
        self.state.set(((index + 1) << INDEX_SHIFT) | flags);
        index
    }

    /// The task has returned `Pending`: registers its waker (the first time), then reads the
    /// set's abort. True if the task is to stop now. In this order: either the set's `abort_all`
    /// finds this waker (and wakes it), or this sees its abort; the shard's lock orders them
    /// (`tests/loom.rs`, `a_task_parking_while_its_set_aborts_is_woken_or_stops`, which fails
    /// with the order reversed: `--cfg autocancel_loom_broken="abort_read_before_park"`).
    #[inline]
    pub(super) fn parks(&self, waker: &Waker) -> bool {
        #[cfg(not(autocancel_loom_broken = "abort_read_before_park"))]
        {
            self.parked(waker);
            self.shared.abort() != Abort::No
        }
        #[cfg(autocancel_loom_broken = "abort_read_before_park")]
        {
            let aborting = self.shared.abort() != Abort::No;
            self.parked(waker);
            aborting
        }
    }

    /// The first time, the task's waker is registered with the set (what a shutdown's abort
    /// wakes), with the index it takes then if it had none.
    #[inline]
    fn parked(&self, waker: &Waker) {
        if self.has(PARKED) {
            return;
        }
        self.set(PARKED);
        match self.taken() {
            Some(index) => self.shared.shards.park(index, waker),
            None => {
                self.take_index(Some(waker.clone()));
            }
        }
    }
}

impl<N: Label> LazyIndex for LiveEntry<N> {
    fn get(&self) -> usize {
        match self.taken() {
            Some(index) => index,
            None => self.take_index(None),
        }
    }

    #[inline]
    fn taken(&self) -> Option<usize> {
        LiveEntry::taken(self)
    }

    fn name(&self) -> TaskName {
        self.label.name()
    }
}

impl<N> LiveEntry<N> {
    /// Its index, if taken.
    #[inline]
    fn taken(&self) -> Option<usize> {
        (self.state.get() >> INDEX_SHIFT).checked_sub(1)
    }

    #[inline]
    fn end(&mut self) {
        let shared = &self.shared;
        // The common case, one test: counted (it ended by itself), and no index taken.
        if self.state.get() != COUNTED {
            self.end_otherwise();
        }
        // The last thing this task does to the set: `shutdown` returns once it sees the count.
        if shared.tally.0.end() {
            shared.emptied.notify_waiters();
        }
    }
}

impl<N> LiveEntry<N> {
    /// [`LiveEntry::end`] of a task that was aborted (not counted yet), or took an index.
    #[cold]
    fn end_otherwise(&self) {
        let shards = &self.shared.shards;
        if !self.has(COUNTED) {
            Outcomes::add(&shards.get(shards.here()).ended.stopped);
        }
        if let Some(index) = self.taken() {
            shards.give_back(index);
        }
    }
}

impl<F: Future, N: Label> SetTask<F, N> {
    pub(super) fn new(slot: LiveEntry<N>, fut: F) -> SetTask<F, N> {
        SetTask {
            fut: Some(fut),
            slot,
        }
    }
}

impl<F, T, E, N> Future for SetTask<F, N>
where
    F: Future<Output = Result<T, E>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
    N: Label,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let mut fut = this.fut;
        let slot = &*this.slot;
        if slot.shared.abort() != Abort::No && stop(fut.as_mut(), slot) {
            return Poll::Ready(());
        }
        crate::ctx::reset_pacer();
        let polled = ambient::set(&here(slot), || {
            // Also catches a panic in the `Drop` of the finished future, dropped right away with
            // its ambient set: that is the task's panic too.
            panic::catch_unwind(AssertUnwindSafe(|| {
                let Some(running) = fut.as_mut().as_pin_mut() else {
                    panic!("a task set's task polled after completion");
                };
                let output = std::task::ready!(running.poll(cx));
                fut.set(None);
                Poll::Ready(output)
            }))
        });
        let failure = match polled {
            Ok(Poll::Pending) => {
                // Also a task that left its shielded section in this poll stops now.
                if slot.parks(cx.waker()) && stop(fut, slot) {
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(Ok(_))) => None,
            Ok(Poll::Ready(Err(error))) => Some(Failure::Error(error.into())),
            Err(payload) => Some(Failure::Panicked(payload)),
        };
        slot.set(COUNTED);
        let shared = &slot.shared;
        match failure {
            // On the line it writes as it ends anyway: no lookup of its shard.
            None => Outcomes::add(&shared.tally.0.succeeded),
            Some(failure) => ended_otherwise(shared, &slot.label.name(), failure),
        }
        if shared.abort() == Abort::Shutdown {
            // Ended by itself after the grace period (inside a shielded section then).
            shared.ended_late(straggler_name(&slot.label.name()));
        }
        Poll::Ready(())
    }
}

/// How a task failed, as its poll caught it.
enum Failure {
    Error(Box<dyn std::error::Error + Send + Sync>),
    /// The panic's payload: dropped only once the task is counted and reported.
    Panicked(Box<dyn Any + Send>),
}

/// Counts (in the shard of the running thread) and reports a task that ended with an error or a
/// panic: a shutdown's cancellation is counted as stopped, a deadline's as timed out, anything
/// else as a failure (reported).
#[cold]
#[inline(never)]
fn ended_otherwise(shared: &Shared, name: &TaskName, failure: Failure) {
    let ended = &shared.shards.get(shared.shards.here()).ended;
    let task = || name.render();
    match failure {
        Failure::Error(error) => match Cancelled::find(&*error) {
            Some(cancelled) if cancelled.is_shutdown() => Outcomes::add(&ended.stopped),
            Some(cancelled) if cancelled.is_deadline_exceeded() => {
                Outcomes::add(&ended.timed_out);
                tracing::debug!(task = %task(), %cancelled, "task ran out of time");
            }
            _ => {
                Outcomes::add(&ended.failed);
                shared.report(TaskFailure {
                    task: task(),
                    error: FailureKind::Error(error),
                });
            }
        },
        Failure::Panicked(payload) => {
            Outcomes::add(&ended.panicked);
            let message = panic_message(&*payload).into();
            shared.report(TaskFailure {
                task: task(),
                error: FailureKind::Panicked(message),
            });
            // Dropped last, its own panic caught (a payload's `Drop` may panic too). That panic's
            // payload is dropped in turn (usually a string); only a third panic's is leaked, to
            // end the chain.
            if let Err(again) = panic::catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                if let Err(third) = panic::catch_unwind(AssertUnwindSafe(|| drop(again))) {
                    std::mem::forget(third);
                }
            }
        }
    }
}

/// The set has told its tasks to stop: drops the task's future (with its ambient set, a panic
/// in its `Drop` caught) unless it is inside a shielded section, and reports it as a straggler
/// if a shutdown's grace period ran out. True if it stopped (the task is then over: counted as
/// stopped when its slot is dropped).
#[cold]
fn stop<F, N: Label>(mut fut: Pin<&mut Option<F>>, slot: &LiveEntry<N>) -> bool {
    let shared = &slot.shared;
    let here = here(slot);
    let mut drop_fut = || {
        ambient::set(&here, || {
            // A panic while dropping an aborted task is not reported (as tokio's abort).
            let _ = panic::catch_unwind(AssertUnwindSafe(|| fut.set(None)));
        });
    };
    let shields = &shared.ambient.member.shields;
    match shared.abort() {
        Abort::No => false,
        Abort::Dropped => {
            // A task that took no index is in no shielded section.
            if slot.taken().is_some_and(|index| shields.is_shielded(index)) {
                return false;
            }
            drop_fut();
            true
        }
        Abort::Shutdown => {
            let overdue = shared
                .cancelled_at
                .get()
                .map_or(std::time::Duration::ZERO, |at| at.elapsed());
            let name = || straggler_name(&slot.label.name());
            match abort_straggler(shields, slot.get(), name, overdue, drop_fut) {
                Some(straggler) => {
                    shared.add_straggler(straggler);
                    true
                }
                None => false,
            }
        }
    }
}

/// What the task in `slot` sees while it is polled: the set's ambient, with its own index and
/// name (both from `slot`).
#[inline]
fn here<N: Label>(slot: &LiveEntry<N>) -> Here<'_> {
    let ambient = &slot.shared.ambient;
    Here {
        ambient,
        flags: ambient.ctx.flags(),
        index: TaskIndex::Lazy(slot),
        // Not read for a lazy index (its own name is): the set's.
        name: &ambient.member.name,
    }
}

/// The message of a panic payload, as `std` prints it.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// A straggler's name: its given name, or where it was spawned and its number in spawn order.
fn straggler_name(name: &TaskName) -> Arc<str> {
    match name {
        TaskName::Numbered(at, number) => {
            crate::group::straggler_name(&TaskName::SpawnedAt(at), *number)
        }
        named => named.render(),
    }
}
