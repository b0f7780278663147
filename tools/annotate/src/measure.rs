//! `--coverage`: expands each annotated function with the macro's own code and records, per
//! site (loop, await, waiting macro), whether the expansion checkpointed it (see `census.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Block, Signature};

use crate::census::{self, Kind, Place};

/// One function's sites and which got a checkpoint.
struct Measured {
    name: String,
    line: usize,
    /// `(kind, place, line, column, covered)`.
    sites: Vec<(Kind, Place, usize, usize, bool)>,
    /// The expansion was a `compile_error!` (the macro refused the function).
    refused: Option<String>,
}

/// The functions of one file.
#[derive(Default)]
pub(crate) struct Coverage {
    fns: Vec<Measured>,
}

impl Coverage {
    /// Expands `#[cancellable] fn` (its other attributes kept, as rustc would pass them when
    /// `#[cancellable]` is written first) and compares.
    pub(crate) fn measure(&mut self, attrs: &[Attribute], sig: &Signature, body: &Block) {
        let sites = census::sites(body);
        let out = expand(attrs, sig, body);
        let refused = compile_error_of(&out);
        let generated = census::generated_at(out);
        self.fns.push(Measured {
            name: sig.ident.to_string(),
            line: sig.ident.span().start().line,
            sites: sites
                .iter()
                .map(|s| {
                    let covered = census::covered(s, &generated, &sites);
                    (s.kind, s.place.clone(), s.at.line, s.at.column + 1, covered)
                })
                .collect(),
            refused,
        });
    }

    /// Appends this file's uncovered sites to `lines` and adds to `totals`.
    pub(crate) fn write_to(self, file: &str, lines: &mut String, totals: &mut CoverageTotals) {
        for f in self.fns {
            totals.fns += 1;
            if let Some(error) = &f.refused {
                totals.refused += 1;
                let _ = writeln!(lines, "refused\t-\t{error}\t{file}:{}\t{}", f.line, f.name);
            }
            for (kind, place, line, col, covered) in f.sites {
                let entry = totals.by_kind.entry(kind).or_default();
                entry.0 += 1;
                if covered {
                    entry.1 += 1;
                    continue;
                }
                let reason = if f.refused.is_some() {
                    "the macro refused the function".to_owned()
                } else {
                    place.reason()
                };
                *totals.by_reason.entry((kind, reason.clone())).or_default() += 1;
                let _ = writeln!(
                    lines,
                    "uncovered\t{}\t{reason}\t{file}:{line}:{col}\t{}",
                    kind.name(),
                    f.name
                );
            }
        }
    }
}

/// `#[cancellable]` on the function as written (its other attributes kept, as rustc passes them
/// when `#[cancellable]` comes first).
fn expand(attrs: &[Attribute], sig: &Signature, body: &Block) -> TokenStream {
    crate::expand::cancellable(TokenStream::new(), quote!(#(#attrs)* #sig #body))
}

/// Whether the macro answers the function with a `compile_error!`.
pub(crate) fn refuses(attrs: &[Attribute], sig: &Signature, body: &Block) -> bool {
    compile_error_of(&expand(attrs, sig, body)).is_some()
}

/// The first `compile_error!` message of an expansion, if any.
fn compile_error_of(out: &TokenStream) -> Option<String> {
    let text = out.to_string();
    let at = text.find("compile_error")?;
    Some(text[at..].chars().take(120).collect())
}

/// Totals over every file.
#[derive(Default)]
pub(crate) struct CoverageTotals {
    fns: usize,
    refused: usize,
    /// Kind → (sites, covered).
    by_kind: BTreeMap<Kind, (usize, usize)>,
    by_reason: BTreeMap<(Kind, String), usize>,
}

impl CoverageTotals {
    /// The summary, as a markdown table, to stderr.
    pub(crate) fn print(&self) {
        let (all, covered) = self
            .by_kind
            .values()
            .fold((0, 0), |(a, c), (n, k)| (a + n, c + k));
        eprintln!(
            "coverage: {} functions annotated ({} of them refused by the macro: counted here, left unannotated)",
            self.fns, self.refused
        );
        eprintln!("| site | in annotated fns | checkpointed | share |");
        eprintln!("|---|---|---|---|");
        for (kind, (n, k)) in &self.by_kind {
            eprintln!("| {} | {n} | {k} | {} |", kind.name(), pct(*k, *n));
        }
        eprintln!("| all | {all} | {covered} | {} |", pct(covered, all));
        if !self.by_reason.is_empty() {
            eprintln!();
            eprintln!("| not checkpointed | count | why |");
            eprintln!("|---|---|---|");
            for ((kind, reason), n) in &self.by_reason {
                eprintln!("| {} | {n} | {reason} |", kind.name());
            }
        }
    }
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}
