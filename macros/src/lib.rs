//! The `#[cancellable]` attribute of the [`autocancel`](https://docs.rs/autocancel) crate.
//!
//! Use it through `autocancel::cancellable`. This crate is the proc-macro entry only, as
//! tokio-macros is: the expansion lives in `autocancel-macros-impl` (`macros/impl/`), a plain
//! library on `proc_macro2` tokens, so that it can be unit-tested, fuzzed and run by the
//! project's tools (a proc-macro crate can export nothing but its macros).

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Makes a task function stop at its context's cancellation.
///
/// Cancellation is cooperative: a task stops only where it looks at its context. This attribute
/// puts those looks in for you, at compile time, in the function's own body:
///
/// - **Loops.** Every iteration of every `for`, `while`, `while let` and `loop` (labelled or not,
///   nested to any depth) starts with a checkpoint: one atomic load when nothing is cancelled;
///   if the context is cancelled the function returns the cancellation.
/// - **Awaits** (in an `async fn`). Every `.await`, including those in loop headers
///   (`while let Some(x) = rx.recv().await`) and before `?`, becomes a biased race of the awaited
///   future against the context's cancellation, like `tokio::select! { biased; .. }`:
///   cancellation wins ties and the awaited future is dropped.
/// - **Blocking sleeps** (in a plain `fn`, e.g. run with `spawn_blocking`). Calls spelled
///   `std::thread::sleep(d)` or `thread::sleep(d)` become cancellable sleeps that wake up at the
///   cancellation instead of at the end of `d`. In an `async fn` such a call is a compile error:
///   it would block the executor; use `tokio::time::sleep(d).await`, which the macro then races.
/// - **Blocking waits** (in a plain `fn`). tokio's `blocking_recv()`, `blocking_send(v)`,
///   `blocking_lock()`, `blocking_read()`, `blocking_write()`, `std::thread::park()`, and std's
///   `.recv()`, `.recv_timeout(d)`, `.join()`, `.wait(guard)` become the waits of
///   `autocancel::blocking`, which end at the cancellation. The std method names are shared with
///   other types: for one of those it is a compile error that says to mark the call `#[shield]`
///   (which keeps it as written). A closure with no value of its own handed to `spawn_blocking`
///   (`move || loop { .. }`) gets the same rewrite as a blocking `fn`.
/// - **Waits in macro arguments.** The arguments of std's argument-list macros (`format!`,
///   `println!`, `write!`, `assert*!`, `vec!`, `matches!`, `panic!`, ...), tracing's event and
///   span macros, and assert-json-diff's `assert_json_eq!`/`assert_json_include!` are parsed as
///   expressions and rewritten like the body; async-stream's
///   `stream! { .. }` and `try_stream! { .. }` bodies are rewritten as `()`-shaped `async`
///   blocks (the stream ends at the cancellation; `try_stream!` without an `Err` item, as the
///   item's error type is not known here).
/// - **`select!` and `join!`** (in an `async fn`). A `tokio::select!` gets a cancellation branch,
///   so it ends at the cancellation even when none of its branches ever completes; `join!` and
///   `try_join!` are raced as one `.await`. See below for exactly which spellings.
/// - **Spawned tasks.** `tokio::spawn(fut)` and its relatives carry the function's context into
///   the new task, where it is ambient: work the function starts stops with it (a spawned
///   `async` block with a value is aborted at the cancellation).
///
/// "Returns the cancellation" is decided by the return type through a trait of the runtime:
/// `Result<T, E>` where `E: From<Cancelled>` (so `io::Result`, `anyhow::Result`,
/// `Result<T, Box<dyn Error + Send + Sync>>` and aliases work) returns `Err(cancelled.into())`,
/// `()` returns, `Option<T>` returns `None`. Other return types are a compile error that says so.
///
/// # What it leaves alone, and why
///
/// Only the function's own control flow is rewritten, plus the `async` blocks it can answer for.
/// Closures, nested `fn`s and other items are not entered, because a `return` generated there
/// would return from *them*, not from the task; annotate the nested function itself if it should
/// be cancellable. Spawns in closures are still recognised (see below). An `async` block is
/// rewritten when it has no value of its own by its shape (no tail value, or a tail loop, no
/// `?`, no `return value`; or a tail whose type is written out: `()`, `pending::<()>().await`,
/// `ready(()).await`) and the function uses the ambient context: the block then checks the
/// ambient context of whichever task polls it (the function's own, or the caller's in a task
/// the function spawned) and, when cancelled, returns the cancellation as its output: `()`, or
/// for a block ending in a `loop` without `break` (type `!`) whatever type the code around it
/// gives it (a `Result` with `E: From<Cancelled>`, an `Option`, `()`; left unconstrained, `()`
/// in edition 2021 and `!` in edition 2024, where a cancelled block unwinds with the
/// `Cancelled` as the payload, printing nothing). A block whose tail spells its output
/// `Result<_, E>` (`Ok::<T, E>(..)`, `Err::<T, E>(..)`, with `E` written out) is rewritten too
/// and ends with `Err(E::from(c))` when `E: From<Cancelled>`; for another `E` a probe in the
/// block (resolved at compile time) runs it as written, on the never-cancelled root. The loops
/// of the closure of an awaited `poll_fn(|cx| ..)` (std's, `core`'s, `futures`', or a bare
/// `poll_fn`) get checkpoints that return `Poll::Pending`, after which the race around the
/// `.await` ends the function. Other `async` blocks with a value, and all of them
/// in a function with a context parameter, are not rewritten; when such a block is spawned
/// (`tokio::spawn(async move { listener.accept().await })`, also in a closure or on a
/// recognised `JoinSet`/`Handle`/`Builder`), its task is aborted at the cancellation through
/// the handle the spawn returns, at its next `.await` (unless the block ends in that poll): its
/// `JoinHandle` then answers `JoinError::is_cancelled()`. Macro invocations other than the
/// ones listed here are opaque tokens and are not entered either, so an `.await` written inside
/// their arguments is not raced (a loop around the macro still gets its checkpoint); const
/// contexts (array lengths, `const` blocks, const generic arguments) are skipped too. A bare
/// `sleep(d)` call is not recognised as `std::thread::sleep`: before name resolution it could
/// be anything.
///
/// **Never silent.** When those places hold *all* of a function's loops and waits, so that the
/// attribute would add no checkpoint at all, that is a compile error on each of them, saying
/// where it is (closure, `async` block, macro, nested `fn`) and what to do. A closure beside
/// checkpoints of the function's own is the "left alone" case above, not an error; `#[shield]`
/// sections never count.
///
/// # `select!`, `join!` and spawned tasks
///
/// The macro runs before name resolution, so it goes by spelling:
///
/// - **`select!`**: `tokio::select!`, `::tokio::select!`, and a bare `select!` (taken to be
///   tokio's, from `use tokio::select;`). A cancellation branch is added, last, and every branch
///   future is gated: once the context is cancelled a branch is not polled any more, so
///   cancellation wins every tie, with or without `biased;`, while the user's branches keep their
///   own order (random, or `biased;`). Patterns, `if` preconditions and `else` mean what they
///   meant: `else` still runs once every branch is disabled. The handlers are the function's own
///   control flow and are rewritten like the rest of the body (their loops and awaits too).
///   Left as written: a bare `select!` with futures' `default`/`complete` branches, more than 63
///   branches, and anything that is not tokio's grammar (tokio then reports it, with its own
///   error).
/// - **`join!`, `try_join!`**: bare, or under `tokio::`, `::tokio::`, `futures::`,
///   `::futures::`, `futures_util::`; and futures' `select!`/`select_biased!` (under `futures::`
///   or `futures_util::`, or a bare `select_biased!`). The whole macro is raced as one await:
///   `race(async { tokio::join!(..) }, ..).await`; when cancelled, the joined futures are
///   dropped. Left as written when its arguments hold `?`, `return`, `break` or `continue`
///   (inside the `async` block they would mean something else).
/// - **Spawns**: `tokio::spawn(fut)`, `tokio::task::spawn(fut)`, `tokio::task::spawn_local(fut)`
///   and `tokio::task::spawn_blocking(f)`, with a leading `::` or as `task::…` (after
///   `use tokio::task;`), become `spawn(inherit(fut, ..))`: the new task runs with the function's
///   context ambient (`Ctx::current()` there, and every `#[cancellable]` function it calls), so
///   a group's deadline stops the tasks its tasks started. To start work that must outlive the
///   caller, write `tokio::spawn(autocancel::detached(fut))` (or
///   `spawn_blocking(detached_blocking(f))`): it is left as written, and runs with a
///   never-cancelled context. A spawn inside `#[shield]` is left as written too: the task sees a
///   never-cancelled context, as the shielded section does. In a closure or an `async` block
///   the rewrite does not enter, a spawn becomes `spawn(inherit_current(fut))`: the task gets
///   the ambient context of the code that spawns it, read when the spawn runs. tokio's spawn
///   methods (`spawn`, `spawn_local`, `spawn_blocking`) are recognised when the receiver says
///   its type: a local or parameter declared as a `JoinSet` or a `Handle`
///   (`let mut set = JoinSet::new();`, `set: &mut JoinSet<T>`), `Handle::current().spawn(..)`,
///   `tokio::task::Builder::new()..spawn(..)`; `Group::spawn`, `TaskSet::spawn` and
///   `ScopedGroup::spawn` keep their own context. Not recognised: a bare `spawn(..)` (it could
///   be `std::thread::spawn`), bare `spawn_local`/`spawn_blocking`, turbofish calls, and spawn
///   methods on other receivers (fields, returned values: any type's before type checking):
///   wrap their futures in `ctx.scope(fut)` yourself.
///
/// ```
/// use autocancel::{cancellable, Cancelled, Group};
/// use std::time::Duration;
/// use tokio::sync::mpsc;
///
/// #[cancellable]
/// async fn serve(mut rx: mpsc::Receiver<u32>) -> Result<(), Cancelled> {
///     loop {
///         tokio::select! {
///             Some(job) = rx.recv() => println!("job {job}"),
///             _ = tokio::time::sleep(Duration::from_secs(3600)) => println!("idle"),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (_tx, rx) = mpsc::channel(1);
/// let mut group = Group::with_timeout(Duration::from_secs(1));
/// group.spawn(serve(rx)); // the select! above would wait an hour: it ends at 1 s
/// assert!(group.wait().await.unwrap_err().is_deadline_exceeded());
/// # }
/// ```
///
/// ```
/// use autocancel::{cancellable, Cancelled, Ctx};
/// use tokio::task::JoinHandle;
///
/// #[cancellable]
/// async fn start(ctx: &Ctx) -> Result<JoinHandle<Cancelled>, Cancelled> {
///     // Plain `tokio::spawn`: the task runs with `ctx` as its ambient context.
///     Ok(tokio::spawn(async { Ctx::current().cancelled().await }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ctx = Ctx::new();
/// let task = start(&ctx).await.unwrap();
/// ctx.cancel();
/// task.await.unwrap(); // ends: it waited on `ctx`
/// # }
/// ```
///
/// # A function that returns its future
///
/// A `fn` whose body ends in `async move { .. }` (returning `impl Future<Output = T>`) or in
/// `Box::pin(async move { .. })` (returning `Pin<Box<dyn Future<Output = T> + ..>>` or
/// `BoxFuture<'a, T>`) has that block rewritten as an `async fn` body: it *is* the body. The
/// statements before it run when the future is built and are not rewritten (a loop there, with
/// no checkpoint anywhere else, is an error).
///
/// # Critical sections: `#[shield]`
///
/// A statement, block, match arm or expression marked `#[shield]` in the body gets no
/// checkpoints and no raced awaits, and runs holding the runtime's shield guard, so that nothing
/// else cuts it short either. The marker is removed from the output (it is not an attribute of
/// its own, and means nothing outside a `#[cancellable]` body).
///
/// # Where the context comes from
///
/// - a parameter whose type is spelled `Ctx` or `&Ctx` (any path ending in `Ctx`) and that is
///   bound to a name;
/// - or the parameter named with `#[cancellable(ctx = name)]` (also `ctx = self`), whose type
///   must implement `AsRef<Ctx>`;
/// - otherwise the ambient context of the current task (`Ctx::current()`, set by
///   `Group::spawn`/`spawn_blocking`), read once when the function starts running: for an
///   `async fn`, at its first poll, so `group.spawn(task())` sees the group's context although
///   `task()` was called outside it. Outside any group it is never cancelled, so an annotated
///   function still works when called plainly.
///
/// # Options
///
/// - `crate = path` (or `crate = "path"`): where generated code finds the runtime, for users
///   who reach `autocancel` through a re-export. Default `::autocancel`.
/// - `ctx = name`: the context parameter, see above.
///
/// # With other attribute macros
///
/// Attribute macros expand from the top down; written below another one, `#[cancellable]`
/// receives what that macro generated. The shapes of these are recognised, by structure, and the
/// user's body inside them rewritten as the function it was, so both orders behave the same:
///
/// - `#[tokio::main]`, `#[tokio::test]` (tokio-macros 2.x): the `async` block holding the body
///   (also when `#[tracing::instrument]` sits between the two).
/// - `#[tracing::instrument]` (tracing-attributes 0.1.x, every form: `skip`, `skip_all`, `err`,
///   `ret`, `level`, `fields`, ...), on an `async fn`, a blocking `fn` or an async-trait method:
///   the body inside tracing's future or closure. A cancelled function returns through tracing's
///   `err`/`ret` events like any other return.
/// - `#[async_trait]` and `#[tonic::async_trait]` (async-trait 0.1.x, also `?Send`): on the impl
///   or trait block, it always expands first; `#[cancellable]` goes on the methods (impl methods
///   and trait default methods), where it rewrites the body inside async-trait's
///   `Box::pin(async move { .. })`. `ctx = self` reads the context through async-trait's
///   `__self`.
///
/// ```
/// use async_trait::async_trait;
/// use autocancel::{cancellable, Cancelled, Ctx};
///
/// #[async_trait]
/// trait Handler: Send + Sync {
///     async fn handle(&self, ctx: &Ctx, jobs: Vec<u32>) -> Result<u32, Cancelled>;
/// }
///
/// struct Sum;
///
/// #[async_trait]
/// impl Handler for Sum {
///     #[tracing::instrument(skip_all, err)]
///     #[cancellable]
///     async fn handle(&self, ctx: &Ctx, jobs: Vec<u32>) -> Result<u32, Cancelled> {
///         let mut total = 0;
///         for job in jobs {
///             // a checkpoint per iteration: `ctx` is cancelled at the second
///             if job == 2 {
///                 ctx.cancel();
///             }
///             total += job;
///         }
///         Ok(total)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = Sum.handle(&Ctx::new(), vec![1, 2, 3]).await.unwrap_err();
/// assert!(err.to_string().contains("cancelled"), "{err}");
/// # }
/// ```
///
/// A wrapper it does not recognise leaves the user's loops and awaits in a closure or `async`
/// block of the generated function: unless the function has checkpoints of its own, that is
/// the compile error above, which says to put `#[cancellable]` above that macro.
///
/// # Errors
///
/// Misuse is a compile error spanned on the offending tokens: an item that is not a function
/// with a body (on an `impl` or `trait` block it says to annotate the methods), a `const fn`,
/// unknown or malformed arguments, `ctx = name` naming no parameter, an unnamed or ambiguous
/// context parameter, `#[shield(..)]` with arguments, `std::thread::sleep` in an `async fn`,
/// and a function whose loops and waits are all out of the rewrite's reach (see "Never
/// silent"). The function is still emitted, unchanged, beside the error.
///
/// # Example
///
/// ```
/// use autocancel::{cancellable, Cancelled, Group};
/// use std::time::Duration;
///
/// #[cancellable]
/// async fn task(n: u32) -> Result<u32, Cancelled> {
///     let mut done = 0;
///     for _ in 0..n {
///         // raced against the group's deadline
///         tokio::time::sleep(Duration::from_secs(1)).await;
///         done += 1;
///     }
///     Ok(done)
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut group = Group::with_timeout(Duration::from_secs(7));
/// group.spawn(task(5));
/// group.spawn(task(10));
/// let err = group.wait().await.unwrap_err();
/// assert!(err.is_deadline_exceeded());
/// # }
/// ```
///
/// The loop above expands to (as `cargo expand` shows it):
///
/// ```text
/// let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
/// for _ in 0..n {
///     if let ::core::result::Result::Err(c) = __cancellable.as_mut().checkpoint() {
///         return ::autocancel::__private::exit(c);
///     }
///     match ::autocancel::__private::race(tokio::time::sleep(Duration::from_secs(1)), __cancellable.as_mut()).await {
///         ::core::result::Result::Ok(v) => v,
///         ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
///     };
///     done += 1;
/// }
/// ```
#[proc_macro_attribute]
pub fn cancellable(args: TokenStream, item: TokenStream) -> TokenStream {
    autocancel_macros_impl::expand(args.into(), item.into()).into()
}
