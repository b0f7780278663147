//! [`inherit_aborting`] and [`Arm`]: what `#[cancellable]` makes of a spawned `async` block with a
//! value (`tokio::spawn(async move { listener.accept().await.unwrap() })`).
//!
//! The rewrite cannot make such a block return at a checkpoint: what it would return is a value
//! of the block's type, which the macro cannot see (see `macros/impl/src/sites/async_block.rs`).
//! tokio can end the task another way, the one `JoinHandle::abort` takes: the task's future is
//! dropped at its next `.await` and its handle answers `JoinError::is_cancelled()`. So the task
//! runs with the spawner's context as its ambient one (as [`inherit`](super::inherit) gives it),
//! waits on that context's cancellation beside the block, and when it comes, unless the block
//! ends in that same poll (an annotated call in it returning the cancellation: its output then
//! carries the cause), aborts itself through the handle its spawn returned, which the generated
//! code hands over right after the spawn:
//!
//! ```text
//! { let __arm = Arm::new(); (&ArmWith::new(tokio::spawn(inherit_aborting(fut, &call, &__arm)))).arm(__arm) }
//! ```
//!
//! The task may be polled before its handle is handed over (another worker): then it only marks
//! itself cancelled, and the handing over aborts it. A spawn whose result is not tokio's
//! (`JoinHandle`, `AbortHandle`, or a `Builder`'s `io::Result` of either: another crate's
//! `task::spawn`) has no handle to hand over: its task runs on as it would without the macro.

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::AcqRel;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::task::{AbortHandle, JoinHandle};

use super::inherit::{inherit, Inherited};
use super::Call;
use crate::ctx::WaitForCancellationOwned;
use crate::Ctx;

/// The meeting point of a spawn and its task (see the module docs): the spawner hands the
/// task's abort handle over (or says there is none), the task says it was cancelled, in either
/// order; whichever comes second aborts the task. No lock: each side sets its bit with one
/// read-modify-write of `stage`, so the second sees the first's (and, through it, the handle,
/// set before its bit).
#[derive(Default)]
pub struct Arm(Arc<Meeting>);

#[derive(Default)]
struct Meeting {
    stage: AtomicU8,
    handle: OnceLock<AbortHandle>,
}

/// The task was cancelled.
const CANCELLED: u8 = 1;
/// The spawner handed the handle over (or said there is none: `handle` stays empty, and the
/// task runs on when cancelled).
const HANDED: u8 = 2;

impl Arm {
    /// A meeting point for one spawn.
    #[inline]
    pub fn new() -> Arm {
        Arm::default()
    }

    fn hand_over(self, handle: Option<AbortHandle>) {
        if let Some(handle) = handle {
            let _ = self.0.handle.set(handle);
        }
        if self.0.stage.fetch_or(HANDED, AcqRel) & CANCELLED != 0 {
            self.abort();
        }
    }

    /// The task's side, once its context is cancelled.
    fn cancelled(&self) {
        if self.0.stage.fetch_or(CANCELLED, AcqRel) & HANDED != 0 {
            self.abort();
        }
    }

    fn abort(&self) {
        if let Some(handle) = self.0.handle.get() {
            handle.abort();
        }
    }
}

/// `fut`, run with the call's context as its ambient context (as [`inherit`]), aborted through
/// `arm` when that context is cancelled.
#[inline]
pub fn inherit_aborting<F: IntoFuture>(
    fut: F,
    call: &Call<'_>,
    arm: &Arm,
) -> InheritAborting<Inherited<F::IntoFuture>> {
    let ctx = call
        .ctx()
        .with(|ctx| ctx.unwrap_or(crate::ambient::root_ref()).clone());
    InheritAborting::new(inherit(fut, call), ctx, arm)
}

/// `fut`, run with the spawner's ambient context as its own (as
/// `inherit_current`, where the function's scope cannot be borrowed:
/// in a closure), aborted through `arm` when that context is cancelled.
#[inline]
pub fn inherit_current_aborting<F: IntoFuture>(
    fut: F,
    arm: &Arm,
) -> InheritAborting<impl Future<Output = F::Output>> {
    InheritAborting::new(super::inherit_current(fut), Ctx::current(), arm)
}

