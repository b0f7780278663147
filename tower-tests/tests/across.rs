//! Deadlines across real services over 127.0.0.1: tonic (gRPC) and axum/hyper (HTTP/1) hops,
//! each calling the next through the real client, with `ServerLayer` and `ClientLayer`. One test
//! binary for both engines (they are compiled once).
//!
//! Real sockets need the real clock: the assertions are on order and causes, and the bounds on
//! time are generous (the measured overshoots are printed; `benches/layers.rs` measures them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use autocancel::{Cancelled, Cause, Ctx};
use autocancel_tower::{NoPropagation, ServerLayer};
use autocancel_tower_tests::{grpc, http, Probe};

const EDGE_BUDGET: Duration = Duration::from_millis(300);
/// How long the hops may take to stop after the edge's deadline, on a loaded 2-core machine:
/// generous, the expected figure is one timer tick (1 ms) per hop.
const STOP_BOUND: Duration = Duration::from_millis(250);

/// Waits (real clock, bounded) until no handler of any hop is running; then checks that the
/// endless loop stays stopped.
async fn assert_all_stopped(probes: &[Arc<Probe>], edge_answered: Instant) {
    let give_up = Instant::now() + Duration::from_secs(5);
    while probes.iter().any(|p| p.live() > 0) {
        assert!(
            Instant::now() < give_up,
            "a handler still runs 5 s after the edge's answer"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let lag = edge_answered.elapsed();
    let last = probes.last().unwrap();
    let iterations = last.iterations();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(last.iterations(), iterations, "the endless loop still runs");
    eprintln!("all hops stopped within {lag:?} of the edge's answer");
}

/// Each hop's context was cancelled by the caller's deadline, propagated, or, when the caller
/// reached its own copy of that deadline first and dropped the call, because the caller went
/// away; and not before the edge's deadline.
fn assert_propagated_causes(probes: &[Arc<Probe>], edge_deadline: Instant) {
    for (i, probe) in probes.iter().enumerate() {
        if let Some((at, cancelled)) = probe.cancelled() {
            let caller_gone = matches!(cancelled.cause().root(), Cause::CallerGone { .. });
            assert!(
                caller_gone || cancelled.cause().is_propagated_deadline(),
                "hop {i}: {cancelled}"
            );
            assert!(
                at >= edge_deadline,
                "hop {i} cancelled before the edge's deadline"
            );
            eprintln!(
                "hop {i}: cancelled {:?} after the edge's deadline",
                at - edge_deadline
            );
        }
    }
}

/// Every hop ran its handler under the edge's deadline: a context with at most the edge's budget
/// left (it travelled, and each hop's server made it its handler's ambient context).
fn assert_every_hop_had_the_edges_deadline(probes: &[Arc<Probe>]) {
    for (i, probe) in probes.iter().enumerate() {
        let budget = probe
            .budget()
            .unwrap_or_else(|| panic!("hop {i} had no deadline"));
        assert!(budget <= EDGE_BUDGET, "hop {i}: {budget:?}");
        assert!(!budget.is_zero(), "hop {i} started after the deadline");
    }
}

fn assert_last_hop_stopped_in_time(probes: &[Arc<Probe>], edge_deadline: Instant) {
    let last = probes.last().unwrap();
    assert!(last.iterations() > 0, "the last hop's loop ran");
    let stopped = last.stopped().expect("the last hop's loop stopped");
    assert!(stopped >= edge_deadline, "stopped before the deadline");
    let overshoot = stopped - edge_deadline;
    eprintln!("last hop stopped {overshoot:?} after the edge's deadline");
    assert!(
        overshoot < STOP_BOUND,
        "the last hop stopped {overshoot:?} late"
    );
}

mod over_grpc {
    use super::*;
    use tonic::Code;

    fn request(hops_left: u32, endless: bool) -> grpc::HopRequest {
        grpc::HopRequest {
            hops_left,
            endless,
            ..Default::default()
        }
    }

    /// A → B → C, the edge's 300 ms: C's endless loop stops at the deadline, B and A answer
    /// DEADLINE_EXCEEDED, and nothing runs after the edge's answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deadline_crosses_three_hops() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 3).await;
        let mut client = grpc::client(a);
        client.call(request(0, false)).await.expect("warm-up"); // connections up

        let edge = Ctx::new().with_timeout(EDGE_BUDGET);
        let edge_deadline = edge.deadline().unwrap().instant().into_std();
        let status = edge
            .scope(async { client.call(request(2, true)).await })
            .await
            .expect_err("the deadline passed");
        let answered = Instant::now();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        let cancelled = cancelled_of(&status);
        assert!(
            !cancelled.cause().is_propagated_deadline(),
            "the edge's own deadline"
        );

        assert_all_stopped(&probes, answered).await;
        assert_every_hop_had_the_edges_deadline(&probes);
        assert_last_hop_stopped_in_time(&probes, edge_deadline);
        assert_propagated_causes(&probes, edge_deadline);
        servers.cancel();
    }

    /// The same without the edge's client layer, over a client with no timeout of its own: A's
    /// server layer answers DEADLINE_EXCEEDED itself, and says the deadline came from the caller.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_hop_answers_deadline_exceeded() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 3).await;
        let mut client = grpc::h2_client(a);
        let mut call = tonic::Request::new(request(2, true));
        call.set_timeout(EDGE_BUDGET);
        let status = tokio::time::timeout(Duration::from_secs(10), client.call(call))
            .await
            .expect("an answer within 10 s")
            .expect_err("the deadline passed");
        let answered = Instant::now();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert!(status.message().contains("set by the caller"), "{status:?}");
        assert_all_stopped(&probes, answered).await;
        servers.cancel();
    }

    fn cancelled_of(status: &tonic::Status) -> Cancelled {
        let source = std::error::Error::source(status).expect("the Cancelled is the source");
        source
            .downcast_ref::<Cancelled>()
            .expect("a Cancelled")
            .clone()
    }

    #[tokio::test]
    async fn the_handler_sees_the_callers_remaining_time() {
        let servers = Ctx::new();
        let (a, _probes) = grpc::chain(&servers, 2).await;
        let mut client = grpc::client(a);
        let reply = Ctx::new()
            .with_timeout(Duration::from_secs(30))
            .scope(async { client.call(request(1, false)).await })
            .await
            .unwrap()
            .into_inner();
        let remaining = Duration::from_micros(reply.remaining_us.expect("a deadline"));
        assert!(remaining <= Duration::from_secs(30));
        assert!(remaining > Duration::from_secs(20), "{remaining:?}");
        servers.cancel();
    }

    #[tokio::test]
    async fn without_a_deadline_none_is_sent() {
        let servers = Ctx::new();
        let (a, _probes) = grpc::chain(&servers, 2).await;
        let reply = grpc::client(a)
            .call(request(1, false))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.remaining_us, None);
        servers.cancel();
    }

    #[tokio::test]
    async fn a_call_can_opt_out_of_propagation() {
        let servers = Ctx::new();
        let (a, _probes) = grpc::chain(&servers, 1).await;
        let mut client = grpc::client(a);
        let reply = Ctx::new()
            .with_timeout(Duration::from_secs(30))
            .scope(async {
                let mut call = tonic::Request::new(request(0, false));
                call.extensions_mut().insert(NoPropagation);
                client.call(call).await
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.remaining_us, None);
        servers.cancel();
    }

    #[tokio::test]
    async fn a_passed_deadline_fails_fast_without_sending() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 1).await;
        let mut client = grpc::client(a);
        let gone = Ctx::new().with_timeout(Duration::ZERO);
        let status = gone
            .scope(async { client.call(request(0, false)).await })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(cancelled_of(&status).is_deadline_exceeded());
        assert_eq!(probes[0].entered(), 0, "nothing was sent");
        servers.cancel();
    }

    #[tokio::test]
    async fn a_past_deadline_is_refused_without_running_the_handler() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 1).await;
        let mut call = tonic::Request::new(request(0, false));
        call.metadata_mut()
            .insert("grpc-timeout", "0n".parse().unwrap());
        let status = grpc::h2_client(a).call(call).await.unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert_eq!(
            status.message(),
            "deadline exceeded (after 0ns, set by the caller)"
        );
        assert_eq!(probes[0].entered(), 0);
        servers.cancel();
    }

    /// A server with a limit of its own words the refusal of a passed deadline as the deadline
    /// it is, not as "cancelled: parent context: …".
    #[tokio::test]
    async fn a_past_deadline_is_worded_as_one_under_a_server_limit() {
        let servers = Ctx::new();
        let layer = ServerLayer::new(servers.clone()).timeout(Duration::from_secs(30));
        let a = grpc::serve_with(&servers, None, Arc::default(), Some(layer)).await;
        for value in ["0m", "0n", "0S"] {
            let mut call = tonic::Request::new(request(0, false));
            call.metadata_mut()
                .insert("grpc-timeout", value.parse().unwrap());
            let status = grpc::h2_client(a).call(call).await.unwrap_err();
            assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
            assert_eq!(
                status.message(),
                "deadline exceeded (after 0ns, set by the caller)",
                "{value}"
            );
        }
        servers.cancel();
    }

    #[tokio::test]
    async fn a_malformed_timeout_is_refused_as_grpc_go_does() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 1).await;
        for value in ["", "1", "123456789n", "1s", "-1S", "1.5S", "S"] {
            let mut call = tonic::Request::new(request(0, false));
            call.metadata_mut()
                .insert("grpc-timeout", value.parse().unwrap());
            let status = grpc::h2_client(a).call(call).await.unwrap_err();
            assert_eq!(status.code(), Code::Internal, "{value:?}: {status:?}");
            assert!(
                status.message().starts_with("malformed grpc-timeout"),
                "{status:?}"
            );
        }
        assert_eq!(probes[0].entered(), 0);
        servers.cancel();
    }

    /// Shutting the servers down cancels the requests in flight: the loop stops, the caller
    /// hears UNAVAILABLE or CANCELLED, not a deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn server_shutdown_cancels_requests_in_flight() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 1).await;
        let mut client = grpc::plain_client(a);
        let call = tokio::spawn(async move { client.call(request(0, true)).await });
        while probes[0].iterations() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        servers.cancel_with_reason("shutting down");
        let status = call.await.unwrap().unwrap_err();
        assert!(
            matches!(status.code(), Code::Unavailable | Code::Cancelled),
            "{status:?}"
        );
        let (_, cancelled) = probes[0]
            .cancelled()
            .expect("the request's context was cancelled");
        assert!(!cancelled.is_deadline_exceeded());
        assert_all_stopped(&probes, Instant::now()).await;
    }
}

