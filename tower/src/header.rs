//! [`TimeoutHeader`]: a header a request's timeout travels in, and the grammar of its value.

use std::time::Duration;

use http::header::{HeaderName, HeaderValue};

use crate::timeout::{self, TimeoutError};

/// How a timeout header's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutFormat {
    /// gRPC's: at most 8 ASCII digits and a unit, `H M S m u n` (`300m` is 300 ms); see
    /// [`timeout`](crate::timeout). `0m` is a deadline already passed.
    Grpc,
    /// Whole milliseconds in decimal, as Envoy's `x-envoy-expected-rq-timeout-ms` (`300` is
    /// 300 ms): 1 to 18 ASCII digits, no sign, unit, space or fraction. `0` means no deadline,
    /// as a timeout of 0 does in Envoy (which does not send it). Written rounded up to the next
    /// millisecond, so never shortened.
    Millis,
}

/// The most digits a [`TimeoutFormat::Millis`] value may have (`u64` holds 19).
const MAX_MILLIS_DIGITS: usize = 18;

/// A header that carries a request's timeout, and its [`TimeoutFormat`]: what
/// [`ServerLayer`](crate::ServerLayer) reads and [`ClientLayer`](crate::ClientLayer) writes.
///
/// ```
/// use autocancel_tower::{TimeoutFormat, TimeoutHeader};
/// use std::time::Duration;
///
/// // A header of your own, in milliseconds.
/// const DEADLINE_MS: TimeoutHeader = TimeoutHeader::new("x-deadline-ms", TimeoutFormat::Millis);
/// assert_eq!(DEADLINE_MS.parse(b"1500"), Ok(Some(Duration::from_millis(1500))));
/// assert_eq!(TimeoutHeader::ENVOY.parse(b"0"), Ok(None)); // Envoy's "no timeout"
/// assert!(TimeoutHeader::ENVOY.parse(b"1.5").is_err());
/// assert_eq!(TimeoutHeader::REQUEST_TIMEOUT.parse(b"300m"), Ok(Some(Duration::from_millis(300))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeoutHeader {
    name: &'static str,
    format: TimeoutFormat,
}

impl TimeoutHeader {
    /// `grpc-timeout`, in gRPC's format: what gRPC requests always use.
    pub const GRPC_TIMEOUT: TimeoutHeader = TimeoutHeader::new("grpc-timeout", TimeoutFormat::Grpc);

    /// `x-request-timeout`, in gRPC's format (`300m`): this crate's header for plain HTTP, the
    /// default of both layers.
    pub const REQUEST_TIMEOUT: TimeoutHeader =
        TimeoutHeader::new("x-request-timeout", TimeoutFormat::Grpc);

    /// `x-envoy-expected-rq-timeout-ms`, in milliseconds: the time Envoy's router gives the
    /// request, which it sends to the service behind it (the route's timeout, or the caller's
    /// `x-envoy-upstream-rq-timeout-ms`).
    pub const ENVOY: TimeoutHeader =
        TimeoutHeader::new("x-envoy-expected-rq-timeout-ms", TimeoutFormat::Millis);

    /// The header `name` (lowercase, as HTTP/2 requires), in `format`.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid lowercase header name, as [`HeaderName::from_static`] does: at
    /// compile time in a `const`.
    pub const fn new(name: &'static str, format: TimeoutFormat) -> TimeoutHeader {
        // Checks the name (and panics as `from_static` does); nothing to free for a static one.
        std::mem::forget(HeaderName::from_static(name));
        TimeoutHeader { name, format }
    }

    /// The header's name.
    pub fn name(&self) -> HeaderName {
        HeaderName::from_static(self.name)
    }

    /// The header's format.
    pub fn format(&self) -> TimeoutFormat {
        self.format
    }

    /// The timeout in `value`: `Ok(None)` where the format says "no deadline" (Envoy's `0`), an
    /// error for a malformed value.
    pub fn parse(&self, value: &[u8]) -> Result<Option<Duration>, TimeoutError> {
        match self.format {
            TimeoutFormat::Grpc => timeout::parse(value).map(Some),
            TimeoutFormat::Millis => parse_millis(value),
        }
    }

