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
    /// Tasks that ran out of time: they returned a deadline's cancellation (found as
    /// [`Cancelled::find`](crate::Cancelled::find) finds it, and
    /// [`is_deadline_exceeded`](crate::Cancelled::is_deadline_exceeded)), such as their
    /// connection's idle timeout or their request's deadline. How a quiet connection normally
    /// ends, not a failure: not reported to [`TaskSet::on_failure`](crate::TaskSet::on_failure),
    /// only logged at `debug` level.
    pub timed_out: u64,
    /// Tasks that returned any other error (not a shutdown's cancellation, see
    /// [`Cancelled::is_shutdown`](crate::Cancelled::is_shutdown), nor a deadline's): reported
    /// to [`TaskSet::on_failure`](crate::TaskSet::on_failure).
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
        self.spawned - self.succeeded - self.timed_out - self.failed - self.panicked - self.stopped
    }
}

/// How tasks ended other than successfully, counted in one shard of the set (`shards.rs`; the
/// successes are counted on the set's [`Tally`](super::shards::Tally)): [`Counts`] sums them.
#[derive(Default)]
pub(super) struct Outcomes {
    pub(super) timed_out: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) panicked: AtomicU64,
    pub(super) stopped: AtomicU64,
}

impl Outcomes {
    /// Release: pairs with [`Counts::sum`]'s loads.
    #[inline]
    pub(super) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Release);
    }
}

impl Counts {
    /// A snapshot: the successes and the outcomes of every shard summed, then `spawned`. Read
    /// in that order, and each task is counted spawned before it can end, so that `running`
    /// never underflows.
    pub(super) fn sum<'a>(
        succeeded: &AtomicU64,
        shards: impl Iterator<Item = &'a Outcomes>,
        spawned: &AtomicU64,
    ) -> Counts {
        let mut counts = Counts {
            succeeded: succeeded.load(Ordering::Acquire),
            ..Counts::default()
        };
        for ended in shards {
            counts.timed_out += ended.timed_out.load(Ordering::Acquire);
            counts.failed += ended.failed.load(Ordering::Acquire);
            counts.panicked += ended.panicked.load(Ordering::Acquire);
            counts.stopped += ended.stopped.load(Ordering::Acquire);
        }
        counts.spawned = spawned.load(Ordering::Acquire);
        counts
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

/// "task `NAME` failed: ERROR", with the error's whole [`source`](std::error::Error::source)
/// chain, as anyhow's `{:#}` prints it ("outer: inner: root"): the context an error was given
/// says where, its source says why.
///
/// ```
/// use autocancel::TaskSet;
/// use std::sync::{Arc, Mutex};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let logged = Arc::new(Mutex::new(Vec::new()));
/// let tasks = TaskSet::new().on_failure({
///     let logged = logged.clone();
///     move |failure| logged.lock().unwrap().push(failure.to_string())
/// });
/// tasks.spawn_named("127.0.0.1:49928", async {
///     let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
///     let error = std::io::Error::other(Wrapped("reading the request", refused));
///     Err::<(), _>(error)
/// });
/// tasks.shutdown().await;
/// assert_eq!(
///     logged.lock().unwrap()[0],
///     "task `127.0.0.1:49928` failed: reading the request: connection refused"
/// );
/// # }
/// # #[derive(Debug)] struct Wrapped(&'static str, std::io::Error);
/// # impl std::fmt::Display for Wrapped {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.0) }
/// # }
/// # impl std::error::Error for Wrapped {
/// #     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.1) }
/// # }
/// ```
impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            FailureKind::Error(error) => {
                write!(f, "task `{}` failed: ", self.task)?;
                write_chain(f, &**error)
            }
            FailureKind::Panicked(message) => {
                write!(f, "task `{}` panicked: {message}", self.task)
            }
        }
    }
}

/// `error` and its sources, joined by ": ". A source whose message its wrapper already ends
/// with (a wrapper that prints "outer: inner" and also returns inner as its source) is not
/// printed twice.
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    error: &(dyn std::error::Error + 'static),
) -> fmt::Result {
    let mut last = error.to_string();
    f.write_str(&last)?;
    let mut next = source_of(error);
    while let Some(source) = next {
        let message = source.to_string();
        if !last.ends_with(&message) {
            write!(f, ": {message}")?;
        }
        last = message;
        next = source_of(source);
    }
    Ok(())
}

/// `error`'s source. `io::Error::source` skips the error it wraps (it returns that error's
/// source), so that an `io::Error` made from another error, as `?` makes one, would lose it.
fn source_of<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e (dyn std::error::Error + 'static)> {
    match error.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => error.source(),
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
            "{} tasks: {} succeeded, {} timed out, {} failed, {} panicked, {} stopped; {} stragglers",
            c.spawned,
            c.succeeded,
            c.timed_out,
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
