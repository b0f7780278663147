//! [`Group`]: Go's `errgroup.WithContext`, structured.

mod builder;
mod ended;
mod join;
mod over;
mod report;
mod scoped;
mod seat;
mod task;
mod wait;

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

pub use builder::GroupBuilder;
use ended::Ended;
pub use join::Joined;
#[cfg(loom)]
pub(crate) use over::OverList;
pub(crate) use report::abort_straggler;
pub(crate) use report::straggler_name;
pub use report::{Report, Straggler, TaskKind, TaskOutcome, Waiting};
pub use scoped::ScopedGroup;
use seat::Seats;
#[cfg(loom)]
pub(crate) use seat::{Seat, Seats as LoomSeats};

pub(crate) use crate::ambient::TaskName;

use crate::ambient::{Ambient, Member};
use crate::{Cancelled, Cause, Ctx, Deadline};

/// How long cancelled async tasks get to stop by themselves before they are aborted: 100 ms
/// (`Duration::from_millis(100)`), the default of [`Group::grace`],
/// [`ScopedGroup::grace`](crate::ScopedGroup::grace) and [`TaskSet::grace`](crate::TaskSet::grace).
pub const DEFAULT_GRACE: Duration = Duration::from_millis(100);

/// A set of tasks that succeed together or stop together: Go's `errgroup.WithContext`, with the
/// deadline, limit and structure Go leaves to you.
///
/// - Every task runs with the group's context ambient ([`Ctx::current`]), so `#[cancellable]`
///   functions stop when the group is cancelled.
/// - The first task error cancels the group (cause [`Cause::TaskFailed`]) and is what
///   [`wait`](Group::wait) returns; a deadline cancels it with [`Cause::DeadlineExceeded`] and
///   `wait` returns `E::from(Cancelled)`; a panic cancels it ([`Cause::Panicked`]) and `wait`
///   re-raises it once the other tasks have stopped.
/// - Structured: `wait` returns only when no task of the group runs any more. Async tasks still
///   running a grace period ([`DEFAULT_GRACE`], see [`Group::grace`]) after cancellation are
///   aborted and reported as [`Straggler`]s (a `tracing` warning, and
///   [`Report::stragglers`]); blocking ones cannot be aborted, so `wait` waits for them and
///   reports them too. A task inside a shielded section is waited for, not aborted, and
///   reported once it ends if that is after the grace period.
/// - Dropping a group without waiting cancels it and aborts its async tasks (except shielded
///   ones, which finish their section and then stop at their next checkpoint); blocking tasks
///   already running are left to notice the cancellation.
/// - When `wait` returns, the group's context is cancelled (as Go's errgroup does), so nothing
///   derived from it outlives the group.
/// - Ties are decided, not left to the scheduler: a deadline wins against anything on the same
///   instant. A task that returns an error at the deadline's instant (or later, before anything
///   noticed the deadline) does not become the group's error: `wait` returns the deadline's
///   `E::from(Cancelled)`. A task that returns `Ok` at that instant keeps its output in
///   [`Report::outputs`], but the group has failed. (A panic is re-raised whatever the cause.)
///   Between two errors, the first to return wins; on one instant, whichever the runtime ran
///   first.
///
/// `Group::new()` is a child of the ambient context: a group created inside a group task is
/// cancelled with its parent group; its own failure does not cancel the parent unless the task
/// returns it.
///
/// ```
/// use autocancel::{Cancelled, Group};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let mut group: Group<u32> = Group::with_timeout(Duration::from_secs(7));
/// for n in 0..3 {
///     group.spawn(async move {
///         autocancel::sleep(Duration::from_secs(n.into())).await?;
///         Ok::<_, Cancelled>(n * 10)
///     });
/// }
/// assert_eq!(group.wait().await.unwrap(), vec![0, 10, 20]);
/// # }
/// ```
pub struct Group<T: 'static = (), E: 'static = Cancelled> {
    /// What the group's tasks run with, shared by all of them: the group's context; its
    /// identity, so that `wait` recognises a call from one of its tasks; and which tasks are
    /// inside a shielded section (not to be aborted).
    shared: Arc<Ambient>,
    /// Each task's seat (its index and name, with `shared`): what the task carries of its group,
    /// in one word (`group/seat.rs`). The names stay here for reports. A task gives its seat
    /// back when it is over, onto the list `wait` takes them from (`group/over.rs`): a
    /// `JoinSet`'s job, without its allocation and lock per task.
    seats: Seats,
    /// Indexed like the seats.
    tasks: Vec<Entry<T, E>>,
    /// Tasks whose end `wait` has not collected yet.
    running: usize,
    /// The concurrency limit's permits, if the builder set one.
    slots: Option<Arc<Semaphore>>,
    grace: Duration,
    /// A task's error does not cancel the group; every error is kept for the report
    /// ([`GroupBuilder::collect_errors`]).
    keep_errors: bool,
    /// What `join_next` has collected so far (and `wait` then goes on from). In a `Mutex` only
    /// so that the group stays `Sync` whatever `T` and `E` are: it is only reached through
    /// `&mut self` (`into_inner`, `get_mut`), never locked.
    collect: Option<std::sync::Mutex<Box<wait::Collect<T, E>>>>,
    /// Set when `wait` has collected every task; then dropping does nothing more.
    finished: bool,
    _error: PhantomData<fn() -> E>,
}

