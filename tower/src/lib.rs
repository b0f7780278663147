//! Deadlines that travel between services: tower layers for servers and clients (tonic, axum,
//! hyper), built on [`autocancel`]'s [`Ctx`].
//!
//! ```toml
//! [dependencies]
//! autocancel = { version = "0.1", features = ["axum"] }  # or "tonic", "http": `Cancelled` as an answer
//! autocancel-tower = "0.1"                                # with tonic: features = ["tonic"]
//! ```
//!
//! The edge gets 300 ms and calls B, which calls C: when the 300 ms are gone, C's work stops
//! too. [`ServerLayer`] reads the caller's remaining time (`grpc-timeout`, or
//! [`x-request-timeout`](REQUEST_TIMEOUT) for plain HTTP, or [another header](TimeoutHeader))
//! and runs the handler under a context with that deadline, a child of the server's own (so
//! shutdown cancels every request), ambient so that `#[cancellable]` code stops at it;
//! [`ClientLayer`] sends the ambient context's remaining time with every outgoing request, and
//! does not send a request whose deadline has passed.
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Ctx};
//! use autocancel_tower::{shutdown_signal, ClientLayer, ServerLayer};
//! use http_body_util::{BodyExt, Empty};
//! use std::time::Duration;
//! use tower::ServiceExt;
//!
//! #[cancellable]
//! async fn handler() -> Result<&'static str, Cancelled> {
//!     for _ in 0..3 {
//!         tokio::time::sleep(Duration::from_millis(10)).await; // stops at the caller's deadline
//!     }
//!     Ok("done") // a `Cancelled` answers 504 (feature `axum` of `autocancel`)
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), autocancel_tower::BoxError> {
//! let server = Ctx::new(); // cancel it to shut down: every request is cancelled
//! let app = axum::Router::new()
//!     .route("/", axum::routing::get(handler))
//!     .layer(ServerLayer::new(server.clone()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/", listener.local_addr()?);
//! let serving = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal(&server));
//! tokio::spawn(async move { serving.await });
//!
//! // Requests sent through this client carry the ambient context's remaining time.
//! let client = tower::ServiceBuilder::new().layer(ClientLayer::new()).service(
//!     hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
//!         .build_http::<Empty<bytes::Bytes>>(),
//! );
//! let get = || http::Request::get(&url).body(Empty::new()).unwrap();
//!
//! // With time to spare: the answer.
//! let response = Ctx::new()
//!     .with_timeout(Duration::from_secs(10))
//!     .scope(client.clone().oneshot(get()))
//!     .await?;
//! assert_eq!(response.into_body().collect().await?.to_bytes(), "done");
//!
//! // 15 ms for 30 ms of work: the call fails with the `Cancelled` (inside a `BoxError`; for
//! // gRPC, with the `tonic` feature, the source of a `tonic::Status`: `find` looks there too),
//! // and the server's handler stops at the deadline it was sent.
//! let error = Ctx::new()
//!     .with_timeout(Duration::from_millis(15))
//!     .scope(client.clone().oneshot(get()))
//!     .await
//!     .unwrap_err();
//! let cancelled = Cancelled::find(&*error).expect("stopped by its context");
//! assert!(cancelled.is_deadline_exceeded());
//! assert_eq!(cancelled.to_string(), "deadline exceeded (after 15ms)");
//! server.cancel();
//! # Ok(()) }
//! ```
//!
//! With tonic: `Server::builder().layer(ServerLayer::new(ctx))` and
//! `ServiceBuilder::new().layer(ClientLayer::new()).service(channel)`; the `tonic` feature makes
//! a call stopped on the client side fail with a `tonic::Status` carrying the `Cancelled`.
//!
//! When the caller goes away (a cancelled call, a closed connection), the request's context is
//! cancelled ([`Cause::CallerGone`]): the work its handler spawned stops.
//!
//! # Graceful shutdown
//!
//! The server's context is also the server's shutdown signal: [`shutdown_signal`] turns it into
//! the future axum's, hyper's and tonic's graceful shutdowns take
//! (`axum::serve(..).with_graceful_shutdown(shutdown_signal(&server))`,
//! `serve_with_shutdown(addr, shutdown_signal(&server))` for tonic). Cancelling it stops
//! accepting, cancels the requests in flight (they answer `UNAVAILABLE` or 503, or their own
//! answer), and the server waits for those answers. `examples/axum_graceful.rs` composes it
//! with a [`TaskSet`] of background work.
//!
//! # The timeout headers
//!
//! The [`timeout`] module parses and writes the gRPC wire format: at most 8 ASCII digits and a
//! unit (`H M S m u n`). [`TimeoutHeader`] names another header and its format, for plain HTTP
//! ([`ServerLayer::http_timeout_header`], [`ClientLayer::http_timeout_header`]) or a proxy's
//! (Envoy's `x-envoy-expected-rq-timeout-ms`, milliseconds: [`ServerLayer::also_read`]).
//! Malformed values are refused (gRPC `INTERNAL`, as grpc-go answers, or HTTP 400), never
//! guessed at.
//!
//! [`autocancel`]: https://docs.rs/autocancel
//! [`Ctx`]: https://docs.rs/autocancel/latest/autocancel/struct.Ctx.html
//! [`Cause::CallerGone`]: https://docs.rs/autocancel/latest/autocancel/enum.Cause.html#variant.CallerGone
//! [`TaskSet`]: https://docs.rs/autocancel/latest/autocancel/struct.TaskSet.html

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod body;
mod caller_gone;
mod client;
mod header;
mod protocol;
mod server;
mod shutdown;
pub mod timeout;

pub use body::ResponseBody;
pub use client::{BoxError, ClientLayer, ClientService, NoPropagation};
pub use header::{TimeoutFormat, TimeoutHeader};
pub use protocol::{GRPC_TIMEOUT, REQUEST_TIMEOUT};
pub use server::{ResponseFuture, ServerLayer, ServerService};
pub use shutdown::{shutdown_signal, ShutdownSignal};
