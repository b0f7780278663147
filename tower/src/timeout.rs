//! The `grpc-timeout` header's value: `TimeoutValue TimeoutUnit`, at most 8 ASCII digits and
//! one of `H` (hours), `M` (minutes), `S`, `m`, `u`, `n` (seconds, milli-, micro-, nanoseconds),
//! as the [gRPC over HTTP/2 spec] defines it. The header faces the network: anything else is an
//! error, never a panic, and the largest value (99999999 hours, 11 400 years) is still a finite
//! duration, which [`Deadline::after`](https://docs.rs/autocancel/latest/autocancel/struct.Deadline.html#method.after) caps at 30 years.
//!
//! [gRPC over HTTP/2 spec]: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md

use std::fmt;
use std::time::Duration;

/// The most digits a `TimeoutValue` may have.
pub const MAX_DIGITS: usize = 8;

/// The largest `TimeoutValue`.
const MAX_VALUE: u64 = 99_999_999;

/// Why a timeout header's value was refused. The server answers it with gRPC status `INTERNAL`
/// (as grpc-go does: "malformed grpc-timeout") or HTTP 400.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutError {
    /// No digits, or no unit.
    TooShort,
    /// More than 8 digits (more than 18 in [`TimeoutFormat::Millis`](crate::TimeoutFormat::Millis)).
    TooLong,
    /// A character other than an ASCII digit before the unit.
    NotADigit,
    /// A unit other than `H`, `M`, `S`, `m`, `u`, `n`.
    UnknownUnit,
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutError::TooShort => "timeout too short: digits and a unit are needed",
            TimeoutError::TooLong => {
                "timeout too long: at most 8 digits (18 for a value in milliseconds)"
            }
            TimeoutError::NotADigit => "timeout value is not made of ASCII digits",
            TimeoutError::UnknownUnit => "unknown timeout unit: one of H M S m u n",
        })
    }
}

impl std::error::Error for TimeoutError {}

/// Parses a `grpc-timeout` value (`"300m"` is 300 ms).
///
/// ```
/// use autocancel_tower::timeout::{parse, TimeoutError};
/// use std::time::Duration;
///
/// assert_eq!(parse(b"300m"), Ok(Duration::from_millis(300)));
/// assert_eq!(parse(b"2H"), Ok(Duration::from_secs(7200)));
/// assert_eq!(parse(b"123456789n"), Err(TimeoutError::TooLong));
/// assert_eq!(parse(b"10s"), Err(TimeoutError::UnknownUnit)); // seconds are `S`
/// ```
pub fn parse(value: &[u8]) -> Result<Duration, TimeoutError> {
    let Some((&unit, digits)) = value.split_last() else {
        return Err(TimeoutError::TooShort);
    };
    if digits.is_empty() {
        return Err(TimeoutError::TooShort);
    }
    if digits.len() > MAX_DIGITS {
        return Err(TimeoutError::TooLong);
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(TimeoutError::NotADigit);
        }
        n = n * 10 + u64::from(d - b'0'); // at most 8 digits: no overflow
    }
    Ok(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return Err(TimeoutError::UnknownUnit),
    })
}

/// An encoded timeout: at most 8 digits and a unit, on the stack.
#[derive(Clone, Copy)]
pub struct Encoded {
    bytes: [u8; MAX_DIGITS + 1],
    len: u8,
}

