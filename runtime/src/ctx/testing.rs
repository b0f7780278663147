//! The context's own test hook (feature `testing`): the countdown a test context carries.
//! Every cancellation point it reaches is counted (and its location kept), and the target-th one
//! cancels the test's root context. `crate::testing` (the `cut_everywhere` API) builds on it;
//! the context does not know about that module.
//!
//! Consulted only on the slow paths: a context with cuts gives its `#[cancellable]` calls a pacer
//! that sends every checkpoint to the slow path, and an `.await`'s race asks on its first poll.
//! Without the `testing` feature, none of this is compiled (`Cuts` is then an empty enum, in
//! `ctx/mod.rs`, and the branches that ask compile to nothing).

use std::panic::Location;
use std::sync::{Arc, Mutex, Weak};

use super::state::State;
use super::Ctx;
use crate::{Cancelled, Cause};

/// The countdown of a cancellation test, carried by its root context and every context derived
/// from it.
pub(crate) struct Cuts {
    /// The test's root context, cancelled at the target-th point (weak: the root holds us).
    root: Weak<State>,
    /// Cut at the target-th point reached (1-based).
    target: usize,
    /// Every point reached, in order (the runs' report needs them all).
    reached: Mutex<Vec<&'static Location<'static>>>,
}

impl Cuts {
    /// A test root context whose `target`-th cancellation point cancels it.
    pub(crate) fn root(target: usize) -> Ctx {
        let state = Arc::new_cyclic(|root| {
            State::with_cuts(Arc::new(Cuts {
                root: root.clone(),
                target,
                reached: Mutex::new(Vec::new()),
            }))
        });
        Ctx::from_state(state)
    }

    /// Counts the cancellation point at `location`; true if it is the target, which this call
    /// has then cancelled (the root, and so every context derived from it).
    pub(crate) fn reached(&self, location: &'static Location<'static>) -> bool {
        let count = {
            let mut reached = self.reached.lock().unwrap_or_else(|p| p.into_inner());
            reached.push(location);
            reached.len()
        };
        if count != self.target {
            return false;
        }
        if let Some(root) = self.root.upgrade() {
            let reason = format!("autocancel::testing cut at cancellation point #{count}");
            root.cancel(Cancelled::new(Cause::cancelled(Some(&reason))));
        }
        true
    }

    /// The points reached so far, in order.
    pub(crate) fn points(&self) -> Vec<&'static Location<'static>> {
        self.reached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Ctx {
    /// The countdown of the cancellation test this context belongs to, if any.
    #[inline(always)]
    pub(crate) fn cuts(&self) -> Option<&Cuts> {
        self.state.cuts.as_deref()
    }
}
