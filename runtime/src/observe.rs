//! What happens when a checkpoint returns a cancellation: the error learns where it was
//! observed, and a `tracing` event says so. Reached only on the cancelled path: the fast paths of
//! the checkpoints pass a `&'static Location` along (a constant, once inlined) and nothing else.

use std::panic::Location;

use crate::{Cancelled, Ctx};

/// The checkpoint a user writes: here rather than in `ctx/`, because what it returns is
/// observed (the location, the debug event with the task's name, which only the ambient knows).
impl Ctx {
    /// `Err` with the cancellation if this context is cancelled (see [`Ctx::is_cancelled`]).
    /// Use with `?` at the points where your own code may stop. The error's
    /// [`location`](Cancelled::location) is this call's.
    #[inline]
    #[track_caller]
    pub fn check(&self) -> Result<(), Cancelled> {
        self.check_at(Location::caller())
    }

    /// [`Ctx::check`], the error located at `at`.
    #[inline]
    pub(crate) fn check_at(&self, at: &'static Location<'static>) -> Result<(), Cancelled> {
        if self.is_cancelled() || self.cut_here(at) {
            Err(observed(self.cancelled_error(), at))
        } else {
            Ok(())
        }
    }
}

/// `cancelled`, observed by the checkpoint at `location`: records the location in the error and
/// emits a debug event (target `autocancel`) with the cause, the location and the task's name.
#[cold]
#[inline(never)]
pub(crate) fn observed(cancelled: Cancelled, location: &'static Location<'static>) -> Cancelled {
    observed_by(cancelled, location, None)
}

/// [`observed`], by the `#[cancellable]` call whose address is `leaving`, if it reported where
/// its task waited: the one lock that records where the task stopped also clears that report
/// (the call returns now), so that the call has nothing left to clear when it is dropped.
#[cold]
#[inline(never)]
pub(crate) fn observed_by(
    cancelled: Cancelled,
    location: &'static Location<'static>,
    leaving: Option<usize>,
) -> Cancelled {
    // The task's name is rendered only if a subscriber wants the event: the field expressions of
    // `tracing`'s macros are evaluated after its enabled check.
    tracing::debug!(
        target: "autocancel",
        cause = %cancelled.cause(),
        location = %location,
        task = crate::ambient::member().map(|member| member.name.render()).as_deref(),
        "cancelled at a checkpoint"
    );
    // Where the task stopped, for its group's report (`Report::cancelled_at`).
    crate::ambient::with_here(|task| {
        task.shields()
            .parked
            .stopped(task.index(), location, leaving)
    });
    cancelled.observed_at(location)
}
