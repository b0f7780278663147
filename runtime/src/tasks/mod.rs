//! [`TaskSet`]: a long-lived set of tasks for a server's connections.

mod report;
mod serve;
mod task;

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use slab::Slab;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use report::Counters;
pub use report::{Counts, FailureKind, ShutdownReport, TaskFailure};
use task::{LiveEntry, SetTask};

use crate::ambient::{Ambient, Member};
use crate::deadline::far_add;
use crate::group::{abort_straggler, straggler_name, TaskName};
use crate::{Cause, Ctx, Straggler, TaskKind, DEFAULT_GRACE};

/// A long-lived set of tasks sharing a context: a server's connections, a worker's jobs.
///
/// Where a [`Group`](crate::Group) is a batch (its tasks succeed together or stop together, and it
/// keeps every output until `wait`), a `TaskSet` is open-ended:
///
/// - **A task's failure is its own business.** It does not cancel the others; it is counted
///   ([`TaskSet::counts`]) and reported to [`TaskSet::on_failure`] (by default, a `tracing`
///   warning), with its source chain. A panic is caught and reported the same way. A task that
///   stops because the set shuts down (it returns the cancellation, see
///   [`Cancelled::is_shutdown`](crate::Cancelled::is_shutdown)) is counted as stopped, one that
///   ran out of time (it returns a deadline's cancellation: its connection's idle timeout, its
///   request's deadline) as timed out: neither is a failure, neither is reported.
/// - **A finished task costs nothing.** Its slot is released when its future is dropped, and
///   outputs are not kept: memory follows the tasks running now, not every task ever spawned.
/// - **The same structure as a group.** Every task runs with the set's context ambient (so
///   `#[cancellable]` functions stop when it is cancelled); [`TaskSet::shutdown`] cancels it, waits
///   for the tasks, aborts and names those still running after the grace period, and returns
///   only when every task's future has been dropped; dropping the set cancels it and aborts its
///   tasks. A task inside a shielded section is waited for, not aborted.
///
/// Use a [`Group`](crate::Group) when the tasks are one piece of work (a failure or the deadline
/// means the whole is lost, you want their outputs), a `TaskSet` when they are independent
/// (requests, connections, subscriptions) and the set outlives any one of them. tokio-util's
/// `TaskTracker` + `CancellationToken` is the same shape without the ambient context, the
/// failure reports and the straggler abort.
///
/// As with tokio-util's `TaskTracker`, a task counts as ended when its future is dropped, which
/// happens just before tokio itself considers the task finished.
///
/// ```
/// use autocancel::{Ctx, TaskSet};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let tasks = TaskSet::new();
/// for n in 0..3u64 {
///     tasks.spawn(async move {
///         autocancel::sleep(Duration::from_secs(n * 60)).await?; // 0, 60 s, 120 s
///         Ok::<_, std::io::Error>(())
///     });
/// }
/// tokio::time::sleep(Duration::from_secs(1)).await;
/// assert_eq!(tasks.len(), 2); // the first one is gone already
///
/// let report = tasks.shutdown().await; // cancels the other two: they stop at once
/// assert!(report.is_clean());
/// assert_eq!((report.counts.succeeded, report.counts.stopped, report.counts.failed), (1, 2, 0));
/// # }
/// ```
pub struct TaskSet {
    shared: Arc<Shared>,
    grace: Duration,
    /// Set once `shutdown` has run to the end; then dropping does nothing more.
    finished: bool,
}

/// What the set and its tasks share.
pub(super) struct Shared {
    /// What the set's tasks run with, shared by all of them: its context, identity and shield
    /// depths. Each task sees it while it is polled, with its own key and name (`task.rs`), and
    /// holds it through its [`LiveEntry`]'s reference count to this.
    ambient: Ambient,
    live: Mutex<Slab<Live>>,
    /// Notified when the last live task releases its slot.
    emptied: Notify,
    on_failure: OnceLock<Box<dyn Fn(TaskFailure) + Send + Sync>>,
    counts: Counters,
    /// Shielded stragglers that ended by themselves during `shutdown` (see [`Live::late`]).
    late: Mutex<Vec<Straggler>>,
}

