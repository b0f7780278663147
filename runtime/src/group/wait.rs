//! [`Group::wait`]: collect every task, abort stragglers after the grace period, decide the
//! result.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::JoinError;
use tokio::time::{Instant, Sleep};

use super::report::cancelled_at;
use super::task::{self, Finished, Outcome};
use super::{abort_straggler, straggler_name, Group, Report, Straggler, TaskKind, TaskOutcome};
use crate::deadline::far_add;
use crate::{Cancelled, Cause, WaitForCancellation};

/// What `wait` accumulates while tasks end.
pub(super) struct Tally<T, E> {
    pub(super) outputs: Vec<Option<T>>,
    /// Written for the tasks that did not succeed only.
    pub(super) outcomes: Vec<TaskOutcome>,
    pub(super) first_error: Option<E>,
    /// Whose error `first_error` is (it stays set once `join_next` has taken the error).
    pub(super) first_error_index: Option<usize>,
    /// The errors after the first, in a group that keeps them all.
    pub(super) errors: Vec<(usize, E)>,
    pub(super) panic: Option<Box<dyn Any + Send>>,
    /// Some task did not end with `Ok` before the group was cancelled.
    cut_short: bool,
    /// With the index of their task.
    pub(super) stragglers: Vec<(usize, Straggler)>,
    /// For `join_next`: the tasks recorded and not yet handed out, in the order they ended.
    /// `None` for `wait`, which hands out nothing before the end.
    pub(super) ended: Option<VecDeque<usize>>,
}

/// What collecting the tasks' ends keeps between polls, and, for `join_next`, between calls.
pub(super) struct Collect<T, E> {
    pub(super) tally: Tally<T, E>,
    cancelled_at: Option<Instant>,
    /// Made when the group is cancelled: when to abort the tasks still running.
    abort_timer: Option<Pin<Box<Sleep>>>,
    /// Tasks over whose output was not readable yet (their thread was still storing it): their
    /// `JoinHandle` wakes us when it is.
    over_tasks: Vec<usize>,
}

impl<T, E> Collect<T, E> {
    pub(super) fn new(track_ended: bool) -> Box<Collect<T, E>> {
        Box::new(Collect {
            tally: Tally {
                outputs: Vec::new(),
                outcomes: Vec::new(),
                first_error: None,
                first_error_index: None,
                errors: Vec::new(),
                panic: None,
                cut_short: false,
                stragglers: Vec::new(),
                ended: track_ended.then(VecDeque::new),
            },
            cancelled_at: None,
            abort_timer: None,
            over_tasks: Vec::new(),
        })
    }

    /// Makes room for every task spawned so far (`tasks`).
    pub(super) fn cover(&mut self, tasks: usize) {
        self.tally.outputs.resize_with(tasks, || None);
        self.tally.outcomes.resize(tasks, TaskOutcome::Succeeded);
    }
}

