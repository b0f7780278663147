//! What a [`TaskSet`](crate::TaskSet) tells about its tasks: counts, failures, and the
//! stragglers of a shutdown.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::Straggler;

/// How many tasks a [`TaskSet`](crate::TaskSet) has seen, by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Tasks spawned.
    pub spawned: u64,
    /// Tasks that returned `Ok`.
    pub succeeded: u64,
    /// Tasks that returned an error that is not a shutdown's cancellation (see
    /// [`Cancelled::is_shutdown`](crate::Cancelled::is_shutdown)): reported to
    /// [`TaskSet::on_failure`](crate::TaskSet::on_failure).
    pub failed: u64,
    /// Tasks that panicked (caught, reported like failures).
    pub panicked: u64,
    /// Tasks that stopped because they were asked to: they returned a shutdown's
    /// cancellation, or were aborted after the grace period.
    pub stopped: u64,
}

impl Counts {
    /// Tasks spawned that have not ended yet.
    pub fn running(&self) -> u64 {
        self.spawned - self.succeeded - self.failed - self.panicked - self.stopped
    }
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) spawned: AtomicU64,
    pub(super) succeeded: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) panicked: AtomicU64,
    pub(super) stopped: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot. The ended counters are read before `spawned`, so that `running` never
    /// underflows.
    pub(super) fn snapshot(&self) -> Counts {
        let succeeded = self.succeeded.load(Ordering::Acquire);
        let failed = self.failed.load(Ordering::Acquire);
        let panicked = self.panicked.load(Ordering::Acquire);
        let stopped = self.stopped.load(Ordering::Acquire);
        Counts {
            spawned: self.spawned.load(Ordering::Acquire),
            succeeded,
            failed,
            panicked,
            stopped,
        }
    }
}

/// A task of a [`TaskSet`](crate::TaskSet) that failed: what
/// [`TaskSet::on_failure`](crate::TaskSet::on_failure) is given.
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskFailure {
    /// The task's name: given to [`TaskSet::spawn_named`](crate::TaskSet::spawn_named), else
    /// its spawn location.
    pub task: Arc<str>,
    /// Its error, or its panic.
    pub error: FailureKind,
}

/// How a task failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FailureKind {
    /// It returned this error.
    Error(Box<dyn std::error::Error + Send + Sync>),
    /// It panicked with this message.
    Panicked(Arc<str>),
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            FailureKind::Error(error) => write!(f, "task `{}` failed: {error}", self.task),
            FailureKind::Panicked(message) => {
                write!(f, "task `{}` panicked: {message}", self.task)
            }
        }
    }
}

/// What [`TaskSet::shutdown`](crate::TaskSet::shutdown) returns once every task has ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// How the set's tasks ended, over its whole life.
    pub counts: Counts,
    /// Tasks still running when the grace period ran out: aborted (or, inside a shielded
    /// section, waited for), named, with how long they overran.
    pub stragglers: Vec<Straggler>,
}

impl ShutdownReport {
    /// Whether every task stopped within the grace period.
    pub fn is_clean(&self) -> bool {
        self.stragglers.is_empty()
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "{} tasks: {} succeeded, {} failed, {} panicked, {} stopped; {} stragglers",
            c.spawned,
            c.succeeded,
            c.failed,
            c.panicked,
            c.stopped,
            self.stragglers.len()
        )?;
        for straggler in &self.stragglers {
            write!(f, "\n  {straggler}")?;
        }
        Ok(())
    }
}
