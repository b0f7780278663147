//! [`OverList`]: the tasks of a `Group` that are over, for its `wait`.
//!
//! A task is over when its [`Seat`](super::Seat) is given back (dropped): after its future
//! finished and was dropped, or when tokio drops it unfinished (aborted, or the runtime shuts
//! down). The seat then pushes its task's index here, and `wait` reads that task's output from
//! its `JoinHandle`. This is what tokio's `JoinSet` would do, without its per-task allocation
//! (an entry in two intrusive lists), its lock per completion, and its clone of the waiter's
//! waker per task.
//!
//! # How
//!
//! A lock-free stack (Treiber's) of task indices, linked through one word per seat (`link`,
//! kept with the seat's row). The invariants:
//!
//! 1. Each index is pushed at most once (a seat is dropped once), so a link is written by one
//!    push only, before the compare-exchange that publishes it (`Release`).
//! 2. The group never pops one entry: it takes the whole stack at once (`swap` to empty,
//!    `Acquire`), then follows the links it now owns. With no single-entry pop there is no ABA.
//! 3. The push that finds the stack empty wakes the group. The ones that find it non-empty do
//!    not: the group has not taken the stack since the first of them woke it, and will take them
//!    with it. The group registers its waker before it takes the stack, so a push after the
//!    take finds the stack empty and wakes it (see `tests/loom.rs`).

use std::task::Waker;

use crate::sync::{AtomicU32, AtomicUsize, AtomicWaker, Ordering};

/// No entry: the list's head and the last link.
const EMPTY: usize = 0;

/// The over tasks of one group; see the module's invariants.
#[derive(Default)]
pub(crate) struct OverList {
    /// The last pushed index + 1, or [`EMPTY`].
    head: AtomicUsize,
    waker: AtomicWaker,
}

impl OverList {
    /// Pushes task `index`, linked through `link` (its seat's word): once per index.
    pub(crate) fn push(&self, index: usize, link: &AtomicU32) {
        let entry = index + 1;
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // The previous head as this entry's link: at most `u32::MAX` (a group holds fewer
            // tasks, `Seats::take`).
            link.store(head as u32, Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, entry, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        if head == EMPTY {
            self.waker.wake();
        }
    }

    /// Wakes `waker` at the next push that finds the list empty. Register before
    /// [`take_into`], or a push between the two is missed.
    ///
    /// [`take_into`]: OverList::take_into
    pub(crate) fn register(&self, waker: &Waker) {
        #[cfg(not(loom))]
        self.waker.register(waker);
        #[cfg(loom)]
        self.waker.register_by_ref(waker);
    }

    /// Takes every index pushed so far and appends them to `into`, in push order; `link(i)` is
    /// the word index `i` was pushed with.
    #[inline]
    pub(crate) fn take_into<'a>(
        &self,
        into: &mut Vec<usize>,
        link: impl Fn(usize) -> &'a AtomicU32,
    ) {
        let start = into.len();
        let mut entry = self.head.swap(EMPTY, Ordering::Acquire);
        while entry != EMPTY {
            let index = entry - 1;
            into.push(index);
            // `Relaxed`: the `Acquire` of the swap that handed us the list orders it after the
            // push that wrote the link.
            entry = link(index).load(Ordering::Relaxed) as usize;
        }
        // Each entry links to the one pushed before it.
        into[start..].reverse();
    }
}

impl std::fmt::Debug for OverList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverList").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Indices from a taken list, in push order.
    fn drain(list: &OverList, links: &[AtomicU32]) -> Vec<usize> {
        let mut taken = Vec::new();
        list.take_into(&mut taken, |index| &links[index]);
        taken
    }

    #[test]
    fn every_index_pushed_is_taken_once_in_push_order() {
        let list = OverList::default();
        let links: Vec<AtomicU32> = (0..5).map(|_| AtomicU32::new(0)).collect();
        for index in [3, 0, 4] {
            list.push(index, &links[index]);
        }
        assert_eq!(drain(&list, &links), [3, 0, 4]);
        assert_eq!(drain(&list, &links), [] as [usize; 0]);
        list.push(1, &links[1]);
        assert_eq!(drain(&list, &links), [1]);
    }

    #[test]
    fn pushes_from_many_threads_are_all_taken() {
        let list = Arc::new(OverList::default());
        let links: Arc<Vec<AtomicU32>> = Arc::new((0..400).map(|_| AtomicU32::new(0)).collect());
        let mut seen = Vec::new();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (list, links) = (list.clone(), links.clone());
                scope.spawn(move || {
                    for index in (thread * 100)..(thread * 100 + 100) {
                        list.push(index, &links[index]);
                    }
                });
            }
            while seen.len() < 400 {
                seen.extend(drain(&list, &links));
                std::thread::yield_now();
            }
        });
        seen.sort_unstable();
        assert_eq!(seen, (0..400).collect::<Vec<_>>());
    }
}
