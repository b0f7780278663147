//! What [`Group::wait_report`](crate::Group::wait_report) returns: the result, every completed
//! output, and the tasks that ignored cancellation.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// Whether a task ran on the async runtime or on a blocking thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// Spawned with [`Group::spawn`](crate::Group::spawn).
    Async,
    /// Spawned with [`Group::spawn_blocking`](crate::Group::spawn_blocking).
    Blocking,
}

/// A task still running when the grace period after cancellation ran out.
///
/// Async stragglers are aborted (unless inside a shielded section, which is waited for); blocking
/// ones cannot be, so `wait` waits for them and reports how long they overran.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Straggler {
    /// The task's name: given to [`Group::spawn_named`](crate::Group::spawn_named), else its
    /// spawn location (`src/main.rs:12:11`).
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
/// section (then it is left alone and this returns `false`: look again later), reads where it
/// waits, stops it with `abort`, and reports it (a warning, and `stragglers`). `Group`,
/// `ScopedGroup` and `TaskSet` share this; they differ only in what they iterate and in how
/// they stop a task (abort its tokio task, or drop its body).
pub(crate) fn abort_straggler(
    shields: &crate::shield::ShieldDepths,
    index: usize,
    name: &crate::ambient::TaskName,
    overdue: Duration,
    abort: impl FnOnce(),
    stragglers: &mut Vec<Straggler>,
) -> bool {
    if shields.is_shielded(index) {
        return false;
    }
    // Read before the task is stopped: dropping its body clears where it waits.
    let waiting = Waiting::of(shields, index);
    abort();
    let straggler = Straggler {
        name: name.render(),
        kind: TaskKind::Async,
        overdue,
        aborted: true,
        waiting,
    };
    tracing::warn!(%straggler, "aborting a task that ignored cancellation");
    stragglers.push(straggler);
    true
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

/// Everything [`Group::wait_report`](crate::Group::wait_report) learned.
#[derive(Debug)]
#[non_exhaustive]
pub struct Report<T, E> {
    /// Per task, in spawn order: its output if it returned `Ok`.
    pub outputs: Vec<Option<T>>,
    /// What [`Group::wait`](crate::Group::wait) returns as its error, if anything.
    pub error: Option<E>,
    /// Tasks that were still running when the grace period after cancellation ran out.
    pub stragglers: Vec<Straggler>,
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
