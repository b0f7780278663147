//! [`Ctx::run`]: one future against a context, cancellation first.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Waiter;
use crate::{sync, Cancelled, Ctx};

impl Ctx {
    /// Runs `fut` until it completes or this context is cancelled, whichever comes first:
    /// `Ok(output)`, or `Err(Cancelled)` with `fut` dropped. Biased towards cancellation, as
    /// `#[cancellable]`'s `.await`s are: a cancelled context wins over a ready future, and a
    /// deadline wins over a future woken on the same instant. tokio-util's
    /// `run_until_cancelled`, with the deadline and the cause.
    ///
    /// For code that is not annotated (closures, `async` blocks, a `select!` arm), and for a
    /// context other than the ambient one: a per-request or per-read deadline is
    /// `ctx.with_timeout(d).run(fut)`, an idle timeout is [`Ctx::with_idle_timeout`] plus
    /// [`Ctx::reset_idle_timeout`] on activity.
    ///
    /// A ready future costs one atomic load (and, every so often, a clock read for the
    /// deadline); a future that waits registers with the context once per `run`, and the
    /// context's deadline is then watched by its thread's timer wheel: one tokio timer per
    /// thread for the earliest deadline armed there, rather than one per request (whose
    /// registration takes a lock every worker shares).
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let ctx = Ctx::new();
    /// assert_eq!(ctx.run(async { 7 }).await.unwrap(), 7);
    ///
    /// let request = ctx.with_timeout(Duration::from_secs(2));
    /// let slow = tokio::time::sleep(Duration::from_secs(60));
    /// let err = request.run(slow).await.unwrap_err(); // at 2 s
    /// assert!(err.is_deadline_exceeded());
    /// # }
    /// ```
    pub fn run<F: IntoFuture>(&self, fut: F) -> Run<'_, F::IntoFuture> {
        Run {
            waiter: Waiter::new(self),
            fut: fut.into_future(),
            woken: false,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`Ctx::run`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Run<'a, F> {
        // Unregisters on drop; linked into the context's waiter list while it waits.
        #[pin]
        waiter: Waiter<&'a Ctx>,
        #[pin]
        fut: F,
        // Set once `fut` has returned `Pending`: a later poll is a wake-up, worth a clock read.
        woken: bool,
    }
}

impl<F: Future> Future for Run<'_, F> {
    type Output = Result<F::Output, Cancelled>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let ctx: &Ctx = this.waiter.ctx_ref();
        let state = &ctx.state;
        // After a wake-up, read the clock: a deadline due on the same instant as the future's
        // own timer wins, whichever the runtime fired first.
        let cancelled = if *this.woken {
            state.flag() || (state.timed && state.expire_if_due(sync::now()))
        } else {
            ctx.is_cancelled()
        };
        if cancelled {
            return Poll::Ready(Err(state.cancelled_error()));
        }
        match this.fut.poll(cx) {
            Poll::Ready(output) => Poll::Ready(Ok(output)),
            Poll::Pending => {
                *this.woken = true;
                // Arms the context's timer (`ctx/timers.rs`) with its first waiter.
                if !this.waiter.register(cx.waker()) {
                    return Poll::Ready(Err(state.cancelled_error()));
                }
                Poll::Pending
            }
        }
    }
}

impl<F> std::fmt::Debug for Run<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("ctx", self.waiter.ctx())
            .finish_non_exhaustive()
    }
}
