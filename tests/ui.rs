//! Compile tests for `#[cancellable]`: every accepted form compiles (`tests/ui/pass`), every
//! misuse is a compile error with the message and span checked in (`tests/ui/fail/*.stderr`),
//! and generated bodies compile annotated as they do plain (`tests/ui/generate.rs`).
//! `TRYBUILD=overwrite cargo test --test ui` regenerates the `.stderr` files.

#[path = "ui/generate.rs"]
mod generate;

#[test]
fn ui() {
    // trybuild builds this crate and its dev-dependencies again, in a project of its own (its
    // `--cfg trybuild` differs from the main build's flags, so nothing is shared), and links
    // every `pass` test. Without debug info (and without criterion, see Cargo.toml) that build
    // took 69 s of CPU instead of 157 s on the 2-core VM. Only trybuild's cargo reads this
    // variable: the main build keeps its debug info.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.pass(generate::write_case_file());
    t.compile_fail("tests/ui/fail/*.rs");
}
