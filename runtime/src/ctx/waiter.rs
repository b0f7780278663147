//! [`Waiter`]: one place in a context's waiter list, unlinked when the waiter is dropped.

use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::Waker;

use super::wait_list::WaitNode;
use crate::Ctx;

/// A waker registered with a context, at most once: the first [`Waiter::register`] takes the
/// context's lock and links the waiter's node into the context's waiter list; later ones by
/// the same task cost a `will_wake` comparison. Dropping the waiter unlinks it.
///
/// What every blocking wait on a context is built from: [`Ctx::cancelled`], the races of a
/// `#[cancellable]` call (one waiter per call, shared by its `.await`s) and the cancellable
/// blocking sleep. `C` is how the waiter holds its context: by value (`Ctx`) or borrowed
/// (`&Ctx`). The node is linked from the waiter's own memory, so registering takes a pinned
/// waiter (`Pin<&mut Waiter>`), and the waiter is `!Unpin`.
pub(crate) struct Waiter<C: AsRef<Ctx>> {
    ctx: C,
    node: WaitNode,
}

impl<C: AsRef<Ctx>> Waiter<C> {
    /// A waiter on `ctx`, not registered yet.
    #[inline]
    pub(crate) fn new(ctx: C) -> Self {
        Waiter {
            ctx,
            node: WaitNode::new(),
        }
    }

    /// The context waited on.
    #[inline(always)]
    pub(crate) fn ctx(&self) -> &Ctx {
        self.ctx.as_ref()
    }

    /// The node, pinned with the waiter.
    #[inline(always)]
    fn node(self: Pin<&Self>) -> Pin<&WaitNode> {
        // SAFETY: a structural pin projection: `node` is never moved out of a pinned waiter.
        unsafe { self.map_unchecked(|waiter| &waiter.node) }
    }

    /// Makes sure `waker` is woken when the context is cancelled; `false` if it already is (do
    /// not wait then). Also arms the context's deadline timer on the context's first waiter.
    #[inline]
    pub(crate) fn register(self: Pin<&mut Self>, waker: &Waker) -> bool {
        let this = self.into_ref();
        this.get_ref().ctx().state.watch(this.node(), waker)
    }
}

impl<'a> Waiter<&'a Ctx> {
    /// The context waited on, for as long as the borrow it was made from.
    #[inline(always)]
    pub(crate) fn ctx_ref(&self) -> &'a Ctx {
        self.ctx
    }
}

/// A waiter whose context is chosen when it first registers, and held (one reference count)
/// only from then on: the registration of a `#[cancellable]` call, which reads its context
/// from the running task at every check and so takes no reference of its own until it waits.
/// Registering with another context than the held one is refused (`None`): the caller makes a
/// fresh registration in place (`Pin::set`, which unlinks this one).
pub(crate) struct Registration {
    ctx: Option<Ctx>,
    /// Never dropped as a field: [`Registration::release`] clears its waker when it
    /// unregisters, so that a registration has no drop glue of its own to call.
    node: ManuallyDrop<WaitNode>,
}

impl Registration {
    /// Not registered, holding no context.
    #[inline(always)]
    pub(crate) fn new() -> Registration {
        Registration {
            ctx: None,
            node: ManuallyDrop::new(WaitNode::new()),
        }
    }

    /// Makes sure `waker` is woken when `ctx` is cancelled; `Some(false)` if it already is (do
    /// not wait then), `None` if this registration is with another context. Arms the context's
    /// deadline timer on its first waiter. The never-cancelled context stores nothing, and is not
    /// held: its reference count is the one every worker would write.
    #[inline]
    pub(crate) fn register(self: Pin<&mut Self>, ctx: &Ctx, waker: &Waker) -> Option<bool> {
        if !ctx.state.can_be_cancelled() {
            return Some(true);
        }
        // SAFETY: `node` is structurally pinned (projected below, never moved out); `ctx` is
        // only read and written as a plain field.
        let this = unsafe { self.get_unchecked_mut() };
        match &this.ctx {
            Some(held) if !held.same_as(ctx) => return None,
            Some(_) => {}
            None => this.ctx = Some(ctx.clone()),
        }
        // SAFETY: as above: the node is pinned with the registration.
        let node = unsafe { Pin::new_unchecked(&*this.node) };
        Some(ctx.state.watch(node, waker))
    }
}

impl Registration {
    /// Unlinks the node, if registered, and lets the context go: back to a fresh registration.
    /// Its owner (`Call`) calls it before the registration is dropped or replaced, and keeps it
    /// in a `ManuallyDrop`, so that dropping a call that never waited (most) calls no drop glue.
    #[inline]
    pub(crate) fn release(self: Pin<&mut Self>) {
        // SAFETY: `node` is structurally pinned (only reached in place below); `ctx` is a
        // plain field.
        let this = unsafe { self.get_unchecked_mut() };
        if let Some(ctx) = this.ctx.take() {
            Registration::unregister(ctx, &mut this.node);
        }
    }

    #[cold]
    #[inline(never)]
    fn unregister(ctx: Ctx, node: &mut WaitNode) {
        // SAFETY: the node is pinned where it is (a `Pin<&mut Registration>` reached it).
        ctx.state.unwatch(unsafe { Pin::new_unchecked(&*node) });
        // Unlinked now (or released by the cancellation): the waker is the node's only
        // resource.
        node.clear_waker();
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `drop` runs in place: a registration that was pinned is still where it was.
        unsafe { Pin::new_unchecked(self) }.release();
    }
}

impl<C: AsRef<Ctx>> Drop for Waiter<C> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs in place: a waiter that was pinned is still where it was pinned
        // (and one that never was is not registered: nothing to unlink).
        let this = unsafe { Pin::new_unchecked(&*self) };
        self.ctx.as_ref().state.unwatch(this.node());
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
        let mut waiter = Box::pin(Waiter::new(&ctx));
        assert!(waiter.as_mut().register(Waker::noop()));
        assert!(waiter.as_mut().register(Waker::noop()));
        assert_eq!(ctx.waiter_count(), 1);
        drop(waiter);
        assert_eq!(ctx.waiter_count(), 0);
    }

    #[test]
    fn waiting_on_the_never_cancelled_context_stores_nothing() {
        let never = Ctx::never();
        let mut waiter = Box::pin(Waiter::new(&never));
        assert!(waiter.as_mut().register(Waker::noop()));
        assert_eq!(never.waiter_count(), 0, "no lock taken, no waker stored");
    }

    #[test]
    fn the_ambient_context_outside_groups_is_the_never_cancelled_one() {
        let root = Ctx::current();
        root.cancel();
        assert!(!root.is_cancelled());
        assert!(!Ctx::current().is_cancelled());
        let mut waiter = Box::pin(Waiter::new(&root));
        assert!(waiter.as_mut().register(Waker::noop()));
        assert_eq!(root.waiter_count(), 0);
    }
}
