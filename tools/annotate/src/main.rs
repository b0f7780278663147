//! `annotate [--attr PATH] [--report FILE] [--coverage FILE] [--summary FILE] [--exclude FILE]
//! [--dry-run] DIR...`: puts `#[cancellable]` on the functions of the Rust sources under `DIR`
//! (in place), for `tools/annotate-crate.sh` and `tools/corpus.sh`, which then compile the crate
//! and run its own tests to show that an annotated function outside any `Group` behaves as
//! before.
//!
//! A function is a *candidate* when it is an `async fn`, or a plain `fn` whose own body (not its
//! closures, `async` blocks, nested items or macro arguments, which the macro leaves alone too)
//! has a loop or a `thread::sleep` call. A candidate is annotated when a user could annotate it:
//! the macro can return a cancellation through its return type (`()`, `Option<_>`, or a
//! `Result<_, E>` with `E: From<Cancelled>`), judged from spelling (no name resolution here; see
//! `errors.rs`). For the crate's own error types the tool writes the `impl From<Cancelled> for
//! E` a user would (from what `E` offers: `From<io::Error>`, a `String` variant, ...), right
//! after the type's item; where it cannot, the function is skipped with that reason. Anything
//! else is skipped with a reason too, never silently.
//!
//! The sources are edited as text: the attribute is inserted in front of the function, and the
//! impls after the types, on the same lines, so that every line keeps its number and comments
//! stay; the compiler's error spans then map back to functions by line (`tools/corpus.sh`).
//! Files where nothing changes are left byte for byte.
//!
//! Output: one line per candidate (`annotated|skipped<TAB>reason<TAB>file:line<TAB>fn<TAB>last
//! line<TAB>first line`) and one per impl written (`impl<TAB>type<TAB>file:line<TAB>-<TAB>line<TAB>line`) to the report
//! file (default stdout), and totals by reason to stderr.
//!
//! `--exclude FILE`: lines `file:line<TAB>reason` (a function, as the report names it) and
//! `type:Name<TAB>reason` (a type whose impl must not be written): skipped with that reason
//! (`tools/corpus.sh` feeds back the functions and impls the compiler rejected).
//!
//! `--coverage FILE`: expands every candidate with the macro's own code (the library crate
//! `autocancel-macros-impl`, which the proc-macro crate calls) and measures which of its loops, awaits, waiting macros and spawns got
//! a checkpoint (see `census.rs`); the sites of a function left unannotated all count as
//! missed, with its reason. One line per site that got none to FILE
//! (`uncovered<TAB>kind<TAB>reason<TAB>file:line:col<TAB>fn`), and a summary to stderr;
//! `--summary FILE` writes the counts as JSON. `--dry-run` leaves the sources as they are.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs};

use proc_macro2::{LineColumn, Span};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Block, Expr, FnArg, ImplItemFn, Item, ItemFn, ReturnType, Signature, TraitItemFn,
    Type, Visibility,
};

mod census;
mod errors;
mod measure;

use errors::{ErrClass, Index, Scope};
use measure::{CoverageTotals, Measured};

// The macro's expansion comes from its library crate (`macros/impl`); these paths are the
// names `measure.rs`, `census.rs` and `main.rs` call it by.
mod expand {
    pub(crate) use autocancel_macros_impl::expand as cancellable;
}
mod async_block {
    pub(crate) use autocancel_macros_impl::{is_rewritten, is_unit_shaped};
}
use autocancel_macros_impl::future_body;

const USAGE: &str = "usage: annotate [--attr PATH] [--report FILE] [--coverage FILE] [--summary FILE] [--exclude FILE] [--dry-run] DIR...";

