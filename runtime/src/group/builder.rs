//! [`GroupBuilder`]: what a group is given before its first task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::{Group, ScopedGroup};
use crate::{Cancelled, Ctx, Deadline};

/// Builds a [`Group`] (or a [`ScopedGroup`]) with a parent context, a deadline and a
/// concurrency limit, all fixed before the first spawn (a limit set later could not count the
/// tasks already running, so there is no way to set one on a [`Group`]). Start with
/// [`Group::builder`] or [`ScopedGroup::builder`]; end with [`build`](GroupBuilder::build) or
/// [`build_scoped`](GroupBuilder::build_scoped).
///
/// ```
/// use autocancel::{Cancelled, Ctx, Group};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let server = Ctx::new();
/// let mut group: Group<u32> = Group::builder()
///     .parent(&server) // instead of the ambient context
///     .timeout(Duration::from_secs(7))
///     .limit(2) // at most two tasks at once
///     .build();
/// for n in 0..4 {
///     group.spawn(async move {
///         autocancel::sleep(Duration::from_secs(1)).await?;
///         Ok::<_, Cancelled>(n)
///     });
/// }
/// let start = tokio::time::Instant::now();
/// assert_eq!(group.wait().await.unwrap(), vec![0, 1, 2, 3]);
/// assert_eq!(start.elapsed(), Duration::from_secs(2));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `build`"]
pub struct GroupBuilder {
    parent: Option<Ctx>,
    until: Option<Until>,
    limit: Option<usize>,
    collect_errors: bool,
}

#[derive(Clone, Copy, Debug)]
enum Until {
    Timeout(Duration),
    Deadline(Deadline),
}

impl GroupBuilder {
    /// The group's context is a child of `parent` (default: of the ambient context,
    /// [`Ctx::current`], when [`build`](GroupBuilder::build) is called).
    pub fn parent(mut self, parent: &Ctx) -> Self {
        self.parent = Some(parent.clone());
        self
    }

    /// The group is cancelled `timeout` after [`build`](GroupBuilder::build) (or at its
    /// parent's deadline, if earlier). Replaces an earlier [`deadline`](GroupBuilder::deadline).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.until = Some(Until::Timeout(timeout));
        self
    }

    /// The group is cancelled at `deadline` (or at its parent's deadline, if earlier). Replaces
    /// an earlier [`timeout`](GroupBuilder::timeout).
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.until = Some(Until::Deadline(deadline));
        self
    }

    /// Runs at most `n` tasks at once; later ones queue (as real tasks, waiting for a slot) and
    /// never start if the group is cancelled while they wait (Go's `SetLimit`). A limit larger
    /// than tokio's semaphore allows (`usize::MAX >> 3`) means no limit.
    ///
    /// # Panics
    ///
    /// If `n` is zero: no task could ever run.
    #[track_caller]
    pub fn limit(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "Group::builder().limit(0): a group needs room for at least one task"
        );
        self.limit = Some(n);
        self
    }

    /// A task's error does not cancel the group: every task runs to its end (or to the
    /// deadline, a panic, the parent's cancellation), and every error is kept —
    /// [`Report::error`](crate::Report::error) the first to end, what
    /// [`wait`](Group::wait) returns, [`Report::errors`](crate::Report::errors) the others,
    /// [`Report::outcomes`](crate::Report::outcomes) which task ended how. For batches whose
    /// tasks are independent (a crawler's fetches), where one failure should not stop the rest.
    ///
    /// ```
    /// use autocancel::{Group, TaskOutcome};
    /// use std::io;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let mut group: Group<u32, io::Error> = Group::builder().collect_errors().build();
    /// for n in 0..4 {
    ///     group.spawn(async move {
    ///         if n % 2 == 1 {
    ///             return Err(io::Error::other(format!("{n} failed")));
    ///         }
    ///         Ok(n)
    ///     });
    /// }
    /// let report = group.wait_report().await;
    /// assert_eq!(report.outputs, [Some(0), None, Some(2), None]);
    /// assert_eq!(report.outcomes[3], TaskOutcome::Failed);
    /// let mut errors: Vec<String> = report.errors.iter().map(|(_, e)| e.to_string()).collect();
    /// errors.extend(report.error.map(|e| e.to_string())); // the first to end
    /// errors.sort();
    /// assert_eq!(errors, ["1 failed", "3 failed"]);
    /// # }
    /// ```
    pub fn collect_errors(mut self) -> Self {
        self.collect_errors = true;
        self
    }

    /// The group.
    pub fn build<T, E>(self) -> Group<T, E>
    where
        T: Send + 'static,
        E: From<Cancelled> + std::fmt::Display + Send + 'static,
    {
        let mut group = Group::from_ctx(self.ctx());
        group.keep_errors = self.collect_errors;
        group.slots = self
            .limit
            .filter(|&n| n <= Semaphore::MAX_PERMITS)
            .map(|n| Arc::new(Semaphore::new(n)));
        group
    }

    /// The same group as a [`ScopedGroup`], whose tasks may borrow from the caller.
    ///
    /// ```
    /// use autocancel::{Cancelled, ScopedGroup};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let words = ["scoped", "groups", "limit"];
    /// let mut group: ScopedGroup<'_, usize> = ScopedGroup::builder()
    ///     .timeout(Duration::from_secs(7))
    ///     .limit(2) // at most two tasks at once
    ///     .build_scoped();
    /// for word in &words {
    ///     group.spawn(async move {
    ///         autocancel::sleep(Duration::from_secs(1)).await?;
    ///         Ok::<_, Cancelled>(word.len())
    ///     });
    /// }
    /// let start = tokio::time::Instant::now();
    /// assert_eq!(group.wait().await.unwrap(), vec![6, 6, 5]);
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # }
    /// ```
    pub fn build_scoped<'a, T, E>(self) -> ScopedGroup<'a, T, E>
    where
        T: Send + 'a,
        E: From<Cancelled> + std::fmt::Display + Send + 'a,
    {
        let limit = self.limit;
        ScopedGroup::from_ctx(self.ctx()).with_limit(limit)
    }

    /// The group's context, derived from the parent (the ambient context by default) now.
    fn ctx(&self) -> Ctx {
        let parent = self.parent.clone().unwrap_or_else(Ctx::current);
        match self.until {
            None => parent.child(),
            Some(Until::Timeout(timeout)) => parent.with_timeout(timeout),
            Some(Until::Deadline(deadline)) => parent.with_deadline(deadline),
        }
    }
}
