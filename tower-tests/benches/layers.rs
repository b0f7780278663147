//! What the layers cost per request, and how late each hop stops after the edge's deadline.
//!
//! 1. Criterion: one unary round trip over 127.0.0.1 (tonic gRPC over HTTP/2; axum + hyper over
//!    HTTP/1), the same service and client with and without `ServerLayer` + `ClientLayer`. Both
//!    run inside a `Ctx::scope` whose context has a 10 s deadline, so the layered run sends,
//!    parses and applies a timeout on every request; the difference is the layers' cost.
//! 2. Real clock, printed: A → B → C where C loops forever, the edge's deadline 50 ms, 30 runs
//!    per engine: for each hop, how long after the edge's deadline its context was cancelled
//!    (p50 / p99 / max), and when C's loop stopped.
//!
//! `cargo bench -p autocancel-tower-tests --bench layers` (`-- --warm-up-time 1
//! --measurement-time 3` for a short run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use autocancel::Ctx;
use autocancel_tower_tests::{grpc, http, Probe};
use criterion::{criterion_group, Criterion};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn round_trips(c: &mut Criterion) {
    let rt = runtime();
    let servers = Ctx::new();
    let ambient = Ctx::new().with_timeout(Duration::from_secs(10_000));
    let mut group = c.benchmark_group("round_trip");

    let (plain_grpc, layered_grpc) = rt.block_on(async {
        let plain = grpc::serve(&servers, None, Arc::default(), false).await;
        let layered = grpc::serve(&servers, None, Arc::default(), true).await;
        (grpc::plain_client(plain), grpc::client(layered))
    });
    let request = grpc::HopRequest {
        hops_left: 0,
        endless: false,
        ..Default::default()
    };
    group.bench_function("grpc/plain", |b| {
        b.to_async(&rt).iter(|| {
            let mut client = plain_grpc.clone();
            let request = request.clone();
            ambient.scope(async move { client.call(request).await.unwrap() })
        })
    });
    group.bench_function("grpc/layers", |b| {
        b.to_async(&rt).iter(|| {
            let mut client = layered_grpc.clone();
            let request = request.clone();
            ambient.scope(async move { client.call(request).await.unwrap() })
        })
    });

    let (plain_http, layered_http) = rt.block_on(async {
        let plain = http::serve(&servers, None, Arc::default(), false).await;
        let layered = http::serve(&servers, None, Arc::default(), true).await;
        (plain, layered)
    });
    let plain_client = http::plain_client();
    group.bench_function("http/plain", |b| {
        b.to_async(&rt).iter(|| {
            let client = plain_client.clone();
            ambient.scope(async move {
                let response = client
                    .request(http::request(plain_http, 0, false))
                    .await
                    .unwrap();
                http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .unwrap()
            })
        })
    });
    let layered_client = http::client();
    group.bench_function("http/layers", |b| {
        b.to_async(&rt).iter(|| {
            let mut client = layered_client.clone();
            ambient.scope(async move {
                http::send(&mut client, http::request(layered_http, 0, false))
                    .await
                    .unwrap()
            })
        })
    });
    group.finish();
    servers.cancel();
}