/// A running task: its name for the straggler report, and how to abort it.
struct Live {
    name: TaskName,
    /// Its place in spawn order (from 1): numbers an unnamed straggler's name.
    number: u64,
    abort: Option<AbortHandle>,
    /// Set by `shutdown` (to when it cancelled the set) when the grace period ran out while the
    /// task was inside a shielded section: a straggler, reported when it ends (by itself, or
    /// aborted once it leaves the section).
    late: Option<Instant>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slab<Live>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called by a task's [`LiveEntry`] when its future is dropped.
    fn release(&self, key: usize) {
        let mut live = self.lock();
        let ended = live.try_remove(key);
        let emptied = live.is_empty();
        drop(live);
        if let Some(Live {
            name,
            number,
            late: Some(cancelled_at),
            ..
        }) = ended
        {
            self.ended_late(straggler_name(&name, number), cancelled_at);
        }
        if emptied {
            self.emptied.notify_waiters();
        }
    }

    /// A shielded task that outlived the grace period has ended by itself: a straggler, with how
    /// long after the cancellation it ended.
    fn ended_late(&self, name: Arc<str>, cancelled_at: Instant) {
        let straggler = Straggler {
            name,
            kind: TaskKind::Async,
            overdue: cancelled_at.elapsed(),
            aborted: false,
            waiting: None,
        };
        tracing::warn!(%straggler, "a shielded task outlived the grace period");
        self.late
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(straggler);
    }

    fn report(&self, failure: TaskFailure) {
        match self.on_failure.get() {
            Some(on_failure) => on_failure(failure),
            None => tracing::warn!(%failure, "task failed"),
        }
    }
}

impl TaskSet {
    /// A task set whose context is a child of the ambient context ([`Ctx::current`]).
    pub fn new() -> TaskSet {
        TaskSet::with_parent(&Ctx::current())
    }

    /// A task set whose context is a child of `parent`: cancelling `parent` (a server's
    /// shutdown) cancels every task of the set. Named as [`Group::with_parent`](crate::Group::with_parent) and
    /// [`ScopedGroup::with_parent`](crate::ScopedGroup::with_parent).
    pub fn with_parent(parent: &Ctx) -> TaskSet {
        TaskSet::of_ctx(parent.child())
    }

    /// [`TaskSet::with_parent`], under its first name.
    #[deprecated(since = "0.1.1", note = "renamed `TaskSet::with_parent`, as `Group`'s")]
    pub fn child_of(ctx: &Ctx) -> TaskSet {
        TaskSet::with_parent(ctx)
    }

    fn of_ctx(ctx: Ctx) -> TaskSet {
        TaskSet {
            shared: Arc::new(Shared {
                ambient: Ambient {
                    ctx,
                    member: Member::new("task set"),
                },
                live: Mutex::new(Slab::new()),
                emptied: Notify::new(),
                on_failure: OnceLock::new(),
                counts: Counters::default(),
                late: Mutex::default(),
            }),
            grace: DEFAULT_GRACE,
            finished: false,
        }
    }

    /// Calls `f` with every task failure (an error that is neither a shutdown's cancellation
    /// nor a deadline's, or a panic), on the task's thread as it ends, instead of logging a
    /// `tracing` warning. Keep it short: count, log, forward to a channel.
    ///
    /// # Panics
    ///
    /// If called twice.
    pub fn on_failure(self, f: impl Fn(TaskFailure) + Send + Sync + 'static) -> TaskSet {
        if self.shared.on_failure.set(Box::new(f)).is_err() {
            panic!("TaskSet::on_failure called twice");
        }
        self
    }

    /// How long [`shutdown`](TaskSet::shutdown) gives tasks to stop by themselves before it
    /// aborts them ([`DEFAULT_GRACE`] unless set).
    pub fn grace(mut self, grace: Duration) -> TaskSet {
        self.grace = grace;
        self
    }

    /// The set's context: cancelled by [`shutdown`](TaskSet::shutdown), by dropping the set, by
    /// its parent, or by [`Ctx::cancel`]. Per-task contexts derive from it
    /// (`tasks.ctx().with_idle_timeout(..)`).
    pub fn ctx(&self) -> &Ctx {
        &self.shared.ambient.ctx
    }

    /// Spawns a task on the current tokio runtime, with the set's context ambient. It is named
    /// by its spawn location in failure and straggler reports. Its output is dropped; an error
    /// is reported (see [`TaskSet`]).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `tokio::spawn`.
    #[track_caller]
    pub fn spawn<F, T, E>(&self, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.spawn_task(TaskName::SpawnedAt(Location::caller()), fut);
    }

