//! [`ScopedGroup`]: a [`Group`](crate::Group) whose tasks are polled inside its own `wait`, so
//! that they may borrow from the caller's stack.
//!
//! Sound by construction, like `futures::stream::FuturesUnordered`, which it is built on: the
//! tasks are values owned by the group, run only while its `wait` future is polled, and dropped
//! with it. A task can never outlive what it borrows, because nothing runs it but the group,
//! and the group cannot outlive the borrow (`'a`). (No `tokio::spawn` underneath: a spawned task
//! that borrows would be unsound as soon as the scope's future is forgotten, which is why moro
//! and async-scoped are shaped as they are.)

use std::any::Any;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::{Instant, Sleep};

use super::report::cancelled_at;
use super::task::{self, Finished, Outcome};
use super::{
    abort_straggler, straggler_name, GroupBuilder, Report, Straggler, TaskKind, TaskName,
    TaskOutcome, DEFAULT_GRACE,
};
use crate::ambient::{self, Ambient, Here, Member, TaskIndex};
use crate::deadline::far_add;
use crate::{Cancelled, Cause, Ctx, Deadline};

/// A group whose tasks may borrow: they are polled inside the group's own [`wait`] future, on
/// the caller's task, instead of being spawned — no `'static` bound, no `tokio::spawn`.
///
/// The semantics are [`Group`](crate::Group)'s wherever they apply: the group's context is
/// ambient while each task is polled (so `#[cancellable]` tasks stop at their checkpoints); the
/// first error cancels the others and is what `wait` returns; a deadline or a cancellation of
/// the parent makes `wait` return `E::from(Cancelled)`; a panic is re-raised once the other
/// tasks have stopped; outputs come back in spawn order; a limit set on its builder
/// ([`ScopedGroup::builder`], as for a `Group`) bounds how many run at once. A task that ignores cancellation for the grace period
/// ([`DEFAULT_GRACE`], see [`grace`](ScopedGroup::grace)) is dropped and reported as a
/// [`Straggler`], unless it is inside a shielded section.
///
/// The differences follow from running inside `wait`: tasks start when `wait` is first polled
/// (not at `spawn`), they run concurrently with each other but on the caller's task (one thread
/// at a time, like `join!`), and dropping the `wait` future (or the group) drops them at once.
///
/// ```
/// use autocancel::{Cancelled, ScopedGroup};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let words = vec![String::from("scoped"), String::from("groups")];
/// let mut group: ScopedGroup<'_, usize> = ScopedGroup::with_timeout(Duration::from_secs(1));
/// for word in &words {
///     // Borrows `words`: no `'static`, no clone.
///     group.spawn(async move {
///         autocancel::sleep(Duration::from_millis(10)).await?;
///         Ok::<_, Cancelled>(word.len())
///     });
/// }
/// assert_eq!(group.wait().await.unwrap(), vec![6, 6]);
/// # }
/// ```
///
/// [`wait`]: ScopedGroup::wait
pub struct ScopedGroup<'a, T = (), E = Cancelled> {
    /// What the group's tasks run with, shared by all of them: the group's context, identity
    /// and shield depths. `wait` sets it as the ambient while it polls them, and each task
    /// sets its own index and name into it for its poll (see [`ScopedTask`]'s).
    shared: Ambient,
    running: FuturesUnordered<ScopedTask<'a, T, E>>,
    /// Spawned over the limit: started, in spawn order, as running ones end.
    queued: VecDeque<ScopedTask<'a, T, E>>,
    spawned: usize,
    limit: Option<usize>,
    grace: Duration,
}

/// A task's body: the user's future, boxed (each task is a future of its own type), nothing
/// around it.
type Body<'a, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'a>>;

/// One task: its body (gone once it ended or was aborted), and what the group needs to run and
/// report it. Polled with its group's ambient set ([`ScopedGroup::poll_wait`]): it sets its
/// index and name into it, checks the group's flag on its first poll, and catches its panic.
struct ScopedTask<'a, T, E> {
    index: usize,
    name: TaskName,
    started: bool,
    /// The grace period ran out while it was inside a shielded section: a straggler, reported
    /// when it ends.
    late: bool,
    body: Option<Body<'a, T, E>>,
}

