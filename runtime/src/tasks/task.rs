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
//! without those takes none. What the task adds to the user's future is one word, its
//! [`LiveEntry`] (`entry.rs`): the index, once taken, is kept in an allocation of its own.

use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::entry::{LiveEntry, COUNTED, DONE, PARKED};
use super::report::{FailureKind, Outcomes, TaskFailure};
use super::{Abort, Shared};
use crate::ambient::{self, Here, LazyIndex, TaskIndex};
use crate::group::{abort_straggler, straggler_name, TaskName};
use crate::Cancelled;

/// The future spawned for a task: the user's future and one word (`entry.rs`). Drops in order:
/// the user's future first (closing its socket), with its ambient set, then the entry (its
/// name, and its hold on the set), so that once the set is empty every task's resources are
/// gone.
pub(super) struct SetTask<F> {
    /// Dropped in place, with the ambient set, as soon as it is done ([`Fields::drop_fut`]);
    /// the entry's [`DONE`] flag says it was, where an `Option` would add a word to the task
    /// (an `async` block has no niche for `None`).
    fut: ManuallyDrop<F>,
    slot: LiveEntry,
}

/// A pinned [`SetTask`]'s fields: its future, pinned, until dropped, and its entry.
struct Fields<'a, F> {
    fut: &'a mut ManuallyDrop<F>,
    slot: &'a LiveEntry,
}

impl<F> SetTask<F> {
    #[inline]
    fn fields(self: Pin<&mut Self>) -> Fields<'_, F> {
        // SAFETY: `fut` is structurally pinned: through `Fields` it is only polled pinned and
        // dropped in place, never moved; `slot` is not pinned (it is only read). `SetTask` is
        // `Unpin` only where `F` is.
        let this = unsafe { self.get_unchecked_mut() };
        Fields {
            fut: &mut this.fut,
            slot: &this.slot,
        }
    }
}

impl<F> Fields<'_, F> {
    /// The user's future, unless dropped.
    #[inline]
    fn fut(&mut self) -> Option<Pin<&mut F>> {
        if self.slot.has(DONE) {
            return None;
        }
        // SAFETY: pinned as its `SetTask` is (`SetTask::fields`), and not dropped (`DONE` is
        // clear).
        Some(unsafe { Pin::new_unchecked(&mut **self.fut) })
    }

    /// Drops the user's future in place, unless dropped already.
    #[inline]
    fn drop_fut(&mut self) {
        if self.slot.has(DONE) {
            return;
        }
        // First: a panic in its `Drop` leaves it dropped (its fields' drops go on as the panic
        // unwinds), never to be dropped again.
        self.slot.set(DONE);
        // SAFETY: not dropped yet (`DONE` was clear); dropped in place, as pinning requires, and
        // never touched again (`DONE` is set).
        unsafe { ManuallyDrop::drop(self.fut) }
    }
}

impl<F> Drop for SetTask<F> {
    fn drop(&mut self) {
        // SAFETY: the pinned drop: `self` is not moved, here or after (it is being dropped).
        let mut fields = unsafe { Pin::new_unchecked(self) }.fields();
        if !fields.slot.has(DONE) {
            drop_unfinished(&mut fields);
        }
        fields.slot.end();
    }
}

/// Dropped by the runtime before it ended, or it panicked: its future is dropped with its
/// ambient set, as it would be polled. Out of line: a task that ends has nothing left to drop.
#[cold]
#[inline(never)]
fn drop_unfinished<F>(fields: &mut Fields<'_, F>) {
    let slot = fields.slot;
    ambient::set(&here(slot, slot.shared()), || fields.drop_fut());
}

