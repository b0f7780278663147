//! The future returned by [`Ctx::cancelled`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::state::Registration;
use crate::sync;
use crate::{Cancelled, Ctx};

/// Completes with the [`Cancelled`] error when its context is cancelled or its deadline passes.
/// Returned by [`Ctx::cancelled`]. Dropping it unregisters it.
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation<'a> {
    ctx: &'a Ctx,
    waiter: Option<Registration>,
}

impl<'a> WaitForCancellation<'a> {
    pub(super) fn new(ctx: &'a Ctx) -> Self {
        WaitForCancellation { ctx, waiter: None }
    }
}

impl Future for WaitForCancellation<'_> {
    type Output = Cancelled;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Cancelled> {
        let state = &self.ctx.state;
        if state.flag() || state.expire_if_due(sync::now()) {
            return Poll::Ready(state.cancelled_error());
        }
        let this = &mut *self;
        if !this.ctx.state.watch(&mut this.waiter, cx.waker()) {
            return Poll::Ready(this.ctx.state.cancelled_error());
        }
        Poll::Pending
    }
}

impl Drop for WaitForCancellation<'_> {
    fn drop(&mut self) {
        self.ctx.state.unwatch(&mut self.waiter);
    }
}

impl std::fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("ctx", self.ctx)
            .finish()
    }
}
