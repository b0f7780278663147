//! [`ParkedAt`]: where each task of a group is waiting, for the straggler report.
//!
//! Written by an `.await` of a `#[cancellable]` function when it blocks at a place other than
//! the one its call last reported (so once per call in the usual loop, never on a poll that
//! completes), and cleared when that call returns. Read only by the group, when it reports a
//! straggler.
//!
//! One slot per task index, written only by its task: no lock, no map. The slots live in
//! buckets that double in size (32, 64, 128… slots), each allocated the first time a task of
//! its range parks and kept until the group is dropped, so that a slot never moves and a group
//! whose tasks never park allocates nothing. Clearing a slot when a call returns (what every
//! task cancelled while parked does) is a few atomic operations. The memory is 24 bytes per
//! task index up to the highest that parked (at most twice that, rounded up to its bucket):
//! `Group` and `ScopedGroup` already keep a record per task spawned, and `TaskSet` reuses the
//! indices of finished tasks.
//!
//! A slot's fields are separate atomics: a report read while its task moves to another
//! `.await` may pair the new place with the old time (or the reverse). The report is a
//! diagnostic of a task that ignores cancellation; it is read after the grace period, when
//! such a task has long stopped moving.

use std::panic::Location;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

/// Slots in the first bucket; bucket `b` holds `FIRST << b`.
const FIRST: usize = 32;
/// Buckets: room for `FIRST * (2^BUCKETS - 1)` task indices (over two billion); a task beyond
/// (never seen in practice) reports no place.
const BUCKETS: usize = 26;

/// Where a task waits: the `.await`, and since when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parked {
    pub(crate) at: &'static Location<'static>,
    pub(crate) since: Instant,
}

/// One task's place.
#[derive(Default)]
struct Slot {
    /// The `.await`, or null while the task is not parked at one.
    at: AtomicPtr<Location<'static>>,
    /// Since when, in nanoseconds after [`ParkedAt::epoch`].
    since: AtomicU64,
    /// Which call reported it (the address of its `Call`), so that a returning call clears
    /// only its own report.
    call: AtomicUsize,
}

/// Task index to where it waits, for the tasks of one group.
#[derive(Default)]
pub(crate) struct ParkedAt {
    /// The clock at the first report: times are kept as an offset to it, in one atomic.
    epoch: OnceLock<Instant>,
    /// Bucket `b`: `FIRST << b` slots, or null until a task of its range parks. Set once
    /// (compare-exchange from null), freed on drop.
    buckets: [AtomicPtr<Slot>; BUCKETS],
}

/// The bucket and offset of task `index`'s slot.
fn locate(index: usize) -> Option<(usize, usize)> {
    let j = index / FIRST + 1;
    let bucket = (usize::BITS - 1 - j.leading_zeros()) as usize;
    if bucket >= BUCKETS {
        return None;
    }
    Some((bucket, index - FIRST * ((1 << bucket) - 1)))
}

impl ParkedAt {
    /// Task `index`'s slot, if its bucket exists.
    fn slot(&self, index: usize) -> Option<&Slot> {
        let (bucket, offset) = locate(index)?;
        let first = self.buckets[bucket].load(Ordering::Acquire);
        // SAFETY: a non-null bucket pointer is the first of `FIRST << bucket` slots (more than
        // `offset`), allocated by `slot_or_new` and freed only when `self` is dropped.
        (!first.is_null()).then(|| unsafe { &*first.add(offset) })
    }

    /// Task `index`'s slot, allocating its bucket if no task of its range has parked yet.
    fn slot_or_new(&self, index: usize) -> Option<&Slot> {
        if let Some(slot) = self.slot(index) {
            return Some(slot);
        }
        let (bucket, offset) = locate(index)?;
        let slots: Box<[Slot]> = (0..FIRST << bucket).map(|_| Slot::default()).collect();
        let ours = Box::into_raw(slots).cast::<Slot>();
        let first = match self.buckets[bucket].compare_exchange(
            std::ptr::null_mut(),
            ours,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => ours,
            Err(theirs) => {
                // Another task of the same range allocated it first: ours was never shared.
                // SAFETY: `ours` is the box made above, of that length.
                drop(unsafe { Box::from_raw(bucket_slice(ours, bucket)) });
                theirs
            }
        };
        // SAFETY: as in `slot`.
        Some(unsafe { &*first.add(offset) })
    }

