//! What the `tokio-util` interop (`crate::interop::token`) needs of a context beyond its public API: a weak
//! handle (a registration with another library must not keep the context alive) and the slot
//! where the context keeps their state.

use std::sync::{Arc, Weak};

use super::state::State;
use crate::Ctx;

/// A handle that does not keep its context alive.
pub(crate) struct WeakCtx(Weak<State>);

impl WeakCtx {
    /// The context, if it still exists.
    pub(crate) fn upgrade(&self) -> Option<Ctx> {
        self.0.upgrade().map(Ctx::from_state)
    }
}

impl Ctx {
    /// A handle that does not keep this context alive.
    pub(crate) fn downgrade(&self) -> WeakCtx {
        WeakCtx(Arc::downgrade(&self.state))
    }

    /// What the interop features keep with this context.
    pub(crate) fn interop(&self) -> &crate::interop::Slot {
        &self.state.interop
    }

    /// Whether this is the never-cancelled context shared by the whole process (the ambient
    /// context outside any group): what is attached to it is shared by everyone.
    pub(crate) fn is_shared_never(&self) -> bool {
        !self.state.can_be_cancelled()
    }
}
