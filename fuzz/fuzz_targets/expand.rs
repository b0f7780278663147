//! Fuzzes `#[cancellable]`'s expansion with arbitrary token streams.
//!
//! Input: the attribute's arguments on the first line, the annotated item after it, both
//! lexed by `proc_macro2` (inputs that do not lex are skipped: rustc would not call the macro).
//! Properties: the expansion never panics, and when the item is a function, the expansion
//! parses as Rust (the function, rewritten or not, beside any `compile_error!`).
//!
//! The expansion is `autocancel-macros-impl`'s, the library the proc-macro crate calls.

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args, item) = text.split_once('\n').unwrap_or(("", text));
    let (Ok(args), Ok(item)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return;
    };
    let is_fn = syn::parse2::<syn::ItemFn>(item.clone()).is_ok();
    let out = autocancel_macros_impl::expand(args, item);
    if is_fn {
        if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
            panic!("the expansion of a function does not parse: {e}\n{out}");
        }
    }
});
