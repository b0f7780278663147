//! Fuzzes `#[cancellable]`'s expansion with arbitrary token streams.
//!
//! Input: the attribute's arguments on the first line, the annotated item after it, both
//! lexed by `proc_macro2` (inputs that do not lex are skipped: rustc would not call the macro).
//! Properties: the expansion never panics, and when the item is a function, the expansion
//! parses as Rust (the function, rewritten or not, beside any `compile_error!`).
//!
//! The macro crate is a proc-macro crate, which cannot export its expansion function; this
//! target compiles the macro's modules itself (everything but `lib.rs`, the proc-macro entry).

#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

#[path = "../../macros/src/args.rs"]
mod args;
#[path = "../../macros/src/async_block.rs"]
mod async_block;
#[path = "../../macros/src/async_trait.rs"]
mod async_trait;
#[path = "../../macros/src/body.rs"]
mod body;
#[path = "../../macros/src/ctx_param.rs"]
mod ctx_param;
#[path = "../../macros/src/emit.rs"]
mod emit;
#[path = "../../macros/src/expand.rs"]
mod expand;
#[path = "../../macros/src/future_body.rs"]
mod future_body;
#[path = "../../macros/src/instrument.rs"]
mod instrument;
#[path = "../../macros/src/join.rs"]
mod join;
#[path = "../../macros/src/reach.rs"]
mod reach;
#[path = "../../macros/src/rewrite.rs"]
mod rewrite;
#[path = "../../macros/src/select.rs"]
mod select;
#[path = "../../macros/src/shield.rs"]
mod shield;
#[path = "../../macros/src/sleep.rs"]
mod sleep;
#[path = "../../macros/src/spawn.rs"]
mod spawn;
#[path = "../../macros/src/tokio.rs"]
mod tokio;

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