impl<T, E> Group<T, E>
where
    T: Send + 'static,
    E: From<Cancelled> + std::fmt::Display + Send + 'static,
{
    /// Waits for every task, then returns their outputs in spawn order, or the error that
    /// cancelled the group: the first task error, or `E::from(Cancelled)` for a deadline, an
    /// explicit or a parent's cancellation. Re-raises the first panic of a task.
    ///
    /// It returns only when no task of the group runs any more (see [`Group`] for stragglers).
    /// If every task returned `Ok` before any cancellation, the result is `Ok` even if the
    /// deadline passes before `wait` is called.
    pub async fn wait(self) -> Result<Vec<T>, E> {
        // Not the report's `cancelled_at`: one lock of the parked-at board per cancelled task,
        // for a list `into_result` drops.
        self.finish(false).await.into_result()
    }

    /// [`Group::wait`], also returning the outputs of the tasks that succeeded when the group
    /// failed, how each task ended, and the stragglers. Re-raises the first panic of a task,
    /// like `wait`.
    ///
    /// After [`join_next`](Group::join_next), the report covers every task still, but the
    /// outputs and errors `join_next` handed out are not in it again: if it handed out the
    /// error that cancelled the group, `error` is `E::from(Cancelled)` (its cause names the
    /// task and its error).
    ///
    /// # Panics
    ///
    /// Called from one of the group's own tasks (it would wait for itself forever).
    pub async fn wait_report(self) -> Report<T, E> {
        self.finish(true).await
    }

    /// [`wait_report`](Self::wait_report)'s work; `places`: whether to read where each
    /// cancelled task stopped ([`Report::cancelled_at`], empty otherwise).
    async fn finish(mut self, places: bool) -> Report<T, E> {
        self.assert_not_own_task("Group::wait");
        let mut collect = self.take_collect(false);
        collect.tally.ended = None;
        let ctx = self.ctx().clone();
        let mut cancelled = pin!(ctx.cancelled());
        // Unconstrained: `wait` reads every task that is over at once (as many as there are, with
        // no await in between), as `JoinSet::try_join_next` did. Its coop budget would otherwise
        // refuse most of them, each with a wake-up of its own.
        let waiting =
            std::future::poll_fn(|cx| self.poll_collect(&mut collect, cancelled.as_mut(), cx));
        tokio::task::unconstrained(waiting).await;
        self.finished = true;
        ctx.cancel_with(Cause::Cancelled {
            reason: Some("group finished".into()),
        });
        let tally = collect.tally;
        if let Some(payload) = tally.panic {
            std::panic::resume_unwind(payload);
        }
        let error = tally
            .first_error
            .or_else(|| tally.cut_short.then(|| E::from(ctx.cancelled_error())));
        Report {
            cancelled_at: if places {
                cancelled_at(&tally.outcomes, &self.shared.member.shields)
            } else {
                Vec::new()
            },
            outputs: tally.outputs,
            outcomes: tally.outcomes,
            error,
            errors: tally.errors,
            stragglers: tally.stragglers.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// What `join_next` collected so far, or a new collection (`track_ended`: for `join_next`),
    /// covering every task spawned.
    pub(super) fn take_collect(&mut self, track_ended: bool) -> Box<Collect<T, E>> {
        let mut collect = match self.collect.take() {
            Some(kept) => kept.into_inner().unwrap_or_else(|p| p.into_inner()),
            None => Collect::new(track_ended),
        };
        collect.cover(self.tasks.len());
        collect
    }

    /// Panics if called from one of the group's own tasks (`what` would wait for itself).
    pub(super) fn assert_not_own_task(&self, what: &str) {
        if let Some(current) = crate::ambient::member() {
            assert!(
                current.group != self.shared.member.group,
                "{what} called from one of the group's own tasks: it would wait for itself \
                 forever"
            );
        }
    }

    /// Collects the tasks that are over, and after the cancellation aborts the stragglers when
    /// the grace period is over; ready when no task runs any more, or, for `join_next`
    /// (`tally.ended` is `Some`), when some task has ended that it has not handed out yet.
    pub(super) fn poll_collect(
        &mut self,
        c: &mut Collect<T, E>,
        mut cancelled: Pin<&mut WaitForCancellation<'_>>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            // In this order: a task over after `take_over` finds the list empty, and wakes us.
            self.seats.over().register(cx.waker());
            self.seats.take_over(&mut c.over_tasks);
            self.collect_over(&mut c.tally, &mut c.over_tasks, c.cancelled_at, cx);
            let handed = c.tally.ended.as_ref().is_some_and(|e| !e.is_empty());
            if self.running == 0 || handed {
                return Poll::Ready(());
            }
            if c.cancelled_at.is_none() && cancelled.as_mut().poll(cx).is_ready() {
                let at = self.ctx().cancelled_at().unwrap_or_else(Instant::now);
                c.cancelled_at = Some(at);
                let when = far_add(at, self.grace);
                c.abort_timer = Some(Box::pin(tokio::time::sleep_until(when)));
            }
            let Some(timer) = c.abort_timer.as_mut() else {
                return Poll::Pending;
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            match self.abort_stragglers(&mut c.tally, c.cancelled_at) {
                // Shielded tasks: look again later (and poll the timer, to be woken then).
                Some(when) => timer.as_mut().reset(when),
                None => c.abort_timer = None,
            }
        }
    }

    /// Records the tasks of `over` whose output is readable; leaves the others in it.
    fn collect_over(
        &mut self,
        tally: &mut Tally<T, E>,
        over: &mut Vec<usize>,
        cancelled_at: Option<Instant>,
        cx: &mut Context<'_>,
    ) {
        let mut kept = 0;
        for at in 0..over.len() {
            let index = over[at];
            let Some(handle) = self.tasks[index].handle.as_mut() else {
                // Its spawn panicked (outside a runtime): it never ran. (An index is over once,
                // so this is not a task already collected.)
                self.tasks[index].done = true;
                tally.outcomes[index] = TaskOutcome::NotStarted;
                self.running -= 1;
                tally.cut_short = true;
                if let Some(ended) = &mut tally.ended {
                    ended.push_back(index);
                }
                continue;
            };
            match Pin::new(handle).poll(cx) {
                Poll::Ready(joined) => {
                    // The handle holds the finished task's memory: release it now, while it is
                    // still in cache, rather than all at once when the group is dropped.
                    self.tasks[index].handle = None;
                    self.running -= 1;
                    match joined {
                        Ok(ended) => self.record(tally, ended.unpack(), cancelled_at),
                        Err(error) => self.record_join_error(tally, index, error, cancelled_at),
                    }
                    if let Some(ended) = &mut tally.ended {
                        ended.push_back(index);
                    }
                }
                Poll::Pending => {
                    over[kept] = index;
                    kept += 1;
                }
            }
        }
        over.truncate(kept);
    }

    #[inline]
    fn record(
        &mut self,
        tally: &mut Tally<T, E>,
        finished: Finished<T, E>,
        cancelled_at: Option<Instant>,
    ) {
        let entry = &mut self.tasks[finished.index];
        entry.done = true;
        // A blocking task cannot be aborted, an async one inside a shield is not: both are waited
        // for, and reported once they end. Only they need the clock: an async task that ends
        // after the cancellation, the common case, does not read it.
        match cancelled_at {
            Some(at) if entry.late || entry.kind == TaskKind::Blocking => {
                let overdue = Instant::now().saturating_duration_since(at);
                if entry.late || overdue > self.grace {
                    let kind = entry.kind;
                    self.ended_late(tally, finished.index, kind, overdue);
                }
            }
            _ => {}
        }
        let index = finished.index;
        match finished.outcome {
            Outcome::Ok(output) => {
                tally.outputs[index] = Some(output);
                tally.cut_short |= finished.after_cancel;
            }
            Outcome::Err { error, won } => {
                if won {
                    tally.first_error = Some(error);
                    tally.first_error_index = Some(index);
                    tally.outcomes[index] = TaskOutcome::Failed;
                } else {
                    tally.outcomes[index] = TaskOutcome::Cancelled;
                    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| drop(error))) {
                        // The `Drop` of a losing error panicked: a panic of that task, re-raised
                        // once every task has ended rather than unwinding out of `wait` now.
                        self.task_panicked(tally, index, payload);
                    }
                }
                tally.cut_short = true;
            }
            Outcome::Kept(error) => {
                tally.outcomes[index] = TaskOutcome::Failed;
                match tally.first_error_index {
                    None => {
                        tally.first_error = Some(error);
                        tally.first_error_index = Some(index);
                    }
                    Some(_) => tally.errors.push((index, error)),
                }
                tally.cut_short = true;
            }
            Outcome::Panicked(payload) => {
                tally.outcomes[index] = TaskOutcome::Panicked;
                tally.panic.get_or_insert(payload);
                tally.cut_short = true;
            }
            Outcome::NotStarted => {
                tally.outcomes[index] = TaskOutcome::NotStarted;
                tally.cut_short = true;
            }
            Outcome::Lost => {
                tally.outcomes[index] = TaskOutcome::Cancelled;
                tally.cut_short = true;
            }
        }
    }

    /// Task `index` ended without handing back a [`Finished`]: we aborted it (already
    /// reported), the runtime dropped it, or something outside the task body panicked.
    fn record_join_error(
        &mut self,
        tally: &mut Tally<T, E>,
        index: usize,
        error: JoinError,
        cancelled_at: Option<Instant>,
    ) {
        tally.cut_short = true;
        self.tasks[index].done = true;
        tally.outcomes[index] = TaskOutcome::Aborted;
        if let (true, Some(at)) = (self.tasks[index].late, cancelled_at) {
            // A shielded straggler that panicked outside its body (it was not aborted: that
            // clears `late`).
            let overdue = Instant::now().saturating_duration_since(at);
            self.ended_late(tally, index, TaskKind::Async, overdue);
        }
        if let Ok(payload) = error.try_into_panic() {
            // A panic outside the task body's own `catch_unwind`: the `Display` or `Drop` of its
            // error, or the `Drop` of its future. It cancels the siblings like any panic.
            self.task_panicked(tally, index, payload);
        }
    }

    /// Task `index`, which outlived the grace period without being aborted (blocking, or
    /// shielded), has ended, `overdue` after the cancellation: a straggler.
    fn ended_late(&self, tally: &mut Tally<T, E>, index: usize, kind: TaskKind, overdue: Duration) {
        let straggler = Straggler {
            name: straggler_name(self.seats.name(index), index as u64 + 1),
            kind,
            overdue,
            aborted: false,
            waiting: None,
        };
        if kind == TaskKind::Async {
            tracing::warn!(%straggler, "a shielded task outlived the grace period");
        }
        tally.stragglers.push((index, straggler));
    }

    /// Task `index` panicked outside its body: cancel the group as its body's panic would have.
    fn task_panicked(&self, tally: &mut Tally<T, E>, index: usize, payload: Box<dyn Any + Send>) {
        tally.outcomes[index] = TaskOutcome::Panicked;
        self.ctx()
            .cancel_with(task::panicked(self.seats.name(index).render(), &*payload));
        tally.panic.get_or_insert(payload);
    }

    /// The grace period is over: abort every async task still running outside a shield, report
    /// every task still running. Returns when to look again (shielded tasks are aborted once they
    /// leave their section).
    fn abort_stragglers(
        &mut self,
        tally: &mut Tally<T, E>,
        cancelled_at: Option<Instant>,
    ) -> Option<Instant> {
        let now = Instant::now();
        let overdue = cancelled_at.map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        let mut shielded = false;
        for (index, entry) in self.tasks.iter_mut().enumerate().filter(|(_, e)| !e.done) {
            let async_task = match entry.kind {
                TaskKind::Async => entry.handle.as_ref(),
                TaskKind::Blocking => None,
            };
            let name = self.seats.name(index);
            match async_task {
                Some(handle) => {
                    let abort = || {
                        handle.abort();
                        entry.done = true;
                        entry.late = false;
                    };
                    let shields = &self.shared.member.shields;
                    let number = index as u64 + 1;
                    match abort_straggler(
                        shields,
                        index,
                        || straggler_name(name, number),
                        overdue,
                        abort,
                    ) {
                        Some(straggler) => tally.stragglers.push((index, straggler)),
                        None => {
                            shielded = true;
                            entry.late = true;
                        }
                    }
                }
                None => tracing::warn!(
                    task = %straggler_name(name, index as u64 + 1),
                    ?overdue,
                    "blocking task ignores cancellation; `wait` keeps waiting for it"
                ),
            }
        }
        shielded.then(|| far_add(now, self.grace.max(Duration::from_millis(1))))
    }
}