pin_project_lite::pin_project! {
    /// Returned by [`inherit_aborting`].
    #[must_use = "futures do nothing unless polled"]
    pub struct InheritAborting<F> {
        #[pin]
        inner: F,
        // The context, until the block first parks: then its cancellation, waited on (boxed:
        // tokio moves the task's future at spawn, and most blocks never park).
        ctx: Option<Ctx>,
        cancelled: Option<Pin<Box<WaitForCancellationOwned>>>,
        arm: Arm,
    }
}

impl<F> InheritAborting<F> {
    fn new(inner: F, ctx: Ctx, arm: &Arm) -> Self {
        InheritAborting {
            inner,
            ctx: Some(ctx),
            cancelled: None,
            arm: Arm(arm.0.clone()),
        }
    }
}

impl<F: Future> Future for InheritAborting<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // The block first, even once cancelled: one that ends in this poll (an annotated call
        // in it returning the cancellation) gives its own output, with the cause in it.
        let out = this.inner.poll(cx);
        if out.is_ready() {
            return out;
        }
        // Parked: wait on the cancellation beside it, registered only now (a block that ends in
        // its first poll takes no lock of the context's).
        if this.cancelled.is_none() {
            *this.cancelled = this.ctx.take().map(|ctx| Box::pin(ctx.cancelled_owned()));
        }
        let is_cancelled = this
            .cancelled
            .as_mut()
            .is_some_and(|wait| wait.as_mut().poll(cx).is_ready());
        if is_cancelled {
            // tokio drops the future once this poll returns (or once the spawner hands the
            // handle over, right after the spawn); with no handle, the block runs on.
            this.arm.cancelled();
        }
        Poll::Pending
    }
}

impl<F> std::fmt::Debug for InheritAborting<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InheritAborting").finish_non_exhaustive()
    }
}

/// A spawn's result, for [`ArmTokio::arm`] (tokio's) or [`ArmOther::arm`] (anything else):
/// `(&ArmWith::new(spawned)).arm(arm)` picks the first when it applies (autoref specialization:
/// the impls on `&ArmWith<_>` are found before the one on `&&ArmWith<_>`).
pub struct ArmWith<R>(Cell<Option<R>>);

impl<R> ArmWith<R> {
    /// Wraps a spawn's result.
    #[inline]
    pub fn new(spawned: R) -> ArmWith<R> {
        ArmWith(Cell::new(Some(spawned)))
    }

    fn take(&self) -> R {
        self.0.take().expect("a spawn's result is armed once")
    }
}

/// Hands a tokio spawn's abort handle to its task; returns the spawn's result.
pub trait ArmTokio {
    /// The spawn's result.
    type Spawned;
    /// Hands the handle over through `arm`.
    fn arm(self, arm: Arm) -> Self::Spawned;
}

impl<T> ArmTokio for &ArmWith<JoinHandle<T>> {
    type Spawned = JoinHandle<T>;
    #[inline]
    fn arm(self, arm: Arm) -> JoinHandle<T> {
        let spawned = self.take();
        arm.hand_over(Some(spawned.abort_handle()));
        spawned
    }
}

impl ArmTokio for &ArmWith<AbortHandle> {
    type Spawned = AbortHandle;
    #[inline]
    fn arm(self, arm: Arm) -> AbortHandle {
        let spawned = self.take();
        arm.hand_over(Some(spawned.clone()));
        spawned
    }
}

impl<T> ArmTokio for &ArmWith<io::Result<JoinHandle<T>>> {
    type Spawned = io::Result<JoinHandle<T>>;
    #[inline]
    fn arm(self, arm: Arm) -> io::Result<JoinHandle<T>> {
        let spawned = self.take();
        arm.hand_over(spawned.as_ref().ok().map(JoinHandle::abort_handle));
        spawned
    }
}

impl ArmTokio for &ArmWith<io::Result<AbortHandle>> {
    type Spawned = io::Result<AbortHandle>;
    #[inline]
    fn arm(self, arm: Arm) -> io::Result<AbortHandle> {
        let spawned = self.take();
        arm.hand_over(spawned.as_ref().ok().cloned());
        spawned
    }
}

