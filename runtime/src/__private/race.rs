//! [`race`]: what `#[cancellable]` makes of every `.await`.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Call;
use crate::testing::cuts_of;
use crate::Cancelled;

/// Races `fut` against the call's cancellation, with `tokio::select! { biased; .. }` semantics:
/// cancellation wins ties, and `fut` is dropped when it loses.
///
/// The call comes last so that awaits nested inside `fut`'s expression are evaluated before the
/// call is borrowed. The caller's location (the user's `.await`: the call is spanned there) is
/// kept for the error, should the race be lost.
#[inline]
#[track_caller]
pub fn race<'c, 'a, F: IntoFuture>(
    fut: F,
    call: Pin<&'c mut Call<'a>>,
) -> Race<'c, 'a, F::IntoFuture> {
    Race {
        fut: fut.into_future(),
        call,
        woken: false,
        at: Location::caller(),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`race`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Race<'c, 'a, F> {
        #[pin]
        fut: F,
        call: Pin<&'c mut Call<'a>>,
        // Set once `fut` has returned `Pending`: a later poll is a wake-up, worth a clock read.
        woken: bool,
        // Where the `.await` is, for `Cancelled::location`.
        at: &'static Location<'static>,
    }
}

impl<F: Future> Future for Race<'_, '_, F> {
    type Output = Result<F::Output, Cancelled>;

    // Always inline: the fast path is a few instructions, and a call per `.await` costs more
    // than them (a ready `.await` in a Group task: 87 instructions with the call, 57 without).
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The fast path, small enough to be inlined into the caller's state machine: not woken,
        // and the context's bits clear (one load). Anything else gets a closer look, out of line.
        // After a wake-up, the deadline is checked against the clock before the inner future:
        // when both fall due at the same instant (the seed's step 7 and its 7 s deadline),
        // cancellation wins, whichever of the two timers the runtime happened to fire first. A
        // ready future on its first poll never pays for this clock read.
        if *this.woken || this.call.ctx().unsettled() {
            if let Some(cancelled) = this.call.as_mut().recheck(*this.woken, this.at) {
                return Poll::Ready(Err(cancelled));
            }
        }
        // Under a cancellation test, an `.await` is a cancellation point once, before its future
        // is first polled. (Compiled away without the `testing` feature.)
        let ctx = this.call.ctx();
        if !*this.woken && ctx.with(|ctx| ctx.and_then(cuts_of).is_some_and(|c| c.reached(this.at)))
        {
            return Poll::Ready(Err(this.call.as_mut().stop(this.at)));
        }
        match this.fut.poll(cx) {
            Poll::Ready(output) => Poll::Ready(Ok(output)),
            Poll::Pending => {
                *this.woken = true;
                match this.call.as_mut().park(cx.waker(), this.at) {
                    None => Poll::Pending,
                    Some(cancelled) => Poll::Ready(Err(cancelled)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::Ctx;

    #[tokio::test(start_paused = true)]
    async fn one_registration_per_scope_however_many_awaits() {
        let ctx = Ctx::new();
        let mut call = Box::pin(Call::new(&ctx));
        for _ in 0..10 {
            race(tokio::task::yield_now(), call.as_mut()).await.unwrap();
            race(async { 7 }, call.as_mut()).await.unwrap();
        }
        assert_eq!(ctx.waiter_count(), 1);
        drop(call);
        assert_eq!(ctx.waiter_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn ready_future_never_registers() {
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        let mut call = Box::pin(Call::new(&ctx));
        for i in 0..100 {
            assert_eq!(race(async { i }, call.as_mut()).await.unwrap(), i);
        }
        assert_eq!(ctx.waiter_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_wins_over_a_ready_future() {
        let ctx = Ctx::new();
        ctx.cancel();
        let mut call = Box::pin(Call::new(&ctx));
        assert!(race(async { 1 }, call.as_mut()).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_wins_a_tie_with_a_timer_due_at_the_same_instant() {
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        let mut call = Box::pin(Call::new(&ctx));
        let err = race(tokio::time::sleep(Duration::from_secs(1)), call.as_mut())
            .await
            .unwrap_err();
        assert!(err.is_deadline_exceeded());
    }

    #[tokio::test(start_paused = true)]
    async fn losing_future_is_dropped_and_pending_one_is_woken_by_cancel() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let ctx = Ctx::new();
        let dropped = Arc::new(AtomicBool::new(false));
        let canceller = {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(3)).await;
                ctx.cancel_with_reason("enough");
            })
        };
        let flag = Flag(dropped.clone());
        let mut call = Box::pin(Call::new(&ctx));
        let start = tokio::time::Instant::now();
        let err = race(
            async move {
                let _flag = flag;
                std::future::pending::<()>().await
            },
            call.as_mut(),
        )
        .await
        .unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert_eq!(err.to_string(), "cancelled: enough");
        assert!(dropped.load(Ordering::SeqCst));
        canceller.await.unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn checkpoint_notices_a_passed_deadline_in_a_loop_that_never_yields() {
        let ctx = Ctx::new().with_timeout(Duration::from_millis(20));
        let mut call = Box::pin(Call::new(&ctx));
        let start = std::time::Instant::now();
        let mut spins = 0u64;
        let mut pace = call.as_mut().pace();
        let err = loop {
            if let Err(err) = call.as_mut().checkpoint(&mut pace) {
                break err;
            }
            spins = std::hint::black_box(spins + 1);
        };
        assert!(err.is_deadline_exceeded());
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
