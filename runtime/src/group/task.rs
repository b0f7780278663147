//! One task of a group: runs the user's future or closure with the group's context ambient,
//! catches its panic, and, on failure, cancels the group with the cause — at the moment it fails,
//! not when `wait` gets round to it.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::ambient::TaskName;
use crate::ambient::{self, Ambient, Member, WithAmbient};
use crate::{Cause, Ctx};

/// How a task ended.
pub(super) enum Outcome<T, E> {
    Ok(T),
    /// `won`: this error cancelled the group (it was the first).
    Err {
        error: E,
        won: bool,
    },
    Panicked(Box<dyn Any + Send>),
    /// The group was cancelled before the task could start; it never ran.
    NotStarted,
}

/// What a task hands back to `wait`.
pub(super) struct Finished<T, E> {
    pub(super) index: usize,
    pub(super) outcome: Outcome<T, E>,
    /// Whether the group was already cancelled when the task ended.
    pub(super) after_cancel: bool,
}

/// Turns the task's result into a [`Finished`], cancelling the group on error or panic.
pub(super) fn finish<T, E: std::fmt::Display>(
    ctx: &Ctx,
    name: &TaskName,
    index: usize,
    result: Result<Result<T, E>, Box<dyn Any + Send>>,
) -> Finished<T, E> {
    // Read the clock: a task ending on its deadline's instant ended cancelled, whether or not a
    // paced check or the timer has seen the deadline yet.
    finish_with(ctx, name, index, result, ctx.cancelled_now())
}

/// [`finish`], for a caller that knows whether the group was cancelled when the task ended.
pub(super) fn finish_with<T, E: std::fmt::Display>(
    ctx: &Ctx,
    name: &TaskName,
    index: usize,
    result: Result<Result<T, E>, Box<dyn Any + Send>>,
    after_cancel: bool,
) -> Finished<T, E> {
    let outcome = match result {
        Ok(Ok(output)) => Outcome::Ok(output),
        Ok(Err(error)) => {
            // Once the group is cancelled no error can win any more: skip rendering the task's
            // name and error (two allocations and formats), which, when a cancelled group's
            // tasks all return `Err(Cancelled)` at once, was most of the cost of stopping them.
            let won = !after_cancel
                && ctx.cancel_with(Cause::TaskFailed {
                    task: name.render(),
                    error: error.to_string().into(),
                });
            Outcome::Err { error, won }
        }
        Err(payload) => {
            ctx.cancel_with(panicked(name.render(), &*payload));
            Outcome::Panicked(payload)
        }
    };
    Finished {
        index,
        outcome,
        after_cancel,
    }
}

pub(super) fn not_started<T, E>(index: usize) -> Finished<T, E> {
    Finished {
        index,
        outcome: Outcome::NotStarted,
        after_cancel: true,
    }
}

pin_project_lite::pin_project! {
    /// An async task of the group: the user's future with the group's context ambient, its
    /// panic caught, turned into a [`Finished`].
    ///
    /// A plain struct rather than an `async fn` around the user's future: nested `async` blocks
    /// each keep their own copy of the future they were given, and the task's future is moved
    /// whole into the task and its output copied over it (by `memcpy` once it is large). With
    /// the context and task state held once, in the task-local's slot, a group task is the
    /// user's future plus a few words, and clones the context once, not twice.
    pub(super) struct RunAsync<F> {
        name: TaskName,
        #[pin]
        inner: WithAmbient<CatchUnwind<F>>,
    }
}

impl<F: Future> RunAsync<F> {
    /// Task `member.index` of its group.
    pub(super) fn new(ctx: Ctx, member: Member, name: TaskName, fut: F) -> RunAsync<F> {
        let ambient = Ambient { ctx, member };
        RunAsync {
            name,
            inner: WithAmbient::new(ambient, CatchUnwind::new(fut)),
        }
    }
}

impl<T, E, F> Future for RunAsync<F>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    type Output = Finished<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished<T, E>> {
        let mut this = self.project();
        let result = std::task::ready!(this.inner.as_mut().poll(cx));
        // The slot is ours until taken, and taken only here, once the task body is done.
        let Some(Ambient { ctx, member }) = this.inner.take_ambient() else {
            unreachable!("a group task's ambient is taken once, when it finishes")
        };
        let index = member.index;
        Poll::Ready(match result {
            None => not_started(index),
            Some(result) => finish(&ctx, this.name, index, result),
        })
    }
}

/// Runs a blocking task body with the group's context ambient on this thread.
pub(super) fn run_blocking<T, E, F>(
    ctx: Ctx,
    member: Member,
    name: &TaskName,
    index: usize,
    f: F,
) -> Finished<T, E>
where
    F: FnOnce() -> Result<T, E>,
    E: std::fmt::Display,
{
    if ctx.is_cancelled() {
        return not_started(index);
    }
    let guard = ambient::enter(Ambient {
        ctx: ctx.clone(),
        member,
    });
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    drop(guard);
    finish(&ctx, name, index, result)
}

/// The cause a task's panic records, wherever it was caught (its body, or the `Display` or
/// `Drop` of what it returned).
pub(super) fn panicked(task: Arc<str>, payload: &(dyn Any + Send)) -> Cause {
    Cause::Panicked {
        task,
        message: panic_message(payload).into(),
    }
}

/// The message of a panic payload, as `std` prints it.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

pin_project_lite::pin_project! {
    /// Catches a panic of the inner future's `poll` (the futures crate's `catch_unwind`, which
    /// is all we would take from it). Polled with the group's context ambient; on its first
    /// poll, completes with `None` without polling the task body if the group's cancellation
    /// flag is set.
    pub(super) struct CatchUnwind<F> {
        #[pin]
        fut: F,
        started: bool,
    }
}

impl<F> CatchUnwind<F> {
    pub(super) fn new(fut: F) -> CatchUnwind<F> {
        CatchUnwind {
            fut,
            started: false,
        }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Option<Result<F::Output, Box<dyn Any + Send>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if !*this.started {
            *this.started = true;
            // The flag, not the clock: a clock read per task was a third of what a deadline
            // added to a group task. A task that starts after a deadline nobody has noticed yet
            // (the group's timer fires within its 1 ms tick) is still cut short: its first
            // checkpoint reads the clock (`reset_pacer` below), and its end does (`finish`), so
            // it counts as cancelled and cannot win against the deadline.
            if ambient::is_flagged() {
                return Poll::Ready(None);
            }
        }
        let fut = this.fut;
        crate::ctx::reset_pacer();
        match panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Some(Ok(output))),
            Err(payload) => Poll::Ready(Some(Err(payload))),
        }
    }
}
