//! Deadline timers: one tokio timer per thread, for the earliest deadline armed there.
//!
//! A context is cancelled at its deadline by whoever looks first: a check reads the clock, and
//! a waiter needs a timer to wake it. tokio's timer wheel takes one lock shared by every worker
//! for each timer registered, reset and removed (tokio-rs/tokio#6504): with a `Sleep` per
//! waiting request, a request's deadline cost as much as the request on many workers
//! (`benches/RESULTS.md`). Here the contexts first waited on from a thread keep their deadlines
//! in that thread's [`Wheel`] (a heap, `timer_heap.rs`, under a lock that only the thread takes,
//! unless a context is dropped on another), and the wheel keeps one tokio `Sleep`, set for its earliest
//! deadline and polled with the wheel's own waker: no task waits on it. When it fires, the waker
//! spawns a short task that expires what is due and sets the `Sleep` for the next deadline (or
//! for none), then ends: no task stays alive for the timers' sake.
//!
//! Arming a deadline later than the one the `Sleep` is set for (every request of a server, whose
//! deadlines come in the order the requests do) touches no tokio timer; nor does removing one
//! (the request is over): the `Sleep`, firing at a deadline nobody waits for any more, finds
//! nothing due and is set for the next.
//!
//! Invariants: an entry is in the wheel it was armed in until its context is cancelled or
//! dropped (its [`TimerKey`] removes it), or a firing takes it, due. While entries are in the
//! wheel, `armed` is `Some(at)` with `at` no later than the earliest of them, and either the
//! `Sleep` is set for `at` and polled with the wheel's waker, or a firing's task is on its way
//! (it re-arms for the earliest entry under the lock). `armed` is `None` only with no entry.
//! Lock order: a context's lists, then a wheel (arming happens under the context's lock); a
//! firing holds a wheel's lock alone, and expires contexts after releasing it.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Wake, Waker};

use tokio::runtime::Handle;
use tokio::time::{Instant, Sleep};

use super::state::State;
use super::timer_heap::Heap;
use crate::sync::{self, Mutex, MutexGuard};
use std::sync::atomic::{AtomicBool, Ordering};

/// The deadlines armed from one thread.
pub(super) struct Wheel {
    inner: Mutex<Inner>,
    /// The runtime the `Sleep` belongs to, where a firing spawns its task: apart from `inner`,
    /// since tokio may call the waker while `inner` is held (resetting the `Sleep` to an
    /// instant it has already passed fires it at once).
    runtime: Mutex<Option<Handle>>,
    /// Set by a firing that the runtime refused (it shuts down): the `Sleep` is dead.
    dead: AtomicBool,
}

#[derive(Default)]
struct Inner {
    /// By deadline, then by arming order (two contexts may share an instant).
    entries: Heap<Weak<State>>,
    /// The instant the `Sleep` is set for; `None` while no entry waits.
    armed: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

/// A context's entry in a wheel: removed when dropped.
pub(super) struct TimerKey {
    wheel: Arc<Wheel>,
    key: usize,
}

impl Drop for TimerKey {
    fn drop(&mut self) {
        let removed = self.wheel.lock().entries.remove(self.key);
        // The `Weak` is dropped outside the lock.
        drop(removed);
    }
}

thread_local! {
    static WHEEL: OnceCell<Arc<Wheel>> = const { OnceCell::new() };
}

/// Cancels `state` at `at` (or later, for an idle deadline pushed back meanwhile) through this
/// thread's wheel, on the current tokio runtime; `None` outside one. Panics, as a
/// `tokio::time::Sleep` does, on a runtime without its clock enabled.
pub(super) fn arm(state: &Arc<State>, at: Instant) -> Option<TimerKey> {
    // No tokio runtime in a loom model, and a wheel kept by the thread across the model's
    // executions would carry their objects from one to the next.
    if cfg!(loom) {
        return None;
    }
    let wheel = WHEEL
        .try_with(|wheel| wheel.get_or_init(|| Arc::new(Wheel::new())).clone())
        .ok()?;
    let key = {
        let mut inner = wheel.lock();
        // A load first: a swap is a locked write every arming would pay.
        if wheel.dead.load(Ordering::Acquire) && wheel.dead.swap(false, Ordering::AcqRel) {
            inner.armed = None;
        }
        match inner.armed {
            // Idle: a new `Sleep`, on the runtime this runs on (it may be another one now);
            // outside one, no timer (checks still read the clock).
            None => {
                let runtime = Handle::try_current().ok()?;
                let key = inner.entries.insert(at, Arc::downgrade(state));
                wheel.set(&mut inner, at, Some(runtime));
                key
            }
            Some(armed) => {
                let key = inner.entries.insert(at, Arc::downgrade(state));
                if at < armed {
                    wheel.set(&mut inner, at, None);
                }
                key
            }
        }
    };
    Some(TimerKey { wheel, key })
}

impl Wheel {
    fn new() -> Wheel {
        Wheel {
            inner: Mutex::new(Inner::default()),
            runtime: Mutex::new(None),
            dead: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        sync::lock(&self.inner)
    }

    /// Sets the `Sleep` for `at` and polls it with the wheel's waker: a new one on `runtime`
    /// (the wheel was idle), else the one it has, reset.
    fn set(self: &Arc<Wheel>, inner: &mut Inner, at: Instant, runtime: Option<Handle>) {
        inner.armed = Some(at);
        let sleep = match (runtime, inner.sleep.as_mut()) {
            (None, Some(sleep)) => {
                sleep.as_mut().reset(at);
                sleep
            }
            (runtime, _) => {
                let sleep = inner.sleep.insert(Box::pin(tokio::time::sleep_until(at)));
                *sync::lock(&self.runtime) = runtime.or_else(|| Handle::try_current().ok());
                sleep
            }
        };
        let waker = Waker::from(self.clone());
        // Already due: tokio does not call the waker of a `Sleep` polled ready; this does.
        if sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            waker.wake();
        }
    }

