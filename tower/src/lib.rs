//! Deadlines that travel between services: tower layers for servers and clients (tonic, axum,
//! hyper), built on [`autocancel`](https://docs.rs/autocancel)'s [`Ctx`](autocancel_runtime::Ctx).
//!
//! The edge gets 300 ms and calls B, which calls C: when the 300 ms are gone, C's work stops
//! too. [`ServerLayer`] reads the caller's remaining time (`grpc-timeout`, or
//! [`x-request-timeout`](REQUEST_TIMEOUT) for plain HTTP) and runs the handler under a context
//! with that deadline, a child of the server's own (so shutdown cancels every request), ambient
//! so that `#[cancellable]` code stops at it; [`ClientLayer`] sends the ambient context's
//! remaining time with every outgoing request, and does not send a request whose deadline has
//! passed.
//!
//! ```
//! use autocancel::{cancellable, Cancelled, Ctx};
//! use autocancel_tower::{ClientLayer, ServerLayer};
//! use std::time::Duration;
//!
//! #[cancellable]
//! async fn handler() -> Result<&'static str, Cancelled> {
//!     for _ in 0..3 {
//!         tokio::time::sleep(Duration::from_millis(10)).await; // stops at the caller's deadline
//!     }
//!     Ok("done") // a `Cancelled` answers 504 (feature `axum` of `autocancel`)
//! }
//!
//! let server = Ctx::new(); // cancel it to shut down: every request is cancelled
//! let app: axum::Router = axum::Router::new()
//!     .route("/", axum::routing::get(handler))
//!     .layer(ServerLayer::new(server.clone()));
//!
//! // Requests sent through this client carry the ambient context's remaining time.
//! let client = tower::ServiceBuilder::new().layer(ClientLayer::new()).service(
//!     hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
//!         .build_http::<http_body_util::Empty<bytes::Bytes>>(),
//! );
//! # let _ = (app, client);
//! ```
//!
//! With tonic: `Server::builder().layer(ServerLayer::new(ctx))` and
//! `ServiceBuilder::new().layer(ClientLayer::new()).service(channel)`; the `tonic` feature makes
//! a call stopped on the client side fail with a `tonic::Status` carrying the `Cancelled`.
//!
//! # The timeout header
//!
//! The [`timeout`] module parses and writes the gRPC wire format: at most 8 ASCII digits and a
//! unit (`H M S m u n`). Malformed values are refused (gRPC `INTERNAL`, as grpc-go answers, or
//! HTTP 400), never guessed at.

#![warn(missing_docs)]

mod body;
mod caller_gone;
mod client;
mod header;
mod protocol;
mod server;
pub mod timeout;

pub use body::ResponseBody;
pub use client::{BoxError, ClientLayer, ClientService, NoPropagation};
pub use header::{TimeoutFormat, TimeoutHeader};
pub use protocol::{GRPC_TIMEOUT, REQUEST_TIMEOUT};
pub use server::{ResponseFuture, ServerLayer, ServerService};
