//! The runtime of [`autocancel`](https://docs.rs/autocancel): contexts, deadlines, causes and
//! an errgroup-style [`Group`], plus the small `__private` API that `#[cancellable]` generates
//! calls to. Depend on the `autocancel` crate, which re-exports all of this with the macro.

#![warn(missing_docs)]

mod ambient;
mod cancelled;
mod cause;
mod ctx;
mod deadline;
mod group;
mod sleep;
mod sync;

#[doc(hidden)]
pub mod __private;

pub use ambient::{EnterGuard, ShieldGuard};
pub use cancelled::Cancelled;
pub use cause::Cause;
pub use ctx::{Ctx, WaitForCancellation};
pub use deadline::Deadline;
pub use group::{Group, Report, Straggler, TaskKind, DEFAULT_GRACE};
pub use sleep::{sleep, sleep_blocking};

use std::future::Future;

/// Runs `fut` shielded: the group does not abort the task while it runs, and the
/// `#[cancellable]` functions it calls see a never-cancelled ambient context. For critical
/// sections that must not stop half-way (a write and its commit). Inside a `#[cancellable]`
/// body, `#[shield] { .. }` does the same for a block.
///
/// ```
/// use autocancel_runtime::{shield, Ctx, Group};
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