    /// A firing, in a task of its own: expires the contexts due, then sets the `Sleep` for the
    /// earliest left, or leaves it idle.
    fn fire(self: &Arc<Wheel>) {
        let now = sync::now();
        let due: Vec<Weak<State>> = {
            let mut inner = self.lock();
            let mut due = Vec::new();
            while let Some(state) = inner.entries.pop_due(now) {
                due.push(state);
            }
            due
        };
        for state in due {
            if let Some(state) = state.upgrade() {
                // An idle deadline pushed back since it was armed: armed again, for when it is
                // due now (in this thread's wheel).
                if !state.expire_if_due(now) {
                    state.rearm_timer();
                }
            }
        }
        let mut inner = self.lock();
        match inner.entries.earliest() {
            Some(at) => self.set(&mut inner, at, None),
            None => inner.armed = None,
        }
    }
}

impl Wake for Wheel {
    /// The `Sleep` has fired (or tokio shuts down, and fires every timer): a task expires what
    /// is due. Called by tokio's time driver, outside its lock, on whichever thread drives it.
    fn wake(self: Arc<Self>) {
        let runtime = sync::lock(&self.runtime).clone();
        let Some(runtime) = runtime else {
            return;
        };
        let firing = runtime.spawn({
            let wheel = self.clone();
            async move { wheel.fire() }
        });
        if firing.is_finished() {
            // The runtime is shutting down (it refuses tasks): its `Sleep` is dead. The next
            // deadline armed makes a new one, on whatever runtime it runs on.
            self.dead.store(true, Ordering::Release);
        }
    }
}

impl State {
    /// A context whose idle deadline moved while its timer slept: its timer, armed again for
    /// the deadline as it is now (none if it is cancelled or has none any more).
    fn rearm_timer(self: &Arc<State>) {
        let Some(due) = self.next_due() else {
            return;
        };
        if let Some(key) = arm(self, due.at) {
            self.replace_timer(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::Ctx;

    fn entries() -> usize {
        super::WHEEL.with(|wheel| wheel.get().map_or(0, |wheel| wheel.lock().entries.len()))
    }

    /// Contexts waited on from one thread share its wheel: each is cancelled at its own
    /// deadline, one dropped before its deadline leaves the wheel, and no task stays alive.
    #[tokio::test(start_paused = true)]
    async fn deadlines_armed_from_one_thread_share_its_wheel() {
        let start = tokio::time::Instant::now();
        let root = Ctx::new();
        let contexts: Vec<Ctx> = (1..=3)
            .map(|s| root.with_timeout(Duration::from_secs(s)))
            .collect();
        let dropped = root.with_timeout(Duration::from_millis(500));
        let hooks: Vec<_> = contexts.iter().map(|c| c.on_cancel(|_| {})).collect();
        let dropped_hook = dropped.on_cancel(|_| {});
        assert_eq!(entries(), 4);
        let alive = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        assert_eq!(alive(), 0, "no task waits on the timers");
        drop(dropped_hook);
        drop(dropped);
        assert_eq!(entries(), 3, "left");
        for (s, ctx) in (1..=3).zip(&contexts) {
            ctx.cancelled().await;
            assert_eq!(start.elapsed(), Duration::from_secs(s));
            assert!(ctx.cause().unwrap().is_deadline_exceeded());
        }
        assert_eq!(entries(), 0);
        drop(hooks);
        tokio::task::yield_now().await;
        assert_eq!(alive(), 0, "the firings' tasks are over");
    }

    /// An idle deadline pushed back while its timer sleeps is armed again for the new one.
    #[tokio::test(start_paused = true)]
    async fn an_idle_deadline_pushed_back_is_armed_again() {
        let start = tokio::time::Instant::now();
        let ctx = Ctx::new().with_idle_timeout(Duration::from_secs(2));
        let _hook = ctx.on_cancel(|_| {});
        tokio::time::sleep(Duration::from_secs(1)).await;
        ctx.reset_idle_timeout();
        ctx.cancelled().await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    /// A thread whose runtime is gone arms its next deadline on the runtime it runs on now.
    #[test]
    fn a_thread_moves_to_its_next_runtime() {
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                let start = tokio::time::Instant::now();
                let ctx = Ctx::new().with_timeout(Duration::from_secs(60));
                // Armed, then left armed when the runtime goes (a long deadline).
                let _long = Ctx::new().with_timeout(Duration::from_secs(3600));
                let _hook = _long.on_cancel(|_| {});
                ctx.cancelled().await;
                assert_eq!(start.elapsed(), Duration::from_secs(60));
            });
        }
    }
}
