//! The ambient context: the [`Ctx`] of the running task or thread, read once at entry by every
//! `#[cancellable]` function that has no context parameter.
//!
//! Set for an async task by [`WithAmbient`] (what [`Group::spawn`](crate::Group::spawn) and
//! [`Ctx::scope`] wrap the task's future in), for a thread by [`enter`]
//! ([`Group::spawn_blocking`](crate::Group::spawn_blocking), [`Ctx::enter`]). Outside of those,
//! the ambient context is [`root`], which is never cancelled.

mod member;
mod parked;
mod task_local;
mod task_name;
mod thread_local;

use std::future::Future;
use std::sync::OnceLock;

pub(crate) use member::{GroupId, Member};
pub(crate) use parked::ParkedAt;
pub(crate) use task_local::{set_group, set_task, with_group, TaskAmbient, WithAmbient};
pub(crate) use task_name::TaskName;
pub(crate) use thread_local::enter;
pub use thread_local::EnterGuard;

use crate::Ctx;

/// What a task or thread runs with: its context, and which task of which group it is.
#[derive(Clone)]
pub(crate) struct Ambient {
    pub(crate) ctx: Ctx,
    pub(crate) member: Member,
}

/// The never-cancelled context used outside any group.
pub(crate) fn root() -> Ctx {
    static ROOT: OnceLock<Ctx> = OnceLock::new();
    ROOT.get_or_init(Ctx::never).clone()
}

/// Calls `f` with the ambient of the running task, else of the thread, else `None`.
#[inline]
fn with<R>(f: impl FnOnce(Option<&Ambient>) -> R) -> R {
    task_local::with(|task| match task {
        Some(ambient) => f(Some(ambient)),
        None => thread_local::with(f),
    })
}

/// The ambient context, or the never-cancelled root. Inside a shielded section the root is
/// returned too: code called from a shield must not be cut short.
pub(crate) fn current() -> Ctx {
    with(|ambient| match ambient {
        Some(a) if !a.member.is_shielded() => a.ctx.clone(),
        _ => root(),
    })
}

/// Which task of which group is running, if any.
pub(crate) fn member() -> Option<Member> {
    with(|ambient| ambient.map(|a| a.member.clone()))
}

/// Calls `f` with the running task's group membership, borrowed (no clone: a `Member` holds a
/// reference-counted handle), if any.
#[inline]
pub(crate) fn with_member<R>(f: impl FnOnce(&Member) -> R) -> Option<R> {
    with(|ambient| ambient.map(|a| f(&a.member)))
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
