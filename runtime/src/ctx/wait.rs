//! The future returned by [`Ctx::cancelled`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Waiter;
use crate::sync;
use crate::{Cancelled, Ctx};

/// Completes with the [`Cancelled`] error when its context is cancelled or its deadline passes.
/// Returned by [`Ctx::cancelled`]. Dropping it unregisters it.
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation<'a> {
    waiter: Waiter<&'a Ctx>,
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

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cancelled> {
        let ctx = self.waiter.ctx();
        if ctx.flagged() || ctx.expire_if_due(sync::now()) {
            return Poll::Ready(ctx.cancelled_error());
        }
        if !self.waiter.register(cx.waker()) {
            return Poll::Ready(self.waiter.ctx().cancelled_error());
        }
        Poll::Pending
    }
}

impl std::fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("ctx", self.waiter.ctx())
            .finish()
    }
}
