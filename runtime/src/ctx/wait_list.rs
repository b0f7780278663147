//! [`WaitList`]: the wakers to wake when a context is cancelled, as an intrusive list of
//! [`WaitNode`]s that live in the waiters themselves (the `Call` of a `#[cancellable]` call, a
//! `cancelled()` future, a `Ctx::run`): registering links a node, it allocates nothing, and the
//! list never grows a buffer. The way tokio's `Notify` keeps its waiters.
//!
//! # Invariants and lock rules
//!
//! Every list belongs to one context and is only reached through that context's lock (the
//! `Mutex<Lists>` of `state.rs`): `&mut WaitList` means the lock is held.
//!
//! 1. A node is *registered* once its `waker` is `Some`, and stays so until it is dropped.
//!    A registered node is *linked* (in its context's list) until either its owner unlinks it
//!    ([`WaitList::remove`], on drop) or the cancellation unlinks it and sets `released`.
//!    So, under the lock: linked ⇔ registered and not `released`.
//! 2. A node never moves while linked: its owner is pinned (`Pin<&mut Waiter>`), and dropping a
//!    registered node first unlinks it under the lock, unless `released` says the cancellation
//!    has already unlinked it and is done with it.
//! 3. The links (`next`, and `prev` unless it says `released`) are read and written under the
//!    lock only.
//! 4. `waker` is written only by the node's owner, under the lock (to register, or to replace
//!    the waker). It is read by the cancellation under the lock, and by the owner at any time:
//!    reads may overlap reads, and every write is ordered with the cancellation's reads by the
//!    lock and with the owner's reads by program order.
//! 5. `released` (a sentinel value of `prev`) is set once, under the lock, by the cancellation,
//!    after its last access to the node (cloning the waker), with `Release`; the owner that
//!    reads it set with `Acquire` may drop the node without the lock: nobody else will touch it
//!    again.
//! 6. Once the context is cancelled (`closed`, set under the lock), nothing is linked any more:
//!    the cancellation empties the list in batches, waking outside the lock (a waker may do
//!    anything, even reach this context's lock), and owners dropped meanwhile unlink themselves
//!    from what is left.

use std::marker::PhantomPinned;
use std::ops::DerefMut;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::task::Waker;

use crate::sync::{AtomicPtr, UnsafeCell};

/// How many wakers the cancellation takes per lock acquisition.
const BATCH: usize = 32;

/// A waiter's place in a context's [`WaitList`]. See the module docs for the rules. Four words,
/// as small as a doubly linked node with a waker gets: `released` is a value of `prev`.
pub(crate) struct WaitNode {
    /// The next node (towards the tail); rule 3.
    next: UnsafeCell<Option<NonNull<WaitNode>>>,
    /// The previous node (null at the head), or [`RELEASED`] (rule 5). Read and written under
    /// the lock (`Relaxed`: the lock orders them), except the owner's `Acquire` read of
    /// [`RELEASED`], which the cancellation stores with `Release`.
    prev: AtomicPtr<WaitNode>,
    waker: UnsafeCell<Option<Waker>>,
    _pinned: PhantomPinned,
}

/// How the owner reads [`released`]: `Acquire`, pairing with the cancellation's `Release`, so
/// that the owner's later use of its waker (dropping it, `WaitNode::clear_waker`) comes after
/// the cancellation's read of it. `tests/loom.rs` checks that this is needed: built with
/// `--cfg autocancel_loom_broken="relaxed_release"`, its model of a call giving up its
/// registration during a cancellation must fail.
#[cfg(not(autocancel_loom_broken = "relaxed_release"))]
const RELEASED_READ: Ordering = Ordering::Acquire;
#[cfg(autocancel_loom_broken = "relaxed_release")]
const RELEASED_READ: Ordering = Ordering::Relaxed;

/// `prev` of a node the cancellation has unlinked and is done with (rule 5): a well-aligned
/// address no node can have.
fn released() -> *mut WaitNode {
    NonNull::dangling().as_ptr()
}

/// A node's `prev` as an `Option`; under the lock, of a linked node (so not [`released`]).
fn prev_of(node: &WaitNode) -> Option<NonNull<WaitNode>> {
    NonNull::new(node.prev.load(Ordering::Relaxed))
}

/// `Option<NonNull>` as the pointer `prev` stores (null for `None`).
fn as_ptr(node: Option<NonNull<WaitNode>>) -> *mut WaitNode {
    node.map_or(std::ptr::null_mut(), NonNull::as_ptr)
}

