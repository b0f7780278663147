//! [`ClientLayer`]: outgoing requests carry the ambient context's remaining time, and are not
//! sent once it is gone.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use autocancel_runtime::{Cancelled, Ctx};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::protocol::Protocol;
use crate::TimeoutHeader;

/// The error type of [`ClientService`]: the inner service's error, or the [`Cancelled`] that
/// stopped the call (a `tonic::Status` that carries it, for gRPC, with the `tonic` feature).
/// [`Cancelled::find`] gets it back out of either:
///
/// ```
/// use autocancel::{Cancelled, Cause};
/// use autocancel_tower::BoxError;
///
/// let error: BoxError = Box::new(Cancelled::new(Cause::cancelled(Some("shutting down"))));
/// let cancelled = Cancelled::find(&*error).expect("stopped by its context");
/// assert!(cancelled.is_shutdown());
/// ```
///
/// [`Cancelled`]: https://docs.rs/autocancel/latest/autocancel/struct.Cancelled.html
/// [`Cancelled::find`]: https://docs.rs/autocancel/latest/autocancel/struct.Cancelled.html#method.find
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Put this in a request's extensions to send it without the caller's deadline, on purpose: a
/// call that must outlive the request that makes it (an audit log, a cache fill). The call is
/// then not cut short by the ambient context either.
///
/// ```
/// use autocancel_tower::NoPropagation;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(NoPropagation);
/// // tonic: `let mut request = tonic::Request::new(msg); request.extensions_mut().insert(NoPropagation);`
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPropagation;

/// A tower layer for clients (tonic's `Channel` through `ServiceBuilder`, a hyper client): each
/// outgoing request is made under the ambient context ([`Ctx::current`]: the request being
/// served under a [`ServerLayer`](crate::ServerLayer), a `Group` task, a `Ctx::scope`):
///
/// - its remaining time goes out as `grpc-timeout` (gRPC) or
///   [`x-request-timeout`](crate::REQUEST_TIMEOUT) (HTTP, or the header
///   [`ClientLayer::http_timeout_header`] names); a timeout already in the request
///   (tonic's `Request::set_timeout`) is kept if it is shorter;
/// - a context already cancelled or past its deadline fails the call without sending it;
/// - the call is dropped (and the stream reset) when the context is cancelled while it runs.
///
/// The error is then the [`Cancelled`], whose cause tells a deadline propagated from our own
/// caller ([`Cause::is_propagated_deadline`](https://docs.rs/autocancel/latest/autocancel/enum.Cause.html#method.is_propagated_deadline))
/// from a local one; for gRPC requests, with the `tonic` feature, a `tonic::Status`
/// (`DEADLINE_EXCEEDED` or `CANCELLED`) whose source is the [`Cancelled`]. [`NoPropagation`]
/// in a request's extensions opts that request out.
///
/// [`Ctx::current`]: https://docs.rs/autocancel/latest/autocancel/struct.Ctx.html#method.current
/// [`Cancelled`]: https://docs.rs/autocancel/latest/autocancel/struct.Cancelled.html
#[derive(Clone, Copy, Debug)]
pub struct ClientLayer {
    http: TimeoutHeader,
}

impl ClientLayer {
    /// The layer.
    pub fn new() -> ClientLayer {
        ClientLayer {
            http: TimeoutHeader::REQUEST_TIMEOUT,
        }
    }

    /// The header a plain HTTP request's timeout is sent in: [`TimeoutHeader::REQUEST_TIMEOUT`]
    /// (`x-request-timeout: 300000u`) unless set here, to match what the server reads (its
    /// [`ServerLayer::http_timeout_header`](crate::ServerLayer::http_timeout_header)). gRPC
    /// requests always use `grpc-timeout`.
    pub fn http_timeout_header(mut self, header: TimeoutHeader) -> ClientLayer {
        self.http = header;
        self
    }
}

impl Default for ClientLayer {
    fn default() -> ClientLayer {
        ClientLayer::new()
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> ClientService<S> {
        ClientService {
            inner,
            http: self.http,
        }
    }
}

/// The service [`ClientLayer`] makes.
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
    http: TimeoutHeader,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<B>>,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if request.extensions().get::<NoPropagation>().is_some() {
            let call = self.inner.call(request);
            return Box::pin(async move { call.await.map_err(Into::into) });
        }
        let protocol = Protocol::of(request.headers());
        let ctx = Ctx::current();
        // `cause` reads the clock: a deadline passed a moment ago is noticed here.
        if let Some(cause) = ctx.cause() {
            let error = error(protocol, Cancelled::new(cause));
            return Box::pin(async move { Err(error) });
        }
        if let Some(deadline) = ctx.deadline() {
            let header = protocol.timeout_header(self.http);
            let mut remaining = deadline.remaining();
            if let Some(Ok(Some(set))) = header.read(request.headers()) {
                remaining = remaining.min(set);
            }
            request
                .headers_mut()
                .insert(header.name(), header.encode(remaining));
        }
        let call = self.inner.call(request);
        Box::pin(async move {
            tokio::select! {
                biased;
                cancelled = ctx.cancelled() => Err(error(protocol, cancelled)),
                response = call => response.map_err(Into::into),
            }
        })
    }
}

/// The error a call stopped by `cancelled` fails with.
fn error(protocol: Protocol, cancelled: Cancelled) -> BoxError {
    #[cfg(feature = "tonic")]
    if protocol == Protocol::Grpc {
        // tonic's client looks for a `Status` in the transport error's chain.
        return Box::new(tonic::Status::from(cancelled));
    }
    let _ = protocol;
    Box::new(cancelled)
}
