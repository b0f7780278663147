//! The ambient context: the [`Ctx`] of the running task or thread, read by every check of a
//! `#[cancellable]` function that has no context parameter (borrowed for the check: no reference
//! count is taken, so calls on many workers write nothing they share).
//!
//! What the running code sees is a [`Here`], set for the length of each poll of a task (and of a
//! blocking task's body) by whoever runs it ([`set`]): [`WithAmbient`] (what [`Ctx::scope`] and
//! inherited spawns wrap a future in), a `Group` task's seat, a `TaskSet` or `ScopedGroup` task.
//! A thread users start sets its own with [`Ctx::enter`] (`enter.rs`). Outside of those, the
//! ambient context is [`root`], which is never cancelled.

mod enter;
mod member;
mod parked;
mod scoped;
mod task_name;
mod with_ambient;

use std::future::Future;
use std::sync::OnceLock;

pub(crate) use enter::enter;
pub use enter::EnterGuard;
pub(crate) use member::Member;
pub(crate) use parked::ParkedAt;
pub(crate) use scoped::set;
pub(crate) use task_name::TaskName;
pub(crate) use with_ambient::WithAmbient;

use crate::ctx::Flags;
use crate::shield::ShieldDepths;
use crate::Ctx;

/// What a task or thread runs with: its context, and which task of which group it is.
#[derive(Clone)]
pub(crate) struct Ambient {
    pub(crate) ctx: Ctx,
    pub(crate) member: Member,
}

/// What the running code sees: the [`Ambient`] it runs with, and the running task's own index
/// and name. For most tasks they are the ambient's own (`member.index`, `member.name`); the
/// tasks of a group share their group's ambient, and their index and name are their own (a
/// `Group` task's from its seat, a `TaskSet` or `ScopedGroup` task's from its entry). Built on
/// the stack by whoever polls a task, for the length of the poll ([`set`]), and read through
/// [`with`]: every per-task field is here, in one place.
#[derive(Clone, Copy)]
pub(crate) struct Here<'a> {
    pub(crate) ambient: &'a Ambient,
    /// The ambient context's flag word ([`Flags`]): a call's check reads it from here.
    pub(crate) flags: Flags<'a>,
    pub(crate) index: TaskIndex<'a>,
    /// Its name, for a task of a [`TaskIndex::Known`] index; a `TaskSet` task's is kept with its
    /// lazy index ([`LazyIndex::name`]), and this is its set's.
    pub(crate) name: &'a TaskName,
}

/// A task's index in its group (what its shield depth and where it waits are kept under):
/// known when it starts, or taken the first time something asks for it.
#[derive(Clone, Copy)]
pub(crate) enum TaskIndex<'a> {
    /// A `Group` or `ScopedGroup` task's (its seat's, its entry's), a task of no group's (0).
    Known(usize),
    /// A `TaskSet` task's: most end without entering a shielded section or parking in an
    /// annotated call, and so without ever needing one (taking one costs a lock).
    Lazy(&'a dyn LazyIndex),
}

/// A task index taken when first asked for ([`TaskIndex::Lazy`]).
pub(crate) trait LazyIndex {
    /// The index, taken now if it was not yet.
    fn get(&self) -> usize;
    /// The index, if taken: a task without one is in no shielded section and waits nowhere.
    fn taken(&self) -> Option<usize>;
    /// The task's name (kept with its index, not in [`Here`]: what a `TaskSet` task keeps of it
    /// is smaller than a [`TaskName`]).
    fn name(&self) -> TaskName;
}

impl<'a> Here<'a> {
    /// A task that runs with `ambient` as its own.
    #[inline]
    pub(crate) fn of(ambient: &'a Ambient) -> Here<'a> {
        Here {
            ambient,
            flags: ambient.ctx.flags(),
            index: TaskIndex::Known(ambient.member.index),
            name: &ambient.member.name,
        }
    }

    /// The task's index in its group, taken now if it had none yet ([`TaskIndex::Lazy`]).
    #[inline]
    pub(crate) fn index(&self) -> usize {
        match self.index {
            TaskIndex::Known(index) => index,
            TaskIndex::Lazy(lazy) => lazy.get(),
        }
    }

    /// The context the running code sees.
    #[inline(always)]
    pub(crate) fn ctx(&self) -> &'a Ctx {
        &self.ambient.ctx
    }

