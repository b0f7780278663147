//! `#[cancellable]` stacked with the attribute macros real service code carries, in both orders:
//! `#[tracing::instrument]` (every form), `#[async_trait]` (impl methods, trait default methods,
//! `?Send`), `tonic::async_trait`, both together; and functions that return their future by hand.
//!
//! Each annotated function runs a CPU-bound loop (no `.await` in it) that cancels its own context
//! at the 10th iteration and would otherwise finish at the 1000th: only a checkpoint *inside the
//! user's loop* stops it, so each test fails if the macro did not find the body inside the other
//! macro's wrapper. The deadline tests at the end (paused clock) stop loops whose only await is
//! never ready, through the ambient context of a `Group`.

use async_trait::async_trait;
use autocancel::{cancellable, Cancelled, Cause, Ctx, Group};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

const CANCEL_AT: u32 = 10;
const LIMIT: u32 = 1000;

/// One iteration of the test loops: counts, cancels `ctx` at `CANCEL_AT`, and says whether the
/// loop ran to `LIMIT` (which it only does if nothing checked the context).
fn step(n: &mut u32, ctx: &Ctx) -> bool {
    *n += 1;
    if *n == CANCEL_AT {
        ctx.cancel_with_reason("test");
    }
    *n == LIMIT
}

/// The result every test function must give: the cancellation, not `Ok(LIMIT)`.
#[track_caller]
fn assert_cut(result: Result<u32, Cancelled>) {
    match result {
        Err(c) => assert!(matches!(c.cause(), Cause::Cancelled { .. }), "{c:?}"),
        Ok(n) => panic!("the loop ran to {n}: no checkpoint reached it"),
    }
}

// ---- #[tracing::instrument] above #[cancellable]: the macro sees tracing's output ----

#[tracing::instrument(skip(ctx))]
#[cancellable]
async fn above_plain(ctx: &Ctx, label: &str) -> Result<u32, Cancelled> {
    let mut n = 0;
    loop {
        if step(&mut n, ctx) {
            return Ok(n);
        }
    }
}

#[tracing::instrument(skip_all, err)]
#[cancellable]
async fn above_err(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    while !step(&mut n, ctx) {}
    Ok(n)
}

#[tracing::instrument(skip(ctx), ret, level = "debug")]
#[cancellable]
async fn above_ret(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    for _ in 0..LIMIT {
        step(&mut n, ctx);
    }
    Ok(n)
}

#[tracing::instrument(skip(ctx), err, ret, fields(kind = "err+ret", id = 7))]
#[cancellable]
async fn above_err_ret(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    loop {
        if step(&mut n, ctx) {
            break Ok(n);
        }
    }
}

// Blocking functions: tracing enters the span in place, or runs the body in a closure.
#[tracing::instrument(skip(ctx))]
#[cancellable]
fn above_blocking(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    while !step(&mut n, ctx) {}
    Ok(n)
}

#[tracing::instrument(skip(ctx), err, ret)]
#[cancellable]
fn above_blocking_err_ret(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    while !step(&mut n, ctx) {}
    Ok(n)
}

// ---- #[cancellable] above #[tracing::instrument]: tracing wraps the rewritten body ----

#[cancellable]
#[tracing::instrument(skip(ctx), err, ret)]
async fn below_err_ret(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    while !step(&mut n, ctx) {}
    Ok(n)
}

#[cancellable]
#[tracing::instrument(skip_all, level = "info")]
fn below_blocking(ctx: &Ctx) -> Result<u32, Cancelled> {
    let mut n = 0;
    while !step(&mut n, ctx) {}
    Ok(n)
}

#[tokio::test]
async fn tracing_instrument_in_both_orders() {
    assert_cut(above_plain(&Ctx::new(), "x").await);
    assert_cut(above_err(&Ctx::new()).await);
    assert_cut(above_ret(&Ctx::new()).await);
    assert_cut(above_err_ret(&Ctx::new()).await);
    assert_cut(above_blocking(&Ctx::new()));
    assert_cut(above_blocking_err_ret(&Ctx::new()));
    assert_cut(below_err_ret(&Ctx::new()).await);
    assert_cut(below_blocking(&Ctx::new()));
}

