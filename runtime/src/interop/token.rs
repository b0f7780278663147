//! `CancellationToken` (tokio-util) to [`Ctx`] and back, with no task and nothing left behind
//! when either side is dropped.
//!
//! - Token → context ([`Ctx::from_token`]): the token's `cancelled_owned()` future is polled once
//!   with a waker that cancels the context; the context owns that future, so dropping the
//!   context removes the registration from the token.
//! - Context → token ([`Ctx::token`]): one token per context, made on first use and cancelled by
//!   an [`on_cancel`](Ctx::on_cancel) function that the context owns; later calls clone it. A
//!   dropped token leaves nothing registered, however many were asked for.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use tokio_util::sync::CancellationToken;

use crate::ctx::WeakCtx;
use crate::{Cause, Ctx};

/// The reason recorded when a context is cancelled by its token.
const REASON: &str = "CancellationToken cancelled";

/// The waker registered with a token: cancels the context, if it still exists.
struct CancelCtx {
    ctx: WeakCtx,
    token: CancellationToken,
}

impl Wake for CancelCtx {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Only the token's cancellation wakes this future; the check makes sure.
        if !self.token.is_cancelled() {
            return;
        }
        self.ctx.cancel_with(Cause::cancelled(Some(REASON)));
    }
}

// Also on the item (the module has it): rustdoc marks the feature where the facade inlines it.
#[cfg(feature = "tokio-util")]
impl Ctx {
    /// A root context cancelled when `token` is (cause [`Cause::Cancelled`], reason
    /// "CancellationToken cancelled"), for code that already shuts down with tokio-util's
    /// tokens. No task is spawned; the registration with the token lives as long as the context
    /// and goes with it. Cancelling the context leaves the token alone.
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let shutdown = CancellationToken::new();
    /// let ctx = Ctx::from_token(shutdown.clone());
    /// let request = ctx.child();
    /// shutdown.cancel();
    /// assert!(request.is_cancelled());
    /// ```
    pub fn from_token(token: CancellationToken) -> Ctx {
        let ctx = Ctx::new();
        let mut registration = Box::pin(token.clone().cancelled_owned());
        let waker = Waker::from(Arc::new(CancelCtx {
            ctx: ctx.downgrade(),
            token,
        }));
        match registration.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(()) => {
                ctx.cancel_with(Cause::cancelled(Some(REASON)));
            }
            Poll::Pending => {
                *ctx.bridges()
                    .source
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(registration);
            }
        }
        ctx
    }

    /// A `CancellationToken` cancelled when this context is (or its deadline passes; a deadline
    /// needs a tokio runtime when this is first called, for its timer), for APIs that take a
    /// token. Every call returns a clone of the same token: asking costs no registration.
    /// Cancelling the token leaves the context alone.
    ///
    /// ```
    /// use autocancel::Ctx;
    ///
    /// let ctx = Ctx::new();
    /// let token = ctx.token();
    /// ctx.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn token(&self) -> CancellationToken {
        if self.is_shared_never() {
            // The never-cancelled context is shared by the whole process: a token kept with it
            // would be too, and cancelling it would reach strangers.
            return CancellationToken::new();
        }
        self.bridges()
            .token
            .get_or_init(|| {
                let token = CancellationToken::new();
                let cancel = token.clone();
                self.on_cancel(move |_| cancel.cancel()).detach();
                token
            })
            .clone()
    }
}

// Also on the item (the module has it): rustdoc marks the feature where the facade inlines it.
#[cfg(feature = "tokio-util")]
impl From<CancellationToken> for Ctx {
    fn from(token: CancellationToken) -> Ctx {
        Ctx::from_token(token)
    }
}
