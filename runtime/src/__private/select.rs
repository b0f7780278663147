//! [`select`]: what `#[cancellable]` adds to a `tokio::select!`.
//!
//! The macro turns
//!
//! ```text
//! tokio::select! { pat = fut, if cond => handler, else => other }
//! ```
//!
//! into
//!
//! ```text
//! {
//!     let (__select, __waiter) = select(__cancellable.as_mut(), 1);
//!     tokio::select! {
//!         pat = __select.branch(fut), if __select.enabled(cond) => handler,
//!         Err(c) = __select.cancelled(__waiter) => return exit(c),
//!         else => other
//!     }
//! }
//! ```
//!
//! The extra branch makes the `select!` end at the cancellation even when none of the user's
//! futures ever completes. Two things keep the user's `select!` meaning what it meant:
//!
//! - **Cancellation wins ties, with or without `biased;`.** Unless the user wrote `biased;`,
//!   tokio polls the branches from a random one, so the cancellation branch cannot simply be
//!   polled first. Instead each user branch is gated: once the context is cancelled, a gated
//!   future returns `Pending` without being polled, and the cancellation branch, ready, is the
//!   only one that can complete. The user's branches keep their order among themselves (random,
//!   or as written under `biased;`). The cancellation branch comes last: with the gates it needs
//!   no place of its own, and a `biased;` select whose first branch is ready never polls it
//!   (which would cost more than the gates: a registration check).
//! - **`else` still runs.** Tokio runs `else` (or panics without one) once every branch is
//!   disabled, by its `if` precondition or by a pattern that did not match. The cancellation
//!   branch counts the user branches still live, and disables itself (its future completes with
//!   `Ok(())`, which does not match its `Err(c)` pattern) when none is left.
//!
//! [`Select`] and [`SelectWaiter`] borrow the call (its context shared, its registration exclusive to
//! the cancellation branch) for the futures' lifetime only: they have no drop glue, so the borrow
//! ends with the last future, before tokio runs the chosen handler (whose own awaits are raced
//! with the call). Its counter is an atomic only so that the function's future stays `Send`:
//! one task uses them, so relaxed loads and stores (plain moves) suffice.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};

use super::call::{CtxRef, Registering};
use super::Call;
use crate::Cancelled;

/// The shared state of one `select!` evaluation: see the module docs. `branches` is the number of
/// the user's branches (the `else` branch not counted).
#[inline]
pub fn select<'c>(call: Pin<&'c mut Call<'_>>, branches: usize) -> (Select<'c>, SelectWaiter<'c>) {
    let (ctx, registering) = call.split();
    let select = Select {
        ctx,
        live: AtomicUsize::new(branches),
    };
    (select, SelectWaiter(registering))
}

/// The call's registration with its context, lent to the cancellation branch.
pub struct SelectWaiter<'a>(Registering<'a>);

impl std::fmt::Debug for SelectWaiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectWaiter").finish_non_exhaustive()
    }
}

/// Returned by [`select`].
pub struct Select<'a> {
    ctx: CtxRef<'a>,
    /// The user's branches that may still complete: enabled by their precondition, and whose
    /// future has not completed yet.
    live: AtomicUsize,
}

impl<'a> Select<'a> {
    /// A branch's `if` precondition: passed through, counting a disabled branch as not live.
    #[inline]
    pub fn enabled(&self, precondition: bool) -> bool {
        if !precondition {
            self.not_live();
        }
        precondition
    }

    /// A user branch's future, gated on the cancellation.
    #[inline]
    pub fn branch<F: IntoFuture>(&self, fut: F) -> Branch<'_, 'a, F::IntoFuture> {
        Branch {
            fut: fut.into_future(),
            select: self,
            woken: false,
        }
    }

    /// The cancellation branch's future: `Err` at the cancellation, `Ok(())` (a pattern mismatch,
    /// so the branch is disabled) once no user branch is live.
    #[inline]
    pub fn cancelled(&self, waiter: SelectWaiter<'a>) -> SelectCancelled<'_, 'a> {
        SelectCancelled {
            select: self,
            waiter,
            woken: false,
        }
    }

