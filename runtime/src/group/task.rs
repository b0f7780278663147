//! One task of a group: runs the user's future or closure with the group's context ambient,
//! catches its panic, and, on failure, cancels the group with the cause — at the moment it fails,
//! not when `wait` gets round to it.

use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::ended::{self, Ended};
use super::seat::Seat;
use crate::ambient;
use crate::ambient::TaskName;
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
    /// An error that did not cancel the group (it was already cancelled), dropped by its task
    /// (see `ended.rs`).
    Lost,
    /// An error returned before the group was cancelled, by a task of a group that keeps every
    /// error ([`GroupBuilder::collect_errors`](crate::GroupBuilder::collect_errors)): it does
    /// not cancel the group.
    Kept(E),
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

/// [`finish_with`] for a group that keeps every error: an error returned before the group was
/// cancelled is kept, and cancels nothing.
pub(super) fn finish_keeping<T, E: std::fmt::Display>(
    ctx: &Ctx,
    name: &TaskName,
    index: usize,
    result: Result<Result<T, E>, Box<dyn Any + Send>>,
    after_cancel: bool,
) -> Finished<T, E> {
    match result {
        Ok(Err(error)) if !after_cancel => Finished {
            index,
            outcome: Outcome::Kept(error),
            after_cancel,
        },
        other => finish_with(ctx, name, index, other, after_cancel),
    }
}

pub(super) fn not_started<T, E>(index: usize) -> Finished<T, E> {
    Finished {
        index,
        outcome: Outcome::NotStarted,
        after_cancel: true,
    }
}

/// An async task of the group: the user's future with the group's context ambient, its panic
/// caught, turned into an [`Ended`].
///
/// A plain struct rather than an `async fn` around the user's future: nested `async` blocks each
/// keep their own copy of the future they were given, and the task's future is moved whole into
/// the task and its output copied over it. It adds one word to the user's future, its [`Seat`]
/// (its group, index and name, and whether it has started and finished): a trivial task then
/// fits tokio's smallest task allocation (`group/seat.rs` says why that matters).
///
/// `KEEP_ERRORS`: the group keeps every error instead of being cancelled by the first
/// ([`finish_keeping`]); a parameter of the type rather than a field, so that the task stays one
/// word larger than its future.
pub(super) struct RunAsync<F, const KEEP_ERRORS: bool = false> {
    seat: Seat,
    /// Pinned (never moved out: see `poll`); dropped in place once the seat says `done`.
    fut: ManuallyDrop<F>,
}

impl<F, const KEEP_ERRORS: bool> RunAsync<F, KEEP_ERRORS> {
    /// The task sitting in `seat`.
    pub(super) fn new(seat: Seat, fut: F) -> RunAsync<F, KEEP_ERRORS> {
        RunAsync {
            seat,
            fut: ManuallyDrop::new(fut),
        }
    }

    /// Drops the user's future, with the task's ambient set (as it would be polled), and
    /// records that it is gone. A panic in its `Drop` is not caught: polled, tokio hands it to
    /// `wait` as the task's `JoinError`, which cancels the group with it.
    fn drop_future(&mut self) {
        self.seat.set_done();
        let fut = &mut self.fut;
        // SAFETY: dropped in place, where it was pinned, and only once: `done` is set first, so
        // that nothing drops it again even if its `Drop` unwinds.
        ambient::set(&self.seat.here(), || unsafe { ManuallyDrop::drop(fut) });
    }
}

impl<F, const KEEP_ERRORS: bool> Drop for RunAsync<F, KEEP_ERRORS> {
    fn drop(&mut self) {
        if !self.seat.done() {
            // Aborted, or dropped with its group.
            self.drop_future();
        }
    }
}

impl<T, E, F, const KEEP_ERRORS: bool> Future for RunAsync<F, KEEP_ERRORS>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    type Output = Ended<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended<T, E>> {
        // SAFETY: `fut` is structurally pinned: it is only ever reached pinned (below), and
        // dropped in place (`drop_future`); nothing else is.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.seat.started() {
            this.seat.set_started();
            // The flag, not the clock: a clock read per task was a third of what a deadline
            // added to a group task. A task that starts after a deadline nobody has noticed yet
            // (the group's timer fires within its 1 ms tick) is still cut short: its first
            // checkpoint reads the clock (`reset_pacer` below), and its end does (`finish`), so
            // it counts as cancelled and cannot win against the deadline.
            if this.seat.group().ctx.flagged() {
                this.drop_future();
                return Poll::Ready(Ended::pack(not_started(this.seat.index())));
            }
        }
        assert!(!this.seat.done(), "a group task polled after completion");
        crate::ctx::reset_pacer();
        // SAFETY: pinned, see above.
        let body = unsafe { Pin::new_unchecked(&mut *this.fut) };
        let polled = ambient::set(&this.seat.here(), || {
            panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx)))
        });
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        this.drop_future();
        // Read the clock: a task ending on its deadline's instant ended cancelled, whether or
        // not a paced check or the timer has seen the deadline yet.
        // (The flag and whether there is a deadline inline, the clock out of line.)
        let (seat, ctx) = (&this.seat, &this.seat.group().ctx);
        let after_cancel = ctx.flagged() || (ctx.has_deadline() && ctx.cancelled_now());
        Poll::Ready(match result {
            // The common case, inline: no name, no cause, no box.
            Ok(Ok(output)) => Ended::ok(ended::index(seat.index()), output, after_cancel),
            failed => {
                let finish = if KEEP_ERRORS {
                    finish_keeping
                } else {
                    finish_with
                };
                Ended::pack(finish(ctx, seat.name(), seat.index(), failed, after_cancel))
            }
        })
    }
}

/// Runs a blocking task body, the task sitting in `seat`, with the group's context ambient on
/// this thread; `keep_errors` as [`RunAsync`]'s.
pub(super) fn run_blocking<T, E, F>(seat: Seat, f: F, keep_errors: bool) -> Finished<T, E>
where
    F: FnOnce() -> Result<T, E>,
    E: std::fmt::Display,
{
    let (group, index) = (seat.group(), seat.index());
    let ctx = &group.ctx;
    if ctx.is_cancelled() {
        return not_started(index);
    }
    let result = ambient::set(&seat.here(), || panic::catch_unwind(AssertUnwindSafe(f)));
    if keep_errors {
        finish_keeping(ctx, seat.name(), index, result, ctx.cancelled_now())
    } else {
        finish(ctx, seat.name(), index, result)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ambient::Member;
    use crate::Cancelled;

    /// tokio's smallest task leaves 24 bytes for the future and for its output (`Result<_,
    /// JoinError>`): a group task around a future of two words must fit it, as a `JoinSet` task
    /// of the same future does (see `group/seat.rs`).
    #[test]
    fn a_group_task_adds_one_word_to_its_future() {
        fn size<T>(_: &T) -> usize {
            std::mem::size_of::<T>()
        }
        let n = 5_usize;
        let fut = async move { Ok::<_, Cancelled>(n) };
        assert_eq!(size(&fut), 16);
        let mut seats = crate::group::Seats::new(Arc::new(crate::ambient::Ambient {
            ctx: Ctx::new(),
            member: Member::new("group"),
        }));
        let run: RunAsync<_> = RunAsync::new(seats.take(TaskName::Static("task")), fut);
        assert_eq!(size(&run), 24);
        type Output = Result<Ended<usize, Cancelled>, tokio::task::JoinError>;
        assert_eq!(std::mem::size_of::<Output>(), 24);
        assert_eq!(
            std::mem::size_of::<Result<usize, tokio::task::JoinError>>(),
            24
        );
    }
}
