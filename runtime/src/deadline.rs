//! [`Deadline`]: a point on tokio's clock by which work must stop.

use std::time::Duration;
use tokio::time::Instant;

/// How far ahead "no real deadline" lies when a duration overflows the clock: the same horizon
/// tokio uses for its own far-future timers (about 30 years).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// A point in time by which work must stop.
///
/// A deadline lives on [tokio's clock](tokio::time::Instant), so tests that pause time
/// (`#[tokio::test(start_paused = true)]`) see deadlines pass exactly when the paused clock says.
/// Deadlines are ordered: the earlier one is the smaller, which is what
/// [`Ctx::with_deadline`](crate::Ctx::with_deadline) uses to keep the earlier of a child's and
/// its parent's.
///
/// ```
/// use autocancel::Deadline;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let soon = Deadline::after(Duration::from_secs(1));
/// let later = Deadline::after(Duration::from_secs(5));
/// assert!(soon < later);
/// assert_eq!(soon.min(later), soon);
/// assert_eq!(soon.remaining(), Duration::from_secs(1));
/// tokio::time::sleep(Duration::from_secs(1)).await;
/// assert!(soon.is_expired());
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline {
    instant: Instant,
}

impl Deadline {
    /// The deadline `timeout` from now.
    ///
    /// A timeout too large for the clock (such as `Duration::MAX`) gives a deadline about
    /// 30 years ahead instead of overflowing: in practice, never.
    pub fn after(timeout: Duration) -> Deadline {
        Deadline::at(far_add(Instant::now(), timeout))
    }

    /// The deadline at `instant` (which may already have passed).
    pub fn at(instant: Instant) -> Deadline {
        Deadline { instant }
    }

    /// The instant of this deadline.
    pub fn instant(&self) -> Instant {
        self.instant
    }

    /// Time left until the deadline; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.instant.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed (a deadline is expired at its own instant).
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.instant
    }
}

/// Relative to now (`Deadline(in 6.5s)`, `Deadline(2ms ago)`): an `Instant` has no readable
/// form of its own (it prints the clock's internals).
impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let now = Instant::now();
        if self.instant >= now {
            write!(f, "Deadline(in {:?})", self.instant - now)
        } else {
            write!(f, "Deadline({:?} ago)", now - self.instant)
        }
    }
}

impl From<Instant> for Deadline {
    fn from(instant: Instant) -> Deadline {
        Deadline::at(instant)
    }
}

impl From<std::time::Instant> for Deadline {
    fn from(instant: std::time::Instant) -> Deadline {
        Deadline::at(instant.into())
    }
}

/// `base + d`, saturating at [`FAR_FUTURE`] instead of panicking on overflow.
pub(crate) fn far_add(base: Instant, d: Duration) -> Instant {
    // Where the platform's `Instant` cannot reach 30 years ahead, halve the horizon until it
    // fits: far, never in the past.
    let mut step = d.min(FAR_FUTURE);
    loop {
        if let Some(instant) = base.checked_add(step) {
            return instant;
        }
        step /= 2;
    }
}