    /// One more branch is disabled; returns how many are left.
    #[inline]
    fn not_live(&self) -> usize {
        let live = self.live.load(Relaxed).saturating_sub(1);
        self.live.store(live, Relaxed);
        live
    }

    /// Whether the context is cancelled. `woken`: the part asking has returned `Pending`
    /// before, so this poll follows a wake-up and the clock is read (as `race` does): a deadline
    /// due at the same instant as a user's timer then wins the tie, whichever timer fired first.
    /// A part ready at its first poll never pays for the clock.
    #[inline]
    fn is_cancelled(&self, woken: bool) -> bool {
        self.ctx.is_cancelled(woken)
    }

    fn error(&self) -> Cancelled {
        self.ctx.cancelled_error()
    }
}

impl std::fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("live", &self.live.load(Relaxed))
            .finish_non_exhaustive()
    }
}

pin_project_lite::pin_project! {
    /// A user branch's future: `Pending` without polling it once the context is cancelled.
    #[must_use = "futures do nothing unless polled"]
    pub struct Branch<'s, 'a, F> {
        #[pin]
        fut: F,
        select: &'s Select<'a>,
        // Set once `fut` has returned `Pending`.
        woken: bool,
    }
}

impl<F: Future> Future for Branch<'_, '_, F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let select = *this.select;
        if select.is_cancelled(*this.woken) {
            // The cancellation branch is ready; make sure it is polled, even if it was polled
            // (and pending) earlier in this round.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let Poll::Ready(output) = this.fut.poll(cx) else {
            *this.woken = true;
            return Poll::Pending;
        };
        // Completed: either its pattern matches and the `select!` ends, or tokio disables it.
        if select.not_live() == 0 {
            // The cancellation branch may have been polled already in this round: have it
            // polled again, to disable itself and let tokio reach `else`.
            cx.waker().wake_by_ref();
        }
        Poll::Ready(output)
    }
}

/// The cancellation branch's future. See [`Select::cancelled`].
#[must_use = "futures do nothing unless polled"]
pub struct SelectCancelled<'s, 'a> {
    select: &'s Select<'a>,
    waiter: SelectWaiter<'a>,
    // Set once it has returned `Pending`.
    woken: bool,
}

impl Future for SelectCancelled<'_, '_> {
    type Output = Result<(), Cancelled>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let select = this.select;
        if select.is_cancelled(this.woken) {
            return Poll::Ready(Err(select.error()));
        }
        if select.live.load(Relaxed) == 0 {
            return Poll::Ready(Ok(()));
        }
        // The call's one registration, shared with every raced `.await` of the call.
        if !this.waiter.0.register(cx.waker()) {
            return Poll::Ready(Err(select.error()));
        }
        this.woken = true;
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Ctx;

    #[tokio::test(start_paused = true)]
    async fn cancellation_branch_ends_a_select_that_would_wait_forever() {
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        let mut call = Box::pin(Call::new(&ctx));
        let (select, waiter) = select(call.as_mut(), 1);
        let out = tokio::select! {
            Err(c) = select.cancelled(waiter) => Err(c),
            () = select.branch(std::future::pending::<()>()) => Ok(()),
        };
        assert!(out.unwrap_err().is_deadline_exceeded());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_context_gates_every_ready_branch() {
        let ctx = Ctx::new();
        ctx.cancel();
        let mut call = Box::pin(Call::new(&ctx));
        for _ in 0..20 {
            let (select, waiter) = select(call.as_mut(), 2);
            let out = tokio::select! {
                Err(_) = select.cancelled(waiter) => 0,
                v = select.branch(async { 1 }) => v,
                v = select.branch(async { 2 }) => v,
            };
            assert_eq!(out, 0, "cancellation wins whatever the random start");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_live_branch_reaches_else() {
        let ctx = Ctx::new();
        let mut call = Box::pin(Call::new(&ctx));
        let (select, waiter) = select(call.as_mut(), 2);
        let out = tokio::select! {
            Err(_) = select.cancelled(waiter) => "cancelled",
            Some(()) = select.branch(async { None }) => "some",
            _ = select.branch(std::future::pending::<()>()), if select.enabled(false) => "never",
            else => "else",
        };
        assert_eq!(out, "else");
    }
}
