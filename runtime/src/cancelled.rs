//! [`Cancelled`]: the error a cancelled task returns.

use std::fmt;
use std::panic::Location;
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
///
/// # Where it landed
///
/// [`Cancelled::location`] is the place in your code that observed the cancellation: the loop
/// or the `.await` of a `#[cancellable]` function, or a [`Ctx::check`](crate::Ctx::check) call.
/// `{:?}` shows it; `Display` does not, so that the message stays the cause alone
/// ("deadline exceeded (after 7s)") whatever line the task happened to be at: code that
/// compares error strings, and logs grouped by message, see one message per cause.
#[derive(Clone)]
pub struct Cancelled {
    cause: Arc<Cause>,
    /// Set only on the cancelled path, by the checkpoint that returned this error.
    location: Option<&'static Location<'static>>,
}

impl Cancelled {
    /// A cancellation with the given cause (for tests and adapters; contexts make their own).
    pub fn new(cause: Cause) -> Cancelled {
        Cancelled {
            cause: Arc::new(cause),
            location: None,
        }
    }

    /// Where the cancellation was observed: the file, line and column of the loop keyword or
    /// `.await` in a `#[cancellable]` function, or of the [`Ctx::check`](crate::Ctx::check)
    /// call, that returned it. `None` for a cancellation nobody observed at a checkpoint (a
    /// [`Ctx::cancelled`](crate::Ctx::cancelled) wait, [`Group::wait`](crate::Group::wait)'s
    /// own error, or one built with [`Cancelled::new`]).
    ///
    /// ```
    /// use autocancel::Ctx;
    ///
    /// let ctx = Ctx::new();
    /// ctx.cancel();
    /// let err = ctx.check().unwrap_err();
    /// let at = err.location().unwrap();
    /// assert_eq!((at.file(), at.line()), (file!(), line!() - 2)); // the `check()` above
    /// assert!(format!("{err:?}").contains(&format!("at {at})")));
    /// assert_eq!(err.to_string(), "cancelled"); // `Display` is the cause alone
    /// ```
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// This cancellation, observed at `location`.
    pub(crate) fn observed_at(mut self, location: &'static Location<'static>) -> Cancelled {
        self.location = Some(location);
        self
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
        let mut t = f.debug_tuple("Cancelled");
        t.field(&*self.cause);
        if let Some(location) = self.location {
            t.field(&format_args!("at {location}"));
        }
        t.finish()
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
