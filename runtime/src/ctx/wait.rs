//! The futures returned by [`Ctx::cancelled`] and [`Ctx::cancelled_owned`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Waiter;
use crate::sync;
use crate::{Cancelled, Ctx};

pin_project_lite::pin_project! {
    /// Completes with the [`Cancelled`] error when its context is cancelled or its deadline
    /// passes. Returned by [`Ctx::cancelled`]. Dropping it unregisters it.
    ///
    /// `!Unpin`, as tokio's `Notified` and tokio-util's `WaitForCancellationFuture` are: while
    /// it waits, the context's waiter list points into it. Pin it to poll it by reference
    /// (`std::pin::pin!`, or `tokio::pin!`).
    #[must_use = "futures do nothing unless polled"]
    pub struct WaitForCancellation<'a> {
        #[pin]
        waiter: Waiter<&'a Ctx>,
    }
}

impl<'a> WaitForCancellation<'a> {
    pub(super) fn new(ctx: &'a Ctx) -> Self {
        WaitForCancellation {
            waiter: Waiter::new(ctx),
        }
    }
}

impl Future for WaitForCancellation<'_> {
    type Output = Cancelled;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cancelled> {
        poll_cancelled(self.project().waiter, cx)
    }
}

pin_project_lite::pin_project! {
    /// [`WaitForCancellation`] owning its context, so that it can be stored and moved into tasks
    /// (`'static`). Returned by [`Ctx::cancelled_owned`]; tokio-util's `cancelled_owned` is the
    /// same idea. Dropping it unregisters it. `!Unpin`, as [`WaitForCancellation`] is.
    #[must_use = "futures do nothing unless polled"]
    pub struct WaitForCancellationOwned {
        #[pin]
        waiter: Waiter<Ctx>,
    }
}

impl WaitForCancellationOwned {
    pub(super) fn new(ctx: Ctx) -> Self {
        WaitForCancellationOwned {
            waiter: Waiter::new(ctx),
        }
    }
}

impl Future for WaitForCancellationOwned {
    type Output = Cancelled;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cancelled> {
        poll_cancelled(self.project().waiter, cx)
    }
}

impl std::fmt::Debug for WaitForCancellationOwned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancellationOwned")
            .field("ctx", self.waiter.ctx())
            .finish()
    }
}

/// Ready with the cancellation once the context is cancelled or its deadline has passed, else
/// registered to be woken then.
fn poll_cancelled<C: AsRef<Ctx>>(
    mut waiter: Pin<&mut Waiter<C>>,
    cx: &mut Context<'_>,
) -> Poll<Cancelled> {
    let ctx = waiter.ctx();
    if ctx.flagged() || ctx.expire_if_due(sync::now()) {
        return Poll::Ready(ctx.cancelled_error());
    }
    if !waiter.as_mut().register(cx.waker()) {
        return Poll::Ready(waiter.ctx().cancelled_error());
    }
    Poll::Pending
}

impl std::fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("ctx", self.waiter.ctx())
            .finish()
    }
}
