//! Compile tests for `#[cancellable]`: every accepted form compiles (`tests/ui/pass`), every
//! misuse is a compile error with the message and span checked in (`tests/ui/fail/*.stderr`).
//! `TRYBUILD=overwrite cargo test --test ui` regenerates the `.stderr` files.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