fn main() -> ExitCode {
    let mut attr = "::autocancel::cancellable".to_owned();
    let mut report: Option<PathBuf> = None;
    let mut coverage: Option<PathBuf> = None;
    let mut summary: Option<PathBuf> = None;
    let mut exclude: Option<PathBuf> = None;
    let mut dry_run = false;
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--attr" => attr = args.next().expect("--attr needs a path"),
            "--report" => report = Some(args.next().expect("--report needs a file").into()),
            "--coverage" => coverage = Some(args.next().expect("--coverage needs a file").into()),
            "--summary" => summary = Some(args.next().expect("--summary needs a file").into()),
            "--exclude" => exclude = Some(args.next().expect("--exclude needs a file").into()),
            "--dry-run" => dry_run = true,
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') => {
                eprintln!("unexpected argument {arg:?}");
                return ExitCode::from(2);
            }
            _ => dirs.push(arg.into()),
        }
    }
    if dirs.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let attr_text = attr.clone();
    let attr: syn::Path = match syn::parse_str(&attr) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("--attr {attr:?}: {e}");
            return ExitCode::from(2);
        }
    };
    // `file:line` or `type:Name` → why it is excluded.
    let excluded: HashMap<String, String> = match &exclude {
        Some(path) => fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        None => HashMap::new(),
    };

    // (root, file): paths are reported relative to the root's parent, so that several roots
    // (`tokio-util-0.7.20/src`, `mini-redis-0.4.1/src`) stay apart.
    let mut files = Vec::new();
    for dir in &dirs {
        let mut found = Vec::new();
        collect_rs(dir, &mut found);
        found.sort();
        let base = dir.parent().unwrap_or(dir).to_path_buf();
        files.extend(found.into_iter().map(|f| (base.clone(), f)));
    }

    // 1. Parse every file and index what the crate offers (error types, aliases, conversions).
    let mut failed = false;
    let mut parsed = Vec::new();
    let mut index = Index::default();
    index.crate_name = crate_name(&dirs);
    for (base, file) in &files {
        let source = fs::read_to_string(file).expect("read source");
        let ast = match syn::parse_file(&source) {
            Ok(ast) => ast,
            Err(e) => {
                // Not fatal: the file is left as it is, and said so.
                eprintln!(
                    "{}: not parsed by syn ({e}); left unchanged",
                    file.display()
                );
                failed = true;
                continue;
            }
        };
        let rel = file
            .strip_prefix(base)
            .unwrap_or(file)
            .display()
            .to_string();
        let at = parsed.len();
        let stem = match file.file_stem().and_then(|s| s.to_str()).unwrap_or("") {
            "lib" | "main" => "crate",
            "mod" => file
                .parent()
                .and_then(|d| d.file_name())
                .and_then(|d| d.to_str())
                .unwrap_or(""),
            stem => stem,
        };
        let dir = Path::new(&rel)
            .parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        index.add_file(at, stem, &dir, &ast);
        if let Some(dir) = file
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str())
        {
            index.add_module(dir);
        }
        parsed.push((file.clone(), rel, source, ast));
    }

    // 2. Decide for every candidate.
    let mut all: Vec<Vec<Decision>> = Vec::new();
    for (file, (_, rel, _, ast)) in parsed.iter_mut().enumerate() {
        let mut annotator = Annotator {
            attr: &attr,
            index: &index,
            generics: Vec::new(),
            decisions: Vec::new(),
            rel,
            file,
            excluded: &excluded,
        };
        annotator.visit_file_mut(ast);
        all.push(annotator.decisions);
    }

    // 3. The impls the annotated functions need; a function whose error type can get none is
    //    not annotated, with the reason.
    let mut impls: BTreeMap<(String, usize), Result<Option<errors::Made>, String>> =
        BTreeMap::new();
    for d in all.iter_mut().flatten() {
        let Some((name, def)) = d.needs.clone() else {
            continue;
        };
        let made = impls.entry((name.clone(), def)).or_insert_with(|| {
            match excluded.get(&format!("type:{name}")) {
                Some(why) => Err(why.clone()),
                None => errors::impl_for(&index, &name, def),
            }
        });
        match made {
            Ok(_) => d.reason =
                "returns Result<_, E>, E the crate's own type: impl From<Cancelled> for E written"
                    .into(),
            Err(why) => {
                d.annotated = false;
                d.reason = why.clone();
                d.needs = None;
            }
        }
    }
    // The impls those impls call (`ClientConnectError::Normal(Error)` needs `Error`'s).
    let mut used: std::collections::HashSet<(String, usize)> = all
        .iter()
        .flatten()
        .filter_map(|d| d.needs.clone())
        .collect();
    let mut todo: Vec<(String, usize)> = used.iter().cloned().collect();
    while let Some(key) = todo.pop() {
        let needs = match impls.get(&key) {
            Some(Ok(Some(made))) => made.needs.clone(),
            _ => Vec::new(),
        };
        for need in needs {
            impls
                .entry(need.clone())
                .or_insert_with(|| errors::impl_for(&index, &need.0, need.1));
            if used.insert(need.clone()) {
                todo.push(need);
            }
        }
    }

    // 4. Edit (as text), report, measure.
    let mut lines = String::new();
    let mut cov_lines = String::new();
    let mut cov_totals = CoverageTotals::default();
    let mut totals: BTreeMap<(bool, String), usize> = BTreeMap::new();
    for (at, ((file, rel, source, _), decisions)) in parsed.iter().zip(&all).enumerate() {
        // (line, column, text) to insert.
        let mut edits: Vec<(LineColumn, String)> = Vec::new();
        for d in decisions {
            *totals.entry((d.annotated, d.reason.clone())).or_default() += 1;
            let verdict = if d.annotated { "annotated" } else { "skipped" };
            let _ = writeln!(
                lines,
                "{verdict}\t{}\t{rel}:{}\t{}\t{}\t{}",
                d.reason, d.line, d.name, d.end_line, d.insert_at.line
            );
            if d.annotated {
                edits.push((d.insert_at, format!("#[{attr_text}] ")));
            }
            if let Some(measured) = &d.measured {
                let skipped = (!d.annotated).then_some(d.reason.as_str());
                measured.write_to(rel, skipped, &mut cov_lines, &mut cov_totals);
            }
        }
        for (key, made) in &impls {
            let (Ok(Some(errors::Made { text, .. })), true) = (made, used.contains(key)) else {
                continue;
            };
            let (name, def) = key;
            {
                let ty = &index.types[name][*def];
                if ty.file == at {
                    let _ = writeln!(
                        lines,
                        "impl\t{name}\t{rel}:{}\t-\t{}\t{}",
                        ty.end.line, ty.end.line, ty.end.line
                    );
                    edits.push((ty.end, text.clone()));
                }
            }
        }
        if !edits.is_empty() && !dry_run {
            fs::write(file, apply(source, edits)).expect("write source");
        }
    }
    if let Some(path) = &coverage {
        fs::write(path, &cov_lines).expect("write coverage");
        cov_totals.print();
    }
    if let Some(path) = &summary {
        fs::write(path, cov_totals.json(&totals)).expect("write summary");
    }

    match &report {
        Some(path) => fs::write(path, &lines).expect("write report"),
        None => print!("{lines}"),
    }
    let count = |annotated| -> usize {
        totals
            .iter()
            .filter(|((a, _), _)| *a == annotated)
            .map(|(_, n)| n)
            .sum()
    };
    eprintln!(
        "{} files; annotated {}, skipped {}",
        files.len(),
        count(true),
        count(false)
    );
    for ((annotated, reason), n) in &totals {
        let verdict = if *annotated { "annotated" } else { "skipped" };
        eprintln!("  {verdict:9} {n:4}  {reason}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `source` with each text inserted at its line and column (columns count chars, as
/// proc_macro2's do).
fn apply(source: &str, mut edits: Vec<(LineColumn, String)>) -> String {
    let mut starts = vec![0];
    starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
    let offset = |at: LineColumn| {
        let line_start = starts[at.line - 1];
        let line = &source[line_start..];
        line_start
            + line
                .char_indices()
                .nth(at.column)
                .map_or(line.len(), |(i, _)| i)
    };
    edits.sort_by_key(|(at, _)| std::cmp::Reverse(offset(*at)));
    let mut out = source.to_owned();
    for (at, text) in edits {
        out.insert_str(offset(at), &text);
    }
    out
}

/// The package name (`mini-redis` → `mini_redis`) from the `Cargo.toml` beside the first source
/// dir: the crate's binaries and tests spell its paths with it.
fn crate_name(dirs: &[PathBuf]) -> Option<String> {
    let manifest = fs::read_to_string(dirs.first()?.parent()?.join("Cargo.toml")).ok()?;
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let (true, Some(rest)) = (in_package, line.strip_prefix("name")) {
            let name = rest
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .trim_matches('"');
            return Some(name.replace('-', "_"));
        }
    }
    None
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

struct Decision {
    annotated: bool,
    reason: String,
    line: usize,
    end_line: usize,
    name: String,
    /// Where the attribute goes.
    insert_at: LineColumn,
    /// The crate's own error type whose impl this function needs.
    needs: Option<(String, usize)>,
    measured: Option<Measured>,
}

struct Annotator<'a> {
    attr: &'a syn::Path,
    index: &'a Index,
    /// The generic type parameters of the enclosing impls and traits.
    generics: Vec<String>,
    decisions: Vec<Decision>,
    rel: &'a str,
    /// This file's index.
    file: usize,
    excluded: &'a HashMap<String, String>,
}

impl Annotator<'_> {
    /// Decides for one function. `first` is its first token after its attributes.
    fn consider(&mut self, attrs: &[Attribute], first: Span, sig: &Signature, body: &Block) {
        let own = OwnBody::scan(body);
        let is_async = sig.asyncness.is_some();
        let future = hand_built_future(sig, body);
        if !is_async && own.loops == 0 && own.thread_sleeps == 0 && future.is_none() {
            return; // not a candidate: the macro would have nothing to rewrite
        }
        let line = sig.ident.span().start().line;
        let mut needs = None;
        let mut reason = match self.verdict(attrs, sig, is_async, &own, future.as_ref()) {
            Ok(Verdict::Converts(why)) => Ok(why.to_owned()),
            Ok(Verdict::Needs(name, def)) => {
                needs = Some((name, def));
                Ok(String::new()) // said in main, once the impl is known
            }
            Err(why) => Err(why),
        };
        if let Some(why) = self.excluded.get(&format!("{}:{line}", self.rel)) {
            reason = Err(why.clone());
            needs = None;
        }
        let measured = Measured::measure(attrs, sig, body);
        // A function the macro refuses (its loops and waits are all out of its reach: the
        // "never silent" error) would not compile annotated.
        if reason.is_ok() && measured.refused.is_some() {
            reason = Err("the macro refuses it (no loop or wait it can reach)".into());
            needs = None;
        }
        // After `#[cfg]`/`#[cfg_attr]`, so that configured-out functions are not expanded;
        // before any other attribute macro (`#[tokio::test]`...), which the macro handles.
        // After the doc comments too, for readability (they are inert).
        let is = |a: &Attribute, names: &[&str]| names.iter().any(|n| a.path().is_ident(n));
        let leading = attrs
            .iter()
            .take_while(|a| is(a, &["doc", "cfg", "cfg_attr"]))
            .count();
        let after_cfg = attrs
            .iter()
            .rposition(|a| is(a, &["cfg", "cfg_attr"]))
            .map_or(0, |i| i + 1);
        let at = leading.max(after_cfg);
        let insert_at = attrs.get(at).map_or(first, |a| a.pound_token.span).start();
        self.decisions.push(Decision {
            annotated: reason.is_ok(),
            reason: reason.unwrap_or_else(|e| e),
            line,
            end_line: body.span().end().line,
            name: sig.ident.to_string(),
            insert_at,
            needs,
            measured: Some(measured),
        });
    }

    /// `Ok(how it takes a cancellation)` or `Err(why it cannot)`.
    fn verdict(
        &self,
        attrs: &[Attribute],
        sig: &Signature,
        is_async: bool,
        own: &OwnBody,
        future: Option<&Type>,
    ) -> Result<Verdict, String> {
        let last = self.attr.segments.last().map(|s| s.ident.to_string());
        if attrs
            .iter()
            .any(|a| a.path().segments.last().map(|s| s.ident.to_string()) == last)
        {
            return Err("already annotated".into());
        }
        if sig.constness.is_some() {
            return Err("const fn (the macro rejects it)".into());
        }
        if sig.abi.is_some() {
            return Err("extern ABI".into());
        }
        if is_async && own.thread_sleeps > 0 {
            return Err("async fn calling thread::sleep (the macro rejects it)".into());
        }
        if sig.inputs.iter().any(|arg| match arg {
            FnArg::Typed(t) => is_ctx_like(&t.ty),
            FnArg::Receiver(_) => false,
        }) {
            return Err("a parameter typed `..Ctx` would be taken for the context".into());
        }
        let ty = match (&sig.output, future) {
            // A hand-built future: what its block returns is what matters.
            (_, Some(output)) => strip_parens(output),
            (ReturnType::Default, None) => return Ok(Verdict::Converts("returns ()")),
            (ReturnType::Type(_, ty), None) => strip_parens(ty),
        };
        let mut generics = self.generics.clone();
        generics.extend(sig.generics.type_params().map(|p| p.ident.to_string()));
        let scope = Scope {
            index: self.index,
            generics: &generics,
            file: self.file,
        };
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => return Ok(Verdict::Converts("returns ()")),
            Type::ImplTrait(_) => return Err("returns impl Trait (not an Exit type)".into()),
            Type::Never(_) => return Err("returns !".into()),
            _ => {}
        }
        if let Some(error) = scope.result_error(ty, 0) {
            let (error, file) = error?;
            return match scope.at(file).classify(&error, 0) {
                ErrClass::Converts(why) => Ok(Verdict::Converts(why)),
                ErrClass::Local(name, def) => Ok(Verdict::Needs(name, def)),
                ErrClass::No(why) => Err(format!("returns Result<_, E>: {why}")),
            };
        }
        match ty {
            Type::Path(p) if p.qself.is_none() => {
                match p
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .as_deref()
                {
                    Some("Option") => Ok(Verdict::Converts("returns Option<_>")),
                    Some("Poll") => Err("returns Poll<_> (a poll fn; not an Exit type)".into()),
                    _ => Err("return type not (), Option or a Result (not an Exit type)".into()),
                }
            }
            _ => Err("return type not (), Option or a Result (not an Exit type)".into()),
        }
    }

    fn with_generics(&mut self, generics: &syn::Generics, f: impl FnOnce(&mut Self)) {
        let depth = self.generics.len();
        self.generics
            .extend(generics.type_params().map(|p| p.ident.to_string()));
        f(self);
        self.generics.truncate(depth);
    }
}

