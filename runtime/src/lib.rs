//! The runtime of [`autocancel`](https://docs.rs/autocancel): contexts, deadlines, causes and
//! an errgroup-style [`Group`], plus the small `__private` API that `#[cancellable]` generates
//! calls to. Depend on the `autocancel` crate, which re-exports all of this with the macro.

#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, see Cargo.toml): each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Layers, each using only the ones above it (`tools/layers.sh` checks it in CI): the base
// (`sync.rs`, the error, its cause, deadlines); the context (`ctx/`, with its own test and
// interop hooks); the ambient context of a task or thread (`ambient/`), shielded sections
// (`shield.rs`) and where a cancellation landed (`observe.rs`); then groups (`group/`, with
// their seats, over list and parked-at board still in `ambient/` for now), task sets
// (`tasks/`), detached tasks, sleeps and the `testing` mode; then what the macro calls
// (`__private/`); then the adapters (`interop/`).
mod cancelled;
mod cause;
mod deadline;
mod sync;

mod ctx;

mod ambient;
// Where a cancellation landed (the error's location, the debug event, `Ctx::check`).
mod observe;
mod shield;

mod detach;
mod group;
mod sleep;
mod tasks;

pub mod blocking;

// The cancellation test mode (`testing`, a feature) that counts the places a cancellation can
// land.
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
// Without the feature: a public module with nothing public in it (so that the facade can always
// re-export it, and a plain `cargo doc` has a page that says how to get it), and the
// crate-internal stubs the checkpoints call.
/// Cancellation tests (`cut_everywhere`: cut a test body at each of its cancellation points in
/// turn), behind the `testing` feature, which this build does not have: enable it where you
/// test, `autocancel = { version = "0.1", features = ["testing"] }` in `[dev-dependencies]`
/// (it costs nothing when off), or read the module on
/// [docs.rs](https://docs.rs/autocancel/latest/autocancel/testing/index.html).
#[cfg(not(feature = "testing"))]
#[path = "testing/off.rs"]
pub mod testing;

#[doc(hidden)]
pub mod __private;

mod interop;

pub use ambient::EnterGuard;
pub use cancelled::{is_shutdown, Cancelled};
pub use cause::Cause;
pub use ctx::{Ctx, OnCancel, Run, WaitForCancellation, WaitForCancellationOwned};
pub use deadline::Deadline;
pub use detach::{detached, detached_blocking, Detached};
pub use group::{
    Group, GroupBuilder, Joined, Report, ScopedGroup, Straggler, TaskKind, TaskOutcome, Waiting,
    DEFAULT_GRACE,
};
pub use shield::{shield, shield_blocking, ShieldGuard};
pub use sleep::{sleep, sleep_blocking};
pub use tasks::{Counts, FailureKind, ShutdownReport, TaskFailure, TaskSet};