    /// [`TaskSet::spawn`] with a name for failure and straggler reports (a peer address, a
    /// request id).
    pub fn spawn_named<F, T, E>(&self, name: impl Into<Arc<str>>, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.spawn_task(TaskName::Given(name.into()), fut);
    }

    fn spawn_task<F, T, E>(&self, name: TaskName, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let shared = &self.shared;
        let number = shared.counts.spawn();
        // Under the lock, so that the task, should it end at once on another thread, releases
        // its slot only after the slot holds its abort handle.
        let mut live = shared.lock();
        let entry = live.vacant_entry();
        let key = entry.key();
        let slot = LiveEntry {
            shared: shared.clone(),
            key,
            counted: false,
        };
        let handle = tokio::spawn(SetTask::new(slot, name.clone(), fut));
        entry.insert(Live {
            name,
            number,
            abort: Some(handle.abort_handle()),
            late: None,
        });
    }

    /// How many tasks are running now.
    pub fn len(&self) -> usize {
        self.shared.lock().len()
    }

    /// Whether no task is running now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How the set's tasks have ended so far.
    pub fn counts(&self) -> Counts {
        self.shared.counts.snapshot()
    }

    /// Cancels the set's context (cause: cancelled, "shutdown"), waits for its tasks to stop,
    /// aborts those still running after the grace period (except inside a shielded section,
    /// which is waited for), and returns once every task's future has been dropped: counts, and
    /// the stragglers by name (also logged as `tracing` warnings) — the aborted ones, and the
    /// shielded ones that outlived the grace period, with how long after the cancellation each
    /// ended.
    pub async fn shutdown(mut self) -> ShutdownReport {
        let shared = self.shared.clone();
        shared.ambient.ctx.cancel_with(Cause::Cancelled {
            reason: Some("shutdown".into()),
        });
        let started = Instant::now();
        let mut next_abort = far_add(started, self.grace);
        let mut stragglers = Vec::new();
        loop {
            let mut emptied = pin!(shared.emptied.notified());
            emptied.as_mut().enable();
            if shared.lock().is_empty() {
                break;
            }
            tokio::select! {
                biased;
                () = emptied => {}
                () = tokio::time::sleep_until(next_abort) => {
                    let shielded = self.abort_stragglers(started, &mut stragglers);
                    next_abort = far_add(
                        Instant::now(),
                        if shielded { self.grace.max(Duration::from_millis(1)) } else { Duration::MAX },
                    );
                }
            }
        }
        self.finished = true;
        // In the order they ended or were aborted.
        stragglers.append(&mut shared.late.lock().unwrap_or_else(|p| p.into_inner()));
        stragglers.sort_by_key(|straggler| straggler.overdue);
        ShutdownReport {
            counts: shared.counts.snapshot(),
            stragglers,
        }
    }

    /// Aborts every running task outside a shielded section and reports it; true if some task
    /// is shielded (look again later: it is reported when it ends or is aborted).
    fn abort_stragglers(&self, started: Instant, stragglers: &mut Vec<Straggler>) -> bool {
        let overdue = started.elapsed();
        let mut shielded = false;
        let mut live = self.shared.lock();
        for (key, task) in live.iter_mut() {
            // A task aborted before is still being dropped: not a straggler again.
            let Some(handle) = task.abort.as_ref() else {
                continue;
            };
            let shields = &self.shared.ambient.member.shields;
            let name = || straggler_name(&task.name, task.number);
            match abort_straggler(shields, key, name, overdue, || handle.abort()) {
                Some(straggler) => {
                    // Reported here, not again when it ends.
                    task.late = None;
                    task.abort = None;
                    stragglers.push(straggler);
                }
                None => {
                    shielded = true;
                    task.late.get_or_insert(started);
                }
            }
        }
        shielded
    }
}

impl Default for TaskSet {
    fn default() -> TaskSet {
        TaskSet::new()
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.shared.ambient.ctx.cancel_with(Cause::Cancelled {
            reason: Some("task set dropped".into()),
        });
        let live = self.shared.lock();
        for (key, task) in live.iter() {
            if let Some(abort) = &task.abort {
                if !self.shared.ambient.member.shields.is_shielded(key) {
                    abort.abort();
                }
            }
        }
    }
}

impl std::fmt::Debug for TaskSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSet")
            .field("ctx", &self.shared.ambient.ctx)
            .field("running", &self.len())
            .field("grace", &self.grace)
            .finish()
    }
}
