//! Shielded sections: code that a cancellation does not cut short. Inside one, the group does
//! not abort the task, and the ambient context reads as never cancelled.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::ambient::{self, Member};

/// Runs `fut` shielded: the group does not abort the task while it runs, and the
/// `#[cancellable]` functions it calls see a never-cancelled ambient context. For critical
/// sections that must not stop half-way (a write and its commit). Inside a `#[cancellable]`
/// body, `#[shield] { .. }` does the same for a block.
///
/// ```
/// use autocancel::{shield, Ctx, Group};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let mut group = Group::with_timeout(Duration::from_secs(1));
/// group.spawn(async {
///     shield(async {
///         assert!(!Ctx::current().is_cancelled());
///         tokio::time::sleep(Duration::from_secs(2)).await; // runs to the end
///     })
///     .await;
///     Ctx::current().check() // cancelled now
/// });
/// assert!(group.wait().await.is_err());
/// # }
/// ```
pub async fn shield<F: Future>(fut: F) -> F::Output {
    let _guard = ShieldGuard::enter();
    fut.await
}

/// Runs `f` shielded (see [`shield`]), for blocking code.
pub fn shield_blocking<R>(f: impl FnOnce() -> R) -> R {
    let _guard = ShieldGuard::enter();
    f()
}

/// Marks the running task as inside a shielded section until dropped: what [`shield`] and
/// `#[shield]` hold for the length of their section, for code that is neither a closure nor a
/// future (see [`shield`] for what a shield does).
///
/// Drop it in the task that entered it: it marks the task that was running when it was made.
/// Outside any group task it does nothing.
///
/// ```
/// use autocancel::{Ctx, Group, ShieldGuard};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut group: Group = Group::new();
/// group.spawn(async {
///     let guard = ShieldGuard::enter();
///     Ctx::current().check()?; // never cancelled while the guard lives
///     drop(guard);
///     Ok(())
/// });
/// group.wait().await.unwrap();
/// # }
/// ```
#[must_use = "the section is shielded only while the guard lives"]
pub struct ShieldGuard {
    member: Option<Member>,
}

impl ShieldGuard {
    /// Enters a shielded section of the running task, until the guard is dropped.
    pub fn enter() -> ShieldGuard {
        let member = ambient::member();
        if let Some(member) = &member {
            member.shields.enter(member.index);
        }
        ShieldGuard { member }
    }
}

impl Drop for ShieldGuard {
    fn drop(&mut self) {
        if let Some(member) = &self.member {
            member.shields.exit(member.index);
        }
    }
}

impl std::fmt::Debug for ShieldGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShieldGuard").finish_non_exhaustive()
    }
}

/// The shield depths of a group's tasks, shared by the group and its tasks: one allocation per
/// group rather than per task (spawning is otherwise allocation-for-allocation what
/// `JoinSet::spawn` is).
#[derive(Debug, Default)]
pub(crate) struct ShieldDepths {
    /// The sum of all depths: zero, the common case, answers "not shielded" without the lock.
    active: AtomicUsize,
    /// Task index to depth, for the tasks inside a shielded section now.
    depths: Mutex<HashMap<usize, usize>>,
    /// Where the group's tasks wait (for straggler reports): kept here, in the one allocation
    /// per group that every task already holds, rather than in another `Arc` cloned per spawn.
    pub(crate) parked: crate::ambient::ParkedAt,
}

impl ShieldDepths {
    fn depths(&self) -> MutexGuard<'_, HashMap<usize, usize>> {
        self.depths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the task `index` is inside a shielded section. Inline: every annotated call on
    /// a group's context asks, and the answer is almost always the load's.
    #[inline(always)]
    pub(crate) fn is_shielded(&self, index: usize) -> bool {
        self.any_shielded() && self.is_shielded_slow(index)
    }

    /// Whether any task of the group is inside a shielded section now.
    #[inline(always)]
    pub(crate) fn any_shielded(&self) -> bool {
        self.active.load(Ordering::Acquire) > 0
    }

    #[cold]
    #[inline(never)]
    fn is_shielded_slow(&self, index: usize) -> bool {
        self.depths().contains_key(&index)
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