mod over_http {
    use super::*;
    use ::http::StatusCode;
    use http_body_util::BodyExt;

    /// A → B → C over HTTP/1, the edge's 300 ms: C's endless loop stops at the deadline, B and A
    /// answer 504, nothing runs after the edge's answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_deadline_crosses_three_hops() {
        let servers = Ctx::new();
        let (a, probes) = http::chain(&servers, 3).await;
        let mut client = http::client();
        http::send(&mut client, http::request(a, 2, false))
            .await
            .expect("warm-up");

        let edge = Ctx::new().with_timeout(EDGE_BUDGET);
        let edge_deadline = edge.deadline().unwrap().instant().into_std();
        let error = edge
            .scope(async { http::send(&mut client, http::request(a, 2, true)).await })
            .await
            .expect_err("the deadline passed");
        let answered = Instant::now();
        let cancelled = error.downcast::<Cancelled>().expect("a Cancelled");
        assert!(cancelled.is_deadline_exceeded());
        assert!(
            !cancelled.cause().is_propagated_deadline(),
            "the edge's own deadline"
        );

        assert_all_stopped(&probes, answered).await;
        assert_every_hop_had_the_edges_deadline(&probes);
        assert_last_hop_stopped_in_time(&probes, edge_deadline);
        assert_propagated_causes(&probes, edge_deadline);
        servers.cancel();
    }

    /// Without the edge's client layer, the first hop answers 504 itself.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_hop_answers_504() {
        let servers = Ctx::new();
        let (a, probes) = http::chain(&servers, 3).await;
        let mut request = http::request(a, 2, true);
        request
            .headers_mut()
            .insert("x-request-timeout", "300m".parse().unwrap());
        let response = tokio::time::timeout(
            Duration::from_secs(10),
            http::plain_client().request(request),
        )
        .await
        .expect("an answer within 10 s")
        .unwrap();
        let answered = Instant::now();
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_all_stopped(&probes, answered).await;
        servers.cancel();
    }

    #[tokio::test]
    async fn the_handler_sees_the_callers_remaining_time_or_none() {
        let servers = Ctx::new();
        let (a, _probes) = http::chain(&servers, 2).await;
        let mut client = http::client();
        let (status, text) = Ctx::new()
            .with_timeout(Duration::from_secs(30))
            .scope(http::send(&mut client, http::request(a, 1, false)))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let remaining = Duration::from_micros(text.parse().expect("µs"));
        assert!(remaining > Duration::from_secs(20), "{remaining:?}");
        let (_, text) = http::send(&mut client, http::request(a, 1, false))
            .await
            .unwrap();
        assert_eq!(text, "none");
        let mut opted_out = http::request(a, 0, false);
        opted_out.extensions_mut().insert(NoPropagation);
        let (_, text) = Ctx::new()
            .with_timeout(Duration::from_secs(30))
            .scope(http::send(&mut client, opted_out))
            .await
            .unwrap();
        assert_eq!(text, "none");
        servers.cancel();
    }

    #[tokio::test]
    async fn past_and_malformed_timeouts_are_refused_without_running_the_handler() {
        let servers = Ctx::new();
        let (a, probes) = http::chain(&servers, 1).await;
        for (value, expected) in [
            ("0n", StatusCode::GATEWAY_TIMEOUT),
            ("1x", StatusCode::BAD_REQUEST),
            ("123456789n", StatusCode::BAD_REQUEST),
        ] {
            let mut request = http::request(a, 0, false);
            request
                .headers_mut()
                .insert("x-request-timeout", value.parse().unwrap());
            let response = http::plain_client().request(request).await.unwrap();
            assert_eq!(response.status(), expected, "{value}");
        }
        assert_eq!(probes[0].entered(), 0);
        let mut client = http::client();
        let error = Ctx::new()
            .with_timeout(Duration::ZERO)
            .scope(http::send(&mut client, http::request(a, 0, false)))
            .await
            .unwrap_err();
        assert!(error
            .downcast::<Cancelled>()
            .unwrap()
            .is_deadline_exceeded());
        assert_eq!(probes[0].entered(), 0, "the client did not send it");
        servers.cancel();
    }

    /// A server with a limit of its own words the refusal of a passed deadline as the deadline
    /// it is, not as "cancelled: parent context: …".
    #[tokio::test]
    async fn a_past_deadline_is_worded_as_one_under_a_server_limit() {
        let servers = Ctx::new();
        let layer = ServerLayer::new(servers.clone()).timeout(Duration::from_secs(30));
        let a = http::serve_with(&servers, None, Arc::default(), Some(layer)).await;
        let mut request = http::request(a, 0, false);
        request
            .headers_mut()
            .insert("x-request-timeout", "0m".parse().unwrap());
        let response = http::plain_client().request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "deadline exceeded (after 0ns, set by the caller)");
        servers.cancel();
    }
}

