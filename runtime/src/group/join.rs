//! [`Group::join_next`]: the group's tasks as they end, one at a time, as
//! `JoinSet::join_next` hands them out.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use super::wait::Tally;
use super::{straggler_name, Group, Straggler, TaskOutcome};
use crate::Cancelled;

/// A task of a [`Group`] that has ended, as [`Group::join_next`] hands it out.
#[derive(Debug)]
#[non_exhaustive]
pub struct Joined<T, E> {
    /// Its index: its place in spawn order, from 0 (as in [`Report::outputs`](crate::Report::outputs)).
    pub index: usize,
    /// Its name: given to [`Group::spawn_named`], else its spawn location and number
    /// (`src/main.rs:12:9 #3`).
    pub name: Arc<str>,
    /// How it ended.
    pub outcome: TaskOutcome,
    /// Its output, if it returned `Ok`.
    pub output: Option<T>,
    /// Its error, if it failed ([`TaskOutcome::Failed`]): the error that cancelled the group, or
    /// in a group that collects every error, its own.
    pub error: Option<E>,
    /// If it ignored the cancellation past the grace period: what the report says of it.
    pub straggler: Option<Straggler>,
}

impl<T, E> Group<T, E>
where
    T: Send + 'static,
    E: From<Cancelled> + std::fmt::Display + Send + 'static,
{
    /// The next task to end, as it ends (`JoinSet::join_next`'s shape), or `None` once no task
    /// runs; the group keeps its rules meanwhile: the first error cancels the others (unless
    /// the group [collects every error](crate::GroupBuilder::collect_errors)), and after a
    /// cancellation the tasks that ignore it are aborted once the grace period is over (they
    /// come out [`Aborted`](TaskOutcome::Aborted), with their [`Straggler`] report).
    ///
    /// Tasks may be spawned between calls. [`wait`](Group::wait) or
    /// [`wait_report`](Group::wait_report) may follow, for the tasks not handed out yet (see
    /// `wait_report` for what it says of those that were). Cancel-safe: a task that ended while
    /// the future was dropped is handed out by the next call.
    ///
    /// ```
    /// use autocancel::{Cancelled, Group, TaskOutcome};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut group: Group<u64> = Group::with_timeout(Duration::from_secs(25));
    /// for secs in [30, 10, 20] {
    ///     group.spawn(async move {
    ///         autocancel::sleep(Duration::from_secs(secs)).await?;
    ///         Ok::<_, Cancelled>(secs)
    ///     });
    /// }
    /// let mut ended = Vec::new();
    /// while let Some(task) = group.join_next().await {
    ///     ended.push((task.index, task.outcome, task.output));
    /// }
    /// assert_eq!(
    ///     ended,
    ///     [
    ///         (1, TaskOutcome::Succeeded, Some(10)),
    ///         (2, TaskOutcome::Succeeded, Some(20)),
    ///         (0, TaskOutcome::Cancelled, None), // the deadline, at 25 s
    ///     ]
    /// );
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// Called from one of the group's own tasks (it would wait for itself forever). Returning
    /// `None` after a task panicked, it re-raises the first panic, as `wait` does.
    pub async fn join_next(&mut self) -> Option<Joined<T, E>> {
        self.assert_not_own_task("Group::join_next");
        let ctx = self.ctx().clone();
        let mut cancelled = pin!(ctx.cancelled());
        // What is collected lives in the group between polls, so that dropping this future
        // loses nothing.
        let next = poll_fn(|cx| {
            let mut collect = self.take_collect(true);
            let polled = self.poll_collect(&mut collect, cancelled.as_mut(), cx);
            let next = collect.tally.ended.as_mut().and_then(|e| e.pop_front());
            self.collect = Some(Mutex::new(collect));
            match (next, polled) {
                (Some(index), _) => Poll::Ready(Some(index)),
                (None, Poll::Ready(())) => Poll::Ready(None),
                (None, Poll::Pending) => Poll::Pending,
            }
        });
        let Some(index) = tokio::task::unconstrained(next).await else {
            let panic = self.tally().and_then(|tally| tally.panic.take());
            if let Some(payload) = panic {
                std::panic::resume_unwind(payload);
            }
            return None;
        };
        Some(self.hand_out(index))
    }

    /// What `join_next` has collected.
    fn tally(&mut self) -> Option<&mut Tally<T, E>> {
        let collect = self.collect.as_mut()?;
        Some(&mut collect.get_mut().unwrap_or_else(|p| p.into_inner()).tally)
    }

    /// Takes task `index`'s output and error out of what was collected.
    fn hand_out(&mut self, index: usize) -> Joined<T, E> {
        let name = straggler_name(self.seats.name(index), index as u64 + 1);
        let Some(tally) = self.tally() else {
            unreachable!("join_next collected it");
        };
        let outcome = tally.outcomes[index];
        let error = match outcome {
            TaskOutcome::Failed if tally.first_error_index == Some(index) => {
                tally.first_error.take()
            }
            TaskOutcome::Failed => tally
                .errors
                .iter()
                .position(|(i, _)| *i == index)
                .map(|at| tally.errors.remove(at).1),
            _ => None,
        };
        Joined {
            index,
            name,
            outcome,
            output: tally.outputs[index].take(),
            error,
            straggler: tally
                .stragglers
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, s)| s.clone()),
        }
    }
}