/// What a [`ScopedTask`] ends with.
enum TaskEnd<T, E> {
    /// The common case, kept small: no name, no nested results.
    Ok { index: usize, output: T },
    /// It returned an error or panicked, or it is a straggler (`late`) that ended by itself.
    Failed {
        index: usize,
        name: TaskName,
        result: Result<Result<T, E>, Box<dyn Any + Send>>,
        late: bool,
    },
    /// The group was cancelled before it started: it never ran.
    NotStarted { index: usize },
    /// Dropped by the group after the grace period (already counted).
    Aborted,
}

/// What task `index`, named `name`, of the group whose ambient is `group` sees while it is polled.
#[inline]
fn task_here<'a>(group: &'a Ambient, index: usize, name: &'a TaskName) -> Here<'a> {
    Here {
        ambient: group,
        flags: group.ctx.flags(),
        index: TaskIndex::Known(index),
        name,
    }
}

/// Calls `f` with the group's ambient, which `wait` sets around the polls of its tasks (a
/// scoped task is only ever polled there): each task finds it there rather than holding a
/// pointer to it.
#[inline]
fn with_group<R>(f: impl FnOnce(&Ambient) -> R) -> R {
    ambient::with(|here| match here {
        Some(here) => f(here.ambient),
        None => unreachable!("a scoped task polled outside its group's `wait`"),
    })
}

impl<T, E> ScopedTask<'_, T, E> {
    /// Drops the body with the task's ambient set, as if it were polled.
    fn drop_body(&mut self, group: &Ambient) {
        if self.body.is_some() {
            let body = &mut self.body;
            ambient::set(&task_here(group, self.index, &self.name), || {
                drop(body.take())
            });
        }
    }
}

impl<T, E> Future for ScopedTask<'_, T, E> {
    type Output = TaskEnd<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TaskEnd<T, E>> {
        let this = &mut *self;
        if this.body.is_none() {
            return Poll::Ready(TaskEnd::Aborted);
        }
        let index = this.index;
        with_group(|group| {
            if !this.started {
                this.started = true;
                // The flag, not the clock: `wait` read the clock against the deadline just
                // before polling the tasks.
                if group.ctx.flagged() {
                    this.drop_body(group);
                    return Poll::Ready(TaskEnd::NotStarted { index });
                }
            }
            crate::ctx::reset_pacer();
            let body = &mut this.body;
            let polled = ambient::set(&task_here(group, index, &this.name), || {
                // Also catches a panic in the `Drop` of the finished future (dropped right away,
                // with its ambient set): that is the task's panic too, not an unwind out of
                // `wait`.
                panic::catch_unwind(AssertUnwindSafe(|| {
                    let Some(running) = body.as_mut() else {
                        unreachable!("checked above");
                    };
                    let output = std::task::ready!(running.as_mut().poll(cx));
                    drop(body.take());
                    Poll::Ready(output)
                }))
            });
            let result = match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(Ok(output))) if !this.late => {
                    return Poll::Ready(TaskEnd::Ok { index, output })
                }
                Ok(Poll::Ready(output)) => Ok(output),
                Err(payload) => {
                    // Its body panicked in `poll`: dropped now, with its ambient set; a second
                    // panic, in its `Drop`, adds nothing to the first.
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| this.drop_body(group)));
                    Err(payload)
                }
            };
            Poll::Ready(TaskEnd::Failed {
                index,
                name: this.name.clone(),
                result,
                late: this.late,
            })
        })
    }
}

