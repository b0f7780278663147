//! [`inherit`] and [`inherit_blocking`]: what `#[cancellable]` makes of the work a function
//! spawns (`tokio::spawn(fut)` → `tokio::spawn(inherit(fut, &call))`), so that it stops with
//! the function's context, as a goroutine does when it is passed `ctx`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Call;
use crate::ambient::{self, Ambient, Here, Member, WithAmbient};

/// The ambient of a spawned task: the spawner's context, as a task of no group (its own shield
/// depth, so that `#[shield]` inside it works as in any task).
fn spawned(call: &Call<'_>) -> Ambient {
    Ambient {
        ctx: call
            .ctx()
            .with(|ctx| ctx.unwrap_or(ambient::root_ref()).clone()),
        member: Member::new("spawned"),
    }
}

/// `fut`, run with the call's context as its ambient context: `Ctx::current()` inside it, and
/// the context of every `#[cancellable]` function it calls.
#[inline]
pub fn inherit<F: IntoFuture>(fut: F, call: &Call<'_>) -> Inherited<F::IntoFuture> {
    Inherited {
        inner: WithAmbient::new(spawned(call), fut.into_future()),
    }
}

pin_project_lite::pin_project! {
    /// Returned by [`inherit`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Inherited<F> {
        #[pin]
        inner: WithAmbient<F>,
    }
}

impl<F: Future> Future for Inherited<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

impl<F> std::fmt::Debug for Inherited<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inherited").finish_non_exhaustive()
    }
}

/// `f`, run with the call's context as its thread's ambient context while it runs: for
/// `spawn_blocking`.
#[inline]
pub fn inherit_blocking<R>(f: impl FnOnce() -> R, call: &Call<'_>) -> impl FnOnce() -> R {
    let ambient = spawned(call);
    move || ambient::set(&Here::of(&ambient), f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ctx;

    #[tokio::test(start_paused = true)]
    async fn spawned_task_sees_the_spawners_context() {
        let ctx = Ctx::new();
        let call = Call::new(&ctx);
        let seen = tokio::spawn(inherit(async { Ctx::current() }, &call))
            .await
            .unwrap();
        assert!(seen.same_as(&ctx));
        let seen = tokio::task::spawn_blocking(inherit_blocking(Ctx::current, &call))
            .await
            .unwrap();
        assert!(seen.same_as(&ctx));
        let plain = tokio::spawn(async { Ctx::current() }).await.unwrap();
        assert!(!plain.same_as(&ctx));
    }
}
