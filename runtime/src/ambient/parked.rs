//! [`ParkedAt`]: where each task of a group is waiting, for the straggler report.
//!
//! Written by an `.await` of a `#[cancellable]` function when it blocks at a place other than
//! the one its call last reported (so once per call in the usual loop, never on a poll that
//! completes), and cleared when that call returns: off the hot path. Read only by the group,
//! when it reports a straggler.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Mutex, MutexGuard};

use tokio::time::Instant;

/// Where a task waits: the `.await`, since when, and which call (the address of its scope, for
/// clearing only its own entry).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parked {
    pub(crate) at: &'static Location<'static>,
    pub(crate) since: Instant,
    call: usize,
}

/// Task index to where it waits, for the tasks of one group.
#[derive(Debug, Default)]
pub(crate) struct ParkedAt {
    tasks: Mutex<HashMap<usize, Parked>>,
}

impl ParkedAt {
    fn tasks(&self) -> MutexGuard<'_, HashMap<usize, Parked>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Task `index` waits at `at` from now, in the call identified by `call`. With nested
    /// `#[cancellable]` calls the last to report wins (each reports only when it moves).
    pub(crate) fn park(&self, index: usize, call: usize, at: &'static Location<'static>) {
        let since = Instant::now();
        self.tasks().insert(index, Parked { at, since, call });
    }

    /// The call `call` of task `index` has returned: its place no longer says where the task is.
    pub(crate) fn leave(&self, index: usize, call: usize) {
        let mut tasks = self.tasks();
        if tasks.get(&index).is_some_and(|parked| parked.call == call) {
            tasks.remove(&index);
        }
    }

    /// Where task `index` waits, if an `.await` of a `#[cancellable]` call of it is blocked.
    pub(crate) fn get(&self, index: usize) -> Option<Parked> {
        self.tasks().get(&index).copied()
    }
}
