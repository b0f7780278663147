//! [`Cancelled`] into `tonic::Status`, so that a `#[cancellable]` gRPC handler returning
//! `Result<Response<_>, Status>` needs no glue.

use std::sync::Arc;

use crate::Cancelled;

/// `DEADLINE_EXCEEDED` for a deadline (here, an ancestor's, or the caller's); `UNAVAILABLE` for
/// a shutdown ([`Cancelled::is_shutdown`]: the server, or whatever the request's context
/// descends from, was asked to stop), which clients may retry elsewhere, as the HTTP mapping
/// answers 503 for it; `CANCELLED` otherwise (a sibling task's failure or panic). gRPC keeps
/// `CANCELLED` for a cancellation by the caller, which a server's shutdown is not. The message is
/// the cause, and the [`Cancelled`] itself is the status's source.
///
/// ```
/// use autocancel::{Cancelled, Cause, Ctx};
///
/// let status = tonic::Status::from(Cancelled::new(Cause::cancelled(Some("shutting down"))));
/// assert_eq!(status.code(), tonic::Code::Unavailable);
/// assert_eq!(status.message(), "cancelled: shutting down");
///
/// // A request in flight when its server shuts down: the same code.
/// let server = Ctx::new();
/// let request = server.child();
/// server.cancel();
/// let status = tonic::Status::from(request.check().unwrap_err());
/// assert_eq!(status.code(), tonic::Code::Unavailable);
/// ```
#[cfg(feature = "tonic")]
impl From<Cancelled> for tonic::Status {
    fn from(cancelled: Cancelled) -> tonic::Status {
        let message = cancelled.to_string();
        let mut status = if cancelled.is_deadline_exceeded() {
            tonic::Status::deadline_exceeded(message)
        } else if cancelled.is_shutdown() {
            tonic::Status::unavailable(message)
        } else {
            tonic::Status::cancelled(message)
        };
        status.set_source(Arc::new(cancelled));
        status
    }
}
