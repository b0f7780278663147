//! What a cancellation answers over gRPC and HTTP: a deadline is `DEADLINE_EXCEEDED` / 504, a
//! shutdown `UNAVAILABLE` / 503 however many contexts lie between the server's and the
//! handler's checkpoint.

use std::time::Duration;

use autocancel::{cancellable, Cancelled, Cause, Ctx};

/// The reproduction of issue 21, bug 1: a request in flight when the server's context is
/// cancelled.
#[test]
fn a_shutdown_is_unavailable_not_cancelled() {
    let server = Ctx::new();
    let req = server.child();
    server.cancel();
    let s = tonic::Status::from(Cancelled::new(req.cause().unwrap()));
    assert_eq!(s.code(), tonic::Code::Unavailable, "{s:?}");
    assert_eq!(s.message(), "cancelled: parent context: cancelled");
}

/// What a `#[cancellable]` handler returns when its server shuts down mid-request, as tonic
/// sends it and as HTTP does: the same answer.
#[tokio::test(start_paused = true)]
async fn an_annotated_handler_answers_the_same_over_grpc_and_http() {
    #[cancellable]
    async fn handler(ctx: &Ctx) -> Result<(), Cancelled> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    }
    let server = Ctx::new();
    let request = server.child().with_timeout(Duration::from_secs(30));
    let call = tokio::spawn({
        let request = request.clone();
        async move { handler(&request).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.cancel_with_reason("shutting down");
    let cancelled = call.await.unwrap().unwrap_err();
    assert!(cancelled.is_shutdown());
    assert_eq!(
        tonic::Status::from(cancelled.clone()).code(),
        tonic::Code::Unavailable
    );
    assert_eq!(
        cancelled.http_status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test(start_paused = true)]
async fn a_deadline_is_deadline_exceeded_and_504() {
    let request = Ctx::new().with_timeout(Duration::from_millis(300));
    let cancelled = request.cancelled().await;
    let status = tonic::Status::from(cancelled.clone());
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    assert_eq!(cancelled.http_status(), http::StatusCode::GATEWAY_TIMEOUT);
}

/// Not a shutdown and not a deadline (a sibling task failed): `CANCELLED`, and 503 over HTTP,
/// which has no code for it.
#[test]
fn a_sibling_failure_is_cancelled() {
    let cancelled = Cancelled::new(Cause::task_failed("fetch", "connection refused"));
    assert!(!cancelled.is_shutdown());
    assert_eq!(
        tonic::Status::from(cancelled.clone()).code(),
        tonic::Code::Cancelled
    );
    assert_eq!(
        cancelled.http_status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );
}
