//! Spread lists: a context whose lock is contended moves new links (children, waiters) to
//! lists of their own.
//!
//! A context keeps its linked children and its waiters in its own lists (`Lists`, under its
//! one lock). A server context shared by every worker is the parent of every request's context,
//! and a request that waits links its context there and leaves again when it ends; a group's
//! context is what every annotated call of its tasks registers with when it parks, and leaves
//! when it returns: with many workers, that one lock is taken by all of them for every request,
//! every call that parks (`benches/scaling.rs`, `children`: on 2 threads, a child of one shared
//! parent with a hook took 1,056–1,327 ns, one of a parent per thread 352–763 ns; a `cancelled()`
//! polled once on one shared context 682 ns, on a context per thread 45 ns; `benches/RESULTS.md`).
//! So the first time a link or a registration finds the context's lock held by another thread,
//! the context gets [`list_count`] lists more, each under its own lock on its own lines.
//! Every child linked after that goes to the list of the thread that links it (threads take
//! turns: up to as many threads as lists each have their own; a child's address would put two
//! threads' per-request contexts, which reuse their threads' spare allocations, in one list
//! half the time); a child linked before stays where it is (its `key` says where). A waiter goes
//! to the list its node's address picks (a node in a task's future, at an address of that
//! task's: it must find its list again to leave, from whichever thread its task runs on then),
//! and the waiters linked before are moved there as the lists are made (a node keeps no note of
//! its list). A context never contended (every one on a single thread) allocates nothing and
//! takes the path it always took, less one load.
//!
//! Invariants (with those of `link.rs` and `wait_list.rs`):
//! - The spread lists are created under the context's lock while it is not closed, and a
//!   cancellation looks for them under the same lock once it has closed it: either it finds
//!   them, or their creator found the context closed and linked nothing.
//! - A cancellation closes each spread list under that list's lock, after the context's own,
//!   and takes its children and releases its waiters; a link or a registration looks at its
//!   list's `closed` under the same lock. So a child or a waiter is taken by the cancellation or
//!   sees it, as in the context's own lists.
//! - A child is claimed by clearing `UNLINKED`, under the lock of the list it goes to, once that
//!   list is seen open: of two threads linking one child through different lists (each its own,
//!   or the parent's own and a spread one created meanwhile), one inserts it.
//! - A child's `key` says which list holds it ([`key`], [`list_and_slot`]).
//! - A waiter is in the context's own list while the spread lists do not exist, and in the
//!   spread list of its address ([`Spread::waiter_list`]) once they do: they are published (the
//!   `OnceLock`, under the context's lock) holding the waiters moved from the own list. An owner
//!   that does not see them takes the context's lock and looks again.
//! - While the context has a deadline and no spread list knows its timer armed
//!   ([`Spread::timer_armed`]), registrations take the context's lock, where the timer is.
//!
//! Lock order: a spread list's lock is never held with any other (the lists are made, and the
//! waiters moved into them, under the context's lock, before anyone else can reach them).

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::Waker;

use slab::Slab;

use super::super::wait_list::{release_all, Batch, WaitList, WaitNode};
use super::{Lists, State, UNLINKED};
use crate::sync::{self, spread_count, spread_index, AtomicBool, Mutex, MutexGuard, Padded};

/// A contended context's lists of children and waiters, beside its own.
pub(in crate::ctx) struct Spread {
    lists: Box<[Padded<Mutex<SpreadList>>]>,
    /// The context's deadline timer is armed (it is kept in the context's own lists): a
    /// registration here need not take the context's lock to arm it. Always false for a
    /// context without a deadline, which does not look.
    timer_armed: AtomicBool,
}

/// One spread list.
#[derive(Default)]
pub(super) struct SpreadList {
    /// Once the context is cancelled, nothing is added any more.
    closed: bool,
    children: Slab<Weak<State>>,
    waiters: WaitList,
}