/// What the group remembers of a task while it runs (its name is in its seat's row).
struct Entry<T, E> {
    kind: TaskKind,
    /// Its output (or how it failed to give one), and how to abort it; `None` once collected.
    handle: Option<JoinHandle<Ended<T, E>>>,
    /// Collected, or aborted and reported as a straggler.
    done: bool,
    /// The grace period ran out while it was inside a shielded section: a straggler, reported
    /// when it ends (or when it is aborted, once it leaves the section).
    late: bool,
}

impl<T, E> Group<T, E>
where
    T: Send + 'static,
    E: From<Cancelled> + std::fmt::Display + Send + 'static,
{
    /// A group whose context is a child of the ambient context ([`Ctx::current`]).
    pub fn new() -> Self {
        Group::from_ctx(Ctx::current().child())
    }

    /// A group that is cancelled `timeout` from now (or at its parent's deadline, if earlier).
    pub fn with_timeout(timeout: Duration) -> Self {
        Group::from_ctx(Ctx::current().with_timeout(timeout))
    }

    /// A group that is cancelled at `deadline` (or at its parent's deadline, if earlier).
    pub fn with_deadline(deadline: Deadline) -> Self {
        Group::from_ctx(Ctx::current().with_deadline(deadline))
    }

    /// A group whose context is a child of `parent` rather than of the ambient context: its
    /// tasks are cancelled when `parent` is, and its failure cancels only itself.
    pub fn with_parent(parent: &Ctx) -> Self {
        Group::from_ctx(parent.child())
    }

    pub(crate) fn from_ctx(ctx: Ctx) -> Self {
        let member = Member::new("group");
        let shared = Arc::new(Ambient { ctx, member });
        Group {
            seats: Seats::new(shared.clone()),
            shared,
            tasks: Vec::new(),
            running: 0,
            slots: None,
            grace: DEFAULT_GRACE,
            keep_errors: false,
            collect: None,
            finished: false,
            _error: PhantomData,
        }
    }

    /// How long cancelled async tasks get to return by themselves before they are aborted
    /// (default [`DEFAULT_GRACE`]). Zero aborts them as soon as the group is cancelled.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The group's context: cancelled by the first error, a panic, the deadline, its parent, or
    /// [`Ctx::cancel`].
    pub fn ctx(&self) -> &Ctx {
        &self.shared.ctx
    }

    /// Spawns an async task on the current tokio runtime. It is named by its spawn location in
    /// straggler reports.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `tokio::spawn` (the group stays usable; `wait` counts the
    /// task as one that never started). Past `u32::MAX - 1` tasks in one group, which tokio
    /// would need half a terabyte to hold.
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.spawn_async(TaskName::SpawnedAt(Location::caller()), fut, None);
    }

    /// [`Group::spawn`] with a name for straggler reports and causes.
    pub fn spawn_named<F>(&mut self, name: impl Into<Arc<str>>, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.spawn_async(TaskName::Given(name.into()), fut, None);
    }

    /// Spawns the task if the limit leaves room now; returns `false`, spawning nothing, if it
    /// does not (Go's `TryGo`). Without a limit it always spawns.
    #[track_caller]
    pub fn try_spawn<F>(&mut self, fut: F) -> bool
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let permit = match &self.slots {
            None => None,
            Some(limit) => match limit.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => return false,
            },
        };
        self.spawn_async(TaskName::SpawnedAt(Location::caller()), fut, permit);
        true
    }

    /// Spawns a blocking task on tokio's blocking thread pool, with the group's context ambient
    /// on its thread (so `#[cancellable]` blocking functions and
    /// [`sleep_blocking`](crate::sleep_blocking) stop when the group is cancelled).
    ///
    /// A blocking task cannot be aborted: if it ignores the cancellation, `wait` waits for it and
    /// reports it as a [`Straggler`].
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
    {
        let seat = self.seats.take(TaskName::SpawnedAt(Location::caller()));
        let index = self.reserve(TaskKind::Blocking);
        debug_assert_eq!(seat.index(), index, "seats and entries are taken together");
        let keep = self.keep_errors;
        let handle = match self.slots.clone() {
            None => {
                tokio::task::spawn_blocking(move || Ended::pack(task::run_blocking(seat, f, keep)))
            }
            Some(limit) => {
                let ctx = self.ctx().clone();
                tokio::spawn(async move {
                    let Some(_permit) = acquire(&ctx, limit).await else {
                        return Ended::pack(task::not_started(index));
                    };
                    let run = move || task::run_blocking(seat, f, keep);
                    Ended::pack(match tokio::task::spawn_blocking(run).await {
                        Ok(finished) => finished,
                        // A panic outside the body's own `catch_unwind` (the `Display` of its
                        // error): this task's panic, as it is without a limit.
                        Err(error) if error.is_panic() => {
                            std::panic::resume_unwind(error.into_panic())
                        }
                        // Only a runtime shutting down cancels a blocking task before it runs.
                        Err(_) => task::not_started(index),
                    })
                })
            }
        };
        self.tasks[index].handle = Some(handle);
    }

    fn spawn_async<F>(&mut self, name: TaskName, fut: F, permit: Option<OwnedSemaphorePermit>)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let seat = self.seats.take(name);
        let index = self.reserve(TaskKind::Async);
        debug_assert_eq!(seat.index(), index, "seats and entries are taken together");
        if self.keep_errors {
            let run: task::RunAsync<F, true> = task::RunAsync::new(seat, fut);
            self.spawn_run(index, run, permit);
        } else {
            let run: task::RunAsync<F> = task::RunAsync::new(seat, fut);
            self.spawn_run(index, run, permit);
        }
    }

    /// Spawns task `index`'s future, under the limit if there is one.
    fn spawn_run<R>(&mut self, index: usize, run: R, permit: Option<OwnedSemaphorePermit>)
    where
        R: Future<Output = Ended<T, E>> + Send + 'static,
    {
        let handle = match (self.slots.clone(), permit) {
            // No limit: the task is just the body, as small as it can be (see `RunAsync`).
            (None, _) => tokio::spawn(run),
            (Some(_), Some(permit)) => tokio::spawn(async move {
                let _permit = permit;
                run.await
            }),
            (Some(limit), None) => {
                let ctx = self.ctx().clone();
                tokio::spawn(async move {
                    let Some(_permit) = acquire(&ctx, limit).await else {
                        return Ended::pack(task::not_started(index));
                    };
                    run.await
                })
            }
        };
        self.tasks[index].handle = Some(handle);
    }

    /// Records the task about to be spawned in the seat just taken, before it is: if spawning
    /// panics (outside a runtime), the seat, given back with the task's future, still has its
    /// entry, which `wait` then counts as a task that never started.
    fn reserve(&mut self, kind: TaskKind) -> usize {
        self.tasks.push(Entry {
            kind,
            handle: None,
            done: false,
            late: false,
        });
        self.running += 1;
        self.tasks.len() - 1
    }
}