impl LiveEntry {
    /// Takes an index, in the shard of the running thread, with the task's waker if it parks.
    #[cold]
    fn take_index(&self, waker: Option<Waker>) -> usize {
        let shards = &self.shared().shards;
        let (index, spare) = shards.take(shards.here(), waker, !self.has_extra());
        self.keep_index(index, spare);
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
            self.shared().abort() != Abort::No
        }
        #[cfg(autocancel_loom_broken = "abort_read_before_park")]
        {
            let aborting = self.shared().abort() != Abort::No;
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
            Some(index) => self.shared().shards.park(index, waker),
            None => {
                self.take_index(Some(waker.clone()));
            }
        }
    }

    /// Its future dropped (`DONE`), the task leaves the set.
    #[inline]
    fn end(&self) {
        // The common case, one test: counted (it ended by itself), no index taken, no name
        // given.
        if self.flags() != COUNTED | DONE {
            self.end_otherwise();
        }
        // The last thing this task does to the set: `shutdown` returns once it sees the count.
        let shared = self.shared();
        if shared.tally.0.end() {
            shared.emptied.notify_waiters();
        }
    }

    /// [`LiveEntry::end`] of a task that was aborted (not counted yet), took an index, or was
    /// given a name.
    #[cold]
    fn end_otherwise(&self) {
        let shards = &self.shared().shards;
        if !self.has(COUNTED) {
            Outcomes::add(&shards.get(shards.here()).ended.stopped);
        }
        if let Some((index, spare)) = self.leave_index() {
            shards.give_back(index, spare);
        }
    }
}

impl LazyIndex for LiveEntry {
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
        LiveEntry::name(self)
    }
}

impl<F: Future> SetTask<F> {
    pub(super) fn new(slot: LiveEntry, fut: F) -> SetTask<F> {
        SetTask {
            fut: ManuallyDrop::new(fut),
            slot,
        }
    }
}