/// How many spread lists a contended context gets: four per thread of the machine, at most 64
/// (a power of two). Waiters pick theirs by address, at random as far as threads go: with one
/// list per thread, two busy threads shared one half the time (on 2 threads, `scaling
/// children`, a wait renewed in turn among 64 on one shared context: 322–362 ns with 2 lists,
/// 108–193 with 8, 775–865 with the one lock; 44 on one thread).
fn list_count() -> usize {
    // Under loom every pick is the first list (`Spread::here`, `Spread::pick`): one is all a
    // model reaches, and each more would only add steps to every cancellation's.
    if cfg!(loom) {
        return 1;
    }
    (spread_count() * 4).min(64)
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
    /// The lists of a context being contended, holding the waiters moved from its own list:
    /// under its lock, while it is not closed.
    fn new(own: &mut Lists) -> Spread {
        let mut lists: Box<[Padded<Mutex<SpreadList>>]> =
            (0..list_count()).map(|_| Padded::default()).collect();
        {
            let mut waiters: Vec<&mut WaitList> = lists
                .iter_mut()
                .map(|list| &mut sync::get_mut(&mut list.0).waiters)
                .collect();
            let count = waiters.len();
            own.waiters
                .move_into(&mut waiters, |node| Spread::pick(node, count));
        }
        Spread {
            lists,
            timer_armed: AtomicBool::new(own.timer.is_some()),
        }
    }

    /// The list a child linked by the running thread goes to: the thread's own (threads take
    /// turns, `sync::spread_index`), so that up to as many threads as lists never share one. (The
    /// first under loom, whose executions must not depend on a counter kept across them.)
    #[inline]
    fn here(&self) -> usize {
        if cfg!(loom) {
            return 0;
        }
        spread_index(self.lists.len())
    }

    /// The list of the waiter at `node`: by its address (it does not move while linked), so
    /// that its owner finds it again from any thread.
    #[inline]
    fn waiter_list(&self, node: &WaitNode) -> usize {
        Spread::pick(node, self.lists.len())
    }

    /// Of `count` lists (a power of two), the one for the node at `node`: the high bits of its
    /// address times a large odd number (Fibonacci hashing), so that nodes at a fixed offset in
    /// tasks of one size spread over all the lists.
    #[inline]
    fn pick(node: *const WaitNode, count: usize) -> usize {
        if cfg!(loom) {
            return 0;
        }
        let hashed = (node as usize as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (hashed >> 32) as usize & (count - 1)
    }

    fn lock(&self, list: usize) -> MutexGuard<'_, SpreadList> {
        sync::lock(&self.lists[list].0)
    }

    /// Whether the context's deadline timer is armed (see the field).
    #[inline]
    fn timer_armed(&self) -> bool {
        self.timer_armed.load(Ordering::Acquire)
    }

    /// Registers `node` (pinned) with `waker` in its list; false if the list is closed (the
    /// context is cancelled).
    fn watch(&self, node: Pin<&WaitNode>, waker: &Waker) -> bool {
        let mut list = self.lock(self.waiter_list(&node));
        if list.closed {
            return false;
        }
        list.waiters.register(node, waker);
        true
    }

    /// Unlinks `node` from its list, if linked: the waker it was registered with, to drop.
    fn unwatch(&self, node: Pin<&WaitNode>) -> Option<Waker> {
        self.lock(self.waiter_list(&node)).waiters.remove(node)
    }

    /// Closes every list, wakes its waiters and takes its children (the context is being
    /// cancelled). Waiters are released in batches, woken outside the list's lock, as from the
    /// context's own list.
    fn close(&self) -> Vec<Slab<Weak<State>>> {
        let mut batch = Batch::new();
        (0..self.lists.len())
            .map(|i| {
                let mut list = self.lock(i);
                list.closed = true;
                let children = std::mem::take(&mut list.children);
                #[cfg(not(autocancel_loom_broken = "spread_waiters_unwoken"))]
                release_all(list, &mut batch, || self.lock(i), |list| &mut list.waiters);
                children
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

    /// The spread lists, made now if they do not exist yet (the waiters of the own list moved
    /// into them): under this context's lock, `own`, while it is not closed.
    fn spread_out(&self, own: &mut Lists) -> &Spread {
        debug_assert!(!own.closed);
        self.spread.get_or_init(|| Spread::new(own))
    }

    /// Makes sure `waker` is woken when this context is cancelled: registers `node` (pinned) in
    /// the context's own waiter list, or in its spread list if the context is contended,
    /// arming the deadline timer on the first registration. False if the context is already
    /// cancelled. See [`State::watch`](super::State::watch).
    pub(super) fn watch_listed(self: &Arc<State>, node: Pin<&WaitNode>, waker: &Waker) -> bool {
        if let Some(spread) = self.spread.get() {
            if !self.timed || spread.timer_armed() {
                return spread.watch(node, waker);
            }
        }
        let mut lists = match sync::try_lock(&self.lists) {
            Some(lists) => lists,
            None => {
                let mut lists = self.lock();
                if !lists.closed {
                    // Contended: from now on, its waiters go to lists of their own.
                    self.spread_out(&mut lists);
                }
                lists
            }
        };
        if lists.closed {
            return false;
        }
        if !node.is_registered() && lists.timer.is_none() {
            lists.timer = self.arm_timer();
        }
        // Looked at again under the lock: made meanwhile, the spread lists hold the waiters.
        let Some(spread) = self.spread.get() else {
            lists.waiters.register(node, waker);
            return true;
        };
        if lists.timer.is_some() {
            spread.timer_armed.store(true, Ordering::Release);
        }
        drop(lists);
        spread.watch(node, waker)
    }

    /// Unlinks `node` from the waiter list that holds it, if linked: the context's own, or its
    /// spread one. Returns the waker it was registered with, to drop outside any lock.
    pub(super) fn unwatch_listed(&self, node: Pin<&WaitNode>) -> Option<Waker> {
        if let Some(spread) = self.spread.get() {
            return spread.unwatch(node);
        }
        let mut lists = self.lock();
        match self.spread.get() {
            // Made while this waited for the lock: the node was moved there.
            Some(spread) => {
                drop(lists);
                spread.unwatch(node)
            }
            None => lists.waiters.remove(node),
        }
    }

    /// How many waiters are linked, in every list.
    #[cfg(test)]
    pub(super) fn waiters_listed(&self) -> usize {
        let own = self.lock().waiters.len();
        own + self.spread.get().map_or(0, |spread| {
            (0..spread.lists.len())
                .map(|list| spread.lock(list).waiters.len())
                .sum()
        })
    }

    /// Closes and empties the spread lists of a context being cancelled, if it has any: their
    /// waiters woken, their children returned.
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
        let Some(parent) = self.parent() else {
            return;
        };
        if let Some(spread) = parent.spread.get() {
            return self.link_spread(spread);
        }
        let mut lists = match sync::try_lock(&parent.lists) {
            Some(lists) => lists,
            None => {
                let mut lists = parent.lock();
                if lists.closed {
                    lists
                } else {
                    // Contended: from now on, its children go to lists of their own.
                    let spread = parent.spread_out(&mut lists);
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
    Spread(MutexGuard<'a, SpreadList>),
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
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{mpsc, Arc, Barrier};
    use std::task::{Context, Poll, Wake, Waker};
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

    /// A `cancelled()` future polled once on `ctx` with a waker that wakes this thread:
    /// pinned on the heap (its node must not move while linked), and whether it is pending.
    fn waiting(ctx: &Ctx) -> (Pin<Box<crate::WaitForCancellation<'_>>>, bool) {
        let mut waiting = Box::pin(ctx.cancelled());
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let pending = waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending();
        (waiting, pending)
    }

    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Registers a waiter from another thread (in this thread's tokio runtime, if any) while
    /// this one holds `ctx`'s lock: it finds the lock held, and so makes the spread lists. The
    /// thread waits until the waiter is woken and ready (true), or gives up after 10 s.
    fn contended_waiter(ctx: &Ctx) -> std::thread::JoinHandle<bool> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let held = ctx.state.lock();
        let (registered, seen) = mpsc::channel();
        let waiter = std::thread::spawn({
            let ctx = ctx.clone();
            move || {
                let _runtime = runtime.as_ref().map(tokio::runtime::Handle::enter);
                let (mut waiting, pending) = waiting(&ctx);
                registered.send(pending).unwrap();
                // Woken by the cancellation, then ready; bounded, so that a lost wake-up
                // fails the test instead of hanging it.
                let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                while std::time::Instant::now() < deadline {
                    std::thread::park_timeout(Duration::from_millis(50));
                    let mut cx = Context::from_waker(&waker);
                    if waiting.as_mut().poll(&mut cx).is_ready() {
                        return true;
                    }
                }
                false
            }
        });
        // It cannot register while this thread holds the lock.
        assert!(seen.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        assert!(
            seen.recv_timeout(Duration::from_secs(10)).unwrap(),
            "pending"
        );
        waiter
    }

    /// A waiter registering while its context's lock is held makes the spread lists and waits
    /// there; the waiters of the own list move there with it (one leaves from there, one is
    /// woken there), later ones go there too, and the cancellation wakes them all.
    #[test]
    fn a_waiter_registering_while_its_context_is_locked_goes_to_a_spread_list() {
        let ctx = Ctx::new();
        let (early, pending) = waiting(&ctx);
        assert!(pending);
        let (leaving, pending) = waiting(&ctx);
        assert!(pending);
        assert_eq!(ctx.state.lock().waiters.len(), 2, "in the own list");

        let contended = contended_waiter(&ctx);
        assert!(ctx.state.spread_lists().is_some());
        assert_eq!(
            ctx.state.lock().waiters.len(),
            0,
            "moved out of the own list"
        );
        assert_eq!(ctx.state.waiter_count(), 3);
        drop(leaving);
        assert_eq!(ctx.state.waiter_count(), 2, "left its spread list");
        let (later, pending) = waiting(&ctx);
        assert!(pending);
        assert_eq!(ctx.state.lock().waiters.len(), 0, "a spread list");
        assert_eq!(ctx.state.waiter_count(), 3);

        ctx.cancel_with_reason("stop");
        assert!(contended.join().unwrap(), "woken in its spread list");
        assert_eq!(ctx.state.waiter_count(), 0);
        for mut waiting in [early, later] {
            let mut cx = Context::from_waker(Waker::noop());
            let Poll::Ready(cause) = waiting.as_mut().poll(&mut cx) else {
                panic!("released, and so ready");
            };
            assert_eq!(cause.to_string(), "cancelled: stop");
        }
        // Registered after the cancellation: ready at once.
        assert!(!waiting(&ctx).1);
    }

    /// A context with a deadline whose first waiter made the spread lists: its timer is armed
    /// (by that waiter, under the context's lock), and its deadline wakes every waiter, those of
    /// the spread lists too.
    #[test]
    fn a_deadline_wakes_the_waiters_of_the_spread_lists() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let start = tokio::time::Instant::now();
            let ctx = Ctx::new().with_timeout(Duration::from_secs(10));
            let contended = contended_waiter(&ctx);
            let spread = ctx
                .state
                .spread_lists()
                .expect("made by the contended waiter");
            assert!(spread.timer_armed(), "armed by the contended waiter");
            ctx.cancelled().await;
            assert_eq!(start.elapsed(), Duration::from_secs(10));
            assert!(contended.join().unwrap(), "woken at the deadline");
        });
    }

    /// Many threads register and drop waiters on one context at once: each leaves the list
    /// it is in (own or spread, moved or not), and every waiter still registered is woken by
    /// the cancellation.
    #[test]
    fn waiters_registered_from_many_threads_are_each_woken_once() {
        let ctx = Ctx::new();
        let threads = 4;
        let start = Arc::new(Barrier::new(threads + 1));
        let waiters: Vec<_> = (0..threads)
            .map(|_| {
                let (ctx, start) = (ctx.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..if cfg!(miri) { 50 } else { 2_000 } {
                        let (waiting, pending) = waiting(&ctx);
                        assert!(pending);
                        drop(waiting);
                    }
                    let (mut kept, pending) = waiting(&ctx);
                    assert!(pending);
                    start.wait(); // all registered
                    start.wait(); // cancelled
                    let mut cx = Context::from_waker(Waker::noop());
                    matches!(kept.as_mut().poll(&mut cx), Poll::Ready(_))
                })
            })
            .collect();
        start.wait();
        start.wait();
        assert_eq!(ctx.state.waiter_count(), threads, "only the kept ones");
        ctx.cancel();
        assert_eq!(ctx.state.waiter_count(), 0);
        start.wait();
        for waiter in waiters {
            assert!(waiter.join().unwrap(), "released, and so ready");
        }
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
