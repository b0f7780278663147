//! The same hops over plain HTTP/1: axum servers, hyper-util's client. `GET /hop/{hops_left}/{endless}`
//! calls the next hop while `hops_left > 0`; the last one answers with its context's remaining
//! time in µs (or `none`), or runs [`endless`]; `GET /spawned` runs it in a task of its own.

use std::net::SocketAddr;
use std::sync::Arc;

use autocancel::{Cancelled, Ctx};
use autocancel_tower::{shutdown_signal, ClientLayer, ClientService, ServerLayer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceExt};

use crate::probe::{endless, spawned_endless, Probe};

/// A hyper client whose requests carry the ambient deadline.
pub type Client = ClientService<hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>>>;

/// A hyper client through [`ClientLayer`].
pub fn client() -> Client {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    tower::ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client)
}

/// A hyper client without [`ClientLayer`].
pub fn plain_client() -> hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>> {
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http()
}

/// A GET request for the hop at `addr`.
pub fn request(addr: SocketAddr, hops_left: u32, endless: bool) -> http::Request<Empty<Bytes>> {
    http::Request::get(format!("http://{addr}/hop/{hops_left}/{endless}"))
        .body(Empty::new())
        .expect("a valid request")
}

/// Sends `request` through `client`; the status and the body's text, or the client's error.
pub async fn send(
    client: &mut Client,
    request: http::Request<Empty<Bytes>>,
) -> Result<(http::StatusCode, String), autocancel_tower::BoxError> {
    let response = client.ready().await?.call(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[derive(Clone)]
struct Hop {
    probe: Arc<Probe>,
    next: Option<SocketAddr>,
    client: Client,
}

async fn hop(
    State(hop): State<Hop>,
    Path((hops_left, is_endless)): Path<(u32, bool)>,
) -> Result<Response, Cancelled> {
    let _live = hop.probe.enter();
    match hop.next {
        Some(next) if hops_left > 0 => {
            let mut client = hop.client.clone();
            match send(&mut client, request(next, hops_left - 1, is_endless)).await {
                Ok((status, text)) => Ok((status, text).into_response()),
                Err(error) => match error.downcast::<Cancelled>() {
                    Ok(cancelled) => Err(*cancelled), // 504 or 503: no glue
                    Err(error) => {
                        Ok((http::StatusCode::BAD_GATEWAY, error.to_string()).into_response())
                    }
                },
            }
        }
        _ if is_endless => {
            endless(&hop.probe).await?;
            Ok("the endless loop ended".into_response())
        }
        _ => Ok(Ctx::current()
            .deadline()
            .map_or("none".to_owned(), |d| d.remaining().as_micros().to_string())
            .into_response()),
    }
}

/// `GET /spawned`: the endless loop in a task the handler spawns (see [`spawned_endless`]).
async fn spawned(State(hop): State<Hop>) -> Result<Response, Cancelled> {
    let _live = hop.probe.enter();
    spawned_endless(hop.probe.clone()).await?;
    Ok("the endless loop ended".into_response())
}

/// Starts a hop on 127.0.0.1 (calling `next`, if any), with [`ServerLayer`] under `ctx` if
/// `layered`; it shuts down gracefully when `ctx` is cancelled.
pub async fn serve(
    ctx: &Ctx,
    next: Option<SocketAddr>,
    probe: Arc<Probe>,
    layered: bool,
) -> SocketAddr {
    let layer = layered.then(|| ServerLayer::new(ctx.clone()));
    serve_with(ctx, next, probe, layer).await
}

/// [`serve`] with the given layer (if any): one configured for the test.
pub async fn serve_with(
    ctx: &Ctx,
    next: Option<SocketAddr>,
    probe: Arc<Probe>,
    layer: Option<ServerLayer>,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("a local address");
    let mut router = Router::new()
        .route("/hop/{hops_left}/{endless}", get(hop))
        .route("/spawned", get(spawned))
        .with_state(Hop {
            probe,
            next,
            client: client(),
        });
    if let Some(layer) = layer {
        router = router.layer(layer);
    }
    let serving = axum::serve(listener, router).with_graceful_shutdown(shutdown_signal(ctx));
    tokio::spawn(async move { serving.await });
    addr
}

/// Starts `n` hops, each calling the next; returns the first's address and the probes, first
/// hop first.
pub async fn chain(ctx: &Ctx, n: usize) -> (SocketAddr, Vec<Arc<Probe>>) {
    let probes: Vec<Arc<Probe>> = (0..n).map(|_| Arc::default()).collect();
    let mut next = None;
    for probe in probes.iter().rev() {
        next = Some(serve(ctx, next, probe.clone(), true).await);
    }
    (next.expect("at least one hop"), probes)
}
