//! [`ParkedAt`]: where each task of a group is waiting, for the straggler report.
//!
//! Written by an `.await` of a `#[cancellable]` function when it blocks at a place other than
//! the one its call last reported (so once per call in the usual loop, never on a poll that
//! completes), and cleared when that call returns. Read only by the group, when it reports a
//! straggler.
//!
//! One place per task index, written only by its task: no map. The places live in buckets
//! that double in size (32, 64, 128… places), each allocated the first time a task of its range
//! parks and kept until the group is dropped, so that a place never moves and a group whose
//! tasks never park allocates nothing. Clearing a place when a call returns (what every task
//! cancelled while parked does) is an uncontended lock. The memory is 40 bytes per task index
//! up to the highest that parked (at most twice that, rounded up to its bucket):
//! `Group` and `ScopedGroup` already keep a record per task spawned, and `TaskSet` reuses the
//! indices of finished tasks.
//!
//! A place is a small lock around the `.await`, the time and the call: a report always pairs an
//! `.await` with its own time, and no `unsafe` turns a stored pointer back into a `&'static
//! Location`. The lock is not contended in practice (a place is written by its own task and
//! read by the group only when it reports a straggler); see RESULTS.md for what it costs.

use std::panic::Location;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// Places in the first bucket; bucket `b` holds `FIRST << b`.
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

/// One task's place: where it waits while it is parked at one, and where it first saw the
/// cancellation.
#[derive(Default)]
struct Place(Mutex<Seen>);

/// What a task's place holds.
#[derive(Default)]
struct Seen {
    waiting: Option<Report>,
    /// The checkpoint or `.await` at which the task first returned the cancellation, for
    /// [`Report::cancelled_at`](crate::Report::cancelled_at).
    stopped: Option<&'static Location<'static>>,
}

/// What a parked task's call reported.
#[derive(Clone, Copy)]
struct Report {
    /// The `.await`.
    at: &'static Location<'static>,
    /// Since when, after [`ParkedAt::epoch`].
    since: Duration,
    /// Which call reported it (the address of its `Call`), so that a returning call clears
    /// only its own report.
    call: usize,
}

impl Place {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        // Nothing panics while holding it; a poisoned place is still a place.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Task index to where it waits, for the tasks of one group.
#[derive(Default)]
pub(crate) struct ParkedAt {
    /// The clock at the first report: times are kept as an offset to it.
    epoch: OnceLock<Instant>,
    /// Bucket `b`: `FIRST << b` places, allocated when a task of its range first parks (the
    /// first to get there allocates it, a racing one waits for it), dropped with the group.
    buckets: [OnceLock<Box<[Place]>>; BUCKETS],
}

/// The bucket and offset of task `index`'s place.
fn locate(index: usize) -> Option<(usize, usize)> {
    let j = index / FIRST + 1;
    let bucket = (usize::BITS - 1 - j.leading_zeros()) as usize;
    if bucket >= BUCKETS {
        return None;
    }
    Some((bucket, index - FIRST * ((1 << bucket) - 1)))
}

impl ParkedAt {
    /// Task `index`'s place, if its bucket exists.
    fn place(&self, index: usize) -> Option<&Place> {
        let (bucket, offset) = locate(index)?;
        Some(&self.buckets[bucket].get()?[offset])
    }

    /// Task `index`'s place, allocating its bucket if no task of its range has parked yet.
    fn place_or_new(&self, index: usize) -> Option<&Place> {
        let (bucket, offset) = locate(index)?;
        let places = self.buckets[bucket]
            .get_or_init(|| (0..FIRST << bucket).map(|_| Place::default()).collect());
        Some(&places[offset])
    }

    /// Task `index` waits at `at` from now, in the call identified by `call`. With nested
    /// `#[cancellable]` calls the last to report wins (each reports only when it moves).
    pub(crate) fn park(&self, index: usize, call: usize, at: &'static Location<'static>) {
        let Some(place) = self.place_or_new(index) else {
            return;
        };
        let now = Instant::now();
        let epoch = *self.epoch.get_or_init(|| now);
        let since = now.saturating_duration_since(epoch);
        place.lock().waiting = Some(Report { at, since, call });
    }

    /// The call `call` of task `index` has returned: its place no longer says where the task is.
    pub(crate) fn leave(&self, index: usize, call: usize) {
        if let Some(place) = self.place(index) {
            let mut seen = place.lock();
            if seen.waiting.is_some_and(|report| report.call == call) {
                seen.waiting = None;
            }
        }
    }

    /// Where task `index` waits, if an `.await` of a `#[cancellable]` call of it is blocked.
    pub(crate) fn get(&self, index: usize) -> Option<Parked> {
        let report = self.place(index)?.lock().waiting?;
        Some(Parked {
            at: report.at,
            since: *self.epoch.get()? + report.since,
        })
    }

    /// Task `index` returned the cancellation at `at` (a checkpoint, an `.await`, a
    /// `Ctx::check`): kept if it is the first place it did. `leaving`: the call that returns
    /// it, when that call reported where it waited, whose report goes in the same lock (what
    /// [`ParkedAt::leave`] would do when the call is dropped). On the cancellation's path only.
    pub(crate) fn stopped(
        &self,
        index: usize,
        at: &'static Location<'static>,
        leaving: Option<usize>,
    ) {
        if let Some(place) = self.place_or_new(index) {
            let mut seen = place.lock();
            seen.stopped.get_or_insert(at);
            if leaving.is_some() && seen.waiting.map(|report| report.call) == leaving {
                seen.waiting = None;
            }
        }
    }

    /// Where task `index` first returned the cancellation, if it did at a place that reports it.
    pub(crate) fn stopped_at(&self, index: usize) -> Option<&'static Location<'static>> {
        self.place(index)?.lock().stopped
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
    fn every_index_has_its_own_place_in_range() {
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

    #[tokio::test(start_paused = true)]
    async fn stopping_clears_only_the_stopping_calls_report() {
        let parked = ParkedAt::default();
        let (here, there) = (Location::caller(), Location::caller());
        parked.park(3, 1, here);
        // Another call of the task stops (a `Ctx::check`, or a call that never reported): the
        // task's report stays, and where it stopped is kept.
        parked.stopped(3, there, None);
        parked.stopped(3, there, Some(2));
        assert!(parked.get(3).is_some());
        assert!(std::ptr::eq(parked.stopped_at(3).unwrap(), there));
        // The call that reported stops: its report goes in the same lock; the first stop stays.
        parked.stopped(3, here, Some(1));
        assert!(parked.get(3).is_none());
        assert!(std::ptr::eq(parked.stopped_at(3).unwrap(), there));
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
