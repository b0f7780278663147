//! What [`Group::wait_report`](crate::Group::wait_report) returns: the result, every completed
//! output, and the tasks that ignored cancellation.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::ambient::TaskName;

/// Whether a task ran on the async runtime or on a blocking thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// Spawned with [`Group::spawn`](crate::Group::spawn).
    Async,
    /// Spawned with [`Group::spawn_blocking`](crate::Group::spawn_blocking).
    Blocking,
}

/// A straggler's name: the given one, else its spawn location numbered with the task's place in
/// spawn order in its group (`src/main.rs:12:9 #3`, the third task of its group: `number`), or,
/// for a `TaskSet` task, with its tokio task id (`src/main.rs:12:9 (task id 42)`, as
/// `tokio::task::id()` gives it inside the task), so that the tasks one line spawns in a loop
/// are told apart.
pub(crate) fn straggler_name(name: &TaskName, number: u64) -> Arc<str> {
    match name {
        TaskName::SpawnedAt(at) => {
            format!("{}:{}:{} #{number}", at.file(), at.line(), at.column()).into()
        }
        TaskName::InSet(at, Some(id)) => {
            format!("{}:{}:{} (task id {id})", at.file(), at.line(), at.column()).into()
        }
        named => named.render(),
    }
}

/// A task still running when the grace period after cancellation ran out.
///
/// Async stragglers are aborted (unless inside a shielded section, which is waited for); blocking
/// ones cannot be, so `wait` waits for them. Those waited for are reported once they end
/// (`aborted: false`), with how long after the cancellation that was.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Straggler {
    /// The task's name: given to [`Group::spawn_named`](crate::Group::spawn_named) (or
    /// [`TaskSet::spawn_named`](crate::TaskSet::spawn_named)), else its spawn location and its
    /// number in spawn order in its group (`src/main.rs:12:11 #3`: the third task spawned), or
    /// for a [`TaskSet`](crate::TaskSet) task its tokio task id (`src/main.rs:12:11 (task id
    /// 42)`, what `tokio::task::id()` returns inside the task), so that tasks spawned by one line
    /// are told apart.
    pub name: Arc<str>,
    /// Async or blocking.
    pub kind: TaskKind,
    /// How long after the cancellation the task was aborted or ended.
    pub overdue: Duration,
    /// Whether the group aborted it (async tasks); false if it ended by itself.
    pub aborted: bool,
    /// Where it was waiting when it was aborted, if at an `.await` of a `#[cancellable]`
    /// function (one given a context other than the group's, for instance).
    pub waiting: Option<Waiting>,
}

/// Where a straggler was waiting: an `.await` of a `#[cancellable]` function, and for how long.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Waiting {
    /// The `.await` (with nested `#[cancellable]` calls blocked at once, the one that last
    /// blocked at a new place).
    pub location: &'static Location<'static>,
    /// How long it had been waiting there.
    pub duration: Duration,
}

impl Waiting {
    /// Where task `index` waits now, if at an `.await` of a `#[cancellable]` function.
    pub(crate) fn of(shields: &crate::shield::ShieldDepths, index: usize) -> Option<Waiting> {
        let parked = shields.parked.get(index)?;
        Some(Waiting {
            location: parked.at,
            duration: tokio::time::Instant::now().saturating_duration_since(parked.since),
        })
    }
}

/// A task still running when its group's grace period is over: unless it is inside a shielded
/// section (then it is left alone and this returns `None`: the caller marks it late and looks
/// again later), reads where it waits, stops it with `abort`, and reports it (a warning, and the
/// straggler returned). `Group`, `ScopedGroup` and `TaskSet` share this; they differ only in
/// what they iterate, how they name a task and how they stop it (abort its tokio task, or drop
/// its body).
pub(crate) fn abort_straggler(
    shields: &crate::shield::ShieldDepths,
    index: usize,
    name: impl FnOnce() -> Arc<str>,
    overdue: Duration,
    abort: impl FnOnce(),
) -> Option<Straggler> {
    if shields.is_shielded(index) {
        return None;
    }
    // Read before the task is stopped: dropping its body clears where it waits.
    let waiting = Waiting::of(shields, index);
    abort();
    let straggler = Straggler {
        name: name(),
        kind: TaskKind::Async,
        overdue,
        aborted: true,
        waiting,
    };
    tracing::warn!(%straggler, "aborting a task that ignored cancellation");
    Some(straggler)
}