impl<'a, T, E> ScopedGroup<'a, T, E>
where
    T: Send + 'a,
    E: From<Cancelled> + std::fmt::Display + Send + 'a,
{
    /// A scoped group whose context is a child of the ambient context ([`Ctx::current`]).
    pub fn new() -> Self {
        ScopedGroup::from_ctx(Ctx::current().child())
    }

    /// A scoped group that is cancelled `timeout` from now (or at its parent's deadline, if
    /// earlier). The clock starts now, not when `wait` starts.
    pub fn with_timeout(timeout: Duration) -> Self {
        ScopedGroup::from_ctx(Ctx::current().with_timeout(timeout))
    }

    /// A scoped group that is cancelled at `deadline` (or at its parent's deadline, if earlier).
    pub fn with_deadline(deadline: Deadline) -> Self {
        ScopedGroup::from_ctx(Ctx::current().with_deadline(deadline))
    }

    /// A scoped group whose context is a child of `parent` rather than of the ambient context.
    pub fn with_parent(parent: &Ctx) -> Self {
        ScopedGroup::from_ctx(parent.child())
    }

    pub(super) fn from_ctx(ctx: Ctx) -> Self {
        let member = Member::new("scoped group");
        ScopedGroup {
            shared: Ambient { ctx, member },
            running: FuturesUnordered::new(),
            queued: VecDeque::new(),
            spawned: 0,
            limit: None,
            grace: DEFAULT_GRACE,
        }
    }

    /// Runs at most `n` tasks at once; later ones start, in spawn order, as earlier ones end,
    /// and never start if the group is cancelled first. Since no task starts before `wait`, it
    /// may be set at any time before it.
    ///
    /// # Panics
    ///
    /// If `n` is zero (no task could ever run).
    #[deprecated(
        since = "0.1.1",
        note = "set the limit on the builder, as for a `Group`: \
                `ScopedGroup::builder().limit(n).build_scoped()`"
    )]
    #[track_caller]
    pub fn limit(self, n: usize) -> Self {
        assert!(
            n > 0,
            "ScopedGroup::limit(0): a group needs room for at least one task"
        );
        self.with_limit(Some(n))
    }

    /// Sets the limit ([`GroupBuilder::limit`], which refuses zero).
    pub(super) fn with_limit(mut self, limit: Option<usize>) -> Self {
        self.limit = limit;
        // Tasks spawned before it queue too, in spawn order (none has started).
        if !self.running.is_empty() {
            self.queued.extend(std::mem::take(&mut self.running));
            self.queued.make_contiguous().sort_by_key(|task| task.index);
        }
        self
    }

    /// How long cancelled tasks get to return by themselves before they are dropped (default
    /// [`DEFAULT_GRACE`]).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The group's context: cancelled by the first error, a panic, the deadline, its parent, or
    /// [`Ctx::cancel`].
    pub fn ctx(&self) -> &Ctx {
        &self.shared.ctx
    }

    /// Adds a task. It starts when [`wait`](ScopedGroup::wait) is polled; it is named by its
    /// spawn location in causes and straggler reports.
    #[track_caller]
    pub fn spawn<F>(&mut self, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'a,
    {
        self.push(TaskName::SpawnedAt(Location::caller()), fut);
    }

    /// [`ScopedGroup::spawn`] with a name for causes and straggler reports.
    pub fn spawn_named<F>(&mut self, name: impl Into<Arc<str>>, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'a,
    {
        self.push(TaskName::Given(name.into()), fut);
    }

    fn push<F>(&mut self, name: TaskName, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'a,
    {
        let index = self.spawned;
        self.spawned += 1;
        let slot = ScopedTask {
            index,
            name,
            started: false,
            late: false,
            body: Some(Box::pin(fut)),
        };
        // Under a limit every task queues, and `wait` starts them: the limit may still change.
        match self.limit {
            Some(_) => self.queued.push_back(slot),
            None => self.running.push(slot),
        }
    }

    /// Runs every task to its end, then returns their outputs in spawn order, or the error that
    /// cancelled the group (see [`Group::wait`](crate::Group::wait)). Re-raises the first panic
    /// of a task once the others have stopped.
    pub async fn wait(self) -> Result<Vec<T>, E> {
        // Not the report's `cancelled_at`: one lock of the parked-at board per cancelled task,
        // for a list `into_result` drops.
        self.finish(false).await.into_result()
    }

    /// [`ScopedGroup::wait`], also returning the outputs of the tasks that succeeded when the
    /// group failed, and the stragglers.
    pub async fn wait_report(self) -> Report<T, E> {
        self.finish(true).await
    }

    /// [`wait_report`](Self::wait_report)'s work; `places`: whether to read where each
    /// cancelled task stopped ([`Report::cancelled_at`], empty otherwise).
    async fn finish(mut self, places: bool) -> Report<T, E> {
        let mut run = Tally {
            outputs: (0..self.spawned).map(|_| None).collect(),
            outcomes: vec![TaskOutcome::Succeeded; self.spawned],
            first_error: None,
            panic: None,
            cut_short: false,
            stragglers: Vec::new(),
            cancelled_at: None,
            abort_timer: None,
            aborted: 0,
        };
        let ctx = self.ctx().clone();
        let mut cancelled = pin!(ctx.cancelled());
        poll_fn(|cx| self.poll_wait(cx, &mut run, cancelled.as_mut())).await;
        ctx.cancel_with(Cause::Cancelled {
            reason: Some("group finished".into()),
        });
        if let Some(payload) = run.panic {
            panic::resume_unwind(payload);
        }
        let error = run
            .first_error
            .or_else(|| run.cut_short.then(|| E::from(ctx.cancelled_error())));
        Report {
            cancelled_at: if places {
                cancelled_at(&run.outcomes, &self.shared.member.shields)
            } else {
                Vec::new()
            },
            outputs: run.outputs,
            outcomes: run.outcomes,
            error,
            errors: Vec::new(),
            stragglers: run.stragglers,
        }
    }

    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        run: &mut Tally<T, E>,
        cancelled: Pin<&mut crate::WaitForCancellation<'_>>,
    ) -> Poll<()> {
        // Reads the clock against the deadline once per poll: the tasks started below check only
        // the flag (see `CatchUnwind`).
        if run.cancelled_at.is_none() && cancelled.poll(cx).is_ready() {
            let at = self.ctx().cancelled_at().unwrap_or_else(Instant::now);
            run.cancelled_at = Some(at);
            run.abort_timer = Some(Box::pin(tokio::time::sleep_until(far_add(at, self.grace))));
            // Queued tasks never start.
            run.cut_short |= !self.queued.is_empty();
            for mut slot in self.queued.drain(..) {
                run.outcomes[slot.index] = TaskOutcome::NotStarted;
                slot.drop_body(&self.shared);
            }
        }
        while let Some(mut timer) = run.abort_timer.take() {
            if timer.as_mut().poll(cx).is_pending() {
                run.abort_timer = Some(timer);
                break;
            }
            // Shielded tasks left: look again later (polled above, to register the wakeup).
            if let Some(again) = self.abort_stragglers(run) {
                timer.as_mut().reset(again);
                run.abort_timer = Some(timer);
            }
        }
        self.start_queued();
        let mut clock = EndClock::default();
        loop {
            let Self {
                shared,
                running,
                queued,
                limit,
                ..
            } = self;
            let (outputs, cut_short) = (&mut run.outputs, &mut run.cut_short);
            // The tasks find the group's ambient here, and set their own index and name into it.
            // Tasks that return `Ok`, the common case, are recorded without leaving it.
            let ended = ambient::set(&Here::of(shared), || loop {
                match running.poll_next_unpin(cx) {
                    Poll::Ready(Some(TaskEnd::Ok { index, output })) => {
                        outputs[index] = Some(output);
                        *cut_short |= clock.cancelled_now(&shared.ctx);
                        start_queued(running, queued, *limit);
                    }
                    other => break other,
                }
            });
            match ended {
                Poll::Ready(Some(TaskEnd::Ok { .. })) => unreachable!("recorded above"),
                Poll::Ready(Some(TaskEnd::Failed {
                    index,
                    name,
                    result,
                    late,
                })) => {
                    if let (true, Some(at)) = (late, run.cancelled_at) {
                        let straggler = Straggler {
                            name: straggler_name(&name, index as u64 + 1),
                            kind: TaskKind::Async,
                            overdue: Instant::now().saturating_duration_since(at),
                            aborted: false,
                            waiting: None,
                        };
                        tracing::warn!(%straggler, "a shielded task outlived the grace period");
                        run.stragglers.push(straggler);
                    }
                    let after_cancel = clock.cancelled_now(self.ctx());
                    let ctx = self.ctx();
                    let finished = if !matches!(result, Ok(Err(_))) {
                        task::finish_with(ctx, &name, index, result, after_cancel)
                    } else {
                        // The error's `Display` (rendered into the cause) may panic: that is the
                        // task's panic, re-raised once the others stopped, not an unwind out of
                        // `wait` that would drop them mid-flight.
                        panic::catch_unwind(AssertUnwindSafe(|| {
                            task::finish_with(ctx, &name, index, result, after_cancel)
                        }))
                        .unwrap_or_else(|payload| {
                            ctx.cancel_with(task::panicked(name.render(), &*payload));
                            Finished {
                                index,
                                outcome: Outcome::Panicked(payload),
                                after_cancel: true,
                            }
                        })
                    };
                    self.record(run, finished, &name);
                    self.start_queued();
                }
                Poll::Ready(Some(TaskEnd::NotStarted { index })) => {
                    run.outcomes[index] = TaskOutcome::NotStarted;
                    run.cut_short = true;
                    self.start_queued();
                }
                Poll::Ready(Some(TaskEnd::Aborted)) => run.aborted -= 1,
                Poll::Ready(None) => return Poll::Ready(()),
                // Only aborted slots left: they are never woken again.
                Poll::Pending if self.running.len() == run.aborted => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Starts queued tasks while the limit leaves room.
    fn start_queued(&mut self) {
        start_queued(&mut self.running, &mut self.queued, self.limit);
    }

    fn record(&self, run: &mut Tally<T, E>, finished: Finished<T, E>, name: &TaskName) {
        let index = finished.index;
        match finished.outcome {
            Outcome::Ok(output) => {
                run.outputs[index] = Some(output);
                run.cut_short |= finished.after_cancel;
            }
            // (A scoped group does not keep every error: `Kept` is never made here.)
            Outcome::Err { error, won: true } | Outcome::Kept(error) => {
                run.outcomes[index] = TaskOutcome::Failed;
                run.first_error = Some(error);
                run.cut_short = true;
            }
            Outcome::Err { error, won: false } => {
                run.outcomes[index] = TaskOutcome::Cancelled;
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| drop(error))) {
                    // The `Drop` of a losing error panicked: a panic of that task.
                    self.ctx()
                        .cancel_with(task::panicked(name.render(), &*payload));
                    run.outcomes[index] = TaskOutcome::Panicked;
                    run.panic.get_or_insert(payload);
                }
                run.cut_short = true;
            }
            Outcome::Panicked(payload) => {
                run.outcomes[index] = TaskOutcome::Panicked;
                run.panic.get_or_insert(payload);
                run.cut_short = true;
            }
            Outcome::NotStarted => {
                run.outcomes[index] = TaskOutcome::NotStarted;
                run.cut_short = true;
            }
            Outcome::Lost => {
                run.outcomes[index] = TaskOutcome::Cancelled;
                run.cut_short = true;
            }
        }
    }

    /// The grace period is over: drop every task still running outside a shield and report it.
    /// Returns when to look again if some are shielded.
    fn abort_stragglers(&mut self, run: &mut Tally<T, E>) -> Option<Instant> {
        let now = Instant::now();
        let overdue = run
            .cancelled_at
            .map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        let mut shielded = false;
        let shared = &self.shared;
        for task in self.running.iter_mut() {
            if task.body.is_none() {
                continue;
            }
            let (index, name) = (task.index, task.name.clone());
            let abort = || {
                task.drop_body(shared);
                run.aborted += 1;
                run.cut_short = true;
                run.outcomes[index] = TaskOutcome::Aborted;
            };
            let number = index as u64 + 1;
            let shields = &shared.member.shields;
            match abort_straggler(
                shields,
                index,
                || straggler_name(&name, number),
                overdue,
                abort,
            ) {
                Some(straggler) => run.stragglers.push(straggler),
                None => {
                    shielded = true;
                    task.late = true;
                }
            }
        }
        shielded.then(|| far_add(now, self.grace.max(Duration::from_millis(1))))
    }
}

/// Starts queued tasks while `limit` leaves room.
fn start_queued<'a, T, E>(
    running: &mut FuturesUnordered<ScopedTask<'a, T, E>>,
    queued: &mut VecDeque<ScopedTask<'a, T, E>>,
    limit: Option<usize>,
) {
    if let Some(limit) = limit {
        // (Nothing is queued any more once tasks have been aborted: cancellation clears it.)
        while running.len() < limit {
            let Some(slot) = queued.pop_front() else {
                break;
            };
            running.push(slot);
        }
    }
}

/// When the tasks that end in one poll of `wait` ended, for the deadline: read once for every
/// [`EndClock::READS_EVERY`] tasks rather than once per task (a clock read costs more than a
/// trivial task). They run one after the other on this thread within microseconds, so this
/// moves "ended before the deadline" by at most that much, far below the timer's 1 ms ticks;
/// with tokio's paused clock, not at all. A task that noticed the deadline itself has set the
/// flag, which is read every time.
#[derive(Default)]
struct EndClock {
    now: Option<Instant>,
    left: u32,
}

impl EndClock {
    const READS_EVERY: u32 = 32;

    #[inline]
    fn cancelled_now(&mut self, ctx: &Ctx) -> bool {
        if ctx.flagged() {
            return true;
        }
        if !ctx.has_deadline() {
            return false;
        }
        self.read(ctx)
    }

    /// The clock part of [`EndClock::cancelled_now`], out of line.
    fn read(&mut self, ctx: &Ctx) -> bool {
        let now = match self.now {
            Some(now) if self.left > 0 => now,
            _ => {
                self.left = Self::READS_EVERY;
                *self.now.insert(crate::sync::now())
            }
        };
        self.left -= 1;
        ctx.expire_if_due(now)
    }
}

/// What `wait` accumulates while tasks end.
struct Tally<T, E> {
    outputs: Vec<Option<T>>,
    /// Written for the tasks that did not succeed only.
    outcomes: Vec<TaskOutcome>,
    first_error: Option<E>,
    panic: Option<Box<dyn Any + Send>>,
    cut_short: bool,
    stragglers: Vec<Straggler>,
    cancelled_at: Option<Instant>,
    abort_timer: Option<Pin<Box<Sleep>>>,
    /// Slots whose body was dropped after the grace period, still in `running`.
    aborted: usize,
}

impl ScopedGroup<'_> {
    /// A [`GroupBuilder`], as for a `Group`: for a scoped group with a concurrency limit, or a
    /// parent other than the ambient context; end it with
    /// [`build_scoped`](GroupBuilder::build_scoped).
    pub fn builder() -> GroupBuilder {
        GroupBuilder::default()
    }
}

impl<'a, T, E> Default for ScopedGroup<'a, T, E>
where
    T: Send + 'a,
    E: From<Cancelled> + std::fmt::Display + Send + 'a,
{
    fn default() -> Self {
        ScopedGroup::new()
    }
}

impl<T, E> Drop for ScopedGroup<'_, T, E> {
    fn drop(&mut self) {
        // Its tasks are dropped with it (each with its ambient set, as if polled); whatever was
        // derived from its context stops too.
        self.shared.ctx.cancel_with(Cause::Cancelled {
            reason: Some("scoped group dropped".into()),
        });
        let shared = &self.shared;
        for slot in self.running.iter_mut().chain(self.queued.iter_mut()) {
            slot.drop_body(shared);
        }
    }
}

impl<T, E> std::fmt::Debug for ScopedGroup<'_, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedGroup")
            .field("ctx", &self.shared.ctx)
            .field("tasks", &self.spawned)
            .field("running", &self.running.len())
            .field("queued", &self.queued.len())
            .field("limit", &self.limit)
            .field("grace", &self.grace)
            .finish()
    }
}