impl Encoded {
    /// The header value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The header value's text.
    pub fn as_str(&self) -> &str {
        // Digits and an ASCII unit letter.
        std::str::from_utf8(self.as_bytes()).unwrap_or("0n")
    }
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Encodes `timeout` as grpc-go does: in the finest unit whose value fits in 8 digits, rounded
/// up (a timeout is never shortened by its encoding, and lengthened by less than one unit: 1 µs
/// for anything under 100 s). Beyond 99999999 hours, the largest value.
///
/// ```
/// use autocancel_tower::timeout::encode;
/// use std::time::Duration;
///
/// assert_eq!(encode(Duration::from_millis(300)).as_str(), "300000u");
/// assert_eq!(encode(Duration::from_nanos(1500)).as_str(), "1500n");
/// assert_eq!(encode(Duration::from_secs(86_400 * 365 * 4)).as_str(), "2102400M");
/// ```
pub fn encode(timeout: Duration) -> Encoded {
    const UNITS: [(u128, u8); 6] = [
        (1, b'n'),
        (1_000, b'u'),
        (1_000_000, b'm'),
        (1_000_000_000, b'S'),
        (60_000_000_000, b'M'),
        (3_600_000_000_000, b'H'),
    ];
    let nanos = timeout.as_nanos();
    let (value, unit) = UNITS
        .iter()
        .find_map(|&(per, unit)| {
            let value = nanos.div_ceil(per);
            (value <= u128::from(MAX_VALUE)).then_some((value as u64, unit))
        })
        .unwrap_or((MAX_VALUE, b'H'));
    let mut bytes = [0u8; MAX_DIGITS + 1];
    let mut digits = [0u8; MAX_DIGITS];
    let mut len = 0;
    let mut rest = value;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in 0..len {
        bytes[i] = digits[len - 1 - i];
    }
    bytes[len] = unit;
    Encoded {
        bytes,
        len: (len + 1) as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit() {
        assert_eq!(parse(b"1H"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse(b"1M"), Ok(Duration::from_secs(60)));
        assert_eq!(parse(b"1S"), Ok(Duration::from_secs(1)));
        assert_eq!(parse(b"1m"), Ok(Duration::from_millis(1)));
        assert_eq!(parse(b"1u"), Ok(Duration::from_micros(1)));
        assert_eq!(parse(b"1n"), Ok(Duration::from_nanos(1)));
        assert_eq!(parse(b"0n"), Ok(Duration::ZERO));
        assert_eq!(parse(b"00000007S"), Ok(Duration::from_secs(7)));
    }

    #[test]
    fn the_largest_value_is_finite() {
        assert_eq!(
            parse(b"99999999H"),
            Ok(Duration::from_secs(99_999_999 * 3600))
        );
    }

    #[test]
    fn malformed_values_are_errors() {
        assert_eq!(parse(b""), Err(TimeoutError::TooShort));
        assert_eq!(parse(b"m"), Err(TimeoutError::TooShort));
        assert_eq!(parse(b"5"), Err(TimeoutError::TooShort));
        assert_eq!(parse(b"55"), Err(TimeoutError::UnknownUnit));
        assert_eq!(parse(b"100000000m"), Err(TimeoutError::TooLong));
        assert_eq!(parse(b"-1S"), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b"+1S"), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b" 1S"), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b"1 S"), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b"1S "), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b"1.5S"), Err(TimeoutError::NotADigit));
        assert_eq!(parse(b"1s"), Err(TimeoutError::UnknownUnit));
        assert_eq!(parse(b"1h"), Err(TimeoutError::UnknownUnit));
        assert_eq!(parse("1\u{00b5}".as_bytes()), Err(TimeoutError::NotADigit));
        assert_eq!(parse("\u{0663}S".as_bytes()), Err(TimeoutError::NotADigit));
    }

    #[test]
    fn encodes_like_grpc_go() {
        let cases = [
            (Duration::ZERO, "0n"),
            (Duration::from_nanos(99_999_999), "99999999n"),
            (Duration::from_nanos(100_000_000), "100000u"),
            (Duration::from_nanos(100_000_001), "100001u"),
            (Duration::from_secs(99), "99000000u"),
            (Duration::from_secs(100), "100000m"),
            (Duration::from_secs(99_999_999), "99999999S"),
            (Duration::from_secs(100_000_000), "1666667M"),
            (Duration::MAX, "99999999H"),
        ];
        for (timeout, text) in cases {
            assert_eq!(encode(timeout).as_str(), text, "{timeout:?}");
        }
    }
}
