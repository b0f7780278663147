//! [`Cancelled`] into `tonic::Status`, so that a `#[cancellable]` gRPC handler returning
//! `Result<Response<_>, Status>` needs no glue.

use std::sync::Arc;

use crate::Cancelled;

/// `DEADLINE_EXCEEDED` for a deadline (here, an ancestor's, or the caller's), `CANCELLED`
/// otherwise; the message is the cause, and the [`Cancelled`] itself is the status's source.
///
/// ```
/// use autocancel::{Cancelled, Cause};
///
/// let status = tonic::Status::from(Cancelled::new(Cause::cancelled(Some("shutting down"))));
/// assert_eq!(status.code(), tonic::Code::Cancelled);
/// assert_eq!(status.message(), "cancelled: shutting down");
/// ```
impl From<Cancelled> for tonic::Status {
    fn from(cancelled: Cancelled) -> tonic::Status {
        let message = cancelled.to_string();
        let mut status = if cancelled.is_deadline_exceeded() {
            tonic::Status::deadline_exceeded(message)
        } else {
            tonic::Status::cancelled(message)
        };
        status.set_source(Arc::new(cancelled));
        status
    }
}
