//! Compile tests for `#[cancellable]`: every accepted form compiles (`tests/ui/pass`), every
//! misuse is a compile error with the message and span checked in (`tests/ui/fail/*.stderr`),
//! and generated bodies compile annotated as they do plain (`tests/ui/generate.rs`).
//! `TRYBUILD=overwrite cargo test --test ui` regenerates the `.stderr` files.

#[path = "ui/generate.rs"]
mod generate;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.pass(generate::write_case_file());
    t.compile_fail("tests/ui/fail/*.rs");
}
