//! The synchronisation primitives and the clock of the context state ([`crate::ctx`]): the
//! standard ones, or, under `--cfg loom`, loom's, so that `tests/loom.rs` can model-check the
//! state machine (cancel vs deadline vs child creation vs cause recording vs waiters).
//!
//! Only what the state machine itself synchronises with is swapped: its flag, its lock, its
//! once-recorded cause and the waiter list's cells; the `Group`'s list of over tasks
//! (`group/over.rs`); the reference count and fence of a group's rows of seats
//! (`group/seat.rs`), which free the row by hand; and a `TaskSet`'s shard locks and abort flag
//! (`tasks/shards.rs`, `tasks/mod.rs`), which order a parking task and a shutdown's abort; a
//! contended parent's spread child lists (`ctx/state/spread.rs`); the lease slots of a context's
//! children (`ctx/state/lease.rs`), which decide who gives its count back. `Arc`s stay `std`'s (loom's
//! has no `Weak`, and `std`'s own counts are not what is being checked), and so does everything
//! tokio does (timers, tasks), which loom cannot run.

/// The `Group`'s over list's waker (`group/over.rs`).
#[cfg(not(loom))]
pub(crate) use futures_util::task::AtomicWaker;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard, OnceLock};

/// The clock deadlines are checked against (tokio's).
#[cfg(not(loom))]
#[inline]
pub(crate) fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

