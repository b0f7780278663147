//! Fuzzes `#[cancellable]`'s expansion with arbitrary token streams.
//!
//! Input: the attribute's arguments on the first line, the annotated item after it, both
//! lexed by `proc_macro2` (inputs that do not lex are skipped: rustc would not call the macro).
//! Properties: the expansion never panics, and when the item is a function, the expansion
//! parses as Rust (the function, rewritten or not, beside any `compile_error!`).
//!
//! The macro crate is a proc-macro crate, which cannot export its expansion function; this
//! target compiles the macro's modules itself (everything but `lib.rs`, the proc-macro entry),
//! listed by `build.rs` so that a new module needs no edit here.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

// Every module of the macro but `lib.rs`, listed by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/macro_modules.rs"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args, item) = text.split_once('\n').unwrap_or(("", text));
    let (Ok(args), Ok(item)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return;
    };
    let is_fn = syn::parse2::<syn::ItemFn>(item.clone()).is_ok();
    let out = expand::cancellable(args, item);
    if is_fn {
        if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
            panic!("the expansion of a function does not parse: {e}\n{out}");
        }
    }
});