enum Verdict {
    Converts(&'static str),
    /// The crate's own error type, which needs the impl.
    Needs(String, usize),
}

/// `T` of a function that returns its body as a future (`-> impl Future<Output = T>` ending in
/// `async move { .. }`, `-> BoxFuture<'_, T>` ending in `Box::pin(async move { .. })`), when that
/// block has a loop or a wait: the macro rewrites it as the body (`future_body.rs`), so a user
/// could annotate the function.
fn hand_built_future(sig: &Signature, body: &Block) -> Option<Type> {
    let mut body = body.clone();
    let block = future_body::returned_async_block(&mut body)?;
    if census::sites(block).is_empty() {
        return None;
    }
    syn::parse2(future_body::output_type(&sig.output)?).ok()
}

/// The first token of an item after its attributes: its visibility, else its signature.
fn first_span(vis: &Visibility, sig: &Signature) -> Span {
    match vis {
        Visibility::Inherited => sig.span(),
        vis => vis.span(),
    }
}

impl VisitMut for Annotator<'_> {
    fn visit_item_fn_mut(&mut self, f: &mut ItemFn) {
        let first = first_span(&f.vis, &f.sig);
        self.consider(&f.attrs, first, &f.sig, &f.block);
        // Nested items (fns declared in the body) are considered on their own.
        syn::visit_mut::visit_block_mut(self, &mut f.block);
    }

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        let generics = i.generics.clone();
        self.with_generics(&generics, |this| {
            syn::visit_mut::visit_item_impl_mut(this, i)
        });
    }

    fn visit_item_trait_mut(&mut self, t: &mut syn::ItemTrait) {
        let generics = t.generics.clone();
        self.with_generics(&generics, |this| {
            syn::visit_mut::visit_item_trait_mut(this, t)
        });
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut ImplItemFn) {
        let first = match &f.modifiers.defaultness {
            Some(d) => d.span,
            None => first_span(&f.vis, &f.sig),
        };
        self.consider(&f.attrs, first, &f.sig, &f.block);
        syn::visit_mut::visit_block_mut(self, &mut f.block);
    }

    fn visit_trait_item_fn_mut(&mut self, f: &mut TraitItemFn) {
        if let Some(body) = &mut f.default {
            self.consider(&f.attrs, f.sig.span(), &f.sig, body);
            syn::visit_mut::visit_block_mut(self, body);
        }
    }
}