impl<F, T, E> Future for SetTask<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut fields = self.fields();
        let slot = fields.slot;
        // Read once: the site, and so the set, stays for the task's life.
        let shared = slot.shared();
        if shared.abort() != Abort::No && stop(&mut fields) {
            return Poll::Ready(());
        }
        crate::ctx::reset_pacer();
        let polled = ambient::set(&here(slot, shared), || {
            // Also catches a panic in the `Drop` of the finished future, dropped right away with
            // its ambient set: that is the task's panic too.
            panic::catch_unwind(AssertUnwindSafe(|| {
                let Some(running) = fields.fut() else {
                    panic!("a task set's task polled after completion");
                };
                let output = std::task::ready!(running.poll(cx));
                fields.drop_fut();
                Poll::Ready(output)
            }))
        });
        let failure = match polled {
            Ok(Poll::Pending) => {
                // Also a task that left its shielded section in this poll stops now.
                if slot.parks(cx.waker()) && stop(&mut fields) {
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(Ok(_))) => None,
            Ok(Poll::Ready(Err(error))) => Some(Failure::Error(error.into())),
            Err(payload) => Some(Failure::Panicked(payload)),
        };
        slot.set(COUNTED);
        match failure {
            // On the line it writes as it ends anyway: no lookup of its shard.
            None => Outcomes::add(&shared.tally.0.succeeded),
            Some(failure) => ended_otherwise(shared, &slot.name(), failure),
        }
        if shared.abort() == Abort::Shutdown {
            // Ended by itself after the grace period (inside a shielded section then).
            shared.ended_late(straggler_name(&slot.name(), 0));
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
fn stop<F>(fields: &mut Fields<'_, F>) -> bool {
    let slot = fields.slot;
    let shared = slot.shared();
    let here = here(slot, shared);
    let mut drop_fut = || {
        ambient::set(&here, || {
            // A panic while dropping an aborted task is not reported (as tokio's abort).
            let _ = panic::catch_unwind(AssertUnwindSafe(|| fields.drop_fut()));
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
            let name = || straggler_name(&slot.name(), 0);
            match abort_straggler(shields, LazyIndex::get(slot), name, overdue, drop_fut) {
                Some(straggler) => {
                    shared.add_straggler(straggler);
                    true
                }
                None => false,
            }
        }
    }
}

/// What the task in `slot` sees while it is polled: the set's ambient (`shared`, its set's),
/// with its own index and name (both from `slot`).
#[inline]
fn here<'a>(slot: &'a LiveEntry, shared: &'a Shared) -> Here<'a> {
    let ambient = &shared.ambient;
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

/// A task polled by hand, without tokio, so that Miri checks the pinned future dropped in place
/// (`Fields`) on every path: done, parked then done, panicked, a panicking `Drop`, aborted.
#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::panic::Location;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::tasks::sites::Sites;
    use crate::Ctx;

    fn set() -> (Arc<Shared>, Sites) {
        let shared = Arc::new(Shared::new(Ctx::new()));
        let sites = Sites::new(&shared);
        (shared, sites)
    }

    fn poll<F: Future<Output = ()>>(task: Pin<&mut F>) -> Poll<()> {
        task.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Counts its drops.
    struct Dropped(Arc<AtomicUsize>, bool);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
            if self.1 {
                panic!("a panicking drop");
            }
        }
    }

    #[test]
    fn a_task_that_parks_then_ends_drops_its_future_once_and_leaves_the_set() {
        let (shared, sites) = set();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = Dropped(drops.clone(), false);
        let mut pending = true;
        shared.tally.0.spawn();
        let task = SetTask::new(
            LiveEntry::new(sites.at(Location::caller())),
            poll_fn(move |_| {
                let _ = &guard;
                if std::mem::take(&mut pending) {
                    return Poll::Pending;
                }
                Poll::Ready(Ok::<(), Cancelled>(()))
            }),
        );
        {
            let mut task = std::pin::pin!(task);
            assert!(poll(task.as_mut()).is_pending());
            assert!(task.slot.taken().is_some(), "parked: an index");
            assert!(poll(task.as_mut()).is_ready());
            assert_eq!(drops.load(Ordering::Relaxed), 1, "dropped as it ended");
        } // The task itself dropped.
        assert_eq!(drops.load(Ordering::Relaxed), 1, "and not again");
        assert_eq!(
            (shared.counts().succeeded, shared.tally.0.running()),
            (1, 0)
        );
    }

    #[test]
    fn a_panic_in_the_future_or_its_drop_is_the_tasks_failure() {
        let (shared, sites) = set();
        let drops = Arc::new(AtomicUsize::new(0));
        for panicking_drop in [false, true] {
            let guard = Dropped(drops.clone(), panicking_drop);
            shared.tally.0.spawn();
            let task = SetTask::new(
                LiveEntry::new(sites.at(Location::caller())),
                poll_fn(move |_| {
                    let _ = &guard;
                    if !panicking_drop {
                        panic!("a panicking poll");
                    }
                    Poll::Ready(Ok::<(), Cancelled>(()))
                }),
            );
            let mut task = std::pin::pin!(task);
            assert!(poll(task.as_mut()).is_ready());
        }
        assert_eq!(drops.load(Ordering::Relaxed), 2, "each future dropped once");
        assert_eq!((shared.counts().panicked, shared.tally.0.running()), (2, 0));
    }

    #[test]
    fn an_aborted_task_drops_its_future_at_its_next_poll() {
        let (shared, sites) = set();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = Dropped(drops.clone(), false);
        shared.tally.0.spawn();
        let task = SetTask::new(
            LiveEntry::named(sites.named(), "aborted".into()),
            poll_fn(move |_| {
                let _ = &guard;
                Poll::<Result<(), Cancelled>>::Pending
            }),
        );
        {
            let mut task = std::pin::pin!(task);
            assert!(poll(task.as_mut()).is_pending());
            shared.abort_all(Abort::Dropped);
            assert!(poll(task.as_mut()).is_ready());
            assert_eq!(drops.load(Ordering::Relaxed), 1);
        } // The task itself dropped.
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        assert_eq!((shared.counts().stopped, shared.tally.0.running()), (1, 0));
    }
}
