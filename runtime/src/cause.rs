//! [`Cause`]: why a context was cancelled, kept so that a log line can explain it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Cancelled, Deadline};

/// Why a context was cancelled.
///
/// The first cancellation of a context wins: its cause is recorded once and never changes, so
/// every task of a group reports the same cause. Match with `..`: variants may gain fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Cause {
    /// The context's deadline passed.
    #[non_exhaustive]
    DeadlineExceeded {
        /// The deadline that passed.
        deadline: Deadline,
        /// How long the context had, from its creation to the deadline (the `7s` of
        /// "deadline exceeded (after 7s)"); for an idle deadline, the idle timeout.
        budget: Duration,
        /// Whether it was an idle deadline ([`Ctx::with_idle_timeout`](crate::Ctx::with_idle_timeout)):
        /// nothing reset it for `budget`.
        idle: bool,
        /// Whether the deadline came from the caller, over the network (a `grpc-timeout`
        /// header, see [`Ctx::with_propagated_timeout`](crate::Ctx::with_propagated_timeout)),
        /// rather than from this process.
        propagated: bool,
    },
    /// Someone called [`Ctx::cancel`](crate::Ctx::cancel) or
    /// [`Ctx::cancel_with_reason`](crate::Ctx::cancel_with_reason), or dropped the group.
    #[non_exhaustive]
    Cancelled {
        /// The reason given, if any.
        reason: Option<Arc<str>>,
    },
    /// A task of the group returned an error, which cancels its siblings.
    #[non_exhaustive]
    TaskFailed {
        /// The failed task's name (its spawn location unless named).
        task: Arc<str>,
        /// The task's error, rendered with `Display`.
        error: Arc<str>,
    },
    /// A task of the group panicked, which cancels its siblings.
    #[non_exhaustive]
    Panicked {
        /// The panicking task's name (its spawn location unless named).
        task: Arc<str>,
        /// The panic message, when it was a string.
        message: Arc<str>,
    },
    /// An ancestor context was cancelled; this is the cancellation that started it (the root
    /// cause, however many contexts lie between: causes do not nest).
    ParentCancelled(Cancelled),
    /// The caller went away before the answer: the client cancelled the call (a gRPC
    /// `RST_STREAM`, a dropped tonic call) or closed the connection, and the server dropped the
    /// request's unfinished response (what `autocancel-tower`'s `ServerLayer` records). Nobody
    /// is left to hear the answer, so the work the request started stops.
    ///
    /// Neither a shutdown ([`Cancelled::is_shutdown`] is false: the server is not stopping) nor
    /// a deadline.
    #[non_exhaustive]
    CallerGone {},
}

impl Cause {
    /// An explicit cancellation, with an optional reason: what [`Ctx::cancel_with_reason`]
    /// records. For building causes outside this crate (the variants are `#[non_exhaustive]`).
    ///
    /// [`Ctx::cancel_with_reason`]: crate::Ctx::cancel_with_reason
    pub fn cancelled(reason: Option<&str>) -> Cause {
        Cause::Cancelled {
            reason: reason.map(Arc::from),
        }
    }

    /// A task's failure, rendered: what a [`Group`](crate::Group) records when one of its tasks
    /// returns an error.
    pub fn task_failed(task: impl Into<Arc<str>>, error: impl fmt::Display) -> Cause {
        Cause::TaskFailed {
            task: task.into(),
            error: error.to_string().into(),
        }
    }

    /// The caller went away: what a server records when the client cancelled the call or closed
    /// the connection before the answer (see [`Cause::CallerGone`]).
    ///
    /// ```
    /// use autocancel::{Cancelled, Cause};
    ///
    /// let gone = Cancelled::new(Cause::caller_gone());
    /// assert_eq!(gone.to_string(), "cancelled: the caller went away");
    /// assert!(!gone.is_shutdown() && !gone.is_deadline_exceeded());
    /// ```
    pub fn caller_gone() -> Cause {
        Cause::CallerGone {}
    }

    /// Whether this cause is a deadline, here or in an ancestor context.
    pub fn is_deadline_exceeded(&self) -> bool {
        match self {
            Cause::DeadlineExceeded { .. } => true,
            Cause::ParentCancelled(parent) => parent.cause().is_deadline_exceeded(),
            _ => false,
        }
    }

    /// Whether this cause is a deadline that came from the caller (see
    /// [`Ctx::with_propagated_timeout`](crate::Ctx::with_propagated_timeout)), here or in an
    /// ancestor context: the caller's budget ran out, not one this process set.
    pub fn is_propagated_deadline(&self) -> bool {
        match self.root() {
            Cause::DeadlineExceeded { propagated, .. } => *propagated,
            _ => false,
        }
    }

    /// The cause at the root of a chain of [`Cause::ParentCancelled`].
    pub fn root(&self) -> &Cause {
        match self {
            Cause::ParentCancelled(parent) => parent.cause().root(),
            other => other,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::DeadlineExceeded {
                budget, idle: true, ..
            } => write!(f, "deadline exceeded (idle for {budget:?})"),
            Cause::DeadlineExceeded {
                budget,
                propagated: true,
                ..
            } => write!(f, "deadline exceeded (after {budget:?}, set by the caller)"),
            Cause::DeadlineExceeded { budget, .. } => {
                write!(f, "deadline exceeded (after {budget:?})")
            }
            Cause::Cancelled { reason: None } => f.write_str("cancelled"),
            Cause::Cancelled {
                reason: Some(reason),
            } => write!(f, "cancelled: {reason}"),
            Cause::TaskFailed { error, .. } => write!(f, "cancelled: task failed: {error}"),
            Cause::Panicked { message, .. } => write!(f, "cancelled: task panicked: {message}"),
            Cause::ParentCancelled(parent) => write!(f, "cancelled: parent context: {parent}"),
            Cause::CallerGone {} => f.write_str("cancelled: the caller went away"),
        }
    }
}
