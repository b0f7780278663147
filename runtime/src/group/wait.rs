//! [`Group::wait`]: collect every task, abort stragglers after the grace period, decide the
//! result.

use std::any::Any;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::time::Duration;

use tokio::task::{Id, JoinError};
use tokio::time::Instant;

use super::ended::Ended;
use super::task::{self, Finished, Outcome};
use super::{Group, Report, Straggler, TaskKind, Waiting};
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
    /// Task id to index, for the tasks that end with a `JoinError` (aborted, or panicked outside
    /// their body): built at the first one, so that spawning never pays for it and thousands of
    /// aborted tasks are not matched by a search each.
    by_id: Option<HashMap<Id, usize>>,
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
            by_id: None,
        };
        let ctx = self.ctx().clone();
        let mut cancelled = pin!(ctx.cancelled());
        let mut cancelled_at: Option<Instant> = None;
        let mut next_abort: Option<Instant> = None;
        loop {
            // The tasks that have already ended, without building the `select!` below for each:
            // it would take them first too (`biased`). Half the per-task cost of `wait` otherwise.
            while let Some(joined) = self.set.try_join_next() {
                self.collect(&mut tally, joined, cancelled_at);
            }
            let abort_timer = async {
                match next_abort {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                joined = self.set.join_next() => match joined {
                    None => break,
                    Some(joined) => self.collect(&mut tally, joined, cancelled_at),
                },
                _ = &mut cancelled, if cancelled_at.is_none() => {
                    let at = ctx.cancelled_at().unwrap_or_else(Instant::now);
                    cancelled_at = Some(at);
                    next_abort = Some(far_add(at, self.grace));
                }
                () = abort_timer => {
                    next_abort = self.abort_stragglers(&mut tally, cancelled_at);
                }
            }
        }
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

    /// Records one ended task, whether it handed back a [`Finished`] or a `JoinError`.
    #[inline]
    fn collect(
        &mut self,
        tally: &mut Tally<T, E>,
        joined: Result<Ended<T, E>, JoinError>,
        cancelled_at: Option<Instant>,
    ) {
        match joined {
            Ok(ended) => self.record(tally, ended.unpack(), cancelled_at),
            Err(error) => self.record_join_error(tally, error),
        }
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
        // The abort handle holds the finished task's memory: release it now, while it is
        // still in cache, rather than all at once when the group is dropped.
        entry.abort = None;
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

    /// A task ended without handing back a [`Finished`]: we aborted it (already reported), or
    /// something outside the task body panicked.
    fn record_join_error(&mut self, tally: &mut Tally<T, E>, error: JoinError) {
        tally.cut_short = true;
        let tasks = &self.tasks;
        let by_id = tally.by_id.get_or_insert_with(|| {
            // Only tasks not recorded yet can still end: they are the ones with a handle.
            let running = tasks.iter().enumerate();
            running
                .filter_map(|(index, e)| Some((e.abort.as_ref()?.id(), index)))
                .collect()
        });
        let index = by_id.get(&error.id()).copied();
        if let Some(index) = index {
            self.tasks[index].done = true;
        }
        if let Ok(payload) = error.try_into_panic() {
            // A panic outside the task body's own `catch_unwind`: the `Display` of its error, or
            // the `Drop` of a future being aborted. It cancels the siblings like any panic.
            match index {
                Some(index) => self.task_panicked(tally, index, payload),
                None => {
                    tally.panic.get_or_insert(payload);
                }
            }
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
            match &entry.abort {
                Some(_) if self.shared.member.shields.is_shielded(index) => shielded = true,
                Some(abort) => {
                    abort.abort();
                    entry.done = true;
                    let waiting = Waiting::of(&self.shared.member.shields, index);
                    let straggler = Straggler {
                        name: self.seats.name(index).render(),
                        kind: TaskKind::Async,
                        overdue,
                        aborted: true,
                        waiting,
                    };
                    tracing::warn!(%straggler, "aborting a task that ignored cancellation");
                    tally.stragglers.push(straggler);
                }
                None => tracing::warn!(
                    task = %self.seats.name(index).render(),
                    ?overdue,
                    "blocking task ignores cancellation; `wait` keeps waiting for it"
                ),
            }
        }
        shielded.then(|| far_add(now, self.grace.max(Duration::from_millis(1))))
    }
}