    /// The timeout read from `headers`: `None` without the header.
    pub(crate) fn read(
        &self,
        headers: &http::HeaderMap,
    ) -> Option<Result<Option<Duration>, TimeoutError>> {
        headers
            .get(self.name)
            .map(|value| self.parse(value.as_bytes()))
    }

    /// `timeout` as this header's value.
    pub(crate) fn encode(&self, timeout: Duration) -> HeaderValue {
        match self.format {
            TimeoutFormat::Grpc => HeaderValue::from_bytes(timeout::encode(timeout).as_bytes())
                .unwrap_or(HeaderValue::from_static("0n")),
            TimeoutFormat::Millis => {
                // Rounded up, at least 1 (`0` would mean no deadline), at most 18 digits.
                let millis = timeout.as_nanos().div_ceil(1_000_000).clamp(1, MAX_MILLIS);
                HeaderValue::from(millis as u64)
            }
        }
    }
}

/// The largest [`TimeoutFormat::Millis`] value: 18 nines.
const MAX_MILLIS: u128 = 999_999_999_999_999_999;

fn parse_millis(value: &[u8]) -> Result<Option<Duration>, TimeoutError> {
    if value.is_empty() {
        return Err(TimeoutError::TooShort);
    }
    if !value.iter().all(u8::is_ascii_digit) {
        return Err(TimeoutError::NotADigit);
    }
    if value.len() > MAX_MILLIS_DIGITS {
        return Err(TimeoutError::TooLong);
    }
    let millis = value
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')); // at most 18 digits: no overflow
    Ok((millis > 0).then(|| Duration::from_millis(millis)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_grammar() {
        let h = TimeoutHeader::ENVOY;
        assert_eq!(h.parse(b"300"), Ok(Some(Duration::from_millis(300))));
        assert_eq!(h.parse(b"000300"), Ok(Some(Duration::from_millis(300))));
        assert_eq!(h.parse(b"0"), Ok(None));
        assert_eq!(
            h.parse(b"999999999999999999"),
            Ok(Some(Duration::from_millis(999_999_999_999_999_999)))
        );
        assert_eq!(h.parse(b""), Err(TimeoutError::TooShort));
        assert_eq!(h.parse(b"1234567890123456789"), Err(TimeoutError::TooLong));
        for bad in [
            &b"300m"[..],
            b"-1",
            b"+1",
            b" 1",
            b"1 ",
            b"1.5",
            b"1e3",
            "\u{0663}".as_bytes(),
        ] {
            assert_eq!(h.parse(bad), Err(TimeoutError::NotADigit), "{bad:?}");
        }
    }

    #[test]
    fn millis_are_written_rounded_up_and_never_zero() {
        let h = TimeoutHeader::ENVOY;
        assert_eq!(h.encode(Duration::from_millis(300)), "300");
        assert_eq!(h.encode(Duration::from_micros(300_001)), "301");
        assert_eq!(h.encode(Duration::ZERO), "1");
        assert_eq!(h.encode(Duration::MAX), "999999999999999999");
        for d in [
            Duration::from_nanos(1),
            Duration::from_secs(7),
            Duration::MAX,
        ] {
            let back = h.parse(h.encode(d).as_bytes()).unwrap().unwrap();
            assert!(back >= d.min(Duration::from_millis(999_999_999_999_999_999)));
        }
    }

    #[test]
    fn grpc_format_is_the_timeout_modules() {
        let h = TimeoutHeader::REQUEST_TIMEOUT;
        assert_eq!(h.encode(Duration::from_millis(300)), "300000u");
        assert_eq!(h.parse(b"0m"), Ok(Some(Duration::ZERO)));
        assert_eq!(h.parse(b"300"), Err(TimeoutError::UnknownUnit));
        assert_eq!(h.name(), crate::REQUEST_TIMEOUT);
    }
}