// ---- #[async_trait]: the macro always sees async-trait's output ----

#[async_trait]
trait Service: Send + Sync {
    async fn handle(&self, ctx: &Ctx) -> Result<u32, Cancelled>;

    /// A default method; the context by value, which async-trait rebinds inside its block.
    #[cancellable]
    async fn default_handle(&self, ctx: Ctx) -> Result<u32, Cancelled> {
        let mut n = 0;
        while !step(&mut n, &ctx) {}
        Ok(n)
    }

    async fn own_ctx(&self) -> Result<u32, Cancelled>;

    async fn instrumented(&self, ctx: &Ctx) -> Result<u32, Cancelled>;

    async fn instrumented_below(&self, ctx: &Ctx) -> Result<u32, Cancelled>;
}

/// A service holding its own context: `#[cancellable(ctx = self)]`.
struct Svc {
    ctx: Ctx,
}

impl AsRef<Ctx> for Svc {
    fn as_ref(&self) -> &Ctx {
        &self.ctx
    }
}

#[async_trait]
impl Service for Svc {
    #[cancellable]
    async fn handle(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        let mut n = 0;
        loop {
            if step(&mut n, ctx) {
                return Ok(n);
            }
        }
    }

    /// `self` is `__self` in async-trait's block.
    #[cancellable(ctx = self)]
    async fn own_ctx(&self) -> Result<u32, Cancelled> {
        let mut n = 0;
        while !step(&mut n, &self.ctx) {}
        Ok(n)
    }

    /// tracing recognises async-trait's `Box::pin(async move ..)` and instruments inside it;
    /// `#[cancellable]` then finds the body inside both.
    #[tracing::instrument(skip_all, err, ret)]
    #[cancellable]
    async fn instrumented(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        let mut n = 0;
        while !step(&mut n, ctx) {}
        Ok(n)
    }

    #[cancellable]
    #[tracing::instrument(skip(self, ctx))]
    async fn instrumented_below(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        let mut n = 0;
        while !step(&mut n, ctx) {}
        Ok(n)
    }
}

#[tokio::test]
async fn async_trait_methods() {
    let svc = Svc { ctx: Ctx::new() };
    assert_cut(svc.handle(&Ctx::new()).await);
    assert_cut(svc.default_handle(Ctx::new()).await);
    assert_cut(svc.own_ctx().await);
    assert_cut(svc.instrumented(&Ctx::new()).await);
    assert_cut(svc.instrumented_below(&Ctx::new()).await);
    // Through the trait object, as a server calls it.
    let dyn_svc: &dyn Service = &Svc { ctx: Ctx::new() };
    assert_cut(dyn_svc.handle(&Ctx::new()).await);
}

#[async_trait(?Send)]
trait LocalService {
    #[cancellable]
    async fn run(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        let mut n = 0;
        while !step(&mut n, ctx) {}
        Ok(n)
    }

    async fn unit(&self, ctx: &Ctx);
}

struct Local(std::rc::Rc<()>);

#[async_trait(?Send)]
impl LocalService for Local {
    /// `()` return: async-trait writes `let _: () = { .. };`.
    #[cancellable]
    async fn unit(&self, ctx: &Ctx) {
        let _keep = &self.0;
        let mut n = 0;
        while !step(&mut n, ctx) {}
        panic!("the loop ran to {n}");
    }
}

#[tokio::test]
async fn async_trait_not_send() {
    let local = Local(std::rc::Rc::new(()));
    assert_cut(local.run(&Ctx::new()).await);
    local.unit(&Ctx::new()).await;
}

/// `tonic::async_trait` is async-trait re-exported: every gRPC service method has this shape.
#[tonic::async_trait]
trait Greeter: Send + Sync + 'static {
    async fn say_hello(&self, ctx: &Ctx, name: String) -> Result<String, Cancelled>;
}

struct MyGreeter;

#[tonic::async_trait]
impl Greeter for MyGreeter {
    #[cancellable]
    async fn say_hello(&self, ctx: &Ctx, name: String) -> Result<String, Cancelled> {
        let mut n = 0;
        while !step(&mut n, ctx) {}
        Ok(format!("hello {name} after {n}"))
    }
}

