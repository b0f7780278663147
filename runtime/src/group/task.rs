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
use crate::ambient::{self, Ambient, Member, TaskAmbient};
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
    /// whole into the task and its output copied over it (by `memcpy` once it is large). Of its
    /// group the task holds one reference count, `group` (the ambient all the group's tasks
    /// share); its own ambient borrows the rest from it ([`TaskAmbient`]).
    pub(super) struct RunAsync<F> {
        // Keeps what `ambient` borrows alive: declared (and so dropped) after it.
        ambient: TaskAmbient,
        group: Arc<Ambient>,
        started: bool,
        // `None` once done: dropped with the ambient set, as soon as it is.
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for RunAsync<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Aborted, or dropped with its group: dropped with its ambient set, as it would
                // be polled.
                this.ambient.set(|| fut.set(None));
            }
        }
    }
}

impl<F: Future> RunAsync<F> {
    /// Task `index` of the group whose tasks share the ambient `group`.
    pub(super) fn new(group: Arc<Ambient>, index: usize, name: TaskName, fut: F) -> RunAsync<F> {
        // SAFETY: the task holds `group` for as long as `ambient` lives (it is dropped after it).
        let ambient = unsafe { TaskAmbient::borrow(&group, index, name) };
        RunAsync {
            ambient,
            group,
            started: false,
            fut: Some(fut),
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
        let this = self.project();
        let ambient = &*this.ambient;
        let (ctx, index) = (&this.group.ctx, ambient.get().member.index);
        let mut fut = this.fut;
        if !*this.started {
            *this.started = true;
            // The flag, not the clock: a clock read per task was a third of what a deadline
            // added to a group task. A task that starts after a deadline nobody has noticed yet
            // (the group's timer fires within its 1 ms tick) is still cut short: its first
            // checkpoint reads the clock (`reset_pacer` below), and its end does (`finish`), so
            // it counts as cancelled and cannot win against the deadline.
            if ctx.flagged() {
                ambient.set(|| fut.set(None));
                return Poll::Ready(not_started(index));
            }
        }
        crate::ctx::reset_pacer();
        let result = ambient.set(|| {
            let Some(body) = fut.as_mut().as_pin_mut() else {
                panic!("a group task polled after completion");
            };
            let result = match panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(output)) => Ok(output),
                Err(payload) => Err(payload),
            };
            // Dropped with its ambient set. A panic in its `Drop` is not caught here: tokio
            // hands it to `wait` as the task's `JoinError`, which cancels the group with it.
            fut.set(None);
            Poll::Ready(result)
        });
        let result = std::task::ready!(result);
        // Read the clock: a task ending on its deadline's instant ended cancelled, whether or
        // not a paced check or the timer has seen the deadline yet.
        // (The flag and whether there is a deadline inline, the clock out of line.)
        let after_cancel = ctx.flagged() || (ctx.has_deadline() && ctx.cancelled_now());
        Poll::Ready(match result {
            // The common case, inline: no name, no cause.
            Ok(Ok(output)) => Finished {
                index,
                outcome: Outcome::Ok(output),
                after_cancel,
            },
            failed => finish_with(ctx, &ambient.get().member.name, index, failed, after_cancel),
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
