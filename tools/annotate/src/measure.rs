//! `--coverage`: expands each candidate function with the macro's own code and records, per
//! site (loop, await, waiting macro, spawn), whether the expansion checkpointed it (see
//! `census.rs`). A function left unannotated has all its sites missed, with its reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Block, Signature};

use crate::census::{self, Kind, Place};

/// One function's sites and which got a checkpoint.
pub(crate) struct Measured {
    name: String,
    line: usize,
    /// `(kind, place, line, column, covered)`.
    sites: Vec<(Kind, Place, usize, usize, bool)>,
    /// The expansion was a `compile_error!` (the macro refused the function).
    pub(crate) refused: Option<String>,
}

impl Measured {
    /// Expands `#[cancellable] fn` (its other attributes kept, as rustc would pass them when
    /// `#[cancellable]` is written first) and compares.
    pub(crate) fn measure(attrs: &[Attribute], sig: &Signature, body: &Block) -> Measured {
        let sites = census::sites(body);
        let out = expand(attrs, sig, body);
        let refused = compile_error_of(&out);
        let generated = census::generated_at(out);
        Measured {
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
        }
    }

    /// Appends this function's uncovered sites to `lines` and adds to `totals`; `skipped` is
    /// why the function is not annotated, if it is not.
    pub(crate) fn write_to(
        &self,
        file: &str,
        skipped: Option<&str>,
        lines: &mut String,
        totals: &mut CoverageTotals,
    ) {
        totals.fns += 1;
        if skipped.is_none() {
            totals.annotated += 1;
        }
        if let (Some(error), None) = (&self.refused, skipped) {
            totals.refused += 1;
            let _ = writeln!(
                lines,
                "refused\t-\t{error}\t{file}:{}\t{}",
                self.line, self.name
            );
        }
        for (kind, place, line, col, covered) in &self.sites {
            let entry = totals.by_kind.entry(*kind).or_default();
            entry.0 += 1;
            if *covered && skipped.is_none() {
                entry.1 += 1;
                continue;
            }
            let reason = match skipped {
                Some(why) => format!("function not annotated: {why}"),
                None if self.refused.is_some() => "the macro refused the function".to_owned(),
                None => place.reason(),
            };
            *totals.by_reason.entry((*kind, reason.clone())).or_default() += 1;
            let _ = writeln!(
                lines,
                "uncovered\t{}\t{reason}\t{file}:{line}:{col}\t{}",
                kind.name(),
                self.name
            );
        }
    }
}

/// `#[cancellable]` on the function as written (its other attributes kept, as rustc passes them
/// when `#[cancellable]` comes first).
fn expand(attrs: &[Attribute], sig: &Signature, body: &Block) -> TokenStream {
    crate::expand::cancellable(TokenStream::new(), quote!(#(#attrs)* #sig #body))
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
    /// Candidates measured.
    fns: usize,
    annotated: usize,
    refused: usize,
    /// Kind → (sites, covered).
    by_kind: BTreeMap<Kind, (usize, usize)>,
    by_reason: BTreeMap<(Kind, String), usize>,
}

impl CoverageTotals {
    /// The summary, as a markdown table, to stderr.
    pub(crate) fn print(&self) {
        let (all, covered) = self.all();
        eprintln!(
            "coverage: {} candidate functions, {} annotated ({} refused by the macro)",
            self.fns, self.annotated, self.refused
        );
        eprintln!("| site | in candidate fns | checkpointed | share |");
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

    fn all(&self) -> (usize, usize) {
        self.by_kind
            .values()
            .fold((0, 0), |(a, c), (n, k)| (a + n, c + k))
    }

    /// The counts as JSON (for `tools/corpus.sh`), with the annotation decisions by reason.
    pub(crate) fn json(&self, decisions: &BTreeMap<(bool, String), usize>) -> String {
        let (all, covered) = self.all();
        let mut out = format!(
            "{{\"candidates\": {}, \"annotated\": {}, \"refused\": {}, \"sites\": {all}, \"covered\": {covered}, \"by_kind\": {{",
            self.fns, self.annotated, self.refused
        );
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(k, (n, c))| format!("\"{}\": [{n}, {c}]", k.name()))
            .collect();
        out += &kinds.join(", ");
        out += "}, \"misses\": [";
        let misses: Vec<String> = self
            .by_reason
            .iter()
            .map(|((k, r), n)| format!("[\"{}\", {}, {n}]", k.name(), json_str(r)))
            .collect();
        out += &misses.join(", ");
        out += "], \"decisions\": [";
        let ds: Vec<String> = decisions
            .iter()
            .map(|((a, r), n)| format!("[{a}, {}, {n}]", json_str(r)))
            .collect();
        out += &ds.join(", ");
        out += "]}\n";
        out
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            '\t' => out += "\\t",
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}
