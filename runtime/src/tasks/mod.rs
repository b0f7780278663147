//! [`TaskSet`]: a long-lived set of tasks for a server's connections.

mod entry;
mod report;
mod serve;
mod shards;
mod sites;
mod task;

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use entry::LiveEntry;
pub use report::{Counts, FailureKind, ShutdownReport, TaskFailure};
use shards::{Shards, Tally};
use sites::Sites;
use task::SetTask;

use crate::ambient::{Ambient, Member};
use crate::deadline::far_add;
// Loom's under `--cfg loom` (`tests/loom.rs`: a task parking while the set aborts).
use crate::sync::{AtomicU8, Ordering, Padded};
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
    /// What its tasks point to, by spawn location (`entry.rs`).
    sites: Sites,
    grace: Duration,
    /// Set once `shutdown` has run to the end; then dropping does nothing more.
    finished: bool,
}

/// What the set and its tasks share.
pub(super) struct Shared {
    /// What the set's tasks run with, shared by all of them: its context, identity and shield
    /// depths. Each task sees it while it is polled, with its own index and name (`task.rs`),
    /// and holds it through its [`LiveEntry`]'s site.
    ambient: Ambient,
    /// Spawned, running and succeeded: the one line every task writes (`shards.rs`).
    tally: Padded<Tally>,
    /// The tasks' indices, the wakers of those parked, and how tasks ended (but successes),
    /// per worker.
    shards: Shards,
    /// Notified when the last task of a closed set ends.
    emptied: Notify,
    /// Whether running tasks are to stop at their next poll: [`Abort::No`] until the grace
    /// period of a shutdown runs out or the set is dropped.
    abort: AtomicU8,
    /// When `shutdown` cancelled the set: a straggler's overdue time counts from it.
    cancelled_at: OnceLock<Instant>,
    on_failure: OnceLock<Box<dyn Fn(TaskFailure) + Send + Sync>>,
    /// Stragglers of a shutdown, each added by its task as it is aborted or ends late.
    late: Mutex<Vec<Straggler>>,
}

/// Values of [`Shared::abort`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Abort {
    No = 0,
    /// The grace period of a shutdown ran out: a task outside a shielded section stops at its
    /// next poll and is reported as a straggler; a shielded one that ends is reported as late.
    Shutdown = 1,
    /// The set was dropped: a task outside a shielded section stops at its next poll, silently.
    Dropped = 2,
}

impl Shared {
    fn new(ctx: Ctx) -> Shared {
        Shared {
            ambient: Ambient {
                ctx,
                member: Member::new("task set"),
            },
            tally: Padded::default(),
            shards: Shards::new(),
            emptied: Notify::new(),
            abort: AtomicU8::new(Abort::No as u8),
            cancelled_at: OnceLock::new(),
            on_failure: OnceLock::new(),
            late: Mutex::default(),
        }
    }

    /// Whether, and how, running tasks are to stop.
    #[inline]
    pub(super) fn abort(&self) -> Abort {
        match self.abort.load(Ordering::Acquire) {
            0 => Abort::No,
            1 => Abort::Shutdown,
            _ => Abort::Dropped,
        }
    }

    /// Tells every running task to stop at its next poll (a shielded one once it leaves its
    /// section), and wakes those parked. A task that parks after this sees it when it registers
    /// its waker: the shard's lock orders the two.
    fn abort_all(&self, how: Abort) {
        self.abort.store(how as u8, Ordering::Release);
        self.shards.wake_all();
    }

    /// A task that outlived the grace period of a shutdown has ended by itself (it was inside a
    /// shielded section): a straggler, with how long after the cancellation it ended.
    pub(super) fn ended_late(&self, name: Arc<str>) {
        let overdue = self
            .cancelled_at
            .get()
            .map_or(Duration::ZERO, Instant::elapsed);
        let straggler = Straggler {
            name,
            kind: TaskKind::Async,
            overdue,
            aborted: false,
            waiting: None,
        };
        tracing::warn!(%straggler, "a shielded task outlived the grace period");
        self.add_straggler(straggler);
    }

