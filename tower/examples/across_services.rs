//! Two HTTP services in one process, over 127.0.0.1: `edge` answers `/report` by calling
//! `backend`'s `/compute`, which works in steps until it is done or its deadline passes. Both run
//! under `ServerLayer` (per-request deadlines from `x-request-timeout`, as children of the
//! server's context) and call out through `ClientLayer` (the remaining time goes along).
//!
//! ```sh
//! cargo run -p autocancel-tower --example across_services
//! ```
//!
//! 1. With 2 s to spare, the report comes back.
//! 2. With 300 ms, `backend` stops its work at the edge's deadline, and says the deadline came
//!    from its caller; the client hears 504.
//! 3. Shutdown: the servers' context comes from a tokio-util `CancellationToken` (the kind of
//!    token existing shutdown code already has); cancelling it cancels the requests in flight
//!    (503) and ends both servers gracefully.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx};
use autocancel_tower::{BoxError, ClientLayer, ClientService, ServerLayer};
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt};

type Client = ClientService<hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>>>;

fn client() -> Client {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    tower::ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client)
}

async fn get_text(client: &mut Client, url: String) -> Result<(u16, String), BoxError> {
    let request = http::Request::get(url).body(Empty::new())?;
    let response = client.ready().await?.call(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?;
    Ok((
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    ))
}

/// `backend`'s work: ten steps of 100 ms. The steps are checkpoints: the work stops at the
/// deadline the caller sent, not a second later.
#[cancellable]
async fn compute() -> Result<String, Cancelled> {
    let started = Instant::now();
    let mut steps = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        steps += 1;
    }
    Ok(format!("{steps} steps in {:?}", started.elapsed()))
}

async fn backend_compute() -> Result<String, Cancelled> {
    let deadline = Ctx::current().deadline().map(|d| d.remaining());
    println!("  backend: request in, {deadline:?} left");
    let mut dropped = Dropped(true);
    let result = compute().await;
    dropped.0 = false;
    match &result {
        Ok(text) => println!("  backend: done, {text}"),
        Err(cancelled) => println!("  backend: stopped: {cancelled}"),
    }
    result
}

/// Says so when the server drops the handler: the caller hung up first (its own deadline), and
/// the server noticed before the deadline that came with the request fired here.
struct Dropped(bool);

impl Drop for Dropped {
    fn drop(&mut self) {
        if self.0 {
            println!("  backend: stopped: the caller hung up at its deadline");
        }
    }
}

async fn edge_report(State(backend): State<SocketAddr>) -> Result<String, Cancelled> {
    let mut client = client();
    match get_text(&mut client, format!("http://{backend}/compute")).await {
        Ok((200, text)) => Ok(format!("report: {text}")),
        Ok((status, text)) => Ok(format!("backend said {status}: {text}")),
        Err(error) => match error.downcast::<Cancelled>() {
            // Our own request's cancellation, seen by the call: a 504 or 503, no glue.
            Ok(cancelled) => {
                println!("  edge: call to backend stopped: {cancelled}");
                Err(*cancelled)
            }
            Err(error) => Ok(format!("backend unreachable: {error}")),
        },
    }
}

async fn serve(ctx: &Ctx, router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = router.layer(ServerLayer::new(ctx.clone()));
    let shutdown = {
        let ctx = ctx.clone();
        async move {
            ctx.cancelled().await;
        }
    };
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .unwrap();
    });
    (addr, task)
}

/// Calls the edge with `budget`, from a context of our own: `ClientLayer` sends what is left.
async fn call_edge(edge: SocketAddr, budget: Duration) {
    let started = Instant::now();
    let ctx = Ctx::new().with_timeout(budget);
    let answer = ctx
        .scope(async { get_text(&mut client(), format!("http://{edge}/report")).await })
        .await;
    match answer {
        Ok((status, text)) => println!("client: {status} after {:?}: {text}", started.elapsed()),
        Err(error) => println!("client: failed after {:?}: {error}", started.elapsed()),
    }
}

#[tokio::main]
async fn main() {
    // Existing shutdown code has a token (a signal handler cancels it); the servers' context
    // follows it, so every request does too.
    let shutdown = CancellationToken::new();
    let servers = Ctx::from_token(shutdown.clone());

    let (backend, backend_task) = serve(
        &servers,
        Router::new().route("/compute", get(backend_compute)),
    )
    .await;
    let (edge, edge_task) = serve(
        &servers,
        Router::new()
            .route("/report", get(edge_report))
            .with_state(backend),
    )
    .await;

    println!("1. 2 s for the report (the work takes 1 s):");
    call_edge(edge, Duration::from_secs(2)).await;

    println!("\n2. 300 ms for the report: the deadline travels to the backend, which stops:");
    call_edge(edge, Duration::from_millis(300)).await;
    // The backend's deadline is the edge's plus the time the request took to get there.
    tokio::time::sleep(Duration::from_millis(50)).await;

    println!("\n3. Shutdown 200 ms into a request with 5 s to spare:");
    let in_flight = tokio::spawn(call_edge(edge, Duration::from_secs(5)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!("  (cancelling the shutdown token)");
    shutdown.cancel();
    in_flight.await.unwrap();
    backend_task.await.unwrap();
    edge_task.await.unwrap();
    println!("both servers stopped: {}", servers.cause().unwrap());
}
