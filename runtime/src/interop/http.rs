//! [`Cancelled`] into an HTTP response: `504 Gateway Timeout` for a deadline, `503 Service
//! Unavailable` for any other cancellation (a shutdown), the cause as a plain-text body.

use crate::Cancelled;

// Also on the item (the module has it): rustdoc marks the feature where the facade inlines it.
#[cfg(feature = "http")]
impl Cancelled {
    /// The HTTP status for this cancellation: 504 for a deadline, 503 otherwise (a shutdown,
    /// [`Cancelled::is_shutdown`], answers 503 as the gRPC mapping answers `UNAVAILABLE`).
    pub fn http_status(&self) -> http::StatusCode {
        if self.is_deadline_exceeded() {
            http::StatusCode::GATEWAY_TIMEOUT
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// See [`Cancelled::http_status`]; the body is the cause, as text.
///
/// ```
/// use autocancel::{Cancelled, Cause};
///
/// let response: http::Response<String> = Cancelled::new(Cause::cancelled(None)).into();
/// assert_eq!(response.status(), 503);
/// assert_eq!(response.body(), "cancelled");
/// ```
// Also on the item (the module has it): rustdoc marks the feature where the facade inlines it.
#[cfg(feature = "http")]
impl<B: From<String>> From<Cancelled> for http::Response<B> {
    fn from(cancelled: Cancelled) -> http::Response<B> {
        let mut response = http::Response::new(B::from(cancelled.to_string()));
        *response.status_mut() = cancelled.http_status();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

/// An axum handler returning `Result<_, Cancelled>` (or an error type built from it) answers
/// 504 or 503, see [`Cancelled::http_status`].
#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for Cancelled {
    fn into_response(self) -> axum_core::response::Response {
        http::Response::<axum_core::body::Body>::from(self)
    }
}
