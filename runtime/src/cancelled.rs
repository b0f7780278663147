//! [`Cancelled`]: the error a cancelled task returns.

use std::fmt;
use std::sync::Arc;

use crate::Cause;

/// The error a cancelled task returns, carrying the [`Cause`] of the cancellation.
///
/// It is `Clone` (one reference count), `Send + Sync + 'static` and implements
/// [`std::error::Error`], so `?` turns it into `Box<dyn Error + Send + Sync>`, `anyhow::Error` or
/// [`std::io::Error`] (kind [`Interrupted`](std::io::ErrorKind::Interrupted), or
/// [`TimedOut`](std::io::ErrorKind::TimedOut) for a deadline).
///
/// ```
/// use autocancel_runtime::{Cancelled, Ctx};
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
            std::io::ErrorKind::Interrupted
        };
        std::io::Error::new(kind, cancelled)
    }
}
