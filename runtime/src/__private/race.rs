//! [`race`]: what `#[cancellable]` makes of every `.await`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::Instant;

use super::Scope;
use crate::Cancelled;

/// Races `fut` against the scope's cancellation, with `tokio::select! { biased; .. }` semantics:
/// cancellation wins ties, and `fut` is dropped when it loses.
///
/// The scope comes last so that awaits nested inside `fut`'s expression are evaluated before the
/// scope is borrowed.
#[inline]
pub fn race<F: IntoFuture>(fut: F, scope: &mut Scope) -> Race<'_, F::IntoFuture> {
    Race {
        fut: fut.into_future(),
        scope,
        woken: false,
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`race`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Race<'a, F> {
        #[pin]
        fut: F,
        scope: &'a mut Scope,
        // Set once `fut` has returned `Pending`: a later poll is a wake-up, worth a clock read.
        woken: bool,
    }
}

impl<F: Future> Future for Race<'_, F> {
    type Output = Result<F::Output, Cancelled>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let state = &this.scope.ctx.state;
        if state.flag() {
            return Poll::Ready(Err(state.cancelled_error()));
        }
        // After a wake-up, check the deadline before the inner future: when both fall due at
        // the same instant (the seed's step 7 and its 7 s deadline), cancellation wins, whichever
        // of the two timers the runtime happened to fire first. A ready future on its first poll
        // never pays for this clock read.
        if *this.woken && state.limit.is_some() && state.expire_if_due(Instant::now()) {
            return Poll::Ready(Err(state.cancelled_error()));
        }
        match this.fut.poll(cx) {
            Poll::Ready(output) => Poll::Ready(Ok(output)),
            Poll::Pending => {
                *this.woken = true;
                if this.scope.register(cx.waker()) {
                    Poll::Pending
                } else {
                    Poll::Ready(Err(this.scope.ctx.state.cancelled_error()))
                }
            }
        }
    }
}
