//! [`Cancelled`]: the error a cancelled task returns.

use std::fmt;
use std::sync::Arc;

use crate::Cause;

/// The error a cancelled task returns, carrying the [`Cause`] of the cancellation.
///
/// It is `Clone` (one reference count), `Send + Sync + 'static` and implements
/// [`std::error::Error`], so `?` turns it into `Box<dyn Error + Send + Sync>`, `anyhow::Error` or
/// [`std::io::Error`] (kind [`TimedOut`](std::io::ErrorKind::TimedOut) for a deadline,
/// [`Other`](std::io::ErrorKind::Other) otherwise; never `Interrupted`, which `std`'s `read_exact`,
/// `write_all` and `io::copy` retry, undoing the cancellation).
///
/// To tell a clean shutdown from a failure wherever the error ended up (an `io::Error`, an
/// `anyhow::Error`, a `Box<dyn Error>`), use [`is_shutdown`](crate::is_shutdown) or
/// [`Cancelled::find`].
///
/// ```
/// use autocancel::{Cancelled, Ctx};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let ctx = Ctx::new().with_timeout(Duration::from_secs(7));
/// let err: Cancelled = ctx.cancelled().await;
/// assert!(err.is_deadline_exceeded());
/// assert_eq!(err.to_string(), "deadline exceeded (after 7s)");
/// # }
/// ```
#[derive(Clone)]
pub struct Cancelled {
    cause: Arc<Cause>,
}

impl Cancelled {
    /// A cancellation with the given cause (for tests and adapters; contexts make their own).
    pub fn new(cause: Cause) -> Cancelled {
        Cancelled {
            cause: Arc::new(cause),
        }
    }

    /// Why the context was cancelled.
    pub fn cause(&self) -> &Cause {
        &self.cause
    }

    /// Whether the cancellation came from a deadline (this context's or an ancestor's).
    pub fn is_deadline_exceeded(&self) -> bool {
        self.cause.is_deadline_exceeded()
    }

    /// Whether the work stopped because someone asked it to: at its root, the cause is
    /// [`Cause::Cancelled`] ([`Ctx::cancel`](crate::Ctx::cancel), a
    /// [`TaskSet::shutdown`](crate::TaskSet::shutdown), a dropped or finished group). A clean
    /// shutdown, to log as such and not as an error.
    ///
    /// False for a deadline (a timeout is a failure of the work that ran out of time), a
    /// sibling's failure or a panic.
    pub fn is_shutdown(&self) -> bool {
        matches!(self.cause.root(), Cause::Cancelled { .. })
    }

    /// The `Cancelled` inside `error`, if it is one or was caused by one: looks through
    /// `io::Error`s made from it ([`std::io::Error::get_ref`]) and down the
    /// [`source`](std::error::Error::source) chain (`anyhow` contexts, wrapping errors). Pass an
    /// `anyhow::Error` or a `Box<dyn Error>` as `&*error`.
    pub fn find<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e Cancelled> {
        let mut next = Some(error);
        while let Some(error) = next {
            if let Some(cancelled) = error.downcast_ref::<Cancelled>() {
                return Some(cancelled);
            }
            // `io::Error::source` skips the error it wraps (it returns that error's source).
            next = match error.downcast_ref::<std::io::Error>() {
                Some(io) => io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static)),
                None => error.source(),
            };
        }
        None
    }
}

/// Whether `error` is, or was caused by, a cancellation that someone asked for
/// ([`Cancelled::is_shutdown`]): a clean shutdown rather than a failure. Looks inside
/// `io::Error`s and down the `source` chain ([`Cancelled::find`]); pass an `anyhow::Error` or a
/// `Box<dyn Error>` as `&*error`.
///
/// ```
/// use autocancel::{is_shutdown, Ctx};
///
/// let ctx = Ctx::new();
/// ctx.cancel_with_reason("shutting down");
/// let err: std::io::Error = ctx.check().unwrap_err().into(); // what `?` makes of it
/// assert!(is_shutdown(&err));
/// assert!(!is_shutdown(&std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
/// ```
pub fn is_shutdown(error: &(dyn std::error::Error + 'static)) -> bool {
    Cancelled::find(error).is_some_and(Cancelled::is_shutdown)
}

impl From<Cause> for Cancelled {
    fn from(cause: Cause) -> Cancelled {
        Cancelled::new(cause)
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cancelled").field(&*self.cause).finish()
    }
}

impl std::error::Error for Cancelled {}

impl From<Cancelled> for std::io::Error {
    fn from(cancelled: Cancelled) -> std::io::Error {
        let kind = if cancelled.is_deadline_exceeded() {
            std::io::ErrorKind::TimedOut
        } else {
            // Not `Interrupted`: that is EINTR, which `read_exact`, `write_all` and `io::copy`
            // retry in a loop. There is no stable kind for "cancelled".
            std::io::ErrorKind::Other
        };
        std::io::Error::new(kind, cancelled)
    }
}
