//! Fixtures for testing and measuring `autocancel-tower` against the real engines: chains of
//! tonic (gRPC) or axum (HTTP/1) servers on 127.0.0.1, each hop calling the next through the
//! real client (tonic's `Channel`, hyper-util's `Client`), and probes that record what each hop
//! saw: how many handlers run, when and why their context was cancelled, when the last hop's
//! endless loop stopped.

pub mod grpc;
pub mod http;
pub mod probe;

pub use probe::Probe;