    /// The shield depths of the task's group (index them with `index`).
    #[inline]
    pub(crate) fn shields(&self) -> &'a ShieldDepths {
        &self.ambient.member.shields
    }

    /// Whether the task is inside a shielded section now.
    #[inline(always)]
    pub(crate) fn is_shielded(&self) -> bool {
        self.shields().any_shielded() && self.is_shielded_slow()
    }

    #[cold]
    #[inline(never)]
    fn is_shielded_slow(&self) -> bool {
        let index = match self.index {
            TaskIndex::Known(index) => Some(index),
            TaskIndex::Lazy(lazy) => lazy.taken(),
        };
        index.is_some_and(|index| self.shields().is_shielded(index))
    }

    /// The task's membership, owned.
    fn member(&self) -> Member {
        match self.index {
            TaskIndex::Known(index) => self.ambient.member.task(index, self.name),
            TaskIndex::Lazy(lazy) => self.ambient.member.task(lazy.get(), &lazy.name()),
        }
    }
}

/// The never-cancelled context used outside any group.
pub(crate) fn root() -> Ctx {
    root_ref().clone()
}

/// The never-cancelled context, borrowed: no reference count taken (every worker would write
/// the same one).
#[inline]
pub(crate) fn root_ref() -> &'static Ctx {
    static ROOT: OnceLock<Ctx> = OnceLock::new();
    ROOT.get_or_init(Ctx::never)
}

/// The ambient context, or the never-cancelled root. Inside a shielded section the root is
/// returned too: code called from a shield must not be cut short.
pub(crate) fn current() -> Ctx {
    with(|here| match here {
        Some(here) if !here.is_shielded() => here.ctx().clone(),
        _ => root(),
    })
}

/// Calls `f` with what the running code sees: the task being polled on this thread, else the
/// thread's ambient ([`Ctx::enter`]), else `None`.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(Option<&Here<'_>>) -> R) -> R {
    scoped::with(|task| match task {
        Some(here) => f(Some(here)),
        None => with_thread(f),
    })
}

#[inline]
fn with_thread<R>(f: impl FnOnce(Option<&Here<'_>>) -> R) -> R {
    enter::with(|thread| f(thread.map(Here::of).as_ref()))
}

/// Which task of which group is running, if any.
pub(crate) fn member() -> Option<Member> {
    with(|here| here.map(Here::member))
}

/// Calls `f` with the running task, borrowed (no clone: a `Member` holds reference-counted
/// handles), if any.
#[inline]
pub(crate) fn with_here<R>(f: impl FnOnce(&Here<'_>) -> R) -> Option<R> {
    with(|here| here.map(f))
}

/// The ambient context, seen from [`Ctx`].
impl Ctx {
    /// The ambient context of the running task or thread: the group's context inside a task
    /// started by [`Group::spawn`](crate::Group::spawn) or [`Group::spawn_blocking`](crate::Group::spawn_blocking), the one set by [`Ctx::scope`] or
    /// [`Ctx::enter`]; outside of those, a context that is never cancelled. Inside a shielded
    /// section ([`shield`](crate::shield), `#[shield]`) it is never cancelled either.
    pub fn current() -> Ctx {
        current()
    }

    /// Runs `fut` with this context as its ambient context ([`Ctx::current`] inside it, and so
    /// every `#[cancellable]` function without a context parameter). Use it for tasks spawned with
    /// plain `tokio::spawn`; [`Group::spawn`](crate::Group::spawn) does it for you.
    pub fn scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        let ambient = Ambient {
            ctx: self.clone(),
            member: Member::new("Ctx::scope"),
        };
        WithAmbient::new(ambient, fut)
    }

    /// Makes this context the thread's ambient context until the guard is dropped. Use it in
    /// threads you start yourself; [`Group::spawn_blocking`](crate::Group::spawn_blocking) does it for you.
    ///
    /// # Panics
    ///
    /// Guards must be dropped in the reverse order of their creation: dropping one while a
    /// guard created after it is still alive panics (as tokio's `Handle::enter` does).
    pub fn enter(&self) -> EnterGuard {
        enter(Ambient {
            ctx: self.clone(),
            member: Member::new("Ctx::enter"),
        })
    }
}
