//! Expansion snapshots: `tests/expand/NAME.rs` expanded and formatted with `prettyplease` must
//! equal the checked-in `tests/expand/NAME.expanded.rs`, so that any change in the generated
//! code shows up in review. `UPDATE_SNAPSHOTS=1 cargo test -p autocancel-macros` rewrites them.
//!
//! Inputs with foreign macros' output (`#[cancellable]` below `#[tracing::instrument]` or inside
//! an `#[async_trait]` block) are generated from `tests/expand/foreign/` by the real macros: see
//! `tests/expand/foreign/generate.sh`.
//!
//! Every item (or impl or trait item) of an input file carrying `#[cancellable]` / `#[cancellable(..)]`
//! is replaced by the macro's expansion; everything else is kept as written.

use autocancel_macros_impl::expand;
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fs;
use std::path::{Path, PathBuf};
use syn::{Attribute, File, ImplItem, Item, Meta, TraitItem};

/// Removes the `#[cancellable]` attribute from `attrs`, returning its arguments.
fn take_cancellable(attrs: &mut Vec<Attribute>) -> Option<TokenStream> {
    let index = attrs
        .iter()
        .position(|a| a.path().is_ident("cancellable"))?;
    let attr = attrs.remove(index);
    Some(match attr.meta {
        Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    })
}

fn expand_item(item: &mut Item) {
    match item {
        Item::Fn(func) => {
            if let Some(args) = take_cancellable(&mut func.attrs) {
                let out = expand(args, func.to_token_stream());
                *item = syn::parse2(out).expect("expansion parses as an item");
            }
        }
        Item::Impl(imp) => {
            for impl_item in &mut imp.items {
                if let ImplItem::Fn(func) = impl_item {
                    if let Some(args) = take_cancellable(&mut func.attrs) {
                        let out = expand(args, func.to_token_stream());
                        *impl_item = syn::parse2(out).expect("expansion parses as an impl item");
                    }
                }
            }
        }
        Item::Trait(tr) => {
            for trait_item in &mut tr.items {
                if let TraitItem::Fn(func) = trait_item {
                    if let Some(args) = take_cancellable(&mut func.attrs) {
                        let out = expand(args, func.to_token_stream());
                        *trait_item = syn::parse2(out).expect("expansion parses as a trait item");
                    }
                }
            }
        }
        _ => {}
    }
}

/// Expands and formats one input file.
fn expand_file(source: &str) -> String {
    let mut file: File = syn::parse_file(source).expect("snapshot input parses");
    for item in &mut file.items {
        expand_item(item);
    }
    prettyplease::unparse(&file)
}

/// A line diff (longest common subsequence), `-` expected / `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("{:>4} + {}\n", j + 1, b[j]);
            j += 1;
        } else {
            out += &format!("{:>4} - {}\n", i + 1, a[i]);
            i += 1;
        }
    }
    out
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/expand exists")
        .map(|entry| entry.expect("readable dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn expansion_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v != "0");
    let mut failures = Vec::new();
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no snapshot inputs in tests/expand");
    for input in inputs {
        let source = fs::read_to_string(&input).unwrap();
        let actual = expand_file(&source);
        let snapshot = input.with_extension("expanded.rs");
        let expected = fs::read_to_string(&snapshot).ok();
        if expected.as_deref() == Some(actual.as_str()) {
            continue;
        }
        if update {
            fs::write(&snapshot, &actual).unwrap();
            eprintln!("updated {}", snapshot.display());
            continue;
        }
        failures.push(match expected {
            None => format!(
                "{}: no snapshot; run with UPDATE_SNAPSHOTS=1\n",
                snapshot.display()
            ),
            Some(expected) => format!(
                "{} differs (- snapshot, + actual; UPDATE_SNAPSHOTS=1 accepts):\n{}",
                snapshot.display(),
                diff(&expected, &actual)
            ),
        });
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn diff_shows_changed_lines() {
    let d = diff("a\nb\nc\n", "a\nB\nc\nd\n");
    assert_eq!(d, "   2 + B\n   2 - b\n   4 + d\n");
}
