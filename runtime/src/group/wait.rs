//! [`Group::wait`]: collect every task, abort stragglers after the grace period, decide the
//! result.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::JoinError;
use tokio::time::{Instant, Sleep};

use super::task::{self, Finished, Outcome};
use super::{abort_straggler, Group, Report, Straggler, TaskKind};
use crate::deadline::far_add;
use crate::{Cancelled, Cause};

/// What `wait` accumulates while tasks end.
struct Tally<T, E> {
    outputs: Vec<Option<T>>,
    first_error: Option<E>,
    panic: Option<Box<dyn Any + Send>>,
    /// Some task did not end with `Ok` before the group was cancelled.
    cut_short: bool,
    stragglers: Vec<Straggler>,
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
        self.wait_report().await.into_result()
    }

    /// [`Group::wait`], also returning the outputs of the tasks that succeeded when the group
    /// failed, and the stragglers. Re-raises the first panic of a task, like `wait`.
    ///
    /// # Panics
    ///
    /// Called from one of the group's own tasks (it would wait for itself forever).
    pub async fn wait_report(mut self) -> Report<T, E> {
        if let Some(current) = crate::ambient::member() {
            assert!(
                current.group != self.shared.member.group,
                "Group::wait called from one of the group's own tasks: it would wait for itself \
                 forever"
            );
        }
        let mut tally = Tally {
            outputs: (0..self.tasks.len()).map(|_| None).collect(),
            first_error: None,
            panic: None,
            cut_short: false,
            stragglers: Vec::new(),
        };
        let ctx = self.ctx().clone();
        let over = self.seats.over().clone();
        let mut cancelled = pin!(ctx.cancelled());
        let mut cancelled_at: Option<Instant> = None;
        // Made when the group is cancelled: when to abort the tasks still running.
        let mut abort_timer: Option<Pin<Box<Sleep>>> = None;
        // Tasks over whose output was not readable yet (their thread was still storing it):
        // their `JoinHandle` wakes us when it is.
        let mut over_tasks = Vec::new();
        // Unconstrained: `wait` reads every task that is over at once (as many as there are, with
        // no await in between), as `JoinSet::try_join_next` did. Its coop budget would otherwise
        // refuse most of them, each with a wake-up of its own.
        let waiting = std::future::poll_fn(|cx| loop {
            // In this order: a task over after `take_over` finds the list empty, and wakes us.
            over.register(cx.waker());
            self.seats.take_over(&mut over_tasks);
            self.collect_over(&mut tally, &mut over_tasks, cancelled_at, cx);
            if self.running == 0 {
                return Poll::Ready(());
            }
            if cancelled_at.is_none() && cancelled.as_mut().poll(cx).is_ready() {
                let at = ctx.cancelled_at().unwrap_or_else(Instant::now);
                cancelled_at = Some(at);
                let when = far_add(at, self.grace);
                abort_timer = Some(Box::pin(tokio::time::sleep_until(when)));
            }
            let Some(timer) = abort_timer.as_mut() else {
                return Poll::Pending;
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            match self.abort_stragglers(&mut tally, cancelled_at) {
                // Shielded tasks: look again later (and poll the timer, to be woken then).
                Some(when) => timer.as_mut().reset(when),
                None => abort_timer = None,
            }
        });
        tokio::task::unconstrained(waiting).await;
        self.finished = true;
        ctx.cancel_with(Cause::Cancelled {
            reason: Some("group finished".into()),
        });
        if let Some(payload) = tally.panic {
            std::panic::resume_unwind(payload);
        }
        let error = tally
            .first_error
            .or_else(|| tally.cut_short.then(|| E::from(ctx.cancelled_error())));
        Report {
            outputs: tally.outputs,
            error,
            stragglers: tally.stragglers,
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
                self.running -= 1;
                tally.cut_short = true;
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
                        Err(error) => self.record_join_error(tally, index, error),
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
        if let (TaskKind::Blocking, Some(at)) = (entry.kind, cancelled_at) {
            let overdue = Instant::now().saturating_duration_since(at);
            if overdue > self.grace {
                tally.stragglers.push(Straggler {
                    name: self.seats.name(finished.index).render(),
                    kind: TaskKind::Blocking,
                    overdue,
                    aborted: false,
                    waiting: None,
                });
            }
        }
        match finished.outcome {
            Outcome::Ok(output) => {
                tally.outputs[finished.index] = Some(output);
                tally.cut_short |= finished.after_cancel;
            }
            Outcome::Err { error, won } => {
                if won {
                    tally.first_error = Some(error);
                } else if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| drop(error))) {
                    // The `Drop` of a losing error panicked: a panic of that task, re-raised once
                    // every task has ended rather than unwinding out of `wait` now.
                    self.task_panicked(tally, finished.index, payload);
                }
                tally.cut_short = true;
            }
            Outcome::Panicked(payload) => {
                tally.panic.get_or_insert(payload);
                tally.cut_short = true;
            }
            Outcome::NotStarted | Outcome::Lost => tally.cut_short = true,
        }
    }

    /// Task `index` ended without handing back a [`Finished`]: we aborted it (already
    /// reported), the runtime dropped it, or something outside the task body panicked.
    fn record_join_error(&mut self, tally: &mut Tally<T, E>, index: usize, error: JoinError) {
        tally.cut_short = true;
        self.tasks[index].done = true;
        if let Ok(payload) = error.try_into_panic() {
            // A panic outside the task body's own `catch_unwind`: the `Display` or `Drop` of its
            // error, or the `Drop` of its future. It cancels the siblings like any panic.
            self.task_panicked(tally, index, payload);
        }
    }

    /// Task `index` panicked outside its body: cancel the group as its body's panic would have.
    fn task_panicked(&self, tally: &mut Tally<T, E>, index: usize, payload: Box<dyn Any + Send>) {
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
                    };
                    let shields = &self.shared.member.shields;
                    if !abort_straggler(shields, index, name, overdue, abort, &mut tally.stragglers)
                    {
                        shielded = true;
                    }
                }
                None => tracing::warn!(
                    task = %name.render(),
                    ?overdue,
                    "blocking task ignores cancellation; `wait` keeps waiting for it"
                ),
            }
        }
        shielded.then(|| far_add(now, self.grace.max(Duration::from_millis(1))))
    }
}