/// Other timeout headers: a plain HTTP header of one's own, on both sides, and proxy headers
/// (Envoy's, in milliseconds) read where the server opts in.
mod headers {
    use super::*;
    use ::http::StatusCode;
    use autocancel_tower::{ClientLayer, TimeoutFormat, TimeoutHeader};
    use http_body_util::BodyExt;

    const DEADLINE_MS: TimeoutHeader = TimeoutHeader::new("x-deadline-ms", TimeoutFormat::Millis);
    const ENVOY: &str = "x-envoy-expected-rq-timeout-ms";

    /// Sends a request to the last hop, with `headers`, without a client layer: the status and
    /// the body (the handler's remaining time in µs, `none`, or the refusal's text).
    async fn get(
        a: std::net::SocketAddr,
        headers: &[(&'static str, &str)],
    ) -> (StatusCode, String) {
        get_hop(a, false, headers).await
    }

    async fn get_hop(
        a: std::net::SocketAddr,
        endless: bool,
        headers: &[(&'static str, &str)],
    ) -> (StatusCode, String) {
        let mut request = http::request(a, 0, endless);
        for &(name, value) in headers {
            request
                .headers_mut()
                .insert(name, value.parse().expect("a header value"));
        }
        let response = tokio::time::timeout(
            Duration::from_secs(10),
            http::plain_client().request(request),
        )
        .await
        .expect("an answer within 10 s")
        .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn micros(text: &str) -> Duration {
        Duration::from_micros(text.parse().unwrap_or_else(|_| panic!("µs: {text:?}")))
    }

    #[tokio::test]
    async fn a_header_of_ones_own_on_both_sides() {
        let servers = Ctx::new();
        let layer = ServerLayer::new(servers.clone()).http_timeout_header(DEADLINE_MS);
        let a = http::serve_with(&servers, None, Arc::default(), Some(layer)).await;

        // The client layer writes it: the handler has the caller's remaining time.
        let mut client = tower::ServiceBuilder::new()
            .layer(ClientLayer::new().http_timeout_header(DEADLINE_MS))
            .service(http::plain_client());
        let (status, text) = Ctx::new()
            .with_timeout(Duration::from_secs(30))
            .scope(http::send(&mut client, http::request(a, 0, false)))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let remaining = micros(&text);
        assert!(remaining > Duration::from_secs(20), "{remaining:?}");
        assert!(remaining <= Duration::from_secs(30), "{remaining:?}");

        // Only that header is read: `x-request-timeout` is not.
        let (_, text) = get(a, &[("x-request-timeout", "300m")]).await;
        assert_eq!(text, "none");
        let (_, text) = get(a, &[("x-deadline-ms", "30000")]).await;
        assert!(micros(&text) > Duration::from_secs(20), "{text}");

        // Malformed in its own grammar: 400, naming the header.
        for value in ["300m", "1.5", "-1", "1234567890123456789"] {
            let (status, text) = get(a, &[("x-deadline-ms", value)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{value}: {text}");
            assert!(text.starts_with("malformed x-deadline-ms: "), "{text}");
        }
        servers.cancel();
    }

    #[tokio::test]
    async fn envoys_header_is_read_where_opted_in() {
        let servers = Ctx::new();
        let a = http::serve_with(
            &servers,
            None,
            Arc::default(),
            Some(ServerLayer::new(servers.clone()).also_read(TimeoutHeader::ENVOY)),
        )
        .await;
        let plain = http::serve_with(
            &servers,
            None,
            Arc::default(),
            Some(ServerLayer::new(servers.clone())),
        )
        .await;

        let (status, text) = get(a, &[(ENVOY, "30000")]).await;
        assert_eq!(status, StatusCode::OK);
        let remaining = micros(&text);
        assert!(remaining > Duration::from_secs(20), "{remaining:?}");
        assert!(remaining <= Duration::from_secs(30), "{remaining:?}");
        // Envoy's 0 is no timeout; where both headers come, the shortest wins.
        assert_eq!(get(a, &[(ENVOY, "0")]).await.1, "none");
        let (_, text) = get(a, &[(ENVOY, "30000"), ("x-request-timeout", "10S")]).await;
        assert!(micros(&text) <= Duration::from_secs(10), "{text}");
        let (_, text) = get(a, &[(ENVOY, "10000"), ("x-request-timeout", "30S")]).await;
        assert!(micros(&text) <= Duration::from_secs(10), "{text}");
        // Not opted in: ignored.
        assert_eq!(get(plain, &[(ENVOY, "30000")]).await.1, "none");

        // Its deadline stops the handler: 504, the caller's deadline.
        let (status, text) = get_hop(a, true, &[(ENVOY, "100")]).await;
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{text}");
        assert!(text.contains("set by the caller"), "{text}");

        for value in ["", "1.5", "30s", "+1", "1234567890123456789"] {
            let (status, text) = get(a, &[(ENVOY, value)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{value:?}: {text}");
            assert!(
                text.starts_with("malformed x-envoy-expected-rq-timeout-ms: "),
                "{text}"
            );
        }
        servers.cancel();
    }

    #[tokio::test]
    async fn envoys_header_over_grpc() {
        let servers = Ctx::new();
        let layer = ServerLayer::new(servers.clone()).also_read(TimeoutHeader::ENVOY);
        let a = grpc::serve_with(&servers, None, Arc::default(), Some(layer)).await;
        let call = |value: &str| {
            let mut call = tonic::Request::new(grpc::HopRequest::default());
            call.metadata_mut().insert(ENVOY, value.parse().unwrap());
            call
        };
        let reply = grpc::h2_client(a)
            .call(call("30000"))
            .await
            .unwrap()
            .into_inner();
        let remaining = Duration::from_micros(reply.remaining_us.expect("a deadline"));
        assert!(remaining > Duration::from_secs(20), "{remaining:?}");
        assert!(remaining <= Duration::from_secs(30), "{remaining:?}");
        let reply = grpc::h2_client(a).call(call("0")).await.unwrap();
        assert_eq!(reply.into_inner().remaining_us, None);
        for value in ["1.5", "30S", "abc"] {
            let status = grpc::h2_client(a).call(call(value)).await.unwrap_err();
            assert_eq!(status.code(), tonic::Code::Internal, "{value}: {status:?}");
            assert!(
                status
                    .message()
                    .starts_with("malformed x-envoy-expected-rq-timeout-ms: "),
                "{status:?}"
            );
        }
        servers.cancel();
    }
}

/// The caller goes away while the handler's spawned work runs: the server drops the response
/// future, the layer cancels the request's context (cause `CallerGone`, not a shutdown), and
/// the spawned task, which inherited that context, stops.
mod caller_gone {
    use super::*;

    /// Waits (real clock, bounded) until the spawned loop has run at least once.
    async fn until_running(probe: &Probe) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while probe.iterations() == 0 {
            assert!(Instant::now() < give_up, "the spawned loop never ran");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Waits (real clock, bounded) until the spawned loop stopped, then checks why it did and
    /// that it stays stopped.
    async fn assert_spawned_work_stopped(probe: &Probe) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while probe.spawned_stopped().is_none() {
            assert!(
                Instant::now() < give_up,
                "the spawned loop still runs 10 s after the caller left"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let stopped = probe.spawned_stopped().unwrap();
        assert!(
            matches!(stopped.cause().root(), Cause::CallerGone { .. }),
            "{stopped}"
        );
        assert!(!stopped.is_shutdown(), "the server is not shutting down");
        assert!(!stopped.is_deadline_exceeded());
        assert_eq!(stopped.to_string(), "cancelled: the caller went away");
        let (_, request) = probe
            .cancelled()
            .expect("the request's context was cancelled");
        assert!(
            matches!(request.cause(), Cause::CallerGone { .. }),
            "{request}"
        );
        let iterations = probe.iterations();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            probe.iterations(),
            iterations,
            "the spawned loop still runs"
        );
    }

    /// A tonic client drops its call (the stream is reset): the spawned work stops.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_grpc_call_stops_the_handlers_spawned_work() {
        let servers = Ctx::new();
        let (a, probes) = grpc::chain(&servers, 1).await;
        let mut client = grpc::plain_client(a);
        let call = tokio::spawn(async move {
            client
                .call(grpc::HopRequest {
                    spawned: true,
                    ..Default::default()
                })
                .await
        });
        until_running(&probes[0]).await;
        call.abort(); // drops the call: tonic resets the stream
        assert!(call.await.unwrap_err().is_cancelled());
        assert_spawned_work_stopped(&probes[0]).await;
        assert!(!servers.is_cancelled());
        servers.cancel();
    }

    /// A hyper client closes its connection mid-request: the spawned work stops.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_http_connection_stops_the_handlers_spawned_work() {
        let servers = Ctx::new();
        let (a, probes) = http::chain(&servers, 1).await;
        let stream = tokio::net::TcpStream::connect(a).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        let connection = tokio::spawn(connection);
        let request = ::http::Request::get(format!("http://{a}/spawned"))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = tokio::spawn(sender.send_request(request));
        until_running(&probes[0]).await;
        response.abort();
        connection.abort(); // drops the connection: the socket closes
        drop(sender);
        assert_spawned_work_stopped(&probes[0]).await;
        assert!(!servers.is_cancelled());
        servers.cancel();
    }
}