#[cfg(loom)]
pub(crate) use loom::future::AtomicWaker;
#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering},
    Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` with loom's closure API, so that the waiter list's cells
/// (`ctx/wait_list.rs`) are loom's under `--cfg loom` and loom checks their accesses.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use self::loom_only::{now, OnceLock};

#[cfg(loom)]
pub(crate) mod loom_only {
    use std::cell::Cell;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use loom::cell::UnsafeCell;
    use loom::sync::atomic::AtomicBool;
    use loom::sync::Mutex;
    use tokio::time::Instant;

    /// `std::sync::OnceLock`'s `get` and `get_or_init`, from loom's primitives, so that loom
    /// checks that whoever sees a context's flag also sees its recorded cause.
    pub(crate) struct OnceLock<T> {
        done: AtomicBool,
        init: Mutex<()>,
        value: UnsafeCell<Option<T>>,
    }

    // SAFETY: `value` is written once, under `init`, before `done` is set (Release), and only
    // read after `done` is seen set (Acquire): like `std::sync::OnceLock`.
    unsafe impl<T: Send + Sync> Sync for OnceLock<T> {}
    // SAFETY: it owns its `T`, which is `Send`; the loom primitives are `Send`.
    unsafe impl<T: Send> Send for OnceLock<T> {}

    impl<T> OnceLock<T> {
        pub(crate) fn new() -> Self {
            OnceLock {
                done: AtomicBool::new(false),
                init: Mutex::new(()),
                value: UnsafeCell::new(None),
            }
        }

        pub(crate) fn get(&self) -> Option<&T> {
            if self.done.load(Ordering::Acquire) {
                // SAFETY: see the `Sync` impl; never written again once `done`.
                self.value.with(|value| unsafe { (*value).as_ref() })
            } else {
                None
            }
        }

        pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
            if let Some(value) = self.get() {
                return value;
            }
            let _guard = self.init.lock().unwrap();
            if !self.done.load(Ordering::Acquire) {
                let value = init();
                // SAFETY: under `init`, before `done`: no reader yet.
                self.value.with_mut(|slot| unsafe { *slot = Some(value) });
                self.done.store(true, Ordering::Release);
            }
            self.get().expect("initialised above")
        }
    }

    thread_local! {
        /// How far the model's clock is past [`base`]. Loom runs a model's threads on one OS
        /// thread, so a thread-local is the model's clock, and each test has its own.
        static ELAPSED: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    }

    /// Where the model's clock starts: an hour past the real clock, so that the parts of the
    /// runtime loom does not see (the pacer, timers) never find a model's deadline passed.
    pub(crate) fn base() -> Instant {
        static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *BASE.get_or_init(|| Instant::now() + Duration::from_secs(3600))
    }

    /// The model's clock: [`base`] plus what the model advanced it by.
    pub(crate) fn now() -> Instant {
        base() + ELAPSED.with(Cell::get)
    }

    /// Sets the model's clock to `base() + elapsed`.
    pub(crate) fn set(elapsed: Duration) {
        ELAPSED.with(|cell| cell.set(elapsed));
    }

    thread_local! {
        /// Whether children made on other modelled threads lease (`ctx/state/lease.rs`): per
        /// test, as the clock is.
        static LEASING: Cell<bool> = const { Cell::new(false) };
    }

    /// See `__private::loom_lease`.
    pub(crate) fn set_leasing(on: bool) {
        LEASING.with(|cell| cell.set(on));
    }

    /// Whether the running test's models lease.
    pub(crate) fn leasing() -> bool {
        LEASING.with(Cell::get)
    }
}

/// The lock if no other thread holds it now (a poisoned one is taken anyway, as [`lock`] does):
/// how a parent's child list sees that it is contended (`ctx/state/spread.rs`).
#[cfg(not(loom))]
#[inline]
pub(crate) fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

#[cfg(loom)]
pub(crate) fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    mutex.try_lock().ok()
}

/// Aligned to 128 bytes (two lines: the adjacent-line prefetcher pulls pairs), so that what
/// one worker writes shares no line with another's.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Padded<T>(pub(crate) T);

/// How many lists a structure that workers write at once is split into: a power of two, at
/// least the machine's threads, at most 64 (a `TaskSet`'s shards; a contended context's lists
/// are four times as many, `ctx/state/spread.rs`).
pub(crate) fn spread_count() -> usize {
    static COUNT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *COUNT.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .next_power_of_two()
            .min(64)
    })
}

/// The running thread's turn: a number taken from one counter the first time a thread asks, so
/// that, masked to a power of two, up to that many threads each have their own shard or list.
/// A thread whose locals are gone (something dropped at its exit) has turn 0.
#[inline]
pub(crate) fn thread_turn() -> usize {
    std::thread_local! {
        static TURN: usize = {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        };
    }
    TURN.try_with(|turn| *turn).unwrap_or(0)
}

/// The running thread's place among `len` shards, lists or slots spread over threads (`len` a
/// power of two, [`spread_count`] of them): its [`thread_turn`], masked, so that up to `len`
/// threads each have their own.
#[inline(always)]
pub(crate) fn spread_index(len: usize) -> usize {
    debug_assert!(len.is_power_of_two());
    thread_turn() & (len - 1)
}

/// The running thread, as the address of a thread-local: cheaper than [`thread_turn`] (no
/// initialisation to check), for a context's child to tell whether it is made on the thread
/// that made the context (`ctx/state/lease.rs`). A thread made after this one is gone may have
/// the same: a hint, never a proof.
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn thread_home() -> usize {
    std::thread_local! {
        static HOME: u8 = const { 0 };
    }
    HOME.with(|home| std::ptr::from_ref(home).addr())
}

/// Loom's: per modelled thread (they share one OS thread, and so its thread-locals).
#[cfg(loom)]
pub(crate) fn thread_home() -> usize {
    loom::thread_local! {
        static HOME: u8 = 0;
    }
    HOME.with(|home| std::ptr::from_ref(home).addr())
}

/// Locks the state's mutex. Nothing panics while holding it, but a poisoned lock must not take
/// the cancellation machinery down with it: the data is still consistent.
#[cfg(not(loom))]
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Loom's mutex, whose poisoning never happens in a model.
#[cfg(loom)]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

/// The mutex's value, through a unique reference: no lock.
#[cfg(not(loom))]
#[inline]
pub(crate) fn get_mut<T>(mutex: &mut Mutex<T>) -> &mut T {
    mutex
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(loom)]
pub(crate) fn get_mut<T>(mutex: &mut Mutex<T>) -> &mut T {
    mutex.get_mut().unwrap()
}