/// Where each task that ended [`Cancelled`](TaskOutcome::Cancelled) returned the cancellation,
/// from the group's parked-at board: [`Report::cancelled_at`].
pub(crate) fn cancelled_at(
    outcomes: &[TaskOutcome],
    shields: &crate::shield::ShieldDepths,
) -> Vec<Option<&'static Location<'static>>> {
    outcomes
        .iter()
        .enumerate()
        .map(|(index, outcome)| match outcome {
            TaskOutcome::Cancelled => shields.parked.stopped_at(index),
            _ => None,
        })
        .collect()
}

impl fmt::Display for Straggler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TaskKind::Async => "task",
            TaskKind::Blocking => "blocking task",
        };
        let end = if self.aborted { "aborted" } else { "ended" };
        write!(
            f,
            "{kind} `{}` ignored cancellation: {end} {:?} after it",
            self.name, self.overdue
        )?;
        if let Some(waiting) = &self.waiting {
            write!(
                f,
                ", waiting at {} for {:?}",
                waiting.location, waiting.duration
            )?;
        }
        Ok(())
    }
}

/// How one task of a group ended: [`Report::outcomes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskOutcome {
    /// It returned `Ok`: its output is in [`Report::outputs`].
    Succeeded,
    /// It returned an error before the group was cancelled: the error that cancelled the group
    /// ([`Report::error`]), or, in a group that collects every error
    /// ([`GroupBuilder::collect_errors`](crate::GroupBuilder::collect_errors)), one of
    /// [`Report::errors`].
    Failed,
    /// It was running when the group was cancelled, and returned an error after that: it
    /// stopped for the cancellation (its error, as a rule `E::from(Cancelled)`, is dropped).
    Cancelled,
    /// It panicked.
    Panicked,
    /// The group was cancelled before it started: it never ran.
    NotStarted,
    /// It ignored the cancellation and was aborted after the grace period (see
    /// [`Report::stragglers`]).
    Aborted,
}

/// Everything [`Group::wait_report`](crate::Group::wait_report) learned.
#[derive(Debug)]
#[non_exhaustive]
pub struct Report<T, E> {
    /// Per task, in spawn order: its output if it returned `Ok`.
    pub outputs: Vec<Option<T>>,
    /// Per task, in spawn order: how it ended.
    pub outcomes: Vec<TaskOutcome>,
    /// What [`Group::wait`](crate::Group::wait) returns as its error, if anything.
    pub error: Option<E>,
    /// In a group that collects every error
    /// ([`GroupBuilder::collect_errors`](crate::GroupBuilder::collect_errors)): the errors of
    /// the failed tasks other than [`error`](Report::error) (the first), with each task's index,
    /// in the order they ended. Empty otherwise.
    pub errors: Vec<(usize, E)>,
    /// Tasks that were still running when the grace period after cancellation ran out.
    pub stragglers: Vec<Straggler>,
    /// Per task, in spawn order: for a task [`Cancelled`](TaskOutcome::Cancelled) in flight,
    /// where it stopped — the first checkpoint, `.await` of a `#[cancellable]` function or
    /// [`Ctx::check`](crate::Ctx::check) at which it returned the cancellation (its error's
    /// [`location`](crate::Cancelled::location)); `None` for the other tasks, and for one that
    /// stopped for the cancellation without such a place (it checked by hand, say).
    pub cancelled_at: Vec<Option<&'static Location<'static>>>,
}

impl<T, E> Report<T, E> {
    /// The result [`Group::wait`](crate::Group::wait) returns.
    pub fn into_result(self) -> Result<Vec<T>, E> {
        match self.error {
            Some(error) => Err(error),
            None => {
                // Sized up front: `flatten` cannot tell `collect` how many there are, and growing
                // the vector by doubling cost ~150 instructions per task for 100k tasks.
                let mut outputs = Vec::with_capacity(self.outputs.len());
                outputs.extend(self.outputs.into_iter().flatten());
                Ok(outputs)
            }
        }
    }
}