// SAFETY: a node's cells are only reached under the rules of the module docs: `next` under the
// lock, `waker` written by the owner under the lock and otherwise only read (and `Waker` is
// `Send + Sync`); `prev` is atomic.
unsafe impl Send for WaitNode {}
// SAFETY: as for `Send`: a shared `&WaitNode` lets no one write outside those rules.
unsafe impl Sync for WaitNode {}

impl WaitNode {
    pub(crate) fn new() -> WaitNode {
        WaitNode {
            next: UnsafeCell::new(None),
            prev: AtomicPtr::new(std::ptr::null_mut()),
            waker: UnsafeCell::new(None),
            _pinned: PhantomPinned,
        }
    }

    /// Owner only: whether this node is registered with a waker that wakes the same task as
    /// `waker`. No lock: the owner is the only writer of `waker` (rule 4).
    #[inline]
    pub(crate) fn waits_with(&self, waker: &Waker) -> bool {
        // SAFETY: rule 4: a read by the owner, which no write can overlap.
        self.waker
            .with(|stored| unsafe { (*stored).as_ref() }.is_some_and(|w| w.will_wake(waker)))
    }

    /// Owner only: whether this node is registered (rule 1).
    #[inline]
    pub(crate) fn is_registered(&self) -> bool {
        // SAFETY: rule 4, as in `waits_with`.
        self.waker.with(|stored| unsafe { (*stored).is_some() })
    }

    /// Owner only: whether the cancellation has unlinked this node and is done with it (rule 5).
    #[inline]
    pub(crate) fn is_released(&self) -> bool {
        self.prev.load(RELEASED_READ) == released()
    }

    /// Drops the waker an unlinked node keeps (a released node keeps the one it registered
    /// with), for an owner that does not drop the node itself (`Registration`).
    pub(crate) fn clear_waker(&mut self) {
        // SAFETY: `&mut self`: nothing else reaches the node (an unlinked node is not in any
        // list, and the owner holds it exclusively).
        self.waker.with_mut(|waker| unsafe { *waker = None });
    }
}

/// The waiters of one context. See the module docs for the rules.
#[derive(Default)]
pub(crate) struct WaitList {
    head: Option<NonNull<WaitNode>>,
    len: usize,
}

// SAFETY: the list only points at nodes, which are `Send + Sync`, and is only reached under its
// context's lock.
unsafe impl Send for WaitList {}

impl WaitList {
    /// Registers `node` with `waker`: links it, or, if it is registered already, replaces its
    /// waker (the owner's task polled with a waker that does not wake the stored one).
    ///
    /// Owner only, with the lock held (`&mut self`), the context not cancelled: then a
    /// registered node is linked (rule 6 and 1).
    pub(crate) fn register(&mut self, node: Pin<&WaitNode>, waker: &Waker) {
        let node = node.get_ref();
        // SAFETY: rule 4: the owner writes `waker` under the lock.
        let linked = node.waker.with_mut(|stored| unsafe {
            match &mut *stored {
                Some(stored) => {
                    stored.clone_from(waker);
                    true
                }
                none => {
                    *none = Some(waker.clone());
                    false
                }
            }
        });
        if linked {
            return;
        }
        // SAFETY: the node is pinned, and unlinks itself before it is dropped (rule 2); it is
        // registered now, and was not linked (rule 1).
        unsafe { self.push(NonNull::from(node)) }
    }

    /// Links a registered node that is in no list, at the head.
    ///
    /// # Safety
    ///
    /// The lock is held (rule 3); `ptr` is a registered node in no list, pinned, that unlinks
    /// itself before it is dropped (rule 2), so that it stays valid while linked.
    unsafe fn push(&mut self, ptr: NonNull<WaitNode>) {
        // SAFETY: rule 3 (the caller's lock); the old head is linked, so valid.
        unsafe {
            let node = ptr.as_ref();
            node.next.with_mut(|next| *next = self.head);
            node.prev.store(std::ptr::null_mut(), Ordering::Relaxed);
            if let Some(head) = self.head {
                head.as_ref().prev.store(ptr.as_ptr(), Ordering::Relaxed);
            }
        }
        self.head = Some(ptr);
        self.len += 1;
    }

    /// Moves every node into one of `lists`, the one `pick` gives for its address: each stays
    /// registered and linked, from now on under that list's lock (a contended context's
    /// spread lists, `state/spread.rs`). With this list's lock held, and `lists` reached by
    /// nobody else yet: the lists being made, and published only once they hold the nodes, so
    /// that an owner that finds them finds its node there.
    pub(crate) fn move_into(
        &mut self,
        lists: &mut [&mut WaitList],
        pick: impl Fn(*const WaitNode) -> usize,
    ) {
        while let Some(head) = self.head {
            // SAFETY: `head` is linked, so valid (rule 2); rule 3 for the links (this lock is
            // held, and `lists` are reached by nobody else). Unlinked from here and linked
            // there at once: the owner, which needs a lock to unlink it, sees it linked.
            unsafe {
                let next = head.as_ref().next.with_mut(|next| (*next).take());
                self.head = next;
                if let Some(next) = next {
                    next.as_ref()
                        .prev
                        .store(std::ptr::null_mut(), Ordering::Relaxed);
                }
                self.len -= 1;
                lists[pick(head.as_ptr())].push(head);
            }
        }
    }

