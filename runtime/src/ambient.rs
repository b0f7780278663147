//! The ambient context: the [`Ctx`] of the running task or thread, set by
//! [`Group::spawn`](crate::Group::spawn) (a task-local, see [`Scoped`]) and
//! [`Group::spawn_blocking`](crate::Group::spawn_blocking) (a thread-local), and read once at
//! entry by every `#[cancellable]` function that has no context parameter.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use crate::Ctx;

/// The shield depths of a group's tasks, shared by the group and its tasks: one allocation per
/// group rather than per task (spawning is otherwise allocation-for-allocation what
/// `JoinSet::spawn` is).
#[derive(Debug, Default)]
pub(crate) struct Shields {
    /// The sum of all depths: zero, the common case, answers "not shielded" without the lock.
    active: AtomicUsize,
    /// Task index to depth, for the tasks inside a shielded section now.
    depths: Mutex<HashMap<usize, usize>>,
}

impl Shields {
    fn depths(&self) -> std::sync::MutexGuard<'_, HashMap<usize, usize>> {
        self.depths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the task `index` is inside a shielded section.
    pub(crate) fn is_shielded(&self, index: usize) -> bool {
        self.active.load(Ordering::Acquire) > 0 && self.depths().contains_key(&index)
    }

    fn enter(&self, index: usize) {
        *self.depths().entry(index).or_default() += 1;
        self.active.fetch_add(1, Ordering::AcqRel);
    }

    fn exit(&self, index: usize) {
        let mut depths = self.depths();
        if let Some(depth) = depths.get_mut(&index) {
            *depth -= 1;
            if *depth == 0 {
                depths.remove(&index);
            }
            self.active.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// What a group task carries besides its context: which task of which group it is (for its
/// shield depth) and its name.
#[derive(Debug, Clone)]
pub(crate) struct TaskRef {
    pub(crate) shields: Arc<Shields>,
    pub(crate) index: usize,
    pub(crate) name: TaskName,
}

/// A task's name, rendered only when a report needs it: formatting a spawn location for every
/// task would cost more than spawning it.
#[derive(Debug, Clone)]
pub(crate) enum TaskName {
    Given(Arc<str>),
    SpawnedAt(&'static Location<'static>),
}

impl TaskName {
    pub(crate) fn render(&self) -> Arc<str> {
        match self {
            TaskName::Given(name) => name.clone(),
            TaskName::SpawnedAt(at) => {
                format!("{}:{}:{}", at.file(), at.line(), at.column()).into()
            }
        }
    }
}

impl TaskRef {
    /// A task of no group (a [`Ctx::scope`] or [`Ctx::enter`]): its own shield depth only.
    pub(crate) fn alone(name: &'static str) -> TaskRef {
        TaskRef {
            shields: Arc::default(),
            index: 0,
            name: TaskName::Given(name.into()),
        }
    }

    pub(crate) fn is_shielded(&self) -> bool {
        self.shields.is_shielded(self.index)
    }
}

#[derive(Clone)]
pub(crate) struct Ambient {
    pub(crate) ctx: Ctx,
    pub(crate) task: Option<TaskRef>,
}

thread_local! {
    /// The ambient of the task being polled on this thread: a task-local, set by [`Scoped`] for
    /// the length of each poll. A pointer set and restored, rather than tokio's `task_local!`
    /// (which swaps the value in and out of a `RefCell` twice per poll): this is paid on every
    /// poll of every group task.
    static TASK: Cell<*const Ambient> = const { Cell::new(ptr::null()) };
    static THREAD: RefCell<Option<Ambient>> = const { RefCell::new(None) };
}

/// The never-cancelled context used outside any group.
pub(crate) fn root() -> Ctx {
    static ROOT: OnceLock<Ctx> = OnceLock::new();
    ROOT.get_or_init(Ctx::new).clone()
}

/// Calls `f` with the ambient of the running task, else of the thread, else `None`.
fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    let task = TASK.get();
    if !task.is_null() {
        // SAFETY: `TASK` is non-null only while a `Scoped` polls or drops its future, on this
        // thread, and then points to that `Scoped`'s `ambient` field, which is neither moved
        // (the `Scoped` is pinned) nor mutated (it is only read) until `SetTask` restores the
        // previous value, also when unwinding. `f` cannot keep the reference: it is generic over
        // its lifetime.
        return f(Some(unsafe { &*task }));
    }
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
pub(crate) fn task() -> Option<TaskRef> {
    with(|ambient| ambient.and_then(|a| a.task.clone()))
}

/// Runs `fut` with `ambient` as its task's ambient context.
pub(crate) fn scope<F: Future>(ambient: Ambient, fut: F) -> Scoped<F> {
    Scoped {
        ambient: Some(ambient),
        fut: Some(fut),
    }
}

pin_project_lite::pin_project! {
    /// A future with an ambient context: while it is polled, and when it is dropped, its
    /// `ambient` is the task's (see [`scope`]).
    pub(crate) struct Scoped<F> {
        ambient: Option<Ambient>,
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for Scoped<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Dropped with its ambient set, as it would be polled.
                let _set = SetTask::new(this.ambient.as_ref());
                fut.set(None);
            }
        }
    }
}

impl<F> Scoped<F> {
    /// Takes the ambient back (once the future is done).
    pub(crate) fn take_ambient(self: Pin<&mut Self>) -> Option<Ambient> {
        self.project().ambient.take()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut fut = this.fut;
        let _set = SetTask::new(this.ambient.as_ref());
        let Some(inner) = fut.as_mut().as_pin_mut() else {
            panic!("`Scoped` polled after completion");
        };
        let output = inner.poll(cx);
        if output.is_ready() {
            fut.set(None); // dropped with its ambient set
        }
        output
    }
}

/// Sets [`TASK`] until dropped, then restores the previous value (also when unwinding).
struct SetTask {
    previous: *const Ambient,
}

impl SetTask {
    fn new(ambient: Option<&Ambient>) -> SetTask {
        let current = ambient.map_or(ptr::null(), ptr::from_ref);
        SetTask {
            previous: TASK.replace(current),
        }
    }
}

impl Drop for SetTask {
    fn drop(&mut self) {
        TASK.set(self.previous);
    }
}

/// Whether the ambient context is cancelled, without cloning it.
pub(crate) fn is_cancelled() -> bool {
    with(|ambient| ambient.is_some_and(|a| a.ctx.is_cancelled()))
}

/// Sets the thread's ambient context until the guard is dropped (restoring the previous one,
/// also when unwinding).
pub(crate) fn enter(ambient: Ambient) -> EnterGuard {
    let previous = THREAD.with(|t| t.replace(Some(ambient)));
    EnterGuard {
        previous,
        _thread_bound: std::marker::PhantomData,
    }
}

/// Restores the thread's previous ambient context on drop. See [`Ctx::enter`].
///
/// Guards nest: drop them in the reverse order of their creation (as scopes do), or the thread is
/// left with the context of a guard already gone. It stays on the thread that created it.
#[must_use = "the context is ambient only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Ambient>,
    /// `!Send`: dropped on another thread, it would set that thread's context.
    _thread_bound: std::marker::PhantomData<*const ()>,
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
    task: Option<TaskRef>,
}

impl ShieldGuard {
    pub(crate) fn enter() -> ShieldGuard {
        let task = task();
        if let Some(task) = &task {
            task.shields.enter(task.index);
        }
        ShieldGuard { task }
    }
}

impl Drop for ShieldGuard {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.shields.exit(task.index);
        }
    }
}

impl std::fmt::Debug for ShieldGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShieldGuard").finish_non_exhaustive()
    }
}