#[tokio::test]
async fn tonic_async_trait() {
    let result = MyGreeter.say_hello(&Ctx::new(), "x".into()).await;
    assert!(result.is_err(), "{result:?}");
}

// ---- Functions that return their future by hand ----

// Written by hand on purpose: the shape under test.
#[allow(clippy::manual_async_fn)]
#[cancellable]
fn impl_future(ctx: Ctx) -> impl Future<Output = Result<u32, Cancelled>> + Send {
    async move {
        let mut n = 0;
        while !step(&mut n, &ctx) {}
        Ok(n)
    }
}

#[cancellable]
#[allow(clippy::type_complexity)]
fn boxed_future<'a>(
    ctx: &'a Ctx,
) -> Pin<Box<dyn Future<Output = Result<u32, Cancelled>> + Send + 'a>> {
    Box::pin(async move {
        let mut n = 0;
        while !step(&mut n, ctx) {}
        Ok(n)
    })
}

#[tokio::test]
async fn hand_built_futures() {
    assert_cut(impl_future(Ctx::new()).await);
    assert_cut(boxed_future(&Ctx::new()).await);
}

// ---- Deadlines, on the paused clock, through a Group's ambient context ----

#[async_trait]
trait Waiter: Send + Sync {
    /// Awaits something that is never ready, in a loop: only a raced await can end it.
    #[cancellable]
    async fn wait_forever(&self) -> Result<(), Cancelled> {
        loop {
            std::future::pending::<()>().await;
        }
    }

    async fn instrumented_above(&self) -> Result<(), Cancelled>;

    async fn instrumented_below(&self) -> Result<(), Cancelled>;
}

struct W;

#[async_trait]
impl Waiter for W {
    #[tracing::instrument(skip_all, err, ret)]
    #[cancellable]
    async fn instrumented_above(&self) -> Result<(), Cancelled> {
        loop {
            std::future::pending::<()>().await;
        }
    }

    #[cancellable]
    #[tracing::instrument(skip_all)]
    async fn instrumented_below(&self) -> Result<(), Cancelled> {
        loop {
            std::future::pending::<()>().await;
        }
    }
}

#[tonic::async_trait]
trait GrpcWaiter: Send + Sync + 'static {
    async fn stream(&self) -> Result<(), Cancelled>;
}

#[tonic::async_trait]
impl GrpcWaiter for W {
    #[cancellable]
    async fn stream(&self) -> Result<(), Cancelled> {
        loop {
            std::future::pending::<()>().await;
        }
    }
}

#[tracing::instrument(err)]
#[cancellable]
async fn instrumented_wait_forever() -> Result<(), Cancelled> {
    loop {
        std::future::pending::<()>().await;
    }
}

#[cancellable]
#[tracing::instrument]
async fn instrumented_below_wait_forever() -> Result<(), Cancelled> {
    loop {
        std::future::pending::<()>().await;
    }
}

#[allow(clippy::manual_async_fn)]
#[cancellable]
fn hand_built_wait_forever() -> impl Future<Output = Result<(), Cancelled>> + Send {
    async {
        loop {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `task` in a group with a 100 ms deadline; it must end at the deadline, by itself.
async fn stops_at_deadline(task: impl Future<Output = Result<(), Cancelled>> + Send + 'static) {
    let start = Instant::now();
    let mut group: Group<(), Cancelled> = Group::with_timeout(Duration::from_millis(100));
    group.spawn(task);
    let report = tokio::time::timeout(Duration::from_secs(60), group.wait_report())
        .await
        .expect("the group ended");
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert!(
        report.stragglers.is_empty(),
        "the task stopped by itself: {report:?}"
    );
    assert!(report.error.is_some_and(|e| e.is_deadline_exceeded()));
}

#[tokio::test(start_paused = true)]
async fn deadlines_stop_stacked_functions() {
    stops_at_deadline(async { W.wait_forever().await }).await;
    stops_at_deadline(async { W.instrumented_above().await }).await;
    stops_at_deadline(async { W.instrumented_below().await }).await;
    stops_at_deadline(async { W.stream().await }).await;
    stops_at_deadline(instrumented_wait_forever()).await;
    stops_at_deadline(instrumented_below_wait_forever()).await;
    stops_at_deadline(hand_built_wait_forever()).await;
}
