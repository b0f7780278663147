//! The context's side of `crate::testing` (feature `testing`): a test's root context, and the
//! countdown every context derived from it carries.

use std::sync::{Arc, Weak};

use super::state::State;
use super::Ctx;
use crate::testing::Cuts;

/// A context that does not keep itself alive: the countdown's way back to the root it cancels
/// (the root holds the countdown).
pub(crate) struct WeakRoot(Weak<State>);

impl WeakRoot {
    pub(crate) fn upgrade(&self) -> Option<Ctx> {
        self.0.upgrade().map(Ctx::from_state)
    }
}

impl Ctx {
    /// The root context of a cancellation test, with the countdown `cuts` builds.
    pub(crate) fn test_root(cuts: impl FnOnce(WeakRoot) -> Cuts) -> Ctx {
        let state =
            Arc::new_cyclic(|root| State::with_cuts(Arc::new(cuts(WeakRoot(root.clone())))));
        Ctx::from_state(state)
    }

    /// The countdown of the cancellation test this context belongs to, if any.
    #[inline(always)]
    pub(crate) fn cuts(&self) -> Option<&Cuts> {
        self.state.cuts.as_deref()
    }
}