/// The layers alone, in process, around a service that answers at once: their CPU cost per
/// request without the network's noise (parse the timeout, make the request's context, run the
/// handler in its scope and race it; on the client, read the ambient deadline and write the
/// header). On a current-thread runtime.
fn layers_alone(c: &mut Criterion) {
    use autocancel_tower::{ClientLayer, ServerLayer};
    use tower::{Layer, Service, ServiceExt};

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _guard = rt.enter();
    let answer = tower::service_fn(|_: ::http::Request<()>| async {
        Ok::<_, std::convert::Infallible>(::http::Response::new(http_body_util::Empty::<
            bytes::Bytes,
        >::new()))
    });
    let request = || {
        ::http::Request::post("/hops.Hop/Call")
            .header("content-type", "application/grpc")
            .header("grpc-timeout", "9999000u")
            .body(())
            .unwrap()
    };
    let ambient = Ctx::new().with_timeout(Duration::from_secs(10_000));
    let mut group = c.benchmark_group("layer_alone");
    group.bench_function("none", |b| {
        b.to_async(&rt).iter(|| {
            let mut service = answer;
            ambient.scope(async move { service.ready().await.unwrap().call(request()).await })
        })
    });
    let server = ServerLayer::new(Ctx::new()).layer(answer);
    group.bench_function("server", |b| {
        b.to_async(&rt).iter(|| {
            let mut service = server.clone();
            ambient.scope(async move { service.ready().await.unwrap().call(request()).await })
        })
    });
    let client = ClientLayer::new().layer(answer);
    group.bench_function("client", |b| {
        b.to_async(&rt).iter(|| {
            let mut service = client.clone();
            ambient.scope(async move {
                service
                    .ready()
                    .await
                    .unwrap()
                    .call(request())
                    .await
                    .unwrap()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, layers_alone, round_trips);

/// p50, p99 and max of `samples`, in ms.
fn summary(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no sample".to_owned();
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len()
    )
}

fn reset(probes: &[Arc<Probe>]) {
    for probe in probes {
        *probe.cancelled.lock().unwrap() = None;
        *probe.stopped.lock().unwrap() = None;
    }
}

async fn settle(probes: &[Arc<Probe>]) {
    while probes.iter().any(|p| p.live() > 0) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Per hop: how long after the edge's deadline its context was cancelled; and when the last
/// hop's loop stopped.
struct Overshoots {
    hops: Vec<Vec<Duration>>,
    stopped: Vec<Duration>,
}

impl Overshoots {
    fn new(n: usize) -> Self {
        Overshoots {
            hops: vec![Vec::new(); n],
            stopped: Vec::new(),
        }
    }

    fn record(&mut self, probes: &[Arc<Probe>], deadline: Instant) {
        for (i, probe) in probes.iter().enumerate() {
            if let Some((at, _)) = probe.cancelled() {
                self.hops[i].push(at.saturating_duration_since(deadline));
            }
        }
        if let Some(at) = probes.last().unwrap().stopped() {
            self.stopped.push(at.saturating_duration_since(deadline));
        }
    }

    fn print(self, engine: &str) {
        for (i, hop) in self.hops.into_iter().enumerate() {
            println!(
                "overshoot/{engine}/hop {}: context cancelled {}",
                ["A", "B", "C"][i],
                summary(hop)
            );
        }
        println!(
            "overshoot/{engine}/C's loop stopped: {}",
            summary(self.stopped)
        );
    }
}

const RUNS: usize = 30;
const EDGE_BUDGET: Duration = Duration::from_millis(50);

fn overshoot() {
    let rt = runtime();
    rt.block_on(async {
        let servers = Ctx::new();

        let (a, probes) = grpc::chain(&servers, 3).await;
        let mut client = grpc::client(a);
        let request = |endless| grpc::HopRequest {
            hops_left: 2,
            endless,
            ..Default::default()
        };
        client.call(request(false)).await.unwrap();
        let mut overshoots = Overshoots::new(3);
        for _ in 0..RUNS {
            reset(&probes);
            let edge = Ctx::new().with_timeout(EDGE_BUDGET);
            let deadline = edge.deadline().unwrap().instant().into_std();
            let _ = edge.scope(client.call(request(true))).await;
            settle(&probes).await;
            overshoots.record(&probes, deadline);
        }
        overshoots.print("grpc");

        let (a, probes) = http::chain(&servers, 3).await;
        let mut client = http::client();
        http::send(&mut client, http::request(a, 2, false))
            .await
            .unwrap();
        let mut overshoots = Overshoots::new(3);
        for _ in 0..RUNS {
            reset(&probes);
            let edge = Ctx::new().with_timeout(EDGE_BUDGET);
            let deadline = edge.deadline().unwrap().instant().into_std();
            let _ = edge
                .scope(http::send(&mut client, http::request(a, 2, true)))
                .await;
            settle(&probes).await;
            overshoots.record(&probes, deadline);
        }
        overshoots.print("http");
        servers.cancel();
    });
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench -- <filter>` runs the criterion benches matching it; the overshoot runs only
    // without a filter or with `overshoot`.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.parse::<f64>().is_err());
    if filter.as_deref().is_none_or(|f| "overshoot".contains(f)) {
        overshoot();
    }
}
