//! The ambient context: the [`Ctx`] of the running task or thread, set by
//! [`Group::spawn`](crate::Group::spawn) (a tokio task-local) and
//! [`Group::spawn_blocking`](crate::Group::spawn_blocking) (a thread-local), and read once at
//! entry by every `#[cancellable]` function that has no context parameter.

use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::task::futures::TaskLocalFuture;

use crate::Ctx;

/// What a group task carries besides its context: its name, and how deep in shielded sections it
/// is (so the group does not abort it mid-section).
#[derive(Debug)]
pub(crate) struct TaskState {
    name: TaskName,
    shield_depth: AtomicUsize,
}

/// A task's name, rendered only when a report needs it: formatting a spawn location for every
/// task would cost more than spawning it.
#[derive(Debug, Clone)]
pub(crate) enum TaskName {
    Given(Arc<str>),
    SpawnedAt(&'static Location<'static>),
}

impl TaskState {
    pub(crate) fn name(&self) -> Arc<str> {
        match &self.name {
            TaskName::Given(name) => name.clone(),
            TaskName::SpawnedAt(at) => {
                format!("{}:{}:{}", at.file(), at.line(), at.column()).into()
            }
        }
    }

    pub(crate) fn new(name: TaskName) -> Arc<TaskState> {
        Arc::new(TaskState {
            name,
            shield_depth: AtomicUsize::new(0),
        })
    }

    pub(crate) fn is_shielded(&self) -> bool {
        self.shield_depth.load(Ordering::Acquire) > 0
    }
}

#[derive(Clone)]
pub(crate) struct Ambient {
    pub(crate) ctx: Ctx,
    pub(crate) task: Option<Arc<TaskState>>,
}

tokio::task_local! {
    static TASK: Ambient;
}

thread_local! {
    static THREAD: RefCell<Option<Ambient>> = const { RefCell::new(None) };
}

/// The never-cancelled context used outside any group.
pub(crate) fn root() -> Ctx {
    static ROOT: OnceLock<Ctx> = OnceLock::new();
    ROOT.get_or_init(Ctx::new).clone()
}

/// Calls `f` with the ambient of the running task, else of the thread, else `None`.
fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    let mut f = Some(f);
    if let Ok(r) = TASK.try_with(|a| (f.take().expect("called once"))(Some(a))) {
        return r;
    }
    let f = f.take().expect("not called yet");
    THREAD.with(|t| f(t.borrow().as_ref()))
}

/// The ambient context, or the never-cancelled root. Inside a shielded section the root is
/// returned too: code called from a shield must not be cut short.
pub(crate) fn current() -> Ctx {
    with(|ambient| match ambient {
        Some(a) if !a.task.as_ref().is_some_and(|t| t.is_shielded()) => a.ctx.clone(),
        _ => root(),
    })
}

/// The state of the running group task, if any.
pub(crate) fn task() -> Option<Arc<TaskState>> {
    with(|ambient| ambient.and_then(|a| a.task.clone()))
}

/// Runs `fut` with `ambient` as its task's ambient context.
pub(crate) fn scope<F: Future>(ambient: Ambient, fut: F) -> TaskLocalFuture<Ambient, F> {
    TASK.scope(ambient, fut)
}

/// Whether the ambient context is cancelled, without cloning it.
pub(crate) fn is_cancelled() -> bool {
    with(|ambient| ambient.is_some_and(|a| a.ctx.is_cancelled()))
}

/// Sets the thread's ambient context until the guard is dropped (restoring the previous one,
/// also when unwinding).
pub(crate) fn enter(ambient: Ambient) -> EnterGuard {
    let previous = THREAD.with(|t| t.replace(Some(ambient)));
    EnterGuard { previous }
}

/// Restores the thread's previous ambient context on drop. See [`Ctx::enter`].
#[must_use = "the context is ambient only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Ambient>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        THREAD.with(|t| *t.borrow_mut() = previous);
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Marks the running group task as inside a shielded section until dropped.
#[must_use = "the section is shielded only while the guard lives"]
pub struct ShieldGuard {
    task: Option<Arc<TaskState>>,
}

impl ShieldGuard {
    pub(crate) fn enter() -> ShieldGuard {
        let task = task();
        if let Some(task) = &task {
            task.shield_depth.fetch_add(1, Ordering::AcqRel);
        }
        ShieldGuard { task }
    }
}

impl Drop for ShieldGuard {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.shield_depth.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl std::fmt::Debug for ShieldGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShieldGuard").finish_non_exhaustive()
    }
}