    /// Unlinks `node` if it is linked, and unregisters it: owner only, with the lock held.
    /// Returns the waker it was registered with, to be dropped once the lock is released.
    #[must_use = "drop the waker once the lock is released"]
    pub(crate) fn remove(&mut self, node: Pin<&WaitNode>) -> Option<Waker> {
        let node = node.get_ref();
        // Rule 1. Relaxed: `prev` is only written under the lock, which is held.
        if !node.is_registered() || node.prev.load(Ordering::Relaxed) == released() {
            return None;
        }
        // SAFETY: rule 3; the node is linked, and so are its neighbours.
        unsafe {
            let prev = prev_of(node);
            let next = node.next.with_mut(|next| (*next).take());
            match prev {
                Some(prev) => prev.as_ref().next.with_mut(|slot| *slot = next),
                None => self.head = next,
            }
            if let Some(next) = next {
                next.as_ref().prev.store(as_ptr(prev), Ordering::Relaxed);
            }
            node.prev.store(std::ptr::null_mut(), Ordering::Relaxed);
        }
        self.len -= 1;
        // Unregistered: linked no more (rule 1).
        // SAFETY: rule 4: the owner writes `waker` under the lock.
        node.waker.with_mut(|waker| unsafe { (*waker).take() })
    }

    /// The cancellation's step: unlinks up to [`BATCH`] nodes, releasing each (rule 5), and
    /// puts their wakers in `batch` (empty), to be woken once the lock is released; `true` if
    /// the batch is full, so that the list may hold more.
    pub(crate) fn release_into(&mut self, batch: &mut Batch) -> bool {
        while batch.len < BATCH {
            let Some(head) = self.head else { break };
            // SAFETY: `head` is linked, so valid (rule 2); rule 3 for `links`, rule 4 for the
            // read of `waker` (the lock is held); after `released` is set, `head` is not touched.
            unsafe {
                let node = head.as_ref();
                let next = node.next.with_mut(|next| (*next).take());
                self.head = next;
                if let Some(next) = next {
                    next.as_ref()
                        .prev
                        .store(std::ptr::null_mut(), Ordering::Relaxed);
                }
                batch.wakers[batch.len] = node.waker.with(|waker| (*waker).clone());
                node.prev.store(released(), Ordering::Release);
            }
            batch.len += 1;
            self.len -= 1;
        }
        batch.len == BATCH
    }

    /// Whether no node is linked (a context's allocation can then be reused: `recycle.rs`).
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// How many nodes are linked.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Releases every node of a context's list (its own or a spread one, closed), in batches, each
/// woken once the lock is released (a waker may do anything, even come back to this lock);
/// owners dropped meanwhile unlink themselves from what is left. `guard` holds the lock, `list`
/// reaches the list through it, `relock` takes the lock again for the next batch. Returns with
/// the lock released.
pub(crate) fn release_all<G: DerefMut>(
    mut guard: G,
    batch: &mut Batch,
    relock: impl Fn() -> G,
    list: impl Fn(&mut G::Target) -> &mut WaitList,
) {
    loop {
        let more = list(&mut guard).release_into(batch);
        drop(guard);
        batch.wake_all();
        if !more {
            return;
        }
        guard = relock();
    }
}

/// The wakers [`WaitList::release_into`] takes, kept by the cancelling caller (on its stack,
/// reused from one batch to the next: no allocation, no copy of the array per batch).
pub(crate) struct Batch {
    wakers: [Option<Waker>; BATCH],
    len: usize,
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch {
            wakers: [const { None }; BATCH],
            len: 0,
        }
    }

