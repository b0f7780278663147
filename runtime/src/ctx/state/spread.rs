//! Spread child lists: a parent whose child list is contended moves new links to lists of
//! their own.
//!
//! A parent keeps its linked children in its own lists (`Lists::children`, under its one
//! lock). A server context shared by every worker is the parent of every request's context,
//! and a request that waits links its context there and leaves again when it ends: with many
//! workers, that one lock is taken by all of them for every request (`benches/scaling.rs`,
//! `children`: on 2 threads, a child of one shared parent with a hook took 1,056–1,327 ns, one
//! of a parent per thread 352–763 ns; `benches/RESULTS.md`). So the first time a child finds
//! the parent's lock held by another thread as it links, the parent gets [`spread_count`] lists
//! more, each under its own lock on its own lines, and every child linked after that goes to the
//! list of the thread that links it (threads take turns: up to as many threads as lists each
//! have their own; a child's address would put two threads' per-request contexts, which reuse
//! their threads' spare allocations, in one list half the time). A child linked before stays
//! where it is. A parent never contended (every one on a single thread) allocates nothing and
//! takes the path it always took, less one load.
//!
//! Invariants (with those of `link.rs`):
//! - The spread lists are created under the parent's lock while it is not closed, and a
//!   cancellation looks for them under the same lock once it has closed it: either it finds
//!   them, or their creator found the parent closed and linked nothing.
//! - A cancellation closes each spread list under that list's lock, after the parent's own, and
//!   takes its children; a link looks at its list's `closed` under the same lock. So a child is
//!   taken by the cancellation or sees it, as in the parent's own list.
//! - A child is claimed by clearing `UNLINKED`, under the lock of the list it goes to, once that
//!   list is seen open: of two threads linking one child through different lists (each its own,
//!   or the parent's own and a spread one created meanwhile), one inserts it.
//! - A child's `key` says which list holds it ([`key`], [`list_and_slot`]).
//!
//! Lock order: a spread list's lock is never held with any other.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use slab::Slab;

use super::{State, UNLINKED};
use crate::sync::{self, spread_count, thread_turn, Mutex, MutexGuard, Padded};

/// A contended parent's lists of children, beside its own.
pub(in crate::ctx) struct Spread {
    lists: Box<[Padded<Mutex<ChildList>>]>,
}

/// One spread list.
#[derive(Default)]
pub(super) struct ChildList {
    /// Once the parent is cancelled, nothing is added any more.
    closed: bool,
    children: Slab<Weak<State>>,
}

/// Bits of a child's `key` that say which list holds it: 0 for the parent's own, `1 + i` for
/// spread list `i` (at most 64 of them).
const LIST_BITS: u32 = 7;
const _: () = assert!(
    64 < 1 << LIST_BITS,
    "room for the most spread lists, and the own one"
);

/// The `key` of a child in `slot` of `list`.
#[inline]
fn key(list: usize, slot: usize) -> usize {
    (slot << LIST_BITS) | list
}

/// The list (0: the parent's own) and the slot of the child at `key`.
#[inline]
pub(super) fn list_and_slot(key: usize) -> (usize, usize) {
    (key & ((1 << LIST_BITS) - 1), key >> LIST_BITS)
}

impl Spread {
    fn new() -> Spread {
        Spread {
            lists: (0..spread_count()).map(|_| Padded::default()).collect(),
        }
    }

    /// The list a child linked by the running thread goes to: the thread's own (threads take
    /// turns, `sync::thread_turn`), so that up to as many threads as lists never share one. (The
    /// first under loom, whose executions must not depend on a counter kept across them.)
    #[inline]
    fn here(&self) -> usize {
        if cfg!(loom) {
            return 0;
        }
        thread_turn() & (self.lists.len() - 1)
    }

    fn lock(&self, list: usize) -> MutexGuard<'_, ChildList> {
        sync::lock(&self.lists[list].0)
    }

    /// Closes every list and takes their children (the parent is being cancelled).
    fn close(&self) -> Vec<Slab<Weak<State>>> {
        (0..self.lists.len())
            .map(|list| {
                let mut list = self.lock(list);
                list.closed = true;
                std::mem::take(&mut list.children)
            })
            .collect()
    }
}