/// What the macro would see in a function's own body.
#[derive(Default)]
struct OwnBody {
    loops: usize,
    thread_sleeps: usize,
}

impl OwnBody {
    fn scan(body: &Block) -> OwnBody {
        let mut own = OwnBody::default();
        own.visit_block(body);
        own
    }
}

impl<'ast> Visit<'ast> for OwnBody {
    // Not the function's own control flow (the macro does not enter these either).
    fn visit_item(&mut self, _: &'ast Item) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_const(&mut self, _: &'ast syn::ExprConst) {}
    fn visit_macro(&mut self, _: &'ast syn::Macro) {}

    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.loops += 1,
            Expr::Call(call) => {
                if let Expr::Path(p) = &*call.func {
                    let segs = segment_names(&p.path);
                    if ends_with(&segs, &["thread", "sleep"]) {
                        self.thread_sleeps += 1;
                    }
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }
}

fn strip_parens(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip_parens(&p.elem),
        Type::Group(g) => strip_parens(&g.elem),
        _ => ty,
    }
}

fn ends_with(segs: &[String], tail: &[&str]) -> bool {
    segs.len() >= tail.len()
        && segs[segs.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(a, b)| a == b)
}

/// The macro takes a parameter whose type is spelled `..Ctx` or `&..Ctx` for the context.
fn is_ctx_like(ty: &Type) -> bool {
    match strip_parens(ty) {
        Type::Reference(r) => is_ctx_like(&r.elem),
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|l| l.ident == "Ctx")
        }
        _ => false,
    }
}

/// A path's segment names (`std::thread::sleep` → `["std", "thread", "sleep"]`).
fn segment_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}