    /// Task `index` waits at `at` from now, in the call identified by `call`. With nested
    /// `#[cancellable]` calls the last to report wins (each reports only when it moves).
    pub(crate) fn park(&self, index: usize, call: usize, at: &'static Location<'static>) {
        let Some(slot) = self.slot_or_new(index) else {
            return;
        };
        let now = Instant::now();
        let epoch = *self.epoch.get_or_init(|| now);
        let since = u64::try_from(now.saturating_duration_since(epoch).as_nanos()).unwrap_or(0);
        slot.since.store(since, Ordering::Relaxed);
        slot.call.store(call, Ordering::Relaxed);
        slot.at
            .store(std::ptr::from_ref(at).cast_mut(), Ordering::Release);
    }

    /// The call `call` of task `index` has returned: its place no longer says where the task is.
    pub(crate) fn leave(&self, index: usize, call: usize) {
        if let Some(slot) = self.slot(index) {
            if slot.call.load(Ordering::Relaxed) == call {
                slot.at.store(std::ptr::null_mut(), Ordering::Release);
            }
        }
    }

    /// Where task `index` waits, if an `.await` of a `#[cancellable]` call of it is blocked.
    pub(crate) fn get(&self, index: usize) -> Option<Parked> {
        let slot = self.slot(index)?;
        let at = slot.at.load(Ordering::Acquire);
        if at.is_null() {
            return None;
        }
        let since = Duration::from_nanos(slot.since.load(Ordering::Relaxed));
        Some(Parked {
            // SAFETY: only ever set from a `&'static Location<'static>`.
            at: unsafe { &*at },
            since: *self.epoch.get()? + since,
        })
    }
}

/// Bucket `bucket` starting at `first`, as the boxed slice it was allocated as.
fn bucket_slice(first: *mut Slot, bucket: usize) -> *mut [Slot] {
    std::ptr::slice_from_raw_parts_mut(first, FIRST << bucket)
}

impl Drop for ParkedAt {
    fn drop(&mut self) {
        for (bucket, first) in self.buckets.iter_mut().enumerate() {
            let first = *first.get_mut();
            if !first.is_null() {
                // SAFETY: allocated in `slot_or_new` as a boxed slice of this length; no slot
                // reference outlives `&self`.
                drop(unsafe { Box::from_raw(bucket_slice(first, bucket)) });
            }
        }
    }
}

impl std::fmt::Debug for ParkedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkedAt").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_has_its_own_slot_in_range() {
        let mut seen = (0, 0);
        for index in 0..10_000 {
            let (bucket, offset) = locate(index).unwrap();
            assert!(offset < FIRST << bucket, "{index}");
            assert!((bucket, offset) > seen || index == 0, "{index}");
            seen = (bucket, offset);
            if offset == 0 && index > 0 {
                assert_eq!(locate(index - 1).unwrap().0, bucket - 1);
            }
        }
        assert_eq!(locate(usize::MAX), None);
    }

    #[tokio::test(start_paused = true)]
    async fn park_leave_and_report_across_buckets() {
        let parked = ParkedAt::default();
        let here = Location::caller();
        assert!(parked.get(5).is_none(), "nothing allocated, nothing parked");
        parked.park(5, 1, here);
        tokio::time::advance(Duration::from_secs(2)).await;
        parked.park(700, 2, here);
        let five = parked.get(5).unwrap();
        assert!(std::ptr::eq(five.at, here));
        assert_eq!(five.since.elapsed(), Duration::from_secs(2));
        assert_eq!(parked.get(700).unwrap().since.elapsed(), Duration::ZERO);
        assert!(parked.get(6).is_none());
        parked.leave(5, 3); // another call of the task: not its report
        assert!(parked.get(5).is_some());
        parked.leave(5, 1);
        assert!(parked.get(5).is_none());
        parked.leave(100_000, 1); // a bucket never allocated
    }

    #[test]
    fn racing_first_parks_share_one_bucket() {
        let parked = std::sync::Arc::new(ParkedAt::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let parked = parked.clone();
                std::thread::spawn(move || parked.park(40 + i, i, Location::caller()))
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(parked.get(40).is_some() && parked.get(41).is_some());
    }
}