    pub(super) fn add_straggler(&self, straggler: Straggler) {
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

    fn counts(&self) -> Counts {
        Counts::sum(
            &self.tally.0.succeeded,
            self.shards.iter().map(|shard| &shard.ended),
            &self.tally.0.spawned,
        )
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
        let shared = Arc::new(Shared::new(ctx));
        TaskSet {
            sites: Sites::new(&shared),
            shared,
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
    /// by its spawn location in failure and straggler reports, and as a straggler also by its
    /// tokio task id (`src/main.rs:12:9 (task id 42)`, what `tokio::task::id()` returns inside
    /// it). Its output is dropped; an error is reported (see [`TaskSet`]).
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
        self.shared.tally.0.spawn();
        let entry = LiveEntry::new(self.sites.at(Location::caller()));
        self.spawn_task(entry, fut);
    }

    /// [`TaskSet::spawn`] with a name for failure and straggler reports (a peer address, a
    /// request id).
    pub fn spawn_named<F, T, E>(&self, name: impl Into<Arc<str>>, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.shared.tally.0.spawn();
        let entry = LiveEntry::named(self.sites.named(), name.into());
        self.spawn_task(entry, fut);
    }

    /// Spawns `fut` with its `entry`, once counted as spawned.
    fn spawn_task<F, T, E>(&self, entry: LiveEntry, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        // The join handle is dropped at once: the task is aborted by waking it (`shards.rs`).
        drop(tokio::spawn(SetTask::new(entry, fut)));
    }

    /// How many tasks are running now.
    pub fn len(&self) -> usize {
        self.shared.tally.0.running()
    }

    /// Whether no task is running now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How the set's tasks have ended so far.
    pub fn counts(&self) -> Counts {
        self.shared.counts()
    }

    /// Cancels the set's context (cause: cancelled, "shutdown"), waits for its tasks to stop,
    /// aborts those still running after the grace period (except inside a shielded section,
    /// which is waited for), and returns once every task's future has been dropped: counts, and
    /// the stragglers by name (also logged as `tracing` warnings) — the aborted ones, and the
    /// shielded ones that outlived the grace period, with how long after the cancellation each
    /// ended.
    ///
    /// # Panics
    ///
    /// On a tokio runtime without its clock (`enable_time`), if a task is still running when it
    /// is called, as `tokio::time::sleep` does: the grace period is a tokio timer.
    pub async fn shutdown(mut self) -> ShutdownReport {
        let shared = self.shared.clone();
        shared.ambient.ctx.cancel_with(Cause::Cancelled {
            reason: Some("shutdown".into()),
        });
        let started = *shared.cancelled_at.get_or_init(Instant::now);
        let mut abort_at = Some(far_add(started, self.grace));
        let mut emptied = pin!(shared.emptied.notified());
        emptied.as_mut().enable();
        // Registered before closing: the end of the last task notifies only a closed set.
        if !shared.tally.0.close() {
            loop {
                tokio::select! {
                    biased;
                    () = emptied.as_mut() => break,
                    () = tokio::time::sleep_until(abort_at.unwrap_or(started)), if abort_at.is_some() => {
                        // Each task stops at its next poll and reports itself; a shielded one
                        // once it leaves its section, or it reports itself when it ends.
                        shared.abort_all(Abort::Shutdown);
                        abort_at = None;
                    }
                }
            }
        }
        self.finished = true;
        // In the order they ended or were aborted.
        let mut stragglers =
            std::mem::take(&mut *shared.late.lock().unwrap_or_else(|p| p.into_inner()));
        stragglers.sort_by_key(|straggler| straggler.overdue);
        ShutdownReport {
            counts: shared.counts(),
            stragglers,
        }
    }
}

/// A set's shared part and its tasks' entries, without tokio (`--cfg loom` only), for
/// `tests/loom.rs`: a task that parks while the set aborts.
#[cfg(loom)]
pub(crate) struct LoomSet(Arc<Shared>, Sites);

#[cfg(loom)]
impl LoomSet {
    pub(crate) fn new() -> LoomSet {
        let shared = Arc::new(Shared::new(Ctx::new()));
        let sites = Sites::new(&shared);
        LoomSet(shared, sites)
    }

    /// A new task's entry.
    #[track_caller]
    pub(crate) fn task(&self) -> LoomTask {
        LoomTask(LiveEntry::new(self.1.at(Location::caller())))
    }

    /// What a shutdown does once its grace period runs out.
    pub(crate) fn abort(&self) {
        self.0.abort_all(Abort::Shutdown);
    }
}

/// A task's entry (`--cfg loom` only).
#[cfg(loom)]
pub(crate) struct LoomTask(LiveEntry);

#[cfg(loom)]
impl LoomTask {
    /// What a task's poll does when its future returns `Pending`: true if it is to stop now.
    pub(crate) fn parks(&self, waker: &std::task::Waker) -> bool {
        self.0.parks(waker)
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
        self.shared.abort_all(Abort::Dropped);
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
