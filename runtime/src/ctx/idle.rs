//! Idle deadlines: a deadline that activity pushes back ([`Ctx::with_idle_timeout`],
//! [`Ctx::reset_idle_timeout`]), Trio's adjustable deadline for the commonest case, a
//! connection that may stay quiet for so long and no longer.
//!
//! A reset is one clock read and one atomic store: nothing is re-armed. The checks compare the
//! clock against the deadline as it is when they read it, and the context's timer (armed by
//! its first waiter, see `State::watch`) wakes at the deadline it saw when it went to sleep;
//! finding the deadline pushed back, it sleeps again. So a deadline reset on every read costs
//! one timer wake-up per idle period, not one timer per read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::state::State;
use super::Ctx;
use crate::deadline::far_add;
use crate::{sync, Cause, Deadline};

/// A context's own idle deadline: `origin + due` nanoseconds, where `due` moves forward with
/// every reset. An offset from the context's own creation rather than an `Instant`, so that it
/// fits an atomic; `std`'s rather than loom's atomic, since it synchronises nothing but itself.
pub(crate) struct Idle {
    timeout: Duration,
    origin: Instant,
    due: AtomicU64,
}

impl Idle {
    pub(super) fn new(origin: Instant, timeout: Duration) -> Idle {
        Idle {
            timeout,
            origin,
            due: AtomicU64::new(nanos(timeout)),
        }
    }

    /// The deadline now.
    fn deadline(&self) -> Instant {
        far_add(
            self.origin,
            Duration::from_nanos(self.due.load(Ordering::Relaxed)),
        )
    }

    /// Pushes the deadline to `now + timeout`, unless it has already passed: a deadline reached
    /// stays reached, whether or not a check or the timer has noticed yet.
    #[inline]
    fn reset(&self, now: Instant) {
        let since = nanos(now.saturating_duration_since(self.origin));
        if since < self.due.load(Ordering::Relaxed) {
            self.due
                .store(since.saturating_add(nanos(self.timeout)), Ordering::Relaxed);
        }
    }

    /// This deadline as a [`Due`] of `state` (the context that owns it).
    pub(super) fn due<'a>(&self, state: &'a State) -> Due<'a> {
        Due {
            at: self.deadline(),
            state,
            idle: true,
        }
    }

    /// The cause this deadline records, reached at `at`.
    fn cause(&self, at: Instant) -> Cause {
        Cause::DeadlineExceeded {
            deadline: Deadline::at(at),
            budget: self.timeout,
            idle: true,
            propagated: false,
        }
    }
}

/// Nanoseconds, saturating (`Duration::MAX` is "never": 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A deadline that applies to a context: when, whose (its own, or an ancestor's idle one), and
/// which of its deadlines. Plain data: comparing it with the clock must cost next to nothing, as
/// every context with a deadline is checked once when it is created; the cause is built only
/// when it fires.
#[derive(Clone, Copy)]
pub(crate) struct Due<'a> {
    pub(super) at: Instant,
    pub(super) state: &'a State,
    /// Its idle deadline, else its limit.
    pub(super) idle: bool,
}

impl Due<'_> {
    /// Cancels the deadline's context (and so its descendants) with `DeadlineExceeded`, recorded
    /// at the deadline itself so that "overdue" is measured from it.
    pub(super) fn fire(self) {
        let cause = match (&self.state.idle, self.state.limit) {
            (Some(idle), _) if self.idle => idle.cause(self.at),
            (_, Some(limit)) => Cause::DeadlineExceeded {
                deadline: limit.deadline,
                budget: limit.budget,
                idle: false,
                propagated: limit.propagated,
            },
            // Unreachable: a `Due` is made from one of the two.
            _ => return,
        };
        self.state.expire(cause, self.at);
    }
}

impl Ctx {
    /// A child context that is cancelled once `timeout` passes without a
    /// [`reset_idle_timeout`](Ctx::reset_idle_timeout): an idle timeout, for a connection that
    /// may stay quiet so long and no longer. The cause is then [`Cause::DeadlineExceeded`] with
    /// `idle: true` ("deadline exceeded (idle for 500ms)"). It is also cancelled with this
    /// context, and at this context's deadline.
    ///
    /// Resetting costs a clock read and an atomic store, so it can be done on every read; the
    /// deadline's timer is armed once, by the first waiter, and catches up with the resets when it
    /// wakes. Children of this context see the idle deadline as it moves.
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let conn = Ctx::new().with_idle_timeout(Duration::from_secs(5));
    /// for _request in 0..3 {
    ///     tokio::time::sleep(Duration::from_secs(4)).await; // some activity every 4 s
    ///     conn.reset_idle_timeout();
    /// }
    /// assert!(!conn.is_cancelled()); // 12 s in, never 5 s idle
    /// let err = conn.cancelled().await; // nothing more: cancelled at 17 s
    /// assert_eq!(err.to_string(), "deadline exceeded (idle for 5s)");
    /// # }
    /// ```
    pub fn with_idle_timeout(&self, timeout: Duration) -> Ctx {
        let now = sync::now();
        let idle = Idle::new(now, timeout);
        Ctx::from_state(State::child(
            &self.state,
            self.state.limit,
            Some(idle),
            Some(now),
        ))
    }

    /// Restarts the idle timeout of this context (see [`Ctx::with_idle_timeout`]), or of the
    /// nearest ancestor that has one: its deadline becomes `now + timeout`. Does nothing if
    /// there is none, or once the context is cancelled (a passed idle deadline stays passed).
    #[inline]
    pub fn reset_idle_timeout(&self) {
        if let Some(idle) = &self.state.idle {
            idle.reset(sync::now());
        } else if self.state.idle_chain {
            self.reset_ancestor_idle_timeout();
        }
    }

    #[cold]
    fn reset_ancestor_idle_timeout(&self) {
        let mut here = self.state.parent();
        while let Some(state) = here {
            if let Some(idle) = &state.idle {
                idle.reset(sync::now());
                return;
            }
            here = state.parent();
        }
    }
}
