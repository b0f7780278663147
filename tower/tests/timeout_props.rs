//! Property tests of the `grpc-timeout` parser: it faces the network, so every input gets an
//! answer, never a panic; what it accepts is exactly the spec's grammar; the encoder's output
//! parses back to at least the encoded duration, and at most one unit more.

use std::time::Duration;

use autocancel_tower::timeout::{encode, parse, TimeoutError, MAX_DIGITS};
use proptest::prelude::*;

/// The spec's grammar, written out plainly: 1 to 8 ASCII digits, then one of `HMSmun`.
fn is_well_formed(value: &[u8]) -> bool {
    match value.split_last() {
        Some((unit, digits)) => {
            (1..=MAX_DIGITS).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && b"HMSmun".contains(unit)
        }
        None => false,
    }
}

fn unit_nanos(unit: u8) -> u128 {
    match unit {
        b'H' => 3_600_000_000_000,
        b'M' => 60_000_000_000,
        b'S' => 1_000_000_000,
        b'm' => 1_000_000,
        b'u' => 1_000,
        _ => 1,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_bytes_get_an_answer_and_only_the_grammar_is_accepted(value in prop::collection::vec(any::<u8>(), 0..16)) {
        let parsed = parse(&value);
        prop_assert_eq!(parsed.is_ok(), is_well_formed(&value), "{:?}", value);
    }

    #[test]
    fn near_misses_are_refused_with_the_right_reason(
        digits in "[0-9]{0,12}",
        unit in prop::sample::select(vec!['H', 'M', 'S', 'm', 'u', 'n', 'h', 's', 'x', ' ', '0']),
    ) {
        let value = format!("{digits}{unit}");
        let parsed = parse(value.as_bytes());
        if value.len() < 2 {
            prop_assert_eq!(parsed, Err(TimeoutError::TooShort));
        } else if value.len() - 1 > MAX_DIGITS {
            prop_assert_eq!(parsed, Err(TimeoutError::TooLong));
        } else if !"HMSmun".contains(unit) {
            prop_assert!(matches!(parsed, Err(TimeoutError::UnknownUnit) | Err(TimeoutError::NotADigit)));
        } else {
            let n: u128 = digits.parse().unwrap();
            prop_assert_eq!(parsed.map(|d| d.as_nanos()), Ok(n * unit_nanos(unit as u8)));
        }
    }

    #[test]
    fn every_accepted_value_is_finite_and_bounded(digits in "[0-9]{1,8}", unit in prop::sample::select(b"HMSmun".to_vec())) {
        let mut value = digits.into_bytes();
        value.push(unit);
        let parsed = parse(&value).unwrap();
        prop_assert!(parsed <= Duration::from_secs(99_999_999 * 3600));
    }

    #[test]
    fn encoding_round_trips_without_shortening(nanos in any::<u64>(), secs in 0u64..(1 << 40)) {
        for timeout in [Duration::from_nanos(nanos), Duration::new(secs, (nanos % 1_000_000_000) as u32)] {
            let encoded = encode(timeout);
            prop_assert!(is_well_formed(encoded.as_bytes()), "{:?}", encoded);
            let back = parse(encoded.as_bytes()).unwrap();
            let unit = unit_nanos(*encoded.as_bytes().last().unwrap());
            let max = Duration::from_secs(99_999_999 * 3600);
            if timeout <= max {
                prop_assert!(back >= timeout, "{:?} -> {} -> {:?}", timeout, encoded, back);
                prop_assert!(back.as_nanos() - timeout.as_nanos() < unit, "{:?} -> {}", timeout, encoded);
            } else {
                prop_assert_eq!(back, max);
            }
        }
    }
}
