//! `annotate [--attr PATH] [--report FILE] [--coverage FILE] [--dry-run] DIR...`: puts `#[cancellable]` on the functions of the
//! Rust sources under `DIR` (in place), for `tools/annotate-crate.sh`, which then runs the
//! crate's own tests to show that an annotated function outside any `Group` behaves as before.
//!
//! A function is a *candidate* when it is an `async fn`, or a plain `fn` whose own body (not its
//! closures, `async` blocks, nested items or macro arguments, which the macro leaves alone too)
//! has a loop or a `thread::sleep` call. A candidate is annotated when the macro can return a
//! cancellation through its return type, judged from the spelling of that type (no name
//! resolution here): `()`, `Option<_>`, `io::Result<_>`, `Result<_, io::Error>`,
//! `Result<_, Box<dyn Error [+ Send + Sync]>>`. Anything else is skipped with a reason. Files
//! where nothing is annotated are left byte for byte; the others are printed by prettyplease
//! (which keeps doc comments, since they are attributes, and drops the other comments).
//!
//! Output: one line per candidate (`annotated|skipped<TAB>reason<TAB>file:line<TAB>fn`) to the
//! report file (default stdout), and totals by reason to stderr.
//!
//! `--coverage FILE`: also expands every annotated function with the macro's own code (compiled
//! into this tool, see `build.rs`) and measures which of its loops, awaits and waiting macros got
//! a checkpoint (see `census.rs`): one line per site that got none to FILE
//! (`uncovered<TAB>kind<TAB>reason<TAB>file:line:col<TAB>fn`), and a summary to stderr.
//! `--dry-run` leaves the sources as they are.
//!
//! `--every-result`: also annotates every function returning a `Result` (any error type, and
//! `Result<T>` aliases), as a user would after writing `impl From<Cancelled> for E` for the
//! crate's error types: for `--coverage --dry-run` measurements (the crate would need those
//! impls to compile).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs};

use proc_macro2::Span;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Block, Expr, FnArg, GenericArgument, ImplItemFn, Item, ItemFn, PathArguments,
    ReturnType, Signature, TraitItemFn, Type, TypeParamBound,
};

mod census;
mod measure;

use measure::{Coverage, CoverageTotals};

// The macro's expansion comes from its library crate (`macros/impl`); these two paths are the
// names `measure.rs` and `census.rs` call it by.
mod expand {
    pub(crate) use autocancel_macros_impl::expand as cancellable;
}
mod async_block {
    pub(crate) use autocancel_macros_impl::is_unit_shaped;
}