/// The children a cancellation takes: from the parent's own list, and from its spread lists.
pub(super) struct Taken {
    pub(super) own: Slab<Weak<State>>,
    pub(super) spread: Vec<Slab<Weak<State>>>,
}

impl Taken {
    pub(super) fn is_empty(&self) -> bool {
        self.own.is_empty() && self.spread.iter().all(Slab::is_empty)
    }

    pub(super) fn children(self) -> impl Iterator<Item = Weak<State>> {
        let spread = self.spread.into_iter().flatten();
        self.own.into_iter().chain(spread).map(|(_, child)| child)
    }
}

impl State {
    /// The spread lists, if this context has been contended (see the module's comment): read
    /// by a cancellation under this context's lock, once it has closed it.
    pub(super) fn spread_lists(&self) -> Option<&Spread> {
        self.spread.get()
    }

    /// Closes and empties the spread lists of a context being cancelled, if it has any.
    pub(super) fn close_spread(spread: Option<&Spread>) -> Vec<Slab<Weak<State>>> {
        #[cfg(autocancel_loom_broken = "spread_unclosed")]
        return {
            let _ = spread;
            Vec::new()
        };
        #[cfg(not(autocancel_loom_broken = "spread_unclosed"))]
        spread.map_or_else(Vec::new, Spread::close)
    }

    /// Links this unlinked context into its parent's child list, or a spread list of it if the
    /// parent is contended, or records the parent's cancellation if it is cancelled and closed.
    pub(super) fn link_to_parent(self: &Arc<State>) {
        let Some(parent) = self.parent.as_deref() else {
            return;
        };
        if let Some(spread) = parent.spread.get() {
            return self.link_spread(spread);
        }
        let mut lists = match sync::try_lock(&parent.lists) {
            Some(lists) => lists,
            None => {
                let lists = parent.lock();
                if lists.closed {
                    lists
                } else {
                    // Contended: from now on, its children go to lists of their own.
                    let spread = parent.spread.get_or_init(Spread::new);
                    drop(lists);
                    return self.link_spread(spread);
                }
            }
        };
        let linked = {
            let lists = &mut *lists;
            self.insert_into(0, lists.closed, &mut lists.children)
        };
        drop(lists);
        if !linked {
            self.inherit_cancellation();
        }
    }

    /// [`State::link_to_parent`], into the spread list of the running thread.
    fn link_spread(self: &Arc<State>, spread: &Spread) {
        let list = spread.here();
        let mut children = spread.lock(list);
        let linked = {
            let children = &mut *children;
            self.insert_into(1 + list, children.closed, &mut children.children)
        };
        drop(children);
        if !linked {
            self.inherit_cancellation();
        }
    }

    /// Under the lock of list `list` (0: the parent's own; its number in a child's `key`),
    /// `closed` or holding `children`: inserts this context there, unless another thread has
    /// linked it meanwhile (through this list or another). False if the list is closed: the parent is cancelled and has pushed to
    /// its children already, and the caller, once it has let go of the lock, takes the
    /// cancellation from the parent's record instead (this context stays unlinked: its checks
    /// see its flag first).
    fn insert_into(
        self: &Arc<State>,
        list: usize,
        closed: bool,
        children: &mut Slab<Weak<State>>,
    ) -> bool {
        if !self.unlinked() {
            return true;
        }
        if closed {
            return false;
        }
        // Clears `UNLINKED` here, under the list's lock: false if another thread did first
        // (through another list), and so links it.
        if self.bits.fetch_and(!UNLINKED, Ordering::AcqRel) & UNLINKED != 0 {
            let slot = children.insert(Arc::downgrade(self));
            self.key.store(key(list, slot), Ordering::Relaxed);
        }
        true
    }

