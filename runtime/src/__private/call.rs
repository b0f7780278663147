//! [`Call`]: the per-call state of a `#[cancellable]` function.

use std::panic::Location;
use std::pin::Pin;
use std::task::Waker;
use std::time::Duration;

use crate::ctx::{Pacer, Registering, Waiter};
use crate::observe::observed;
use crate::testing::cuts_of;
use crate::{Cancelled, Ctx};

/// One per call of a `#[cancellable]` function: the context it checks, its clock pacer, and its
/// one registration with the context's waiters (made the first time an `.await` would block,
/// reused by every later `.await` of the same call).
///
/// Generated code pins it (`let mut __cancellable = pin!(Call::ambient());`): the registration
/// links the call's node into the context's waiter list, so the call must not move while it
/// may be linked. `!Unpin`; everything that registers takes `Pin<&mut Call>`.
pub struct Call {
    /// The context, and the call's registration with it. Structurally pinned: never moved
    /// out of a pinned call (the methods below only reach `pacer` and `parked` mutably).
    waiter: Waiter<Ctx>,
    pacer: Pacer,
    /// The `.await` this call last reported blocking at (see [`Call::parked_at`]).
    parked: Option<&'static Location<'static>>,
}

impl Call {
    /// The state of a call of a function without a context parameter: on the ambient context.
    #[inline]
    pub fn ambient() -> Call {
        Call::owning(Ctx::current())
    }

    /// The state of a call of a function with a context parameter (`Ctx` or `&Ctx`).
    #[inline]
    pub fn new<C: AsRef<Ctx>>(ctx: C) -> Call {
        Call::owning(ctx.as_ref().clone())
    }

    fn owning(ctx: Ctx) -> Call {
        let pacer = if ctx.has_deadline() || cuts_of(&ctx).is_some() {
            Pacer::new()
        } else {
            Pacer::idle()
        };
        Call {
            waiter: Waiter::new(ctx),
            pacer,
            parked: None,
        }
    }

    /// The context this call checks.
    #[inline(always)]
    pub(super) fn ctx(&self) -> &Ctx {
        self.waiter.ctx()
    }

    /// A loop checkpoint: `Err` once the context is cancelled or its deadline has passed.
    /// Fast path: one atomic load and a countdown in a register. The caller's location (the
    /// user's loop keyword: the call is spanned there) only travels to the slow path.
    #[inline(always)]
    #[track_caller]
    pub fn checkpoint(self: Pin<&mut Self>) -> Result<(), Cancelled> {
        // SAFETY: only `pacer` is written (`checkpoint_slow` too): `waiter` does not move.
        let this = unsafe { self.get_unchecked_mut() };
        // Two plain tests combined without a branch between them: the context's bits (zero while
        // it runs and is linked: see `Ctx::unsettled`) and the clock countdown.
        let tick = this.pacer.tick();
        if this.ctx().unsettled() | tick {
            this.checkpoint_slow(tick, Location::caller())
        } else {
            Ok(())
        }
    }

    /// The pinned waiter.
    #[inline(always)]
    fn waiter(self: Pin<&mut Self>) -> Pin<&mut Waiter<Ctx>> {
        // SAFETY: a structural projection: `waiter` is never moved out of a pinned call.
        unsafe { self.map_unchecked_mut(|call| &mut call.waiter) }
    }

    #[cold]
    #[inline(never)]
    fn checkpoint_slow(
        &mut self,
        tick: bool,
        at: &'static Location<'static>,
    ) -> Result<(), Cancelled> {
        if let Some(cuts) = cuts_of(self.waiter.ctx()) {
            // Every checkpoint comes here (a fresh pacer's countdown is 1); one not yet cancelled
            // is a cancellation point of the test.
            self.pacer = Pacer::new();
            let ctx = self.waiter.ctx();
            return if ctx.flagged() || cuts.reached(at) || ctx.cancelled_now() {
                Err(observed(ctx.cancelled_error(), at))
            } else {
                Ok(())
            };
        }
        if !self.waiter.ctx().flagged() {
            if !tick {
                // Unsettled but not cancelled: a context not linked to its parent yet, whose
                // check looked at the parent (and, checked often, links it). No clock read due.
                return Ok(());
            }
            let now = self.pacer.now();
            if !self.waiter.ctx().expire_if_due(now) {
                return Ok(());
            }
        }
        Err(observed(self.ctx().cancelled_error(), at))
    }

    /// `std::thread::sleep` in a `#[cancellable]` blocking function: sleeps, or returns the
    /// cancellation as soon as it happens.
    #[track_caller]
    pub fn sleep_blocking(&self, duration: Duration) -> Result<(), Cancelled> {
        crate::sleep::sleep_blocking_in(self.ctx(), duration)
    }

    /// The context and the registration, apart: a `select!` shares the one among its branches
    /// and lends the other to its cancellation branch.
    #[inline]
    pub(super) fn split(self: Pin<&mut Self>) -> (&Ctx, Registering<'_>) {
        self.waiter().split()
    }

    /// The `.await` at `at` has blocked: tells the group where its task waits, if that is not
    /// where this call last said it was (a pointer comparison on the blocking path; the report,
    /// a lock, once per place).
    #[inline]
    pub(super) fn parked_at(self: Pin<&mut Self>, at: &'static Location<'static>) {
        // SAFETY: only `parked` is written: `waiter` does not move.
        let this = unsafe { self.get_unchecked_mut() };
        // By address: `Location`'s `==` compares the file names.
        if !this.parked.is_some_and(|parked| std::ptr::eq(parked, at)) {
            this.report_parked(at);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_parked(&mut self, at: &'static Location<'static>) {
        self.parked = Some(at);
        let call = std::ptr::from_ref(self) as usize;
        crate::ambient::with_here(|task| task.shields().parked.park(task.index, call, at));
    }

    /// Makes sure `waker` is woken on cancellation; `false` if already cancelled.
    #[inline]
    pub(super) fn register(self: Pin<&mut Self>, waker: &Waker) -> bool {
        self.waiter().register(waker)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.parked.is_some() {
            // Reported where it waited: the call is over, the task waits elsewhere now.
            let call = std::ptr::from_ref(self) as usize;
            crate::ambient::with_here(|task| task.shields().parked.leave(task.index, call));
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("ctx", self.ctx())
            .finish_non_exhaustive()
    }
}
