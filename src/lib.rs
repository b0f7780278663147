//! Cancellation and deadlines that tasks cannot forget.
//!
//! Go's `errgroup.WithContext` + `context.WithTimeout` stop a program at its deadline only if
//! every goroutine remembers to look at `ctx.Done()`, at every iteration. `autocancel` puts those
//! checks in for you, at compile time:
//!
//! - [`#[cancellable]`](macro@cancellable) rewrites a task function so that it stops at its
//!   context's cancellation: a checkpoint at the start of every loop iteration, and every `.await`
//!   raced against the cancellation (cancellation wins ties; the awaited future is dropped, as
//!   `tokio::select!` would drop it). A `tokio::select!` ends at the cancellation even when none
//!   of its branches would, `join!` is raced as one await, and tasks started with `tokio::spawn`
//!   (or `spawn_local`, `spawn_blocking`) run with the caller's context, unless started
//!   [`detached`]. In a blocking `fn`, `std::thread::sleep` becomes a sleep that ends at the
//!   cancellation.
//! - [`Group`] runs tasks that succeed together or stop together: the first error, a panic or the
//!   deadline cancels the rest; [`Group::wait`] returns the first error, or the outputs in spawn
//!   order; nothing of the group outlives `wait`.
//! - [`Ctx`] is the context: cheap to clone, one atomic load to check, deadlines that are noticed
//!   even by a loop that never yields, and a [`Cause`] that says why it was cancelled.
//!
//! ```toml
//! [dependencies]
//! autocancel = "0.1"  # features: "tokio-util", "tonic", "http", "axum" (see Features below)
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "time"] }
//!
//! [dev-dependencies]
//! autocancel = { version = "0.1", features = ["testing"] }  # cancellation tests, see below
//! ```
//!
//! # Example: a deadline on a group
//!
//! Two tasks, 5 and 10 one-second steps, a 7 s deadline on the group. With Go's errgroup this
//! runs 10 s; here it stops at 7 s, and says why:
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Group};
//! use std::time::Duration;
//!
//! #[cancellable]
//! async fn task(n: u32) -> Result<u32, Cancelled> {
//!     for _step in 0..n {
//!         tokio::time::sleep(Duration::from_secs(1)).await; // raced against cancellation
//!     }
//!     Ok(n)
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let start = tokio::time::Instant::now();
//! let mut group = Group::with_timeout(Duration::from_secs(7));
//! group.spawn(task(5));
//! group.spawn(task(10));
//! let err = group.wait().await.unwrap_err();
//! assert_eq!(start.elapsed(), Duration::from_secs(7));
//! assert_eq!(err.to_string(), "deadline exceeded (after 7s)");
//! # }
//! ```
//!
//! # Where the context comes from
//!
//! A `#[cancellable]` function uses its parameter of type [`Ctx`] or `&Ctx` if it has one, and
//! otherwise the *ambient* context, [`Ctx::current`], read once when the function is called:
//! [`Group::spawn`] and [`Group::spawn_blocking`] make the group's context ambient in their
//! tasks. Outside any group the ambient context is never cancelled, so annotated functions work
//! unchanged when called plainly.
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Ctx};
//!
//! #[cancellable]
//! fn count(ctx: &Ctx, items: &[u64]) -> Result<u64, Cancelled> {
//!     let mut sum = 0;
//!     for item in items {
//!         sum += item; // each iteration starts with a check of `ctx`
//!     }
//!     Ok(sum)
//! }
//!
//! let ctx = Ctx::new();
//! assert_eq!(count(&ctx, &[1, 2, 3]).unwrap(), 6);
//! ctx.cancel();
//! assert!(count(&ctx, &[1, 2, 3]).is_err());
//! ```
//!
//! Inside a function without a context parameter, [`Ctx::current`] *is* the context its
//! checkpoints use (the macro reads it once, at entry): call it to derive a child, run a future
//! that is not awaited directly ([`Ctx::run`]) or read the cause.
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Ctx, Group};
//! use std::time::Duration;
//!
//! #[cancellable]
//! async fn fetch_all(n: u32) -> Result<u32, Cancelled> {
//!     let ctx = Ctx::current(); // the group's context: the one the `.await`s below race against
//!     let mut fetched = 0;
//!     for _ in 0..n {
//!         let request = ctx.with_timeout(Duration::from_secs(2)); // a deadline per request
//!         if request.run(tokio::time::sleep(Duration::from_secs(1))).await.is_ok() {
//!             fetched += 1;
//!         }
//!     }
//!     Ok(fetched)
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut group = Group::with_timeout(Duration::from_secs(10));
//! group.spawn(fetch_all(3));
//! assert_eq!(group.wait().await.unwrap(), vec![3]);
//! # }
//! ```
//!
//! # Servers
//!
//! A [`Group`] is a batch: the first failure stops every task. For a server's connections use a
//! [`TaskSet`]: a task's error is reported, not propagated, finished tasks are forgotten, and
//! [`TaskSet::shutdown`] cancels, waits, aborts and names the stragglers. Per-connection idle
//! timeouts are [`Ctx::with_idle_timeout`] and [`Ctx::reset_idle_timeout`]; [`is_shutdown`]
//! tells a clean shutdown from a failure in an `io::Error`, `anyhow::Error` or boxed error. See
//! `examples/echo_server.rs`.
//!
//! # What a cancelled function returns
//!
//! Decided by the return type through a trait, so aliases work: `Result<T, E>` with
//! `E: From<Cancelled>` returns `Err(cancelled.into())` (this covers `Result<T, Cancelled>`,
//! `std::io::Result<T>`, `anyhow::Result<T>`, `Result<T, Box<dyn Error + Send + Sync>>`),
//! `Option<T>` returns `None`, and `()` just returns. Anything else is a compile error saying so.
//!
//! # Critical sections
//!
//! `#[shield]` on a block or statement inside a `#[cancellable]` body, or [`shield`] around a
//! future, keeps a section from being cut short: no checkpoint inside it fires, functions it calls
//! see a never-cancelled context, and the group does not abort the task while it is inside.
//!
//! # Where a cancellation landed
//!
//! [`Cancelled::location`] is the loop keyword or `.await` (or `std::thread::sleep`, or
//! [`Ctx::check`] call) that returned the cancellation; `{:?}` shows it, `Display` shows the cause
//! alone. Each one also emits a `tracing` debug event, target `autocancel`, with the cause, the
//! location and the task's name.
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Ctx};
//!
//! #[cancellable]
//! fn spin(ctx: &Ctx) -> Result<(), Cancelled> {
//!     loop {}
//! }
//!
//! let ctx = Ctx::new();
//! ctx.cancel_with_reason("shutting down");
//! let err = spin(&ctx).unwrap_err();
//! assert_eq!(err.location().unwrap().line(), line!() - 6); // the `loop`
//! assert_eq!(err.to_string(), "cancelled: shutting down");
//! ```
//!
//! # Testing cancellation safety
//!
//! A function that can stop at every checkpoint can be cut between two steps that belong
//! together. With the `testing` feature (for `[dev-dependencies]`; it costs nothing when off),
//! [`autocancel::testing`](crate::testing)`::cut_everywhere` runs a test body cut at its 1st, 2nd, … k-th
//! cancellation point, checks your invariants after each run, and reports the lines where a cut
//! broke one. The README's "Cancellation safety" section and `examples/cancel_safety.rs` show it
//! finding a lost record, and `#[shield]` fixing it.
//!
//! # What is not rewritten
//!
//! Only the function's own control flow, plus the `async` blocks it can answer for: in a
//! function on the ambient context, an `async` block whose output is `()` by its shape (no
//! value, no `?`, no `return value`) is rewritten too, and ends with `()` when cancelled, and
//! so is one spelled `Result<_, E>` by its tail's turbofish (`Ok::<T, E>(..)`), which ends with
//! `Err(E::from(c))` when `E: From<Cancelled>` (else it runs as written); the loops of an
//! awaited `poll_fn` closure end its poll with `Pending`, and the `.await` with the function; a
//! spawned `async` block with a value is aborted at the cancellation (its `JoinHandle` answers
//! `JoinError::is_cancelled()`). Closures (but for the spawns in them), other `async` blocks
//! with a value (and in a function with a context parameter, every unspawned one), nested
//! functions and items, and macro invocations other than `select!`, `join!` and the
//! argument-list macros are left as written (a `return` inside them would mean something else). The
//! attribute's docs list exactly what is recognised. Call another `#[cancellable]` function
//! from there, or check [`Ctx::current`] by hand.
//!
//! # Costs
//!
//! A loop checkpoint is one atomic load and a countdown; the clock is read only every so often
//! (adaptively, at most ~50 µs apart), which is how a CPU-bound loop notices its deadline where no
//! timer can fire. An `.await` costs the same load when the future is ready, and registers with
//! the context at most once per function call. See the README for the measured figures.
//!
//! # What is here, by what you do with it
//!
//! - **Make a function cancellable**: [`#[cancellable]`](macro@cancellable); inside it,
//!   [`shield`] and [`shield_blocking`] (and `#[shield]`) for sections that must not be cut,
//!   [`ShieldGuard`]; [`sleep`] and [`sleep_blocking`], sleeps that end at the cancellation.
//! - **Make and check contexts**: [`Ctx`] (its children, deadlines, [`Ctx::check`],
//!   [`Ctx::run`]), [`Deadline`], [`EnterGuard`] ([`Ctx::enter`]), [`Run`] ([`Ctx::run`]'s
//!   future), [`WaitForCancellation`] and [`WaitForCancellationOwned`] ([`Ctx::cancelled`]),
//!   [`OnCancel`] ([`Ctx::on_cancel`]).
//! - **Learn why something stopped**: [`Cancelled`] (the error, with its
//!   [`location`](Cancelled::location)), [`Cause`], [`is_shutdown`].
//! - **Run tasks that stop together**: [`Group`] and [`GroupBuilder`], [`ScopedGroup`] (tasks
//!   that borrow), [`Report`], [`Straggler`], [`Waiting`], [`TaskKind`], [`DEFAULT_GRACE`].
//! - **Run a server's tasks**: [`TaskSet`], [`ShutdownReport`], [`Counts`], [`TaskFailure`],
//!   [`FailureKind`].
//! - **Start work that outlives the caller**: [`detached`], [`detached_blocking`],
//!   [`Detached`].
//! - **Test cancellation safety**: `testing` (feature `testing`).
//!
//! # Features
//!
//! All off by default. `tokio-util`: `Ctx::from_token` and `Ctx::token`, tokio-util's
//! `CancellationToken` both ways. `tonic`: `From<Cancelled> for tonic::Status`
//! (`DEADLINE_EXCEEDED`, `UNAVAILABLE` for a shutdown, else `CANCELLED`; needs Rust 1.88, as
//! tonic does). `http`:
//! `From<Cancelled> for http::Response<B>` (504 or 503). `axum`: `IntoResponse for Cancelled`.
//! Deadlines that travel between services (`grpc-timeout`): the `autocancel-tower` crate.

