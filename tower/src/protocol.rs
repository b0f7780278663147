//! Which protocol a request speaks, which header carries its timeout, and the responses that
//! refuse it in that protocol's terms.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Response, StatusCode};

use crate::TimeoutHeader;

/// The header gRPC carries its timeout in.
pub const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// The header this crate carries a plain HTTP request's timeout in by default, in the same
/// syntax as `grpc-timeout` (`300m` is 300 ms, see [`timeout`](crate::timeout)); another can be
/// configured ([`TimeoutHeader`]).
pub const REQUEST_TIMEOUT: HeaderName = HeaderName::from_static("x-request-timeout");

const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// gRPC or plain HTTP, told by the content type (`application/grpc`, `application/grpc+proto`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Grpc,
    Http,
}

/// The gRPC status codes this crate answers with.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code {
    DeadlineExceeded = 4,
    Internal = 13,
    Unavailable = 14,
}

impl Protocol {
    pub(crate) fn of(headers: &HeaderMap) -> Protocol {
        let grpc = headers.get(CONTENT_TYPE).is_some_and(|ct| {
            let ct = ct.as_bytes();
            ct.strip_prefix(b"application/grpc")
                .is_some_and(|rest| rest.is_empty() || rest[0] == b'+' || rest[0] == b';')
        });
        if grpc {
            Protocol::Grpc
        } else {
            Protocol::Http
        }
    }

    /// The header this protocol's timeout travels in: `grpc-timeout` for gRPC, `http` (the
    /// layer's choice, `x-request-timeout` unless configured) for plain HTTP.
    pub(crate) fn timeout_header(self, http: TimeoutHeader) -> TimeoutHeader {
        match self {
            Protocol::Grpc => TimeoutHeader::GRPC_TIMEOUT,
            Protocol::Http => http,
        }
    }

    /// A response refusing the request: for gRPC a trailers-only response (HTTP 200, the status
    /// in the headers, no body), for HTTP the status with `message` as a text body.
    pub(crate) fn refuse<B>(self, code: Code, message: &str) -> Response<B>
    where
        B: From<Bytes>,
    {
        match self {
            Protocol::Grpc => {
                let mut response = Response::new(B::from(Bytes::new()));
                let headers = response.headers_mut();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
                headers.insert(GRPC_STATUS, HeaderValue::from(code as u16));
                if let Ok(message) = HeaderValue::from_str(&percent_encode(message)) {
                    headers.insert(GRPC_MESSAGE, message);
                }
                response
            }
            Protocol::Http => {
                let mut response = Response::new(B::from(Bytes::from(message.to_owned())));
                *response.status_mut() = match code {
                    Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
                    Code::Internal => StatusCode::BAD_REQUEST,
                    Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                };
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
        }
    }
}

/// `grpc-message`'s encoding: bytes outside printable ASCII, and `%`, as `%XX`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &b in message.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_content_type(ct: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        headers
    }

    #[test]
    fn grpc_is_told_by_its_content_type() {
        for ct in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc;a=b",
        ] {
            assert_eq!(Protocol::of(&with_content_type(ct)), Protocol::Grpc, "{ct}");
        }
        for ct in ["application/grpc-web", "application/json", "text/plain"] {
            assert_eq!(Protocol::of(&with_content_type(ct)), Protocol::Http, "{ct}");
        }
        assert_eq!(Protocol::of(&HeaderMap::new()), Protocol::Http);
    }

    #[test]
    fn grpc_messages_are_percent_encoded() {
        assert_eq!(percent_encode("100% done\n"), "100%25 done%0A");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
