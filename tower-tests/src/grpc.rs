//! The `hops.Hop` gRPC service over tonic: `Call(HopRequest) -> HopReply`. A hop with
//! `hops_left > 0` calls the next hop; the last one replies, or runs [`endless`] (in the handler,
//! or in a task it spawns: [`spawned_endless`]).

use std::net::SocketAddr;
use std::sync::Arc;

use autocancel::Ctx;
use autocancel_tower::{shutdown_signal, ClientLayer, ClientService, ServerLayer};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};

use crate::probe::{endless, spawned_endless, Probe};

#[derive(Clone, PartialEq, prost::Message)]
pub struct HopRequest {
    /// How many hops after this one.
    #[prost(uint32, tag = "1")]
    pub hops_left: u32,
    /// Whether the last hop runs forever (else it replies at once).
    #[prost(bool, tag = "2")]
    pub endless: bool,
    /// Whether the last hop runs the endless loop in a task it starts with `tokio::spawn` (see
    /// [`spawned_endless`]), rather than in the handler itself.
    #[prost(bool, tag = "3")]
    pub spawned: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HopReply {
    /// The last hop's context's remaining time when it answered, in µs, if it had a deadline.
    #[prost(uint64, optional, tag = "1")]
    pub remaining_us: Option<u64>,
}

include!(concat!(env!("OUT_DIR"), "/hops.Hop.rs"));

pub use hop_client::HopClient;
pub use hop_server::{Hop, HopServer};

/// A client whose calls carry the ambient deadline.
pub type Client = HopClient<ClientService<Channel>>;

/// A client of the hop at `addr`, through [`ClientLayer`].
pub fn client(addr: SocketAddr) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_lazy();
    HopClient::new(
        tower::ServiceBuilder::new()
            .layer(ClientLayer::new())
            .service(channel),
    )
}

/// A client of the hop at `addr`, without [`ClientLayer`].
pub fn plain_client(addr: SocketAddr) -> HopClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_lazy();
    HopClient::new(channel)
}

/// A client of the hop at `addr` over hyper's own HTTP/2 client, not tonic's `Channel`: it has
/// no timeout of its own, so what it hears about a deadline comes from the server. (tonic's
/// `Channel` also applies an outgoing `grpc-timeout` itself, and reports its expiry as
/// `CANCELLED` "Timeout expired", before the server's answer can arrive.)
pub fn h2_client(
    addr: SocketAddr,
) -> HopClient<hyper_util::client::legacy::Client<HttpConnector, tonic::body::Body>> {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let origin = format!("http://{addr}").parse().expect("a valid URI");
    HopClient::with_origin(client, origin)
}

struct HopService {
    probe: Arc<Probe>,
    next: Option<Client>,
}

#[tonic::async_trait]
impl Hop for HopService {
    async fn call(&self, request: Request<HopRequest>) -> Result<Response<HopReply>, Status> {
        let _live = self.probe.enter();
        let request = request.into_inner();
        match &self.next {
            Some(next) if request.hops_left > 0 => {
                let reply = next
                    .clone()
                    .call(HopRequest {
                        hops_left: request.hops_left - 1,
                        ..request
                    })
                    .await?;
                Ok(reply)
            }
            _ if request.spawned => {
                spawned_endless(self.probe.clone()).await?;
                Err(Status::internal("the endless loop ended"))
            }
            _ if request.endless => {
                endless(&self.probe).await?; // `Cancelled` into `Status`: no glue
                Err(Status::internal("the endless loop ended"))
            }
            _ => Ok(Response::new(HopReply {
                remaining_us: Ctx::current()
                    .deadline()
                    .map(|d| d.remaining().as_micros() as u64),
            })),
        }
    }
}

/// Starts a hop on 127.0.0.1 (calling `next`, if any), with [`ServerLayer`] under `ctx` if
/// `layered`; it shuts down when `ctx` is cancelled. Returns its address.
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
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
        .expect("bind 127.0.0.1")
        .with_nodelay(Some(true));
    let addr = incoming.local_addr().expect("a local address");
    let service = HopServer::new(HopService {
        probe,
        next: next.map(client),
    });
    let shutdown = shutdown_signal(ctx);
    match layer {
        Some(layer) => {
            let server = Server::builder()
                .layer(layer)
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, shutdown);
            tokio::spawn(server);
        }
        None => {
            let server = Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, shutdown);
            tokio::spawn(server);
        }
    }
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
