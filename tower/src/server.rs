//! [`ServerLayer`]: each request runs under a child of the server's context, with the caller's
//! deadline, ambient for the handler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use autocancel_runtime::{Cancelled, Ctx};
use http::{HeaderMap, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::caller_gone::CancelIfGone;
use crate::protocol::{Code, Protocol};
use crate::TimeoutHeader;

/// A tower layer for servers (tonic's `Server::builder().layer(..)`, axum's `Router::layer`,
/// any hyper service): every request runs with a [`Ctx`](https://docs.rs/autocancel/latest/autocancel/struct.Ctx.html) of its own, ambient for the handler
/// (so `#[cancellable]` code in it stops at it, and the [`ClientLayer`](crate::ClientLayer)
/// forwards it to outgoing calls):
///
/// - a child of the server's context: cancelling that one (graceful shutdown) cancels every
///   request;
/// - with the caller's deadline: `grpc-timeout` for gRPC requests (content type
///   `application/grpc…`), [`x-request-timeout`](crate::REQUEST_TIMEOUT) in the same syntax
///   for plain HTTP (or the header [`ServerLayer::http_timeout_header`] names), and any header
///   opted into with [`ServerLayer::also_read`] (the shortest wins); the cause of a deadline
///   from there says
///   [`propagated`](https://docs.rs/autocancel/latest/autocancel/enum.Cause.html#method.is_propagated_deadline);
/// - and the server's own limit, if [`ServerLayer::timeout`] set one.
///
/// When the context is cancelled before the handler answers, the handler is polled once more (a
/// `#[cancellable]` handler then returns its own answer, e.g. its `Cancelled` as a
/// `tonic::Status` or a 504); if it is still pending, it is dropped and the answer is `DEADLINE_EXCEEDED` (gRPC status 4, a trailers-only response) or HTTP 504 for a
/// deadline, `UNAVAILABLE` (14) or 503 for a shutdown. A request whose deadline has already
/// passed, or that arrives during shutdown, is refused so without running the handler; a
/// malformed timeout is refused with `INTERNAL` (13, as grpc-go does) or 400.
///
/// When the caller goes away before the answer (the client cancels the call, a gRPC
/// `RST_STREAM`, or closes the connection), the server drops the response future unfinished:
/// the request's context is then cancelled with [`Cause::CallerGone`](https://docs.rs/autocancel/latest/autocancel/enum.Cause.html#variant.CallerGone)
/// (not a shutdown, not a deadline), so that work the handler started with `tokio::spawn` in
/// `#[cancellable]` code, which inherits the context, stops too.
///
/// The handler's response body is passed through as it is: a streaming body is not cut at the
/// deadline by this layer (a `#[cancellable]` stream producer is, by its own checkpoints), and a
/// caller that goes away once the response's headers are out, while the body streams, is not
/// noticed by this layer (the producer sees its channel close).
#[derive(Clone, Debug)]
pub struct ServerLayer {
    ctx: Ctx,
    timeouts: TimeoutConfig,
}

/// What a [`ServerLayer`] reads the caller's timeout from, and its own limit.
#[derive(Clone, Debug)]
struct TimeoutConfig {
    timeout: Option<Duration>,
    http: TimeoutHeader,
    /// Opted into: read for every request. `None` (no allocation) by default.
    also: Option<Arc<[TimeoutHeader]>>,
}

impl ServerLayer {
    /// Requests run under children of `ctx`, the server's context.
    pub fn new(ctx: Ctx) -> ServerLayer {
        ServerLayer {
            ctx,
            timeouts: TimeoutConfig {
                timeout: None,
                http: TimeoutHeader::REQUEST_TIMEOUT,
                also: None,
            },
        }
    }

    /// The header a plain HTTP request's timeout is read from: [`TimeoutHeader::REQUEST_TIMEOUT`]
    /// (`x-request-timeout: 300m`) unless set here. gRPC requests always use `grpc-timeout`.
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use autocancel_tower::{ServerLayer, TimeoutFormat, TimeoutHeader};
    ///
    /// let layer = ServerLayer::new(Ctx::new())
    ///     .http_timeout_header(TimeoutHeader::new("x-deadline-ms", TimeoutFormat::Millis));
    /// # let _ = layer;
    /// ```
    pub fn http_timeout_header(mut self, header: TimeoutHeader) -> ServerLayer {
        self.timeouts.http = header;
        self
    }

    /// Also reads the caller's timeout from `header`, in gRPC and plain HTTP requests alike:
    /// opt in to what a proxy in front of the service sends, e.g. Envoy's
    /// [`x-envoy-expected-rq-timeout-ms`](TimeoutHeader::ENVOY). Where several of the headers
    /// read are present, the shortest timeout wins; a malformed value in any of them refuses
    /// the request (`INTERNAL` or 400, naming the header).
    ///
    /// ```
    /// use autocancel::Ctx;
    /// use autocancel_tower::{ServerLayer, TimeoutHeader};
    ///
    /// let layer = ServerLayer::new(Ctx::new()).also_read(TimeoutHeader::ENVOY);
    /// # let _ = layer;
    /// ```
    pub fn also_read(mut self, header: TimeoutHeader) -> ServerLayer {
        let mut also: Vec<TimeoutHeader> = self.timeouts.also.as_deref().unwrap_or(&[]).to_vec();
        also.push(header);
        self.timeouts.also = Some(also.into());
        self
    }

    /// A limit of the server's own for every request (a local deadline, whose cause says so),
    /// on top of the caller's.
    pub fn timeout(mut self, timeout: Duration) -> ServerLayer {
        self.timeouts.timeout = Some(timeout);
        self
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> ServerService<S> {
        ServerService {
            inner,
            ctx: self.ctx.clone(),
            timeouts: self.timeouts.clone(),
        }
    }
}

/// The service [`ServerLayer`] makes.
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
    ctx: Ctx,
    timeouts: TimeoutConfig,
}

impl<S> ServerService<S> {
    /// The request's context, or the response that refuses the request.
    fn request_ctx<B>(&self, protocol: Protocol, request: &Request<B>) -> Result<Ctx, Refusal> {
        let ctx = match self.timeouts.caller_timeout(protocol, request.headers())? {
            None => self.ctx.child(),
            Some(timeout) => self.ctx.with_propagated_timeout(timeout),
        };
        // `cause` reads the clock: a deadline already passed (`0m`) is noticed here, on the
        // context that has it, before the server's own limit makes a child of it whose cause
        // would only say "parent context: …".
        refuse_if_cancelled(&ctx)?;
        match self.timeouts.timeout {
            None => Ok(ctx),
            Some(timeout) => {
                let ctx = ctx.with_timeout(timeout);
                refuse_if_cancelled(&ctx)?; // a zero limit
                Ok(ctx)
            }
        }
    }
}

fn refuse_if_cancelled(ctx: &Ctx) -> Result<(), Refusal> {
    match ctx.cause() {
        None => Ok(()),
        Some(cause) => Err(Refusal::from(Cancelled::new(cause))),
    }
}

impl TimeoutConfig {
    /// The caller's timeout: the shortest of the headers read, `None` without any.
    fn caller_timeout(
        &self,
        protocol: Protocol,
        headers: &HeaderMap,
    ) -> Result<Option<Duration>, Refusal> {
        let mut shortest = None;
        let also = self.also.as_deref().unwrap_or(&[]);
        for header in std::iter::once(&protocol.timeout_header(self.http)).chain(also) {
            match header.read(headers) {
                None | Some(Ok(None)) => {}
                Some(Ok(Some(timeout))) => {
                    shortest = Some(shortest.map_or(timeout, |s: Duration| s.min(timeout)));
                }
                Some(Err(error)) => {
                    return Err(Refusal {
                        code: Code::Internal,
                        message: format!("malformed {}: {error}", header.name()),
                    })
                }
            }
        }
        Ok(shortest)
    }
}

struct Refusal {
    code: Code,
    message: String,
}

impl From<Cancelled> for Refusal {
    fn from(cancelled: Cancelled) -> Refusal {
        Refusal {
            code: if cancelled.is_deadline_exceeded() {
                Code::DeadlineExceeded
            } else {
                Code::Unavailable
            },
            message: cancelled.to_string(),
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ServerService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let protocol = Protocol::of(request.headers());
        let ctx = match self.request_ctx(protocol, &request) {
            Ok(ctx) => ctx,
            Err(refusal) => {
                return ResponseFuture::Refused {
                    response: Some(protocol.refuse(refusal.code, &refusal.message)),
                }
            }
        };
        let handler = ctx.scope(self.inner.call(request));
        // Made here, not in the async block: a future dropped before its first poll counts too.
        let gone = CancelIfGone::new(ctx.clone());
        ResponseFuture::Running {
            future: Box::pin(async move {
                let response = tokio::select! {
                    // The handler first: woken by the cancellation, a `#[cancellable]` handler
                    // returns its own answer (its `Cancelled` as a status, its logs); one that
                    // is still pending is dropped.
                    biased;
                    response = handler => response.map(|r| r.map(ResponseBody::inner)),
                    cancelled = ctx.cancelled() => {
                        let refusal = Refusal::from(cancelled);
                        Ok(protocol.refuse(refusal.code, &refusal.message))
                    }
                };
                gone.disarm();
                response
            }),
        }
    }
}

/// The future of [`ServerService`]: the handler raced against the request's context, or the
/// refusal, ready at once.
pub enum ResponseFuture<B, E> {
    #[doc(hidden)]
    Running {
        future: BoxFuture<Result<Response<ResponseBody<B>>, E>>,
    },
    #[doc(hidden)]
    Refused {
        response: Option<Response<ResponseBody<B>>>,
    },
}

// The running future is boxed, and the refusal's response is never pinned (it is moved out).
impl<B, E> Unpin for ResponseFuture<B, E> {}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            ResponseFuture::Running { future } => future.as_mut().poll(cx),
            ResponseFuture::Refused { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => panic!("ResponseFuture polled after completion"),
            },
        }
    }
}

impl<B, E> std::fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResponseFuture::Running { .. } => "ResponseFuture::Running",
            ResponseFuture::Refused { .. } => "ResponseFuture::Refused",
        })
    }
}