    /// The lock of list `list` (0: its own), for [`State::leave`].
    pub(super) fn lock_list(&self, list: usize) -> Option<ListGuard<'_>> {
        if list == 0 {
            return Some(ListGuard::Own(self.lock()));
        }
        // `None` is unreachable: a child is in a spread list only once the lists exist.
        let spread = self.spread.get()?;
        Some(ListGuard::Spread(spread.lock(list - 1)))
    }
}

/// A locked list of children: the parent's own, or a spread one.
pub(super) enum ListGuard<'a> {
    Own(MutexGuard<'a, super::Lists>),
    Spread(MutexGuard<'a, ChildList>),
}

impl ListGuard<'_> {
    /// Whether the list is closed, and its children.
    pub(super) fn parts(&mut self) -> (bool, &mut Slab<Weak<State>>) {
        match self {
            ListGuard::Own(lists) => {
                let lists = &mut **lists;
                (lists.closed, &mut lists.children)
            }
            ListGuard::Spread(list) => {
                let list = &mut **list;
                (list.closed, &mut list.children)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{mpsc, Arc, Barrier};
    use std::time::Duration;

    use super::{key, list_and_slot};
    use crate::Ctx;

    #[test]
    fn a_key_names_its_list_and_slot() {
        for list in [0, 1, 64] {
            for slot in [0, 1, 12_345] {
                assert_eq!(list_and_slot(key(list, slot)), (list, slot));
            }
        }
    }

    /// A child that finds its parent's lock held links into a spread list, leaves it when
    /// dropped, and is cancelled with its parent like any other.
    #[test]
    fn a_child_linking_while_its_parent_is_locked_goes_to_a_spread_list() {
        let server = Ctx::new();
        let held = server.state.lock();
        let (linked, seen) = mpsc::channel();
        let linker = std::thread::spawn({
            let server = server.clone();
            move || {
                let request = server.child();
                // A hook links the child (something must be woken by the cancellation).
                let (fired, heard) = mpsc::channel();
                let hook = request.on_cancel(move |cancelled| {
                    fired.send(cancelled.to_string()).unwrap();
                });
                linked.send(()).unwrap();
                (request, hook, heard)
            }
        });
        // It cannot link into the parent's own list while this thread holds its lock.
        assert!(seen.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        seen.recv_timeout(Duration::from_secs(10)).unwrap();
        let (request, hook, heard) = linker.join().unwrap();
        assert!(server.state.spread_lists().is_some());
        assert!(
            server.state.lock().children.is_empty(),
            "not in its own list"
        );

        // Children linked from now on go to the spread lists too, and leave them.
        let other = server.child();
        let _other_hook = other.on_cancel(|_| {});
        drop(_other_hook);
        drop(other);

        server.cancel_with_reason("stop");
        assert!(request.state.flagged_here());
        assert_eq!(
            heard.recv_timeout(Duration::from_secs(10)).unwrap(),
            "cancelled: parent context: cancelled: stop"
        );
        drop(hook);
        // Made after the cancellation: cancelled from the start.
        assert!(server.child().is_cancelled());
    }

    /// Many threads link and drop children of one parent at once: each is in exactly one list
    /// (dropping leaves it), and all still linked are cancelled with the parent.
    #[test]
    fn children_linked_from_many_threads_are_each_cancelled_once() {
        let server = Ctx::new();
        let threads = 4;
        let start = Arc::new(Barrier::new(threads));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (server, start) = (server.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..if cfg!(miri) { 50 } else { 2_000 } {
                        let request = server.child();
                        drop(request.on_cancel(|_| {}));
                    }
                    let kept = server.child();
                    let hook = kept.on_cancel(|_| {});
                    (kept, hook)
                })
            })
            .collect();
        let kept: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let listed = server.state.lock().children.len()
            + server.state.spread_lists().map_or(0, |spread| {
                (0..spread.lists.len())
                    .map(|list| spread.lock(list).children.len())
                    .sum()
            });
        assert_eq!(listed, threads, "only the children still alive are listed");
        server.cancel();
        for (child, _hook) in &kept {
            assert!(child.state.flagged_here());
        }
    }
}
