//! The ambient context of an async task: [`WithAmbient`] sets it for the length of each poll
//! (and of the drop) of the task's future; a `Group` task sets its [`Seat`] ([`set_seat`]).

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::seat::{self, Seat};
use super::{Ambient, Here, TaskName};

/// Marks a [`CURRENT`] word that is a seat's ([`Seat::ambient_word`]), not an `Ambient`'s
/// address (which is aligned, so its low bit is clear).
pub(super) const SEAT_TAG: usize = 1;

thread_local! {
    /// The ambient of the task being polled on this thread, set by [`set_word`] for the length
    /// of a closure (each poll of a [`WithAmbient`] or of a `Group` task). A word set and
    /// restored, like tokio's own `runtime/context/scoped.rs`, rather than tokio's `task_local!`
    /// (which swaps the value in and out of a `RefCell` twice per poll): this is paid on every
    /// poll of every group task.
    ///
    /// Invariant: it is null; or the address of the `Ambient` borrowed by a call of [`set`] that
    /// has not returned yet, on this thread; or, tagged with [`SEAT_TAG`], the ambient word of
    /// the `Seat` borrowed by a call of [`set_seat`] that has not returned yet, on this thread.
    static CURRENT: Cell<*const ()> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with `word` as the task's ambient (see [`CURRENT`]), then restores the previous
/// one, also when `f` unwinds. The caller borrows what `word` stands for for the whole call.
#[inline]
fn set_word<R>(word: *const (), f: impl FnOnce() -> R) -> R {
    /// Restores the previous word when `set_word` returns or unwinds.
    struct Reset(*const ());

    impl Drop for Reset {
        // Inline: this runs after every poll of every group task.
        #[inline]
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }

    let _reset = Reset(CURRENT.replace(word));
    f()
}

/// Runs `f` with `ambient` as the task's ambient (none if `None`), then restores the previous
/// one, also when `f` unwinds.
#[inline]
fn set<R>(ambient: Option<&Ambient>, f: impl FnOnce() -> R) -> R {
    let word: *const () = ambient.map_or(ptr::null(), ptr::from_ref).cast();
    debug_assert_eq!(word.addr() & SEAT_TAG, 0, "an `Ambient` is aligned");
    set_word(word, f)
}

/// Runs `f` with the ambient of the `Group` task sitting in `seat`: its group's, with its own
/// index and name.
#[inline]
pub(crate) fn set_seat<R>(seat: &Seat, f: impl FnOnce() -> R) -> R {
    set_word(seat.ambient_word(), f)
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

/// The ambient of one task of a group, borrowed from the group's shared [`Ambient`]: the group's
/// context, identity and shield depths without a reference count of their own, and the task's
/// own index and name. Built once per task, so that each poll only sets a pointer
/// ([`TaskAmbient::set`]), as [`WithAmbient`] does.
pub(crate) struct TaskAmbient(ManuallyDrop<Ambient>);

impl TaskAmbient {
    /// Task `index`, named `name`, of the group whose ambient is `group`. Every per-task field
    /// of [`Member`](super::Member) must be set here from the task's own values (today `index`
    /// and `name`); the others are the group's.
    ///
    /// # Safety
    ///
    /// What `group` refers to (its context's and shield depths' allocations) must outlive the
    /// result: hold a reference count to `group` (an `Arc` of it) for as long as it lives.
    pub(crate) unsafe fn borrow(group: &Ambient, index: usize, name: TaskName) -> TaskAmbient {
        // SAFETY: a bitwise copy of `group` that is never dropped as a whole (`ManuallyDrop`): it
        // owns none of the reference counts of the group's fields, which the caller keeps alive.
        // It owns only `name`, moved in over the group's (`write`: the old value is the group's,
        // not ours to drop), and dropped in `Drop`. It is only ever seen through a shared
        // reference, so nothing can move out of it; cloning it takes new reference counts from
        // the originals, as cloning them would.
        unsafe {
            let mut task = ManuallyDrop::new(ptr::read(group));
            task.member.index = index;
            ptr::write(&mut task.member.name, name);
            TaskAmbient(task)
        }
    }

    /// The task's ambient.
    #[inline]
    pub(crate) fn get(&self) -> &Ambient {
        &self.0
    }

    /// Runs `f` with this as the task's ambient, then restores the previous one.
    #[inline]
    pub(crate) fn set<R>(&self, f: impl FnOnce() -> R) -> R {
        set(Some(&self.0), f)
    }
}

impl Drop for TaskAmbient {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the name is the one field this copy owns (see `borrow`); dropped once, here.
        unsafe { ptr::drop_in_place(&mut self.0.member.name) }
    }
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
    let current = CURRENT.get();
    if current.is_null() || current.addr() & SEAT_TAG != 0 {
        unreachable!("a scoped task polled outside its group's `wait`");
    }
    // SAFETY: as in `with`: `current` is the address of the `Ambient` borrowed by a call of
    // `set_word` below us on this thread's stack (`set_group`'s), alive and shared for its length.
    f(unsafe { &*current.cast::<Ambient>() })
}

/// Calls `f` with the task being polled on this thread, if any.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(Option<Here<'_>>) -> R) -> R {
    let current = CURRENT.get();
    if current.is_null() {
        return f(None);
    }
    // SAFETY: by `CURRENT`'s invariant, `current` stands for the `Ambient` or the `Seat`
    // borrowed by a call of `set_word` still running on this thread (it is below us on the
    // stack: we run inside its `f`). That borrow is shared and lives for the whole call, so what
    // it borrows is alive and not mutated (a seat's row, which the seat keeps alive, is only
    // read); calls of `set_word` nest like the stack frames they are, and each restores the word
    // it replaced before its borrow ends (`Reset`, also when unwinding). The references given to
    // `f` cannot outlive this call: `f` is generic over their lifetime.
    let here = unsafe {
        if current.addr() & SEAT_TAG != 0 {
            let (ambient, index, name) = seat::decode(current);
            Here {
                ambient,
                index,
                name,
            }
        } else {
            Here::of(&*current.cast::<Ambient>())
        }
    };
    f(Some(here))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ambient::{current, member, Member};
    use crate::Ctx;

    fn group_ambient() -> Arc<Ambient> {
        Arc::new(Ambient {
            ctx: Ctx::new(),
            member: Member::alone("group"),
        })
    }

    /// What the ambient says while `f`'s ambient is set: the context, and the member's index and
    /// rendered name (both cloned out, as the crate's readers do).
    fn seen() -> (Ctx, usize, Arc<str>) {
        let member = member().unwrap();
        (current(), member.index, member.name.render())
    }

    #[test]
    fn a_task_ambient_is_the_groups_with_its_own_index_and_name() {
        let group = group_ambient();
        // A name that owns an allocation: dropped once, by the task's ambient.
        // SAFETY: `group` is held until the end of the test, after `task` is dropped.
        let task = unsafe { TaskAmbient::borrow(&group, 7, TaskName::Given("seven".into())) };
        let (ctx, index, name) = task.set(seen);
        assert!(ctx.same_as(&group.ctx));
        assert_eq!((index, &*name), (7, "seven"));
        // The group's own fields are untouched, and outlive the clones taken from the task's.
        assert_eq!(group.member.index, 0);
        drop(task);
        assert_eq!(&*group.member.name.render(), "group");
        assert!(ctx.same_as(&group.ctx));
        assert!(member().is_none(), "restored");
    }

    #[test]
    fn set_task_lends_the_task_an_ambient_for_the_call_only() {
        let group = group_ambient();
        let name = TaskName::Given("three".into());
        let (ctx, index, seen_name) = set_group(&group, || {
            with_group(|group| set_task(group, 3, &name, seen))
        });
        assert!(ctx.same_as(&group.ctx));
        assert_eq!((index, &*seen_name), (3, "three"));
        drop(name);
        assert_eq!(group.member.index, 0);
        assert!(member().is_none(), "restored");
    }
}
