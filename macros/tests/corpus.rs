//! The expansion over a corpus of real-world functions: every `async fn`, and every `fn` with a
//! loop, in the sources of well-known crates that Cargo has unpacked under
//! `$CARGO_HOME/registry/src/` (tokio, tokio-util, futures-util, hyper, ... whichever a build
//! of this workspace fetched). Each is expanded as if written `#[cancellable] fn ..` (and, for
//! some, with `crate = ..`): the expansion must not panic, and must parse back as Rust.
//!
//! A machine without those sources skips the test (it prints so). `CORPUS_MAX_FNS` sets the cap
//! on functions, shared evenly between the crates found (default 800: ~3 s in a debug build;
//! `CORPUS_MAX_FNS=100000` takes them all: 1139 here, ~6 s).

use autocancel_macros_impl::expand;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use std::path::{Path, PathBuf};
use syn::visit_mut::VisitMut;

/// Crates to take functions from, in order, as long as the cap allows.
const CRATES: &[&str] = &[
    "tokio-util",
    "tokio",
    "hyper",
    "futures-util",
    "tower",
    "axum",
    "reqwest",
    "rayon-core",
    "crossbeam-utils",
    "regex-automata",
    "serde_json",
    "syn",
];

/// The newest unpacked version of each crate of [`CRATES`] found.
fn registry_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(src)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .collect();
    dirs.sort();
    CRATES
        .iter()
        .filter_map(|krate| {
            let prefix = format!("{krate}-");
            dirs.iter()
                .rfind(|d| {
                    d.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix(&prefix))
                        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
                })
                .cloned()
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a block contains a loop, anywhere (one inside a closure or a nested item, which
/// the macro leaves alone, still makes a good test). `syn` is built with `visit-mut` only here,
/// hence the clone.
fn has_loop(block: &syn::Block) -> bool {
    struct Finder(bool);
    impl VisitMut for Finder {
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            if matches!(
                e,
                syn::Expr::Loop(_) | syn::Expr::While(_) | syn::Expr::ForLoop(_)
            ) {
                self.0 = true;
            } else {
                syn::visit_mut::visit_expr_mut(self, e);
            }
        }
    }
    let mut finder = Finder(false);
    finder.visit_block_mut(&mut block.clone());
    finder.0
}

/// Every function worth expanding: async, or with a loop; free, in impls, in traits with a
/// default body, nested anywhere.
#[derive(Default)]
struct Collect {
    fns: Vec<(String, TokenStream)>,
}

impl Collect {
    fn take(&mut self, sig: &syn::Signature, block: &syn::Block, tokens: TokenStream) {
        if sig.asyncness.is_some() || has_loop(block) {
            self.fns.push((sig.ident.to_string(), tokens));
        }
    }
}

impl VisitMut for Collect {
    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        self.take(&f.sig, &f.block, f.to_token_stream());
        syn::visit_mut::visit_item_fn_mut(self, f);
    }
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        self.take(&f.sig, &f.block, f.to_token_stream());
        syn::visit_mut::visit_impl_item_fn_mut(self, f);
    }
    fn visit_trait_item_fn_mut(&mut self, f: &mut syn::TraitItemFn) {
        if let Some(block) = &f.default {
            let (attrs, sig) = (&f.attrs, &f.sig);
            self.take(sig, block, quote!(#(#attrs)* #sig #block));
        }
        syn::visit_mut::visit_trait_item_fn_mut(self, f);
    }
}

#[derive(Default, Debug)]
struct Tally {
    files: usize,
    unparsable_files: usize,
    fns: usize,
    rewritten: usize,
    compile_errors: usize,
}

#[test]
fn expansion_of_real_world_functions_parses_and_never_panics() {
    let max: usize = std::env::var("CORPUS_MAX_FNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(800);
    let dirs = registry_dirs();
    if dirs.is_empty() {
        eprintln!("corpus: no crate sources under $CARGO_HOME/registry/src; skipped");
        return;
    }
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let mut errors_seen = std::collections::BTreeMap::<String, usize>::new();
    let per_crate = max.div_ceil(dirs.len().max(1));
    for dir in &dirs {
        let mut taken = 0;
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for file in files {
            if taken >= per_crate {
                break;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            tally.files += 1;
            let Ok(mut parsed) = syn::parse_file(&text) else {
                tally.unparsable_files += 1;
                continue;
            };
            let mut collect = Collect::default();
            collect.visit_file_mut(&mut parsed);
            for (name, tokens) in collect.fns {
                if taken >= per_crate {
                    break;
                }
                taken += 1;
                tally.fns += 1;
                // Every third with an explicit crate path, as a re-exporting user writes it.
                let args = if tally.fns % 3 == 0 {
                    quote!(crate = ::my_facade::cancellable)
                } else {
                    TokenStream::new()
                };
                let where_ = format!("{}: fn {name}", file.display());
                let out = match std::panic::catch_unwind(|| expand(args.clone(), tokens.clone())) {
                    Ok(out) => out,
                    Err(_) => {
                        failures.push(format!("{where_}: the macro panicked"));
                        continue;
                    }
                };
                let text = out.to_string();
                let file = match syn::parse2::<syn::File>(out) {
                    Ok(file) => file,
                    Err(e) => {
                        failures.push(format!("{where_}: expansion does not parse: {e}\n{text}"));
                        continue;
                    }
                };
                // One function, the same one, beside any `compile_error!`s.
                let mut fns = Vec::new();
                let mut errors = Vec::new();
                for item in &file.items {
                    match item {
                        syn::Item::Fn(f) => fns.push(f),
                        syn::Item::Macro(m)
                            if m.mac
                                .path
                                .segments
                                .last()
                                .is_some_and(|s| s.ident == "compile_error") =>
                        {
                            errors.push(m.mac.tokens.to_string())
                        }
                        other => failures.push(format!(
                            "{where_}: unexpected item in the expansion: {}",
                            other.to_token_stream()
                        )),
                    }
                }
                if fns.len() != 1 || fns[0].sig.ident != name {
                    failures.push(format!("{where_}: expansion is not that one fn:\n{text}"));
                    continue;
                }
                if !errors.is_empty() {
                    tally.compile_errors += 1;
                    for error in errors {
                        let short: String = error.chars().take(80).collect();
                        *errors_seen.entry(short).or_default() += 1;
                    }
                    continue;
                }
                if text != tokens.to_string() {
                    tally.rewritten += 1;
                }
                // Annotating twice (the expansion expanded again) works too.
                let again = fns[0].to_token_stream();
                match std::panic::catch_unwind(|| expand(args.clone(), again)) {
                    Ok(out) if syn::parse2::<syn::File>(out.clone()).is_ok() => {}
                    Ok(out) => {
                        failures.push(format!("{where_}: re-expansion does not parse\n{out}"))
                    }
                    Err(_) => failures.push(format!("{where_}: re-expansion panicked")),
                }
            }
        }
    }
    eprintln!("corpus: {} crates, {tally:?}", dirs.len());
    for (message, n) in &errors_seen {
        eprintln!("corpus: {n} x compile_error!{{{message}}}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} functions:\n{}",
        failures.len(),
        tally.fns,
        failures.join("\n")
    );
}
