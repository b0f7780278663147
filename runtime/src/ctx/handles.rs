//! The context's interop hooks (feature `tokio-util`): what `crate::interop::token` needs of a
//! context beyond its public API: a weak handle (a registration with another library must not
//! keep the context alive) and the place where the context keeps the bridges' ends. The interop
//! fills them; the context does not know about that module.

use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::state::State;
use crate::{Cancelled, Cause, Ctx};

/// A context's ends of the bridges to tokio-util's `CancellationToken` (see
/// `interop/token.rs`), dropped with the context.
#[derive(Default)]
pub(crate) struct Bridges {
    /// The token this context cancels, once asked for.
    pub(crate) token: OnceLock<CancellationToken>,
    /// The registration with the token this context was made from, if any.
    pub(crate) source: Mutex<Option<Pin<Box<WaitForCancellationFutureOwned>>>>,
}

impl Bridges {
    /// Whether no token was asked for and none was the source (the context's allocation can
    /// then be reused: `state/recycle.rs`).
    pub(crate) fn is_empty(&mut self) -> bool {
        self.token.get().is_none() && self.source.get_mut().is_ok_and(|s| s.is_none())
    }
}

/// A handle that does not keep its context alive.
pub(crate) struct WeakCtx(Weak<State>);

impl WeakCtx {
    /// Cancels the context with `cause`, if it still exists (it may have no handle left, and
    /// children that see its cancellation): no handle is made (none is ever made but from
    /// another, see `state/lease.rs`).
    pub(crate) fn cancel_with(&self, cause: Cause) {
        if let Some(state) = self.0.upgrade() {
            state.cancel(Cancelled::new(cause));
        }
    }
}

impl Ctx {
    /// A handle that does not keep this context alive.
    pub(crate) fn downgrade(&self) -> WeakCtx {
        WeakCtx(Arc::downgrade(&self.state))
    }

    /// What the `tokio-util` interop keeps with this context.
    pub(crate) fn bridges(&self) -> &Bridges {
        &self.state.bridges
    }

    /// Whether this is the never-cancelled context shared by the whole process (the ambient
    /// context outside any group): what is attached to it is shared by everyone.
    pub(crate) fn is_shared_never(&self) -> bool {
        !self.state.can_be_cancelled()
    }
}
