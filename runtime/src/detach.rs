//! [`detached`]: work that is meant to outlive the context of the function that starts it.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ambient::{self, Ambient, Here, Member, WithAmbient};

/// The ambient of detached work: the never-cancelled root context, as a task of no group.
fn root() -> Ambient {
    Ambient {
        ctx: ambient::root(),
        member: Member::new("detached"),
    }
}

/// Runs `fut` detached from the caller's context: inside it, [`Ctx::current`](crate::Ctx::current)
/// is a context that is never cancelled.
///
/// Inside a `#[cancellable]` function, a future passed to `tokio::spawn` (and
/// `tokio::task::spawn`, `spawn_local`) runs with the function's context, so that it stops
/// with it. Wrap it in `detached` to start work that must go on after the caller is cancelled (a
/// background flush, a cache refresh): the macro leaves `tokio::spawn(detached(fut))` as written.
///
/// ```
/// use autocancel::{detached, Ctx};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let ctx = Ctx::new();
/// ctx.cancel();
/// ctx.scope(async {
///     assert!(Ctx::current().is_cancelled());
///     // What `#[cancellable]` leaves alone in `tokio::spawn(detached(flush()))`:
///     let flush = detached(async { Ctx::current().is_cancelled() });
///     assert!(!flush.await, "never cancelled");
/// })
/// .await;
/// # }
/// ```
#[inline]
pub fn detached<F: IntoFuture>(fut: F) -> Detached<F::IntoFuture> {
    Detached {
        inner: WithAmbient::new(root(), fut.into_future()),
    }
}

pin_project_lite::pin_project! {
    /// Returned by [`detached`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Detached<F> {
        #[pin]
        inner: WithAmbient<F>,
    }
}

impl<F: Future> Future for Detached<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

impl<F> std::fmt::Debug for Detached<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detached").finish_non_exhaustive()
    }
}

/// Runs `f` detached from the caller's context (see [`detached`]), for
/// `tokio::task::spawn_blocking`: the macro leaves `spawn_blocking(detached_blocking(f))` as
/// written, and inside `f` the thread's ambient context is never cancelled.
pub fn detached_blocking<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    move || {
        let root = root();
        ambient::set(&Here::of(&root), f)
    }
}