    /// Wakes them all, leaving the batch empty.
    pub(crate) fn wake_all(&mut self) {
        for waker in &mut self.wakers[..self.len] {
            if let Some(waker) = waker.take() {
                waker.wake();
            }
        }
        self.len = 0;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The list's unsafe code under Miri (`.ci/run` runs these): linking, unlinking from the
    //! head, the middle and the tail, releasing in batches, and owners dropped while linked.

    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn link_unlink_anywhere_then_release_the_rest() {
        let (count, waker) = counter();
        let mut list = WaitList::default();
        let nodes: Vec<_> = (0..5).map(|_| Box::pin(WaitNode::new())).collect();
        for node in &nodes {
            list.register(node.as_ref(), &waker);
        }
        list.register(nodes[0].as_ref(), &waker); // registered: the waker is replaced
        assert_eq!(list.len(), 5);
        assert!(list.remove(nodes[2].as_ref()).is_some()); // middle
        assert!(list.remove(nodes[4].as_ref()).is_some()); // head (the last registered)
        assert!(list.remove(nodes[0].as_ref()).is_some()); // tail
        assert!(list.remove(nodes[0].as_ref()).is_none()); // no longer linked: nothing
        assert_eq!(list.len(), 2);
        let mut batch = Batch::new();
        assert!(!list.release_into(&mut batch));
        batch.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(list.len(), 0);
        assert!(nodes[1].is_released() && nodes[3].is_released());
        assert!(!nodes[0].is_released());
        assert!(list.remove(nodes[1].as_ref()).is_none()); // released: nothing
        drop(nodes);
    }

    #[test]
    fn release_in_batches_while_owners_leave() {
        let (count, waker) = counter();
        let mut list = WaitList::default();
        let mut nodes: Vec<_> = (0..BATCH * 2 + 3)
            .map(|_| Box::pin(WaitNode::new()))
            .collect();
        for node in &nodes {
            list.register(node.as_ref(), &waker);
        }
        let mut first = Batch::new();
        assert!(list.release_into(&mut first));
        // Owners dropped between two batches: the released ones without a removal, the
        // others removing themselves from what is left.
        let len = nodes.len();
        let mut leaving: Vec<_> = nodes.drain(len - 10..).collect();
        leaving.extend(nodes.drain(..10));
        for node in leaving {
            drop(list.remove(node.as_ref()));
        }
        first.wake_all();
        let mut woken_later = 0;
        let mut batch = first;
        loop {
            let full = list.release_into(&mut batch);
            woken_later += batch.len;
            batch.wake_all();
            if !full {
                break;
            }
        }
        assert_eq!(list.len(), 0);
        assert_eq!(woken_later, BATCH * 2 + 3 - BATCH - 10);
        assert_eq!(count.0.load(Ordering::SeqCst), BATCH * 2 + 3 - 10);
    }

    /// The move into a contended context's spread lists: every node lands in the list picked
    /// for it, still registered, and leaves it or is released from it like any other.
    #[test]
    fn moved_into_other_lists_then_removed_or_released_there() {
        let (count, waker) = counter();
        let mut own = WaitList::default();
        let nodes: Vec<_> = (0..7).map(|_| Box::pin(WaitNode::new())).collect();
        for node in &nodes {
            own.register(node.as_ref(), &waker);
        }
        let index =
            |node: *const WaitNode| nodes.iter().position(|n| std::ptr::eq(&**n, node)).unwrap();
        let (mut even, mut odd) = (WaitList::default(), WaitList::default());
        own.move_into(&mut [&mut even, &mut odd], |node| index(node) % 2);
        assert!(own.is_empty());
        assert_eq!((own.len(), even.len(), odd.len()), (0, 4, 3));
        assert!(nodes
            .iter()
            .all(|node| node.is_registered() && !node.is_released()));
        // Re-registered where it is: only the waker is replaced.
        even.register(nodes[2].as_ref(), &waker);
        assert_eq!(even.len(), 4);
        assert!(even.remove(nodes[2].as_ref()).is_some()); // middle
        assert!(odd.remove(nodes[1].as_ref()).is_some()); // tail
        assert!(odd.remove(nodes[5].as_ref()).is_some()); // head
        let mut batch = Batch::new();
        for list in [&mut even, &mut odd] {
            assert!(!list.release_into(&mut batch));
            batch.wake_all();
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 4);
        assert!([0, 3, 4, 6].iter().all(|&i| nodes[i].is_released()));
        drop(nodes);
    }

    #[test]
    fn pinned_on_the_stack_and_dropped_while_linked() {
        let (count, waker) = counter();
        let mut list = WaitList::default();
        let kept = pin!(WaitNode::new());
        list.register(kept.as_ref(), &waker);
        {
            let gone = pin!(WaitNode::new());
            list.register(gone.as_ref(), &waker);
            // (Miri gives each use of a waker's vtable constant an address of its own, so
            // `will_wake` may say no there: the registration is then only redone.)
            assert!(cfg!(miri) || gone.waits_with(&waker));
            assert!(list.remove(gone.as_ref()).is_some());
            // Unregistered, it may register again.
            list.register(gone.as_ref(), &waker);
            assert!(list.remove(gone.as_ref()).is_some());
        }
        let mut batch = Batch::new();
        list.release_into(&mut batch);
        batch.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