fn main() -> ExitCode {
    let mut attr = "::autocancel::cancellable".to_owned();
    let mut report: Option<PathBuf> = None;
    let mut coverage: Option<PathBuf> = None;
    let mut dry_run = false;
    let mut every_result = false;
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--attr" => attr = args.next().expect("--attr needs a path"),
            "--report" => report = Some(args.next().expect("--report needs a file").into()),
            "--coverage" => coverage = Some(args.next().expect("--coverage needs a file").into()),
            "--dry-run" => dry_run = true,
            "--every-result" => every_result = true,
            "-h" | "--help" => {
                eprintln!("usage: annotate [--attr PATH] [--report FILE] [--coverage FILE] [--dry-run] [--every-result] DIR...");
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
        eprintln!(
            "usage: annotate [--attr PATH] [--report FILE] [--coverage FILE] [--dry-run] DIR..."
        );
        return ExitCode::from(2);
    }
    let attr: syn::Path = match syn::parse_str(&attr) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("--attr {attr:?}: {e}");
            return ExitCode::from(2);
        }
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

    let mut lines = String::new();
    let mut cov_lines = String::new();
    let mut cov_totals = CoverageTotals::default();
    let mut totals: BTreeMap<(bool, &'static str), usize> = BTreeMap::new();
    let mut failed = false;
    for (base, file) in &files {
        let source = fs::read_to_string(file).expect("read source");
        let mut ast = match syn::parse_file(&source) {
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
        let mut annotator = Annotator {
            attr: &attr,
            io_result_aliases: io_result_aliases(&ast),
            every_result,
            decisions: Vec::new(),
            coverage: coverage.as_ref().map(|_| Coverage::default()),
        };
        annotator.visit_file_mut(&mut ast);
        let rel = file
            .strip_prefix(base)
            .unwrap_or(file)
            .display()
            .to_string();
        let mut any = false;
        for d in &annotator.decisions {
            any |= d.annotated;
            *totals.entry((d.annotated, d.reason)).or_default() += 1;
            let verdict = if d.annotated { "annotated" } else { "skipped" };
            let _ = writeln!(
                lines,
                "{verdict}\t{}\t{rel}:{}\t{}",
                d.reason, d.line, d.name
            );
        }
        if let Some(cov) = annotator.coverage.take() {
            cov.write_to(&rel, &mut cov_lines, &mut cov_totals);
        }
        if any && !dry_run {
            fs::write(file, prettyplease::unparse(&ast)).expect("write source");
        }
    }
    if let Some(path) = &coverage {
        fs::write(path, &cov_lines).expect("write coverage");
        cov_totals.print();
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
    reason: &'static str,
    line: usize,
    name: String,
}

struct Annotator<'a> {
    attr: &'a syn::Path,
    /// Names this file imports `io::Result` as (`use std::io::Result;`), so that a bare
    /// `Result<T>` is recognised as `io::Result<T>` (scopes are not told apart).
    io_result_aliases: Vec<String>,
    /// `--every-result`: any `Result` is taken to carry a cancellation.
    every_result: bool,
    decisions: Vec<Decision>,
    /// With `--coverage`: what the expansion of each annotated function checkpointed.
    coverage: Option<Coverage>,
}

impl Annotator<'_> {
    /// Decides for one function, and adds the attribute if it is annotated.
    fn consider(&mut self, attrs: &mut Vec<Attribute>, sig: &Signature, body: &Block) {
        let own = OwnBody::scan(body);
        let is_async = sig.asyncness.is_some();
        if !is_async && own.loops == 0 && own.thread_sleeps == 0 {
            return; // not a candidate: the macro would have nothing to rewrite
        }
        let mut reason = self.verdict(attrs, sig, is_async, &own);
        if reason.is_ok() {
            if let Some(cov) = &mut self.coverage {
                cov.measure(attrs, sig, body);
            }
            // A function the macro refuses (its loops and waits are all out of its reach: the
            // "never silent" error) would not compile annotated: counted above, not annotated.
            if measure::refuses(attrs, sig, body) {
                reason = Err("the macro refuses it (no loop or wait it can reach)");
            }
        }
        let annotated = reason.is_ok();
        if annotated {
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
            let path = self.attr;
            attrs.insert(at, syn::parse_quote!(#[#path]));
        }
        self.decisions.push(Decision {
            annotated,
            reason: reason.unwrap_or_else(|e| e),
            line: line_of(sig.ident.span()),
            name: sig.ident.to_string(),
        });
    }

    /// `Ok(why it can be annotated)` or `Err(why not)`.
    fn verdict(
        &self,
        attrs: &[Attribute],
        sig: &Signature,
        is_async: bool,
        own: &OwnBody,
    ) -> Result<&'static str, &'static str> {
        let last = self.attr.segments.last().map(|s| s.ident.to_string());
        if attrs
            .iter()
            .any(|a| a.path().segments.last().map(|s| s.ident.to_string()) == last)
        {
            return Err("already annotated");
        }
        if sig.constness.is_some() {
            return Err("const fn (the macro rejects it)");
        }
        if sig.abi.is_some() {
            return Err("extern ABI");
        }
        if is_async && own.thread_sleeps > 0 {
            return Err("async fn calling thread::sleep (the macro rejects it)");
        }
        if sig.inputs.iter().any(|arg| match arg {
            FnArg::Typed(t) => is_ctx_like(&t.ty),
            FnArg::Receiver(_) => false,
        }) {
            return Err("a parameter typed `..Ctx` would be taken for the context");
        }
        let ty = match &sig.output {
            ReturnType::Default => return Ok("returns ()"),
            ReturnType::Type(_, ty) => strip_parens(ty),
        };
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => Ok("returns ()"),
            Type::ImplTrait(_) => Err("returns impl Trait"),
            Type::Never(_) => Err("returns !"),
            Type::Path(p) if p.qself.is_none() => {
                let segs = segment_names(&p.path);
                let args = generic_types(p.path.segments.last().map(|s| &s.arguments));
                match segs.last().map(String::as_str) {
                    Some("Option") if args.len() == 1 => Ok("returns Option<_>"),
                    Some("Result") if ends_with(&segs, &["io", "Result"]) => {
                        Ok("returns io::Result<_> (io::Error: From<Cancelled>)")
                    }
                    Some(name)
                        if segs.len() == 1
                            && args.len() == 1
                            && self.io_result_aliases.iter().any(|a| a == name) =>
                    {
                        Ok("returns io::Result<_> imported by `use` (io::Error: From<Cancelled>)")
                    }
                    Some("Result") if args.len() == 2 => {
                        if is_io_error(args[1]) {
                            Ok("returns Result<_, io::Error> (io::Error: From<Cancelled>)")
                        } else if is_boxed_dyn_error(args[1]) {
                            Ok("returns Result<_, Box<dyn Error>> (From<E: Error>)")
                        } else if path_segs(args[1])
                            .is_some_and(|s| s.last().is_some_and(|l| l == "Status"))
                        {
                            Ok("returns Result<_, tonic::Status> (From<Cancelled> with the `tonic` feature)")
                        } else if self.every_result {
                            Ok("returns Result<_, E> (--every-result: E: From<Cancelled> assumed)")
                        } else {
                            Err("returns Result<_, E>, E not known to take From<Cancelled>")
                        }
                    }
                    Some("Result") if self.every_result => {
                        Ok("returns a Result alias (--every-result: From<Cancelled> assumed)")
                    }
                    Some("Result") => Err("returns a Result alias, error type unknown"),
                    Some("Poll") => Err("returns Poll<_> (a poll fn; not an Exit type)"),
                    _ => Err("return type not (), Option or a known Result"),
                }
            }
            _ => Err("return type not (), Option or a known Result"),
        }
    }
}

impl VisitMut for Annotator<'_> {
    fn visit_item_fn_mut(&mut self, f: &mut ItemFn) {
        self.consider(&mut f.attrs, &f.sig, &f.block);
        // Nested items (fns declared in the body) are considered on their own.
        syn::visit_mut::visit_block_mut(self, &mut f.block);
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut ImplItemFn) {
        self.consider(&mut f.attrs, &f.sig, &f.block);
        syn::visit_mut::visit_block_mut(self, &mut f.block);
    }

    fn visit_trait_item_fn_mut(&mut self, f: &mut TraitItemFn) {
        if let Some(body) = &mut f.default {
            self.consider(&mut f.attrs, &f.sig, body);
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

/// The names under which the file's `use` items import `io::Result`.
fn io_result_aliases(file: &syn::File) -> Vec<String> {
    struct Uses(Vec<String>);
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            walk(&u.tree, &mut Vec::new(), &mut self.0);
        }
    }
    fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<String>) {
        let is_io_result = |prefix: &Vec<String>, last: &syn::Ident| {
            last == "Result" && prefix.last().is_some_and(|p| p == "io")
        };
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) if is_io_result(prefix, &n.ident) => out.push("Result".into()),
            syn::UseTree::Rename(r) if is_io_result(prefix, &r.ident) => {
                out.push(r.rename.to_string())
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, prefix, out);
                }
            }
            _ => {}
        }
    }
    let mut uses = Uses(Vec::new());
    uses.visit_file(file);
    uses.0
}

