//! What a [`TaskSet`](crate::TaskSet)'s tasks write as they start and end, laid out so that
//! workers spawning and ending tasks at once write as few cache lines in common as they can:
//!
//! - one line every task writes as it starts and ends ([`Tally`]): the count of tasks spawned,
//!   the count of running tasks (with the set's closed bit: whoever ends the last task of a
//!   closed set wakes `shutdown`), as tokio-util's `TaskTracker` has its one count, and the
//!   count of tasks that succeeded (the common ending, counted on the line the task writes as
//!   it ends anyway);
//! - one [`Shard`] per worker thread (padded to its own lines): the indices of the tasks that
//!   needed one (from a slab, so that indices are reused and what is kept per index stays as
//!   small as the set), the waker of each task that has parked (what a shutdown's abort wakes),
//!   the allocations that ended tasks left for the next ones to take an index (`entry.rs`),
//!   and how tasks ended. A task takes its index the first time it needs one (it parks, enters
//!   a shielded section, or an annotated call reports where it waits: `task.rs`), from the shard
//!   of the thread it runs on, and gives it back to the same shard when it ends; it counts any
//!   outcome other than success in the shard of the thread it ends on. A task that ends in its
//!   first poll, as most short requests do, touches no shard at all.
//!
//! No abort handle is taken per task: a task that must be aborted is woken, and stops itself at
//! its next poll (`task.rs`), which is what tokio's abort does too.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

// Loom's under `--cfg loom`: what a parking task and a shutdown's abort synchronise with
// (`tests/loom.rs`).
use crate::sync::{spread_count, spread_index, Mutex, MutexGuard, Padded};
use std::task::Waker;

use slab::Slab;

use super::entry::Spare;
use super::report::Outcomes;

/// The line every task writes: see the module's comment.
#[derive(Default)]
pub(super) struct Tally {
    /// Tasks spawned so far.
    pub(super) spawned: AtomicU64,
    /// Tasks that returned `Ok` (the other outcomes are counted per shard, [`Outcomes`]): most
    /// tasks end so, and each writes this line as it ends anyway, so that counting its success
    /// here costs it no lookup of its shard.
    pub(super) succeeded: AtomicU64,
    /// Running tasks times two, plus one once the set is closed (shutting down): as tokio-util's
    /// `TaskTracker` keeps it, so that ending a task is one subtraction, and only the end of the
    /// last task of a closed set notifies.
    pub(super) state: AtomicUsize,
}

impl Tally {
    /// Counts a spawn.
    #[inline]
    pub(super) fn spawn(&self) {
        self.state.fetch_add(2, Ordering::Relaxed);
        self.spawned.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the end of a task (its future dropped): true if it was the last one of a closed
    /// set. Release, so that whoever sees the count drop sees everything the task did (its
    /// outcome counted, its straggler recorded).
    #[inline]
    pub(super) fn end(&self) -> bool {
        self.state.fetch_sub(2, Ordering::Release) == 3
    }

    /// Closes the set (shutdown): true if no task runs now.
    pub(super) fn close(&self) -> bool {
        self.state.fetch_or(1, Ordering::AcqRel) >> 1 == 0
    }

    /// Running tasks.
    pub(super) fn running(&self) -> usize {
        self.state.load(Ordering::Acquire) >> 1
    }
}

/// One worker's part of the set.
#[derive(Default)]
pub(super) struct Shard {
    slots: Mutex<Slots>,
    /// How tasks ended, counted here by the task that ends.
    pub(super) ended: Outcomes,
}

/// What a shard's lock guards.
#[derive(Default)]
struct Slots {
    /// The running tasks that took their index here: `None`, or the task's waker once it has
    /// parked (registered at its first `Pending`, for a shutdown's abort to wake it).
    tasks: Slab<Option<Waker>>,
    /// The allocations of tasks that gave their index back here, for the next tasks that take
    /// one ([`Spare`]): taking an index then allocates nothing. At most as many as the slab has
    /// room for, so that they follow the most tasks that held an index at once, as the slab's
    /// own memory does.
    spare: Vec<Spare>,
}

impl Shard {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        // Nothing panics while holding it (a waker's `clone` or `wake_by_ref` does not, nor
        // dropping a spare allocation).
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The shards of one set: a power of two of them, at least as many as the machine's threads
/// (at most 64).
pub(super) struct Shards {
    shards: Box<[Padded<Shard>]>,
}

impl Shards {
    pub(super) fn new() -> Shards {
        Shards {
            shards: (0..spread_count()).map(|_| Padded::default()).collect(),
        }
    }

    /// The shard of the running thread: threads take turns, so that up to as many threads as
    /// shards each have their own.
    #[inline]
    pub(super) fn here(&self) -> usize {
        spread_index(self.shards.len())
    }

    #[inline]
    pub(super) fn get(&self, shard: usize) -> &Shard {
        &self.shards[shard].0
    }

    /// All the shards, for a snapshot of the counts.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Shard> {
        self.shards.iter().map(|padded| &padded.0)
    }

    /// A slot for a task in shard `shard`, with its waker if it has parked: its set-wide index
    /// (see [`Shards::index`]), and, if `spare` (the task has no allocation of its own yet), a
    /// spare allocation if the shard has one.
    pub(super) fn take(
        &self,
        shard: usize,
        waker: Option<Waker>,
        spare: bool,
    ) -> (usize, Option<Spare>) {
        let mut slots = self.get(shard).slots();
        let key = slots.tasks.insert(waker);
        let spare = if spare { slots.spare.pop() } else { None };
        (self.index(shard, key), spare)
    }

    /// The task of slot `index` has ended: the slot is free, and `spare` is kept for the next
    /// task of this shard that takes an index (if the shard has room for it).
    pub(super) fn give_back(&self, index: usize, spare: Spare) {
        let (shard, key) = self.split(index);
        let mut slots = self.get(shard).slots();
        slots.tasks.try_remove(key);
        if slots.spare.len() < slots.tasks.capacity() {
            slots.spare.push(spare);
        }
    }

    /// The task of slot `index` has parked: `waker` wakes it.
    pub(super) fn park(&self, index: usize, waker: &Waker) {
        let (shard, key) = self.split(index);
        if let Some(slot) = self.get(shard).slots().tasks.get_mut(key) {
            *slot = Some(waker.clone());
        }
    }

    /// Wakes every task that has parked, so that it sees the abort at its next poll.
    pub(super) fn wake_all(&self) {
        for shard in self.iter() {
            for (_, waker) in shard.slots().tasks.iter() {
                if let Some(waker) = waker {
                    waker.wake_by_ref();
                }
            }
        }
    }

    /// The set-wide index of slot `key` of `shard`: what shield depths and where the task waits
    /// are kept under. Dense: at most the shards times the most tasks that held a slot of one
    /// shard at once.
    #[inline]
    fn index(&self, shard: usize, key: usize) -> usize {
        key * self.shards.len() + shard
    }

    /// The shard and key of set-wide index `index`.
    #[inline]
    fn split(&self, index: usize) -> (usize, usize) {
        let count = self.shards.len();
        (index & (count - 1), index / count)
    }
}
