//! [`Waiter`]: one registration with a context's waiter list, removed when the waiter is dropped.

use std::task::Waker;

use super::state::Registration;
use crate::Ctx;

/// A waker registered with a context, at most once: the first [`Waiter::register`] takes the
/// context's lock and stores the waker; later ones by the same task cost a `will_wake`
/// comparison. Dropping the waiter removes the registration.
///
/// What every blocking wait on a context is built from: [`Ctx::cancelled`], the races of a
/// `#[cancellable]` call (one waiter per call, shared by its `.await`s) and the cancellable
/// blocking sleep. `C` is how the waiter holds its context: by value (`Ctx`) or borrowed
/// (`&Ctx`).
pub(crate) struct Waiter<C: AsRef<Ctx>> {
    ctx: C,
    registration: Option<Registration>,
}

impl<C: AsRef<Ctx>> Waiter<C> {
    /// A waiter on `ctx`, not registered yet.
    #[inline]
    pub(crate) fn new(ctx: C) -> Self {
        Waiter {
            ctx,
            registration: None,
        }
    }

    /// The context waited on.
    #[inline(always)]
    pub(crate) fn ctx(&self) -> &Ctx {
        self.ctx.as_ref()
    }

    /// Makes sure `waker` is woken when the context is cancelled; `false` if it already is (do
    /// not wait then). Also arms the context's deadline timer on the context's first waiter.
    #[inline]
    pub(crate) fn register(&mut self, waker: &Waker) -> bool {
        self.ctx.as_ref().state.watch(&mut self.registration, waker)
    }

    /// The context, and the right to register: a `select!` shares the context among its
    /// branches while its cancellation branch registers.
    #[inline]
    pub(crate) fn split(&mut self) -> (&Ctx, Registering<'_>) {
        let ctx = self.ctx.as_ref();
        (
            ctx,
            Registering {
                ctx,
                registration: &mut self.registration,
            },
        )
    }
}

/// A [`Waiter`]'s registration, lent by [`Waiter::split`].
pub(crate) struct Registering<'a> {
    ctx: &'a Ctx,
    registration: &'a mut Option<Registration>,
}

impl Registering<'_> {
    /// See [`Waiter::register`].
    #[inline]
    pub(crate) fn register(&mut self, waker: &Waker) -> bool {
        self.ctx.state.watch(self.registration, waker)
    }
}

impl<'a> Waiter<&'a Ctx> {
    /// The context waited on, for as long as the borrow it was made from.
    #[inline(always)]
    pub(crate) fn ctx_ref(&self) -> &'a Ctx {
        self.ctx
    }

    /// [`Waiter::register`] without arming the context's deadline timer: the caller sleeps until
    /// the deadline itself.
    #[inline]
    pub(crate) fn register_unarmed(&mut self, waker: &Waker) -> bool {
        self.ctx.state.watch_unarmed(&mut self.registration, waker)
    }
}

impl<C: AsRef<Ctx>> Drop for Waiter<C> {
    fn drop(&mut self) {
        self.ctx.as_ref().state.unwatch(&mut self.registration);
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::Waiter;
    use crate::Ctx;

    #[test]
    fn one_registration_removed_on_drop() {
        let ctx = Ctx::new();
        let mut waiter = Waiter::new(&ctx);
        assert!(waiter.register(Waker::noop()));
        assert!(waiter.register(Waker::noop()));
        assert_eq!(ctx.waiter_count(), 1);
        drop(waiter);
        assert_eq!(ctx.waiter_count(), 0);
    }

    #[test]
    fn waiting_on_the_never_cancelled_context_stores_nothing() {
        let never = Ctx::never();
        let mut waiter = Waiter::new(&never);
        assert!(waiter.register(Waker::noop()));
        assert_eq!(never.waiter_count(), 0, "no lock taken, no waker stored");
    }

    #[test]
    fn the_ambient_context_outside_groups_is_the_never_cancelled_one() {
        let root = Ctx::current();
        root.cancel();
        assert!(!root.is_cancelled());
        assert!(!Ctx::current().is_cancelled());
        let mut waiter = Waiter::new(&root);
        assert!(waiter.register(Waker::noop()));
        assert_eq!(root.waiter_count(), 0);
    }
}