fn line_of(span: Span) -> usize {
    span.start().line
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

fn generic_types(args: Option<&PathArguments>) -> Vec<&Type> {
    match args {
        Some(PathArguments::AngleBracketed(a)) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn path_segs(ty: &Type) -> Option<Vec<String>> {
    match strip_parens(ty) {
        Type::Path(p) if p.qself.is_none() => Some(segment_names(&p.path)),
        _ => None,
    }
}

fn is_io_error(ty: &Type) -> bool {
    path_segs(ty).is_some_and(|s| ends_with(&s, &["io", "Error"]))
}

/// `Box<dyn Error>`, `Box<dyn Error + Send + Sync [+ 'a]>`: std converts any `Error` into these.
fn is_boxed_dyn_error(ty: &Type) -> bool {
    let Type::Path(p) = strip_parens(ty) else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident != "Box" {
        return false;
    }
    let args = generic_types(Some(&last.arguments));
    let [Type::TraitObject(obj)] = args.as_slice() else {
        return false;
    };
    let mut traits = Vec::new();
    for bound in &obj.bounds {
        match bound {
            TypeParamBound::Trait(t) => traits.push(
                t.path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default(),
            ),
            TypeParamBound::Lifetime(_) => {}
            _ => return false,
        }
    }
    traits.sort();
    traits == ["Error"] || traits == ["Error", "Send", "Sync"]
}

/// The macro takes a parameter whose type is spelled `..Ctx` or `&..Ctx` for the context.
fn is_ctx_like(ty: &Type) -> bool {
    match strip_parens(ty) {
        Type::Reference(r) => is_ctx_like(&r.elem),
        other => path_segs(other).is_some_and(|s| s.last().is_some_and(|l| l == "Ctx")),
    }
}

/// A path's segment names (`std::thread::sleep` → `["std", "thread", "sleep"]`).
fn segment_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}
