//! Graceful shutdown of an axum server, with one context: `ServerLayer`'s requests, a
//! `TaskSet` of background jobs the handlers start, and axum's `with_graceful_shutdown` all
//! hang off the server's `Ctx`, so cancelling it (Ctrl-C, or here after 300 ms) stops
//! accepting, cancels the requests in flight and the jobs, waits for the requests' answers,
//! then for the jobs, and reports.
//!
//! ```sh
//! cargo run -p autocancel-tower --example axum_graceful
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx, TaskSet};
use autocancel_tower::{shutdown_signal, ServerLayer};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A request that takes 1 s, in steps: cancelled at shutdown, it answers 503 with the cause.
#[cancellable]
async fn slow() -> Result<&'static str, Cancelled> {
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok("done")
}

/// Starts a background job that outlives the request (it runs under the set's context, not the
/// request's) and stops at shutdown.
async fn start_job(State(jobs): State<Arc<TaskSet>>) -> &'static str {
    jobs.spawn_named("refresh-cache", refresh_cache());
    "started"
}

#[cancellable]
async fn refresh_cache() -> Result<(), Cancelled> {
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await; // a checkpoint: stops at shutdown
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let server = Ctx::new();
    let jobs = Arc::new(TaskSet::with_parent(&server).grace(Duration::from_millis(500)));
    let app = Router::new()
        .route("/slow", get(slow))
        .route("/job", get(start_job))
        .with_state(jobs.clone())
        .layer(ServerLayer::new(server.clone()));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // The one line: the server's context is axum's shutdown signal.
    let serving = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal(&server));
    let serving = tokio::spawn(async move { serving.await });

    // Shutdown on Ctrl-C, or after 300 ms for the demo.
    let shutdown = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => server.cancel_with_reason("Ctrl-C"),
            _ = tokio::time::sleep(Duration::from_millis(300)) => server.cancel_with_reason("shutting down"),
        }
    });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let get = |path: &str| {
        let client = client.clone();
        let uri = format!("http://{addr}{path}");
        async move {
            let response = client.get(uri.parse()?).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, body))
        }
    };
    let started = Instant::now();
    println!("GET /job  -> {:?}", get("/job").await?);
    let in_flight = tokio::spawn(get("/slow"));

    shutdown.await?;
    let (status, body) = in_flight.await??;
    println!(
        "GET /slow -> {status} {body:?} at {:?} (cancelled in flight, answered)",
        started.elapsed()
    );
    serving.await??; // axum waited for that answer
    println!("server stopped at {:?}", started.elapsed());

    // The handlers' clones of the set went with the server: the set is ours again.
    let jobs = Arc::try_unwrap(jobs).expect("the server is done with the job set");
    let report = jobs.shutdown().await;
    println!("jobs: {report} at {:?}", started.elapsed());
    assert!(report.stragglers.is_empty());
    Ok(())
}
