//! The future returned by [`Ctx::cancelled`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::state::WaiterKey;
use crate::sync::{self, AtomicWaker};
use crate::{Cancelled, Ctx};

/// Completes with the [`Cancelled`] error when its context is cancelled or its deadline passes.
/// Returned by [`Ctx::cancelled`]. Dropping it unregisters it.
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation<'a> {
    ctx: &'a Ctx,
    waiter: Option<(WaiterKey, Arc<AtomicWaker>)>,
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
        match &self.waiter {
            Some((_, waker)) => waker.register(cx.waker()),
            None => {
                let waker = Arc::new(AtomicWaker::new());
                waker.register(cx.waker());
                match state.register(&waker) {
                    Some(key) => self.waiter = Some((key, waker)),
                    None => return Poll::Ready(state.cancelled_error()),
                }
            }
        }
        // A cancellation between the first check and the registration has already taken the
        // waiter list; the flag tells.
        if state.flag() {
            return Poll::Ready(state.cancelled_error());
        }
        Poll::Pending
    }
}

impl Drop for WaitForCancellation<'_> {
    fn drop(&mut self) {
        if let Some((key, _)) = self.waiter.take() {
            self.ctx.state.unregister(key);
        }
    }
}

impl std::fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("ctx", self.ctx)
            .finish()
    }
}
