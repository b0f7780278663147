//! Fuzzes the `grpc-timeout` header parser of `autocancel-tower` (`tower/src/timeout.rs`), which
//! reads bytes straight off the network.
//!
//! Properties: it never panics; it accepts exactly the spec's grammar (1 to 8 ASCII digits, then
//! one of `H M S m u n`); what it accepts is a finite duration no larger than 99999999 hours;
//! and the encoder writes that duration back in the grammar, without shortening it.
//!
//! The module has no dependencies, so the target compiles it by path rather than depending on
//! the crate (and its tokio, http, tower).

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;

#[path = "../../tower/src/timeout.rs"]
#[allow(dead_code)]
mod timeout;

fn is_well_formed(value: &[u8]) -> bool {
    match value.split_last() {
        Some((unit, digits)) => {
            (1..=8).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && b"HMSmun".contains(unit)
        }
        None => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let parsed = timeout::parse(data);
    assert_eq!(parsed.is_ok(), is_well_formed(data), "{data:?}");
    if let Ok(duration) = parsed {
        assert!(duration <= Duration::from_secs(99_999_999 * 3600));
        let encoded = timeout::encode(duration);
        assert!(is_well_formed(encoded.as_bytes()), "{encoded:?}");
        let back = timeout::parse(encoded.as_bytes()).expect("its own encoding parses");
        assert!(back >= duration, "{duration:?} -> {encoded} -> {back:?}");
    }
});
