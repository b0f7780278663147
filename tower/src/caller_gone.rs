//! [`CancelIfGone`]: a request whose response future is dropped unfinished has lost its caller.

use autocancel_runtime::{Cause, Ctx};

/// Held by a request's response future: dropped before [`CancelIfGone::disarm`] (hyper drops
/// the future when the client resets the stream or closes the connection), it cancels the
/// request's context with [`Cause::CallerGone`], so that the work the handler started (a
/// `tokio::spawn` inside `#[cancellable]` code inherits the context) stops instead of running
/// on for nobody. Dropping the context alone would not: the spawned tasks hold it too.
pub(crate) struct CancelIfGone {
    ctx: Option<Ctx>,
}

impl CancelIfGone {
    pub(crate) fn new(ctx: Ctx) -> CancelIfGone {
        CancelIfGone { ctx: Some(ctx) }
    }

    /// The response is ready: the caller is still there, and the context is left as it is.
    pub(crate) fn disarm(mut self) {
        self.ctx = None;
    }
}

impl Drop for CancelIfGone {
    fn drop(&mut self) {
        if let Some(ctx) = self.ctx.take() {
            // Already cancelled (a deadline, a shutdown): that cause stays.
            ctx.cancel_with(Cause::caller_gone());
        }
    }
}
