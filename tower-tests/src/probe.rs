//! [`Probe`]: what one hop's handlers did.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx};

/// What one hop's handlers did, shared with the test.
#[derive(Debug, Default)]
pub struct Probe {
    /// Handlers started.
    pub entered: AtomicUsize,
    /// Handlers running now (entered, not yet returned or dropped).
    pub live: AtomicUsize,
    /// The first request context cancelled: when, and why.
    pub cancelled: Mutex<Option<(Instant, Cancelled)>>,
    /// When the endless loop last stopped.
    pub stopped: Mutex<Option<Instant>>,
    /// Iterations of the endless loop, all requests together.
    pub iterations: AtomicU64,
    /// The error the spawned endless loop ([`spawned_endless`]) last stopped with.
    pub spawned_stopped: Mutex<Option<Cancelled>>,
    /// The time left to the last request's ambient context when its handler started (`None`:
    /// no deadline).
    pub budget: Mutex<Option<Duration>>,
}

/// Counts a handler as live until dropped (returned, or dropped by the server).
pub struct Live(Arc<Probe>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Probe {
    /// Called first in a handler: counts it, and records when and why its (ambient) context is
    /// cancelled.
    pub fn enter(self: &Arc<Self>) -> Live {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.live.fetch_add(1, Ordering::SeqCst);
        let ctx = Ctx::current();
        *self.budget.lock().unwrap() = ctx.deadline().map(|d| d.remaining());
        let probe = self.clone();
        ctx.on_cancel(move |cancelled| {
            let mut slot = probe.cancelled.lock().unwrap();
            if slot.is_none() {
                *slot = Some((Instant::now(), cancelled));
            }
        })
        .detach();
        Live(self.clone())
    }

    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    pub fn entered(&self) -> usize {
        self.entered.load(Ordering::SeqCst)
    }

    pub fn cancelled(&self) -> Option<(Instant, Cancelled)> {
        self.cancelled.lock().unwrap().clone()
    }

    pub fn stopped(&self) -> Option<Instant> {
        *self.stopped.lock().unwrap()
    }

    pub fn budget(&self) -> Option<Duration> {
        *self.budget.lock().unwrap()
    }

    pub fn spawned_stopped(&self) -> Option<Cancelled> {
        self.spawned_stopped.lock().unwrap().clone()
    }

    pub fn iterations(&self) -> u64 {
        self.iterations.load(Ordering::SeqCst)
    }
}

/// Records when the loop stopped, however it stopped (its checkpoint, or dropped).
struct Stopped<'a>(&'a Probe);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        *self.0.stopped.lock().unwrap() = Some(Instant::now());
    }
}

/// The last hop's work: a loop that would run forever, stopped by the checkpoints
/// `#[cancellable]` puts at every iteration and around its `.await`.
#[cancellable]
pub async fn endless(probe: &Probe) -> Result<(), Cancelled> {
    let _stopped = Stopped(probe);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        probe.iterations.fetch_add(1, Ordering::Relaxed);
    }
}

/// The endless loop in a task of its own, started with plain `tokio::spawn` in `#[cancellable]`
/// code, so that it inherits the request's context: what a handler does with work that should
/// stop with the request but not hold up its answer. Waits for the task; records the error the
/// loop stopped with. Dropping this future leaves the task running: only a cancellation of the
/// request's context stops it.
#[cancellable]
pub async fn spawned_endless(probe: Arc<Probe>) -> Result<(), Cancelled> {
    let task = tokio::spawn(async move {
        let stopped = endless(&probe).await;
        if let Err(cancelled) = &stopped {
            *probe.spawned_stopped.lock().unwrap() = Some(cancelled.clone());
        }
        stopped
    });
    task.await.expect("the loop neither panics nor is aborted")
}
