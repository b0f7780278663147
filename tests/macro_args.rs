//! Waits inside the arguments of std's and tracing's macros (and assert-json-diff's), and futures' `select!`, are
//! checkpoints (`macros/impl/src/sites/macro_args.rs`, `macros/impl/src/sites/join.rs`): a task waiting there ends at
//! its context's deadline. Each function's only wait is in the macro, so without the rewrite it
//! would not compile (the never-silent error), and with a rewrite that missed the wait the test
//! would wait an hour of paused time and fail on the result.

use autocancel::{cancellable, Cancelled, Ctx};
use std::future::pending;
use std::time::Duration;

async fn an_hour() -> u32 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    1
}

#[cancellable]
async fn in_println() -> Result<&'static str, Cancelled> {
    println!("{}", an_hour().await);
    Ok("the wait in println! was not raced")
}

#[cancellable]
async fn in_assert_eq() -> Result<&'static str, Cancelled> {
    assert_eq!(an_hour().await, 1, "{}", an_hour().await);
    Ok("the wait in assert_eq! was not raced")
}

/// An axum test's assertion (assert-json-diff's macro, the real one).
#[cancellable]
async fn in_assert_json_eq() -> Result<&'static str, Cancelled> {
    async fn body() -> serde_json::Value {
        an_hour().await;
        serde_json::json!({ "ok": true })
    }
    assert_json_diff::assert_json_eq!(body().await, serde_json::json!({ "ok": true }));
    Ok("the wait in assert_json_eq! was not raced")
}

#[cancellable]
async fn in_tracing() -> Result<&'static str, Cancelled> {
    tracing::info!(target: "t", n = an_hour().await, "x {}", 1);
    Ok("the wait in tracing::info! was not raced")
}

#[cancellable]
async fn in_format_and_vec() -> Result<&'static str, Cancelled> {
    let mut v = vec![format!("{x}", x = an_hour().await)];
    v.push(String::new());
    Ok("the wait in format! was not raced")
}

#[cancellable]
async fn in_futures_select() -> Result<&'static str, Cancelled> {
    let mut a = std::pin::pin!(futures_util::FutureExt::fuse(an_hour()));
    let mut b = futures_util::FutureExt::fuse(pending::<()>());
    futures_util::select_biased! {
        _ = a => {}
        _ = b => {}
    }
    Ok("the futures select_biased! was not raced")
}

/// Runs `task` with a 1 s deadline as its ambient context (not in a `Group`: a wait inside
/// `tracing::info!` makes a future `!Send`, annotated or not).
async fn stops_at_the_deadline(
    task: impl std::future::Future<Output = Result<&'static str, Cancelled>>,
) {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let start = tokio::time::Instant::now();
    let err = ctx.scope(task).await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_wait_in_println_ends_at_the_deadline() {
    stops_at_the_deadline(in_println()).await;
}

#[tokio::test(start_paused = true)]
async fn a_wait_in_assert_eq_ends_at_the_deadline() {
    stops_at_the_deadline(in_assert_eq()).await;
}

#[tokio::test(start_paused = true)]
async fn a_wait_in_assert_json_eq_ends_at_the_deadline() {
    stops_at_the_deadline(in_assert_json_eq()).await;
}

/// Enables every event: tracing evaluates an event's fields only when it is enabled.
struct EnableAll;

impl tracing::Subscriber for EnableAll {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_wait_in_a_tracing_event_ends_at_the_deadline() {
    let _subscriber = tracing::subscriber::set_default(EnableAll);
    stops_at_the_deadline(in_tracing()).await;
}

#[tokio::test(start_paused = true)]
async fn a_wait_in_format_in_vec_ends_at_the_deadline() {
    stops_at_the_deadline(in_format_and_vec()).await;
}

#[tokio::test(start_paused = true)]
async fn a_futures_select_ends_at_the_deadline() {
    stops_at_the_deadline(in_futures_select()).await;
}