#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, see Cargo.toml): each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The items, grouped as the front page lists them ("What is here"). No doc comment on the
// re-exports: rustdoc would put it above the item's own, repeating its summary.

// Make a function cancellable.
pub use autocancel_macros::cancellable;
pub use autocancel_runtime::{shield, shield_blocking, sleep, sleep_blocking, ShieldGuard};

// Make and check contexts.
pub use autocancel_runtime::{
    Ctx, Deadline, EnterGuard, OnCancel, Run, WaitForCancellation, WaitForCancellationOwned,
};

// Learn why something stopped.
pub use autocancel_runtime::{is_shutdown, Cancelled, Cause};

// Run tasks that stop together.
pub use autocancel_runtime::{
    Group, GroupBuilder, Joined, Report, ScopedGroup, Straggler, TaskKind, TaskOutcome, Waiting,
};

/// 100 ms (`Duration::from_millis(100)`), the default of [`Group::grace`],
/// [`ScopedGroup::grace`] and [`TaskSet::grace`].
#[doc(inline)]
pub use autocancel_runtime::DEFAULT_GRACE;

// Run a server's tasks.
pub use autocancel_runtime::{Counts, FailureKind, ShutdownReport, TaskFailure, TaskSet};

// Start work that outlives the caller.
pub use autocancel_runtime::{detached, detached_blocking, Detached};

pub use autocancel_runtime::blocking;

#[doc(hidden)]
pub use autocancel_runtime::__private;

// Always re-exported (without the `testing` feature, a module that only says how to get it), so
// that the runtime's own doc examples, which use the facade, find it whenever the runtime has it,
// and the front page's link resolves in a plain `cargo doc`.
#[doc(inline)]
pub use autocancel_runtime::testing;
