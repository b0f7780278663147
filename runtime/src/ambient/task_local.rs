//! The ambient context of an async task: [`WithAmbient`] sets it for the length of each poll
//! (and of the drop) of the task's future.

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::{Ambient, TaskName};

thread_local! {
    /// The ambient of the task being polled on this thread, set by [`set`] for the length of a
    /// closure (each poll of a [`WithAmbient`]). A pointer set and restored, like tokio's own
    /// `runtime/context/scoped.rs`, rather than tokio's `task_local!` (which swaps the value in
    /// and out of a `RefCell` twice per poll): this is paid on every poll of every group task.
    ///
    /// Invariant: it is null, or points to the `Ambient` borrowed by a call of [`set`] that has
    /// not returned yet, on this thread.
    static CURRENT: Cell<*const Ambient> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with `ambient` as the task's ambient (none if `None`), then restores the previous
/// one, also when `f` unwinds.
#[inline]
fn set<R>(ambient: Option<&Ambient>, f: impl FnOnce() -> R) -> R {
    /// Restores the previous pointer when `set` returns or unwinds.
    struct Reset(*const Ambient);

    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let pointer = ambient.map_or(ptr::null(), ptr::from_ref);
    let _reset = Reset(CURRENT.replace(pointer));
    f()
}

/// Runs `f` with the ambient of task `index`, named `name`, of the group whose ambient is
/// `group` (its context, its identity and its shield depths): for groups whose tasks share one
/// [`Ambient`] instead of holding one each, which would cost two reference counts per task.
///
/// Every per-task field of [`Member`](super::Member) must be set here from the task's own values
/// (today `index` and `name`); the others are the group's.
#[inline]
pub(crate) fn set_task<R>(
    group: &Ambient,
    index: usize,
    name: &TaskName,
    f: impl FnOnce() -> R,
) -> R {
    // SAFETY: a bitwise copy of `group` with the task's `index` and a bitwise copy of `name`,
    // never dropped (`ManuallyDrop`): it owns none of the reference counts it points to, it
    // borrows them from `group` and `name`, which outlive this call (they are borrowed for it).
    // It is only ever seen through the shared reference `set` lends for the length of `f`, so
    // nothing can move out of it or drop it; cloning it (`ambient::current`, `member`) takes new
    // reference counts from the originals, as cloning them would.
    let task = unsafe {
        let mut task = ManuallyDrop::new(ptr::read(group));
        task.member.index = index;
        // `write`, not an assignment: the field's old value is `group`'s, not ours to drop.
        ptr::write(&mut task.member.name, ptr::read(name));
        task
    };
    set(Some(&*task), f)
}

/// Runs `f` with `group` as the ambient, for a group that polls its tasks itself
/// ([`ScopedGroup`](crate::ScopedGroup)): each task, polled inside `f`, finds its group's
/// ambient with [`with_group`] and runs with its own index and name set into it ([`set_task`]).
#[inline]
pub(crate) fn set_group<R>(group: &Ambient, f: impl FnOnce() -> R) -> R {
    set(Some(group), f)
}

/// Calls `f` with the ambient [`set_group`] set: for a task polled by its group.
///
/// # Panics
///
/// Outside a [`set_group`] (a scoped task is only ever polled by its group, inside one).
#[inline]
pub(crate) fn with_group<R>(f: impl FnOnce(&Ambient) -> R) -> R {
    with(|group| match group {
        Some(group) => f(group),
        None => unreachable!("a scoped task polled outside its group's `wait`"),
    })
}

/// Calls `f` with the ambient of the task being polled on this thread, if any.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    let current = CURRENT.get();
    if current.is_null() {
        return f(None);
    }
    // SAFETY: by `CURRENT`'s invariant, `current` points to the `Ambient` borrowed by a call of
    // `set` still running on this thread (it is below us on the stack: we run inside its `f`).
    // That borrow is shared and lives for the whole call, so the `Ambient` is alive and not
    // mutated; calls of `set` nest like the stack frames they are, and each restores the
    // pointer it replaced before its borrow ends (`Reset`, also when unwinding). The reference
    // given to `f` cannot outlive this call: `f` is generic over its lifetime.
    f(Some(unsafe { &*current }))
}

pin_project_lite::pin_project! {
    /// A future with an ambient context: while it is polled, and when it is dropped, its
    /// `ambient` is the task's.
    pub(crate) struct WithAmbient<F> {
        ambient: Option<Ambient>,
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for WithAmbient<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Dropped with its ambient set, as it would be polled.
                set(this.ambient.as_ref(), || fut.set(None));
            }
        }
    }
}

impl<F> WithAmbient<F> {
    /// Runs `fut` with `ambient` as its task's ambient context.
    pub(crate) fn new(ambient: Ambient, fut: F) -> WithAmbient<F> {
        WithAmbient {
            ambient: Some(ambient),
            fut: Some(fut),
        }
    }
}

impl<F: Future> Future for WithAmbient<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut fut = this.fut;
        set(this.ambient.as_ref(), || {
            let Some(inner) = fut.as_mut().as_pin_mut() else {
                panic!("`WithAmbient` polled after completion");
            };
            let output = inner.poll(cx);
            if output.is_ready() {
                fut.set(None); // dropped with its ambient set
            }
            output
        })
    }
}
