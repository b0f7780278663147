//! The ambient context: the [`Ctx`] of the running task or thread, read once at entry by every
//! `#[cancellable]` function that has no context parameter.
//!
//! Set for an async task by [`WithAmbient`] (what [`Group::spawn`](crate::Group::spawn) and
//! [`Ctx::scope`] wrap the task's future in), for a thread by [`enter`]
//! ([`Group::spawn_blocking`](crate::Group::spawn_blocking), [`Ctx::enter`]). Outside of those,
//! the ambient context is [`root`], which is never cancelled.

mod member;
mod over;
mod parked;
mod seat;
mod task_local;
mod task_name;
mod thread_local;

use std::future::Future;
use std::sync::OnceLock;

pub(crate) use member::{GroupId, Member};
#[cfg(loom)]
pub(crate) use over::OverList;
pub(crate) use parked::ParkedAt;
pub(crate) use seat::{Seat, Seats};
pub(crate) use task_local::{set_group, set_seat, set_task, with_group, TaskAmbient, WithAmbient};
pub(crate) use task_name::TaskName;
pub(crate) use thread_local::enter;
pub use thread_local::EnterGuard;

use crate::shield::ShieldDepths;
use crate::Ctx;

/// What a task or thread runs with: its context, and which task of which group it is.
#[derive(Clone)]
pub(crate) struct Ambient {
    pub(crate) ctx: Ctx,
    pub(crate) member: Member,
}

/// The running task, as the ambient sees it: the `Ambient` it runs with, and its own index and
/// name. For most tasks they are the ambient's own (`member.index`, `member.name`); a `Group`
/// task's ambient is its group's, shared by all its tasks, and its index and name come from its
/// [`Seat`].
#[derive(Clone, Copy)]
pub(crate) struct Here<'a> {
    pub(crate) ambient: &'a Ambient,
    pub(crate) index: usize,
    pub(crate) name: &'a TaskName,
}

impl<'a> Here<'a> {
    /// A task that runs with `ambient` as its own.
    #[inline]
    fn of(ambient: &'a Ambient) -> Here<'a> {
        Here {
            ambient,
            index: ambient.member.index,
            name: &ambient.member.name,
        }
    }

    /// The shield depths of the task's group (index them with `index`).
    #[inline]
    pub(crate) fn shields(&self) -> &'a ShieldDepths {
        &self.ambient.member.shields
    }

    /// Whether the task is inside a shielded section now.
    #[inline]
    fn is_shielded(&self) -> bool {
        self.shields().is_shielded(self.index)
    }

    /// The task's membership, owned.
    fn member(&self) -> Member {
        self.ambient.member.task(self.index, self.name)
    }
}

/// The never-cancelled context used outside any group.
pub(crate) fn root() -> Ctx {
    static ROOT: OnceLock<Ctx> = OnceLock::new();
    ROOT.get_or_init(Ctx::never).clone()
}

/// Calls `f` with the running task, else the thread's ambient, else `None`.
#[inline]
fn with<R>(f: impl FnOnce(Option<Here<'_>>) -> R) -> R {
    task_local::with(|task| match task {
        Some(here) => f(Some(here)),
        None => thread_local::with(|thread| f(thread.map(Here::of))),
    })
}

/// The ambient context, or the never-cancelled root. Inside a shielded section the root is
/// returned too: code called from a shield must not be cut short.
pub(crate) fn current() -> Ctx {
    with(|here| match here {
        Some(here) if !here.is_shielded() => here.ambient.ctx.clone(),
        _ => root(),
    })
}

/// Which task of which group is running, if any.
pub(crate) fn member() -> Option<Member> {
    with(|here| here.map(|here| here.member()))
}

/// Calls `f` with the running task, borrowed (no clone: a `Member` holds reference-counted
/// handles), if any.
#[inline]
pub(crate) fn with_here<R>(f: impl FnOnce(Here<'_>) -> R) -> Option<R> {
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
            member: Member::alone("Ctx::scope"),
        };
        WithAmbient::new(ambient, fut)
    }

    /// Makes this context the thread's ambient context until the guard is dropped. Use it in
    /// threads you start yourself; [`Group::spawn_blocking`](crate::Group::spawn_blocking) does it for you.
    pub fn enter(&self) -> EnterGuard {
        enter(Ambient {
            ctx: self.clone(),
            member: Member::alone("Ctx::enter"),
        })
    }
}