/// Waits for a slot; `None` if the group is cancelled first (the task then never starts).
async fn acquire(ctx: &Ctx, limit: Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    tokio::select! {
        biased;
        _ = ctx.cancelled() => None,
        permit = limit.acquire_owned() => permit.ok(),
    }
}

impl Group {
    /// A [`GroupBuilder`]: for a group with a concurrency limit, or a parent other than the
    /// ambient context.
    pub fn builder() -> GroupBuilder {
        GroupBuilder::default()
    }
}

impl<T, E> Default for Group<T, E>
where
    T: Send + 'static,
    E: From<Cancelled> + std::fmt::Display + Send + 'static,
{
    fn default() -> Self {
        Group::new()
    }
}

impl<T: 'static, E: 'static> Drop for Group<T, E> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.shared.ctx.cancel_with(Cause::Cancelled {
            reason: Some("group dropped before wait".into()),
        });
        for (index, entry) in self.tasks.iter().enumerate() {
            if let (TaskKind::Async, Some(handle)) = (entry.kind, &entry.handle) {
                if !self.shared.member.shields.is_shielded(index) {
                    handle.abort();
                }
            }
        }
        // Shielded tasks finish their section and stop at their next checkpoint; blocking ones
        // notice the cancellation at theirs. Neither can be waited for in `drop`: their handles
        // are dropped with the group, which detaches them.
    }
}

impl<T: 'static, E: 'static> std::fmt::Debug for Group<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("ctx", &self.shared.ctx)
            .field("tasks", &self.tasks.len())
            .field("running", &self.running)
            .field("limit", &self.slots.as_ref().map(|_| ()))
            .field("grace", &self.grace)
            .finish()
    }
}