/// Any other spawn's result: no handle to hand over (see the module docs).
pub trait ArmOther {
    /// The spawn's result.
    type Spawned;
    /// Says there is no handle; returns the spawn's result.
    fn arm(self, arm: Arm) -> Self::Spawned;
}

impl<R> ArmOther for &&ArmWith<R> {
    type Spawned = R;
    #[inline]
    fn arm(self, arm: Arm) -> R {
        arm.hand_over(None);
        self.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// What the macro generates for `tokio::spawn(fut)` when `fut` is a block with a value.
    fn spawn<F>(fut: F, call: &Call<'_>) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let arm = Arm::new();
        #[allow(unused_imports)]
        use super::{ArmOther as _, ArmTokio as _};
        (&ArmWith::new(tokio::spawn(inherit_aborting(fut, call, &arm)))).arm(arm)
    }

    #[tokio::test(start_paused = true)]
    async fn a_spawned_block_with_a_value_is_aborted_at_the_cancellation() {
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        let call = Call::new(&ctx);
        let seen = spawn(async { Ctx::current() }, &call).await.unwrap();
        assert!(
            seen.same_as(&ctx),
            "the block runs on the spawner's context"
        );
        let forever = spawn(std::future::pending::<u32>(), &call);
        let err = forever.await.unwrap_err();
        assert!(err.is_cancelled(), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_before_its_handle_is_handed_over() {
        let ctx = Ctx::new();
        ctx.cancel();
        let call = Call::new(&ctx);
        // On a current-thread runtime the task is polled after the handle is handed over; play
        // the other order by hand: the task sees the cancellation first.
        let arm = Arm::new();
        let mut task = Box::pin(inherit_aborting(std::future::pending::<()>(), &call, &arm));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(task.as_mut().poll(&mut cx).is_pending());
        let handle = tokio::spawn(std::future::pending::<()>());
        (&ArmWith::new(handle.abort_handle())).arm(arm);
        assert!(handle.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn another_runtimes_spawn_runs_on() {
        let ctx = Ctx::new();
        let call = Call::new(&ctx);
        let arm = Arm::new();
        let mut task = Box::pin(inherit_aborting(async { 7 }, &call, &arm));
        #[allow(unused_imports)]
        use super::{ArmOther as _, ArmTokio as _};
        let other: u8 = (&ArmWith::new(3u8)).arm(arm);
        assert_eq!(other, 3);
        ctx.cancel();
        assert_eq!(task.as_mut().await, 7, "no handle: the block runs on");
    }

    #[tokio::test(start_paused = true)]
    async fn spawned_in_a_closure_it_is_aborted_at_the_spawners_ambient_cancellation() {
        let ctx = Ctx::new();
        let spawn = || {
            let arm = Arm::new();
            #[allow(unused_imports)]
            use super::{ArmOther as _, ArmTokio as _};
            (&ArmWith::new(tokio::spawn(inherit_current_aborting(
                async { (Ctx::current(), std::future::pending::<()>().await) },
                &arm,
            ))))
                .arm(arm)
        };
        // The handle is the block's output on purpose: the spawn runs in the context's scope.
        #[allow(clippy::async_yields_async)]
        let task = ctx.scope(async { spawn() }).await;
        ctx.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_before_another_runtimes_result_is_handed_over_it_runs_on() {
        let ctx = Ctx::new();
        let call = Call::new(&ctx);
        let arm = Arm::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let mut task = Box::pin(inherit_aborting(rx, &call, &arm));
        ctx.cancel();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(task.as_mut().poll(&mut cx).is_pending());
        #[allow(unused_imports)]
        use super::{ArmOther as _, ArmTokio as _};
        (&ArmWith::new(())).arm(arm);
        tx.send(9).unwrap();
        assert_eq!(task.await.unwrap(), 9, "no handle: the block runs on");
    }

    #[tokio::test(start_paused = true)]
    async fn on_the_root_context_nothing_waits() {
        let call = Call::ambient();
        let out = spawn(async { 5 }, &call).await.unwrap();
        assert_eq!(out, 5);
        assert_eq!(Ctx::current().waiter_count(), 0);
    }
}
