//! [`Member`]: which task of which group the ambient context belongs to.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::TaskName;
use crate::shield::ShieldDepths;

/// A group's identity: a number drawn once per group (never reused in practice: 2^64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GroupId(NonZeroU64);

impl GroupId {
    pub(crate) fn new() -> GroupId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        GroupId(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN))
    }
}

/// What the ambient context carries besides the context: the running task's group, its index
/// in that group, and the group's shield depths (shared by the group and its tasks: one
/// allocation per group, not per task).
///
/// The tasks of groups do not hold a `Member` each: they share their group's, and what is their
/// own (index, name) is in the [`Here`](super::Here) their poller builds for each poll, the one
/// place a per-task field goes.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) group: GroupId,
    pub(crate) index: usize,
    pub(crate) shields: Arc<ShieldDepths>,
    /// The task's name, for the cancellation's debug event.
    pub(crate) name: TaskName,
}

impl Member {
    /// A new group's membership, named `name`: its own identity and shield depths. For a group
    /// (`Group`, `ScopedGroup`, `TaskSet`: its tasks' index and name are set per poll, in the
    /// `Here` their poller builds) and for a task of no group (`Ctx::scope`, `Ctx::enter`, a
    /// spawned or detached task: a group of one, for its own shield depth). The one place a
    /// membership is made.
    pub(crate) fn new(name: &'static str) -> Member {
        Member {
            group: GroupId::new(),
            index: 0,
            shields: Arc::default(),
            name: TaskName::Static(name),
        }
    }

    /// Task `index`, named `name`, of the group this is the membership of (its identity and
    /// shield depths).
    pub(crate) fn task(&self, index: usize, name: &TaskName) -> Member {
        Member {
            group: self.group,
            index,
            shields: self.shields.clone(),
            name: name.clone(),
        }
    }
}
