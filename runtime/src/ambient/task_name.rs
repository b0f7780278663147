//! [`TaskName`]: how a task is named in straggler reports, causes and cancellation events.

use std::panic::Location;
use std::sync::Arc;

/// A task's name, rendered only when a report needs it: formatting a spawn location for every
/// task would cost more than spawning it.
#[derive(Debug, Clone)]
pub(crate) enum TaskName {
    Given(Arc<str>),
    /// A task of no group: `Ctx::scope`, `Ctx::enter`.
    Static(&'static str),
    SpawnedAt(&'static Location<'static>),
    /// A `TaskSet` task spawned there, with its tokio task id if it was read while the task
    /// was polled (for straggler reports: it tells apart the tasks of one line).
    InSet(&'static Location<'static>, Option<tokio::task::Id>),
}

impl TaskName {
    pub(crate) fn render(&self) -> Arc<str> {
        match self {
            TaskName::Given(name) => name.clone(),
            TaskName::Static(name) => Arc::from(*name),
            TaskName::SpawnedAt(at) | TaskName::InSet(at, _) => {
                format!("{}:{}:{}", at.file(), at.line(), at.column()).into()
            }
        }
    }
}
