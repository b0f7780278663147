//! The countdown a test context carries: every cancellation point it reaches is counted (and its
//! location kept), and the target-th one cancels the test's root context.
//!
//! Consulted only on the slow paths: a context with cuts gives its `#[cancellable]` calls a pacer
//! that sends every checkpoint to the slow path, and an `.await`'s race asks on its first poll.
//! Without the `testing` feature, none of this is compiled.

use std::panic::Location;
use std::sync::Mutex;

use crate::ctx::WeakRoot;
use crate::{Cause, Ctx};

pub(crate) struct Cuts {
    /// The test's root context, cancelled at the target-th point (weak: the root holds us).
    root: WeakRoot,
    /// Cut at the target-th point reached (1-based).
    target: usize,
    /// Every point reached, in order (the runs' report needs them all).
    reached: Mutex<Vec<&'static Location<'static>>>,
}

impl Cuts {
    /// A test root context whose `target`-th cancellation point cancels it.
    pub(crate) fn root(target: usize) -> Ctx {
        Ctx::test_root(|root| Cuts {
            root,
            target,
            reached: Mutex::new(Vec::new()),
        })
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
            root.cancel_with(Cause::cancelled(Some(&reason)));
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
