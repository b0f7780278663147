//! The deadlines of one thread's timer wheel (`timers.rs`), earliest first: a binary min-heap
//! whose entries keep a key that stays valid as they move (a slab slot holding the entry's place
//! in the heap), so that a context that ends takes its entry out at once, in `O(log n)`.
//!
//! Why not a `BTreeMap`, which the wheel first used: every request that waits inserts one entry
//! and removes it again, and a `BTreeMap`'s search, node shifting and rebalancing cost ~310
//! instructions of that round trip, the heap's ~110 (callgrind, `child_deadline_once
//! run_parked`, 2026-12-06). Deadlines armed in the order their requests came (a server's, all
//! with one timeout) go in at the bottom after one comparison with their parent, and a request
//! that ends first (the common case) leaves from the top or near it.
//!
//! Invariants: `entries` is a min-heap by `(at, order)`; for every entry `e` at position `i`,
//! `places[e.key] == i`; a key whose entry was popped as due maps to [`GONE`] until
//! [`Heap::remove`] frees it (the key's owner, a `TimerKey`, may outlive its entry).

use slab::Slab;
use tokio::time::Instant;

/// Deadlines, each with a value (the wheel's: the context to expire), earliest first.
pub(super) struct Heap<T> {
    entries: Vec<Entry<T>>,
    /// Per key handed out: its entry's position in `entries`, or [`GONE`].
    places: Slab<usize>,
    /// The next arming order: of two entries due at one instant, the first armed comes first.
    next: u64,
}

struct Entry<T> {
    at: Instant,
    order: u64,
    key: usize,
    value: T,
}

/// In [`Heap::places`]: the key's entry was popped as due.
const GONE: usize = usize::MAX;

impl<T> Default for Heap<T> {
    fn default() -> Heap<T> {
        Heap {
            entries: Vec::new(),
            places: Slab::new(),
            next: 0,
        }
    }
}

impl<T> Heap<T> {
    /// Adds `value`, due at `at`; its key, for [`Heap::remove`].
    pub(super) fn insert(&mut self, at: Instant, value: T) -> usize {
        let place = self.entries.len();
        let key = self.places.insert(place);
        let order = self.next;
        self.next += 1;
        self.entries.push(Entry {
            at,
            order,
            key,
            value,
        });
        self.sift_up(place);
        key
    }

    /// Frees `key`, and takes out its entry if it is still there (not popped as due).
    #[inline]
    pub(super) fn remove(&mut self, key: usize) -> Option<T> {
        let place = *self.places.get(key)?;
        if place == GONE {
            self.places.remove(key);
            return None;
        }
        self.places.remove(key);
        let entry = self.entries.swap_remove(place);
        if let Some(moved) = self.entries.get(place) {
            // The last entry, moved into `place`, goes down or up, whichever its deadline says.
            self.places[moved.key] = place;
            self.sift_down(place);
            self.sift_up(place);
        }
        Some(entry.value)
    }

    /// The earliest deadline.
    pub(super) fn earliest(&self) -> Option<Instant> {
        self.entries.first().map(|entry| entry.at)
    }

    /// Takes out the earliest entry if it is due at `now`. Its key stays taken (see `GONE`).
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.entries.first()?.at > now {
            return None;
        }
        let entry = self.entries.swap_remove(0);
        self.places[entry.key] = GONE;
        if let Some(moved) = self.entries.first() {
            self.places[moved.key] = 0;
            self.sift_down(0);
        }
        Some(entry.value)
    }

    /// Entries in the heap (not counting popped keys not yet freed).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn before(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.entries[a], &self.entries[b]);
        (a.at, a.order) < (b.at, b.order)
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.entries.swap(a, b);
        self.places[self.entries[a].key] = a;
        self.places[self.entries[b].key] = b;
    }

    fn sift_up(&mut self, mut place: usize) {
        while place > 0 {
            let parent = (place - 1) / 2;
            if !self.before(place, parent) {
                break;
            }
            self.swap(place, parent);
            place = parent;
        }
    }

    fn sift_down(&mut self, mut place: usize) {
        let len = self.entries.len();
        loop {
            let left = 2 * place + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.before(right, left) {
                right
            } else {
                left
            };
            if !self.before(child, place) {
                break;
            }
            self.swap(child, place);
            place = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use proptest::prelude::*;
    use tokio::time::Instant;

    use super::Heap;

    #[derive(Debug, Clone)]
    enum Op {
        /// Arm a deadline this many ms from the start.
        Insert(u8),
        /// Remove the n-th key handed out and not removed yet (modulo their count).
        Remove(usize),
        /// Pop what is due this many ms from the start.
        Pop(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => any::<u8>().prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Remove),
            1 => any::<u8>().prop_map(Op::Pop),
        ]
    }

    proptest! {
        // Few cases under Miri, and no failure file (Miri isolates the file system).
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Against a `BTreeMap` by `(deadline, arming order)`, what the wheel used before:
        /// every removal takes out its own entry (or nothing once popped), every pop the
        /// earliest, first armed first.
        #[test]
        fn the_heap_agrees_with_a_sorted_map(ops in proptest::collection::vec(op(), 0..200)) {
            let start = Instant::now();
            let ms = |n: u8| start + Duration::from_millis(u64::from(n));
            let mut heap = Heap::default();
            let mut map = BTreeMap::new();
            // Keys handed out and not removed: the heap's, and the map's for the same entry.
            let mut keys: Vec<(usize, (Instant, u64))> = Vec::new();
            let mut order = 0;
            for op in ops {
                match op {
                    Op::Insert(n) => {
                        let key = heap.insert(ms(n), order);
                        map.insert((ms(n), order), order);
                        keys.push((key, (ms(n), order)));
                        order += 1;
                    }
                    Op::Remove(i) if !keys.is_empty() => {
                        let (key, map_key) = keys.swap_remove(i % keys.len());
                        prop_assert_eq!(heap.remove(key), map.remove(&map_key));
                    }
                    Op::Remove(_) => {}
                    Op::Pop(n) => loop {
                        let expected = map
                            .first_key_value()
                            .filter(|((at, _), _)| *at <= ms(n))
                            .map(|(&key, _)| key);
                        let popped = heap.pop_due(ms(n));
                        prop_assert_eq!(popped, expected.and_then(|key| map.remove(&key)));
                        if popped.is_none() {
                            break;
                        }
                    },
                }
                prop_assert_eq!(heap.len(), map.len());
                prop_assert_eq!(heap.earliest(), map.first_key_value().map(|((at, _), _)| *at));
            }
        }
    }

    /// A key outlives its entry (popped as due): removing it then takes nothing, and frees it.
    #[test]
    fn a_key_popped_as_due_is_freed_by_its_removal() {
        let now = Instant::now();
        let mut heap = Heap::default();
        let key = heap.insert(now, 'a');
        assert_eq!(heap.pop_due(now), Some('a'));
        let other = heap.insert(now, 'b');
        assert_ne!(key, other, "a popped key stays taken until removed");
        assert_eq!(heap.remove(key), None);
        assert_eq!(heap.remove(other), Some('b'));
        assert_eq!(heap.len(), 0);
    }
}
