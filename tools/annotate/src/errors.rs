//! Which error types can carry a cancellation, and the `impl From<Cancelled> for E` a user would
//! write for the crate's own ones (issue 20, goal 6).
//!
//! A crate-wide index is built first (every file): the crate's `type` aliases (`type Result<T> =
//! std::result::Result<T, Error>`), its structs and enums, the `From` conversions they have
//! (`impl From<X> for E`, thiserror's `#[from]`), and its module names. A function's error type is
//! then classified by spelling (there is no name resolution here):
//!
//! - it converts already: `io::Error`, `Box<dyn Error [+ Send + Sync]>` (and `BoxError` aliases),
//!   `anyhow::Error`, `tonic::Status` (the `tonic` feature), `Cancelled`, a type with a blanket
//!   `impl<T> From<T>`;
//! - the crate's own type: the tool writes `impl From<Cancelled> for E` in the scratch copy, with
//!   the body that keeps the most of the cancellation among what `E` offers (see [`impl_for`]):
//!   its `From` conversions, its variants and fields (a unit variant named for a cancellation, a
//!   timeout or a close; a struct literal with `Option` fields `None`), its constructors of up to
//!   three arguments, filled with an `io::Error`, a boxed error, the text, a fixed message, or
//!   another of the crate's error types through that type's own impl (written too). When `E`
//!   offers none of these, no impl can be written without changing `E`: the function is not
//!   annotated, and the report says so; nor when `E<T>` has `impl<T> From<T> for E<T>`, which
//!   any `impl<T> From<Cancelled> for E<T>` would overlap (coherence);
//! - a generic parameter, an associated type or another crate's type: not annotated, with that
//!   reason (another crate's type cannot get the impl here: the orphan rule).

use std::collections::{BTreeMap, HashMap, HashSet};

use proc_macro2::LineColumn;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Fields, GenericArgument, Item, PathArguments, Type, TypeParamBound};

use crate::{ends_with, strip_parens};

/// A struct or enum of the crate.
pub(crate) struct LocalType {
    /// Index of its file.
    pub(crate) file: usize,
    /// Where its item ends: the impl is written right after it, on the same line, so that the
    /// line numbers of everything else stay as they were (the compiler's error spans are mapped
    /// back to functions by line).
    pub(crate) end: LineColumn,
    /// Its `#[cfg]`/`#[cfg_attr]` attributes, repeated on the impl.
    pub(crate) cfgs: Vec<String>,
    /// `(impl<..>, Type<..>, where ..)` as written, for the impl.
    generics: [String; 3],
    /// Its type parameters' names.
    params: Vec<String>,
    /// Variants (an enum) or the struct itself (one entry, named `""`): each with its fields.
    shapes: Vec<(String, Fields)>,
    is_enum: bool,
}

/// A `type` alias: its file, its parameters with their defaults, the aliased type.
type Alias = (usize, Vec<(String, Option<Type>)>, Type);

/// An associated function making the type from one to three values: hyper's
/// `Error::new_io(io::Error)`, tonic's `Error::from_source(impl Into<BoxError>)`, hyper-util's
/// `ConnectError::new(&'static str, impl Into<BoxError>)`.
struct Ctor {
    file: usize,
    name: String,
    /// What each argument takes: its type, or `X` for `impl Into<X>` / `E: Into<X>`.
    takes: Vec<Type>,
    /// `pub` or `pub(crate)`: callable from an impl written in another file.
    crate_wide: bool,
    /// Its `#[cfg]` attributes, repeated on the impl.
    cfgs: Vec<String>,
}

/// What the crate offers, over every file.
#[derive(Default)]
pub(crate) struct Index {
    /// `type Name<P..> = Ty;`: (its file, params with their defaults, the aliased type).
    aliases: HashMap<String, Vec<Alias>>,
    /// The module each file is (`crate` for `lib.rs`/`main.rs`, the dir for `mod.rs`).
    stems: HashMap<usize, String>,
    /// The directory each file is in (relative to the crate's root), for the nearest of
    /// several definitions of one name (deadpool's `managed::PoolError<E>` and
    /// `unmanaged::PoolError`, each `use self::errors::PoolError`d beside it).
    dirs: HashMap<usize, String>,
    /// What each file imports.
    file_uses: HashMap<usize, HashMap<String, Vec<String>>>,
    /// The crate's name as other targets spell it (`mini_redis`): taken for `crate`.
    pub(crate) crate_name: Option<String>,
    pub(crate) types: HashMap<String, Vec<LocalType>>,
    /// Target's name → the source types of its `From` impls.
    froms: HashMap<String, Vec<Type>>,
    /// Targets of a blanket `impl<T..> From<T> for E`.
    blanket: HashSet<String>,
    /// Targets of an existing `impl From<Cancelled> for E`.
    has_cancelled: HashSet<String>,
    /// Targets of `impl<E> From<E> for Name<E>`: coherence keeps any `impl<E>
    /// From<Cancelled> for Name<E>` out (the two overlap at `E = Cancelled`).
    own_param_from: HashSet<(String, usize)>,
    /// Type's name → its constructors (`fn new_io(e: io::Error) -> Self`).
    ctors: HashMap<String, Vec<Ctor>>,
    modules: HashSet<String>,
}

impl Index {
    pub(crate) fn add_module(&mut self, name: &str) {
        self.modules.insert(name.to_owned());
    }

    pub(crate) fn add_file(&mut self, file: usize, stem: &str, dir: &str, ast: &syn::File) {
        self.modules.insert(stem.to_owned());
        self.dirs.insert(file, format!("{dir}/"));
        self.stems.insert(file, stem.to_owned());
        self.file_uses.insert(file, uses_of(ast));
        let mut v = IndexVisitor { index: self, file };
        v.visit_file(ast);
    }
}

struct IndexVisitor<'a> {
    index: &'a mut Index,
    file: usize,
}

/// Whether a type's spelling mentions the one-segment name `names` among its generic
/// arguments (`RunError<E>` mentions `E`).
fn target_args_mention(ty: &Type, names: &[String]) -> bool {
    let [name] = names else { return false };
    let Type::Path(p) = ty else { return false };
    p.path.segments.last().is_some_and(|last| {
        last.arguments
            .to_token_stream()
            .into_iter()
            .any(|t| t.to_string() == *name)
    })
}

fn split(generics: &syn::Generics) -> [String; 3] {
    let (i, t, w) = generics.split_for_impl();
    [
        i.to_token_stream().to_string(),
        t.to_token_stream().to_string(),
        w.to_token_stream().to_string(),
    ]
}

fn cfgs_of(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .map(|a| a.to_token_stream().to_string())
        .collect()
}

impl<'ast> Visit<'ast> for IndexVisitor<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        match item {
            Item::Type(t) => {
                let params = t
                    .generics
                    .type_params()
                    .map(|p| {
                        (
                            p.ident.to_string(),
                            p.default.as_ref().map(|(_, t)| t.clone()),
                        )
                    })
                    .collect();
                self.index
                    .aliases
                    .entry(t.ident.to_string())
                    .or_default()
                    .push((self.file, params, (*t.ty).clone()));
            }
            Item::Enum(e) => {
                let shapes: Vec<(String, Fields)> = e
                    .variants
                    .iter()
                    .map(|v| (v.ident.to_string(), v.fields.clone()))
                    .collect();
                for (_, fields) in &shapes {
                    self.note_from_fields(&e.ident.to_string(), fields);
                }
                self.index
                    .types
                    .entry(e.ident.to_string())
                    .or_default()
                    .push(LocalType {
                        file: self.file,
                        end: e.span().end(),
                        cfgs: cfgs_of(&e.attrs),
                        generics: split(&e.generics),
                        params: e
                            .generics
                            .type_params()
                            .map(|p| p.ident.to_string())
                            .collect(),
                        shapes,
                        is_enum: true,
                    });
            }
            Item::Struct(s) => {
                self.note_from_fields(&s.ident.to_string(), &s.fields);
                self.index
                    .types
                    .entry(s.ident.to_string())
                    .or_default()
                    .push(LocalType {
                        file: self.file,
                        end: s.span().end(),
                        cfgs: cfgs_of(&s.attrs),
                        generics: split(&s.generics),
                        params: s
                            .generics
                            .type_params()
                            .map(|p| p.ident.to_string())
                            .collect(),
                        shapes: vec![(String::new(), s.fields.clone())],
                        is_enum: false,
                    });
            }
            Item::Impl(i) if i.trait_.is_none() => self.note_ctors(i),
            Item::Impl(i) => {
                if let (Some((trait_path, _)), Type::Path(target)) = (&i.trait_, &*i.self_ty) {
                    let last = trait_path.segments.last();
                    if let (Some(last), Some(target)) = (last, target.path.segments.last()) {
                        if last.ident == "From" {
                            let target = target.ident.to_string();
                            if let Some(source) = generic_types(&last.arguments).first() {
                                let generic_names: Vec<String> = i
                                    .generics
                                    .type_params()
                                    .map(|p| p.ident.to_string())
                                    .collect();
                                let source_name = path_names(source);
                                // `impl<E> From<E> for RunError<E>` converts only the
                                // type's own parameter: not a blanket over every type.
                                let own_param = target_args_mention(&i.self_ty, &source_name);
                                if source_name.len() == 1 && generic_names.contains(&source_name[0])
                                {
                                    if own_param {
                                        self.index.own_param_from.insert((target, self.file));
                                    } else {
                                        self.index.blanket.insert(target);
                                    }
                                } else if source_name.last().is_some_and(|n| n == "Cancelled") {
                                    self.index.has_cancelled.insert(target);
                                } else {
                                    self.index
                                        .froms
                                        .entry(target)
                                        .or_default()
                                        .push((*source).clone());
                                }
                            }
                        }
                    }
                }
            }
            Item::Mod(m) => {
                self.index.modules.insert(m.ident.to_string());
            }
            _ => {}
        }
        visit::visit_item(self, item);
    }
}

impl IndexVisitor<'_> {
    /// The constructors of an inherent impl (see [`Ctor`]).
    fn note_ctors(&mut self, imp: &syn::ItemImpl) {
        let Type::Path(target) = &*imp.self_ty else {
            return;
        };
        let Some(target) = target.path.segments.last() else {
            return;
        };
        let target = target.ident.to_string();
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else {
                continue;
            };
            let sig = &f.sig;
            if !(1..=3).contains(&sig.inputs.len())
                || sig.asyncness.is_some()
                || sig.constness.is_some()
            {
                continue;
            }
            let mut args = Vec::new();
            for input in &sig.inputs {
                match input {
                    syn::FnArg::Typed(arg) => args.push(arg),
                    syn::FnArg::Receiver(_) => break, // a method
                }
            }
            if args.len() != sig.inputs.len() {
                continue;
            }
            let returns_self = match &sig.output {
                syn::ReturnType::Type(_, t) => {
                    let names = path_names(t);
                    names == ["Self"] || names.last() == Some(&target)
                }
                syn::ReturnType::Default => false,
            };
            // Only lifetime-free, non-generic targets: the impl is written for `Name` as is.
            if !returns_self || !imp.generics.params.is_empty() {
                continue;
            }
            let Some(takes) = args
                .iter()
                .map(|arg| into_target(&arg.ty, &sig.generics))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let crate_wide = match &f.vis {
                syn::Visibility::Public(_) => true,
                syn::Visibility::Restricted(r) => r.path.is_ident("crate"),
                syn::Visibility::Inherited => false,
            };
            self.index
                .ctors
                .entry(target.clone())
                .or_default()
                .push(Ctor {
                    file: self.file,
                    name: sig.ident.to_string(),
                    takes,
                    crate_wide,
                    cfgs: cfgs_of(&f.attrs),
                });
        }
    }

    /// thiserror's `#[from]` (and `#[source]` is not a conversion): `V(#[from] io::Error)`.
    fn note_from_fields(&mut self, target: &str, fields: &Fields) {
        for field in fields {
            if field.attrs.iter().any(|a| a.path().is_ident("from")) {
                self.index
                    .froms
                    .entry(target.to_owned())
                    .or_default()
                    .push(field.ty.clone());
            }
        }
    }
}

/// How a function's error type takes a cancellation.
#[derive(Debug)]
pub(crate) enum ErrClass {
    /// `E: From<Cancelled>` already (why).
    Converts(&'static str),
    /// The crate's own type, by name: needs the impl.
    Local(String, usize),
    /// Not annotated (why).
    No(String),
}

/// What a file imports, by the name it imports it as: the full path.
pub(crate) fn uses_of(file: &syn::File) -> HashMap<String, Vec<String>> {
    struct Uses(HashMap<String, Vec<String>>);
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            walk(&u.tree, &mut Vec::new(), &mut self.0);
        }
    }
    fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut HashMap<String, Vec<String>>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                let name = full.last().cloned().unwrap_or_default();
                out.insert(name, full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                out.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, prefix, out);
                }
            }
            syn::UseTree::Glob(_) => {}
        }
    }
    let mut uses = Uses(HashMap::new());
    uses.visit_file(file);
    uses.0
}

/// The classification context of one function.
pub(crate) struct Scope<'a> {
    pub(crate) index: &'a Index,
    /// The generic type parameters in scope (the function's, its impl's or trait's).
    pub(crate) generics: &'a [String],
    /// The file the function is in.
    pub(crate) file: usize,
}

impl<'a> Scope<'a> {
    /// What this file imports.
    fn uses(&self) -> &'a HashMap<String, Vec<String>> {
        static NONE: std::sync::OnceLock<HashMap<String, Vec<String>>> = std::sync::OnceLock::new();
        self.index
            .file_uses
            .get(&self.file)
            .unwrap_or_else(|| NONE.get_or_init(HashMap::new))
    }

    /// The same function's scope, seen from another file (where an alias is defined).
    pub(crate) fn at(&self, file: usize) -> Scope<'a> {
        Scope {
            index: self.index,
            generics: self.generics,
            file,
        }
    }
    /// A path's names with a leading imported name expanded (`io::Error` after `use std::io`).
    fn full(&self, names: &[String]) -> Vec<String> {
        let mut full = match names.first().and_then(|n| self.uses().get(n)) {
            Some(full) => full.iter().chain(&names[1..]).cloned().collect(),
            None => names.to_vec(),
        };
        if full.first() == self.index.crate_name.as_ref() {
            full[0] = "crate".into();
        }
        full
    }

    /// Which of the files defining a name the path means: the module it names (`crate::Error`,
    /// `frame::Error`), else, for a bare name not imported, this file; else any.
    fn prefers(&self, names: &[String], file: usize) -> bool {
        let full = self.full(names);
        let stem = self.index.stems.get(&file).map(String::as_str);
        match full.len() {
            0 => false,
            1 => file == self.file,
            n => match full[n - 2].as_str() {
                "self" => file == self.file,
                "super" => true,
                module => stem == Some(module),
            },
        }
    }

    /// The definitions of `name` (aliases and types, as (is alias, index)), the preferred ones
    /// first.
    fn defs(&self, names: &[String]) -> Vec<(bool, usize)> {
        let name = names.last().map(String::as_str).unwrap_or("");
        // Among equally preferred ones, one in this file's directory or below it.
        let here = self
            .index
            .dirs
            .get(&self.file)
            .map(String::as_str)
            .unwrap_or("");
        let far = |file: usize| {
            !self
                .index
                .dirs
                .get(&file)
                .is_some_and(|d| d.starts_with(here))
        };
        let mut out: Vec<(bool, bool, bool, usize)> = Vec::new();
        for (i, (file, _, _)) in self
            .index
            .aliases
            .get(name)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((!self.prefers(names, *file), far(*file), true, i));
        }
        for (i, t) in self.index.types.get(name).into_iter().flatten().enumerate() {
            out.push((!self.prefers(names, t.file), far(t.file), false, i));
        }
        out.sort();
        out.into_iter().map(|(_, _, alias, i)| (alias, i)).collect()
    }

    /// Whether a path names something of this crate (not of std or another crate).
    fn is_local_path(&self, names: &[String]) -> bool {
        let full = self.full(names);
        match full.first().map(String::as_str) {
            Some("crate" | "self" | "super") => true,
            Some(first) if self.index.crate_name.as_deref() == Some(first) => true,
            Some(first) if full.len() > 1 => self.index.modules.contains(first),
            // A bare name not imported: defined in this crate, or in the prelude.
            Some(_) => names.len() == 1 && !self.uses().contains_key(&names[0]),
            None => false,
        }
    }

    /// The error type of a return type that is a `Result` (or an alias of one), else `None`.
    pub(crate) fn result_error(
        &self,
        ty: &Type,
        depth: usize,
    ) -> Option<Result<(Type, usize), String>> {
        let Type::Path(p) = strip_parens(ty) else {
            return None;
        };
        if p.qself.is_some() || depth > 4 {
            return None;
        }
        let names = path_names_of(&p.path);
        let last = p.path.segments.last()?;
        let args = generic_types(&last.arguments);
        let full = self.full(&names);
        let name = names.last()?.as_str();
        // A local alias (`Result<T>`, `BoxResult<T>`, `crate::Result<T>`), its parameters
        // substituted (a defaulted `E = Error` included).
        if self.is_local_path(&names) {
            if let Some((true, i)) = self.defs(&names).first() {
                let (file, params, aliased) = &self.index.aliases[name][*i];
                // A bare `Result` not imported and not defined here is the prelude's.
                let visible =
                    names.len() > 1 || self.uses().contains_key(&names[0]) || *file == self.file;
                if visible {
                    let mut subst: BTreeMap<String, Type> = BTreeMap::new();
                    for (i, (param, default)) in params.iter().enumerate() {
                        if let Some(t) = args.get(i).map(|t| (*t).clone()).or(default.clone()) {
                            subst.insert(param.clone(), t);
                        }
                    }
                    if let Some(found) = self.at(*file).result_error(aliased, depth + 1) {
                        // A parameter substituted is read where the function spelled it.
                        return Some(found.map(|(e, at)| match substitute(&e, &subst) {
                            Some(e) => (e, self.file),
                            None => (e, at),
                        }));
                    }
                }
            }
        }
        if name != "Result" {
            return None;
        }
        match args.len() {
            2 => Some(Ok((args[1].clone(), self.file))),
            1 => {
                if ends_with(&full, &["io", "Result"]) {
                    Some(Ok((syn::parse_quote!(std::io::Error), self.file)))
                } else if ends_with(&full, &["anyhow", "Result"]) {
                    Some(Ok((syn::parse_quote!(anyhow::Error), self.file)))
                } else {
                    Some(Err(format!(
                        "returns `{}<_>`, an alias whose error type is not known here",
                        full.join("::")
                    )))
                }
            }
            0 if ends_with(&full, &["fmt", "Result"]) => Some(Err(
                "returns fmt::Result (fmt::Error is std's: no From<Cancelled>, and the orphan rule keeps the impl out)".into(),
            )),
            _ => Some(Err("returns a `Result` with an unknown shape".into())),
        }
    }

    /// How `E` takes a cancellation.
    pub(crate) fn classify(&self, e: &Type, depth: usize) -> ErrClass {
        let e = strip_parens(e);
        if is_boxed_dyn_error(e) {
            return ErrClass::Converts("Box<dyn Error>: From<E: Error>");
        }
        let Type::Path(p) = e else {
            return ErrClass::No(format!(
                "error type `{}` is not a path",
                e.to_token_stream()
            ));
        };
        if p.qself.is_some() {
            return ErrClass::No("error type is an associated type (`<T as Tr>::Error`)".into());
        }
        let names = path_names_of(&p.path);
        let full = self.full(&names);
        let shown = e.to_token_stream().to_string().replace(' ', "");
        if names.len() == 1 && self.generics.contains(&names[0]) {
            return ErrClass::No(format!(
                "error type `{shown}` is a generic parameter (From<Cancelled> is not among its bounds)"
            ));
        }
        if names.len() >= 2 && (names[0] == "Self" || self.generics.contains(&names[0])) {
            return ErrClass::No(format!(
                "error type `{shown}` is an associated type (not known here)"
            ));
        }
        let name = names.last().cloned().unwrap_or_default();
        if ends_with(&full, &["io", "Error"]) {
            return ErrClass::Converts("io::Error: From<Cancelled>");
        }
        if ends_with(&full, &["anyhow", "Error"]) {
            return ErrClass::Converts("anyhow::Error: From<E: Error>");
        }
        if name == "Cancelled" {
            return ErrClass::Converts("Cancelled itself");
        }
        if name == "BoxError" && !self.index.aliases.contains_key("BoxError") {
            return ErrClass::Converts("BoxError (Box<dyn Error + Send + Sync>)");
        }
        if ends_with(&full, &["tonic", "Status"])
            || (name == "Status" && !self.is_local_path(&names))
        {
            return ErrClass::Converts("tonic::Status: From<Cancelled> (`tonic` feature)");
        }
        if self.is_local_path(&names) {
            match self.defs(&names).first() {
                Some((true, i)) if depth < 4 => {
                    let (file, _, aliased) = &self.index.aliases[&name][*i];
                    return self.at(*file).classify(aliased, depth + 1);
                }
                Some((false, i)) => return ErrClass::Local(name, *i),
                _ => {}
            }
            if names.len() == 1 && name == "Error" {
                // The prelude has no `Error` type: a glob import or a macro-made type.
                return ErrClass::No(format!(
                    "error type `{shown}` not found among the crate's types (a glob import?)"
                ));
            }
        }
        ErrClass::No(format!(
            "error type `{}` is another crate's (no From<Cancelled>; the orphan rule keeps the impl out of this crate)",
            full.join("::")
        ))
    }
}

/// An impl the tool writes: its text, and the other types' impls its body calls (a variant
/// or field holding another of the crate's error types converts through that type's impl).
pub(crate) struct Made {
    pub(crate) text: String,
    pub(crate) needs: Vec<(String, usize)>,
}

/// The message a slot that takes only a `&'static str` gets.
const MESSAGE: &str = "\"operation cancelled\"";

/// How deep the impls of nested error types go (`ClientConnectError::Normal(Error)`).
const MAX_DEPTH: usize = 3;

/// The impl a user would write for the crate's type `name` (its `def`-th definition): its text
/// (`None` when it converts already), or `Err(why none can be written)`.
///
/// The body is the candidate that keeps the most of the cancellation (see [`Fill::rank`]), over
/// the type's `From` conversions, its variants or fields (a struct literal, `Option` fields
/// `None`), and its constructors: `From<io::Error>` is taken over a variant holding a
/// `String`; a unit variant named for a cancellation (`Canceled`) over both; one named for a
/// timeout (bb8's `RunError::TimedOut`) over a variant holding another of the crate's errors.
pub(crate) fn impl_for(index: &Index, name: &str, def: usize) -> Result<Option<Made>, String> {
    impl_at(index, name, def, 0)
}

fn impl_at(index: &Index, name: &str, at: usize, depth: usize) -> Result<Option<Made>, String> {
    if index.has_cancelled.contains(name) || index.blanket.contains(name) {
        return Ok(None); // converts already (a blanket impl is checked by the compiler)
    }
    let def = &index.types[name][at];
    if !def.params.is_empty() && index.own_param_from.contains(&(name.to_owned(), def.file)) {
        return Err(format!(
            "no impl From<Cancelled> for `{name}<..>` can be written: its `impl<E> From<E> for {name}<E>` would overlap it (at E = Cancelled, coherence)"
        ));
    }
    // By name: an `impl From<X> for Error` is taken to be for whichever `Error` it is beside.
    let froms = index.froms.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let ctors = index.ctors.get(name).map(Vec::as_slice).unwrap_or(&[]);
    // (rank, where from: froms 0, shapes 1, constructors 2, tie-break, the fill, extra cfgs)
    let mut best: Option<(u8, u8, i32, Fill, Vec<String>)> = None;
    let mut offer = |rank: u8, from: u8, tie: i32, fill: Fill, cfgs: Vec<String>| {
        if best
            .as_ref()
            .is_none_or(|b| (rank, from, tie) < (b.0, b.1, b.2))
        {
            best = Some((rank, from, tie, fill, cfgs));
        }
    };
    for t in froms {
        if let Some(f) = plain_value(t) {
            let expr = format!("<Self as ::core::convert::From<_>>::from({})", f.expr);
            offer(f.rank, 0, 0, Fill { expr, ..f }, Vec::new());
        }
    }
    for (variant, fields) in &def.shapes {
        let ctor = if def.is_enum {
            format!("Self::{variant}")
        } else {
            "Self".to_owned()
        };
        if let Some(f) = fill_shape(index, def, &ctor, variant, fields, depth) {
            let tie = unit_rank(variant).map_or(0, |(_, at)| at as i32);
            offer(f.rank, 1, tie, f, Vec::new());
        }
    }
    for c in ctors.iter().filter(|c| c.file == def.file || c.crate_wide) {
        let Some(args) = c
            .takes
            .iter()
            .map(|t| fill(index, def, t, depth))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let Some(rank) = args.iter().filter(|a| a.keeps()).map(|a| a.rank).min() else {
            continue;
        };
        // A constructor that also takes a message (`ConnectError::new(msg, cause)`) over one
        // that writes its own (`ConnectError::dns(cause)`: "dns error"); then `new`.
        let tie = -(args.len() as i32) * 2 - i32::from(c.name == "new");
        let exprs: Vec<&str> = args.iter().map(|a| a.expr.as_str()).collect();
        let fill = Fill {
            rank,
            expr: format!("Self::{}({})", c.name, exprs.join(", ")),
            moves: args.iter().map(|a| a.moves).sum(),
            needs: args.into_iter().flat_map(|a| a.needs).collect(),
        };
        offer(rank, 2, tie, fill, c.cfgs.clone());
    }
    let Some((_, _, _, fill, extra_cfgs)) = best else {
        return Err(format!(
            "no conversion from Cancelled: `{name}` has no From<io::Error>/From<Box<dyn Error>>/From<String>, nor a variant, field or constructor that takes one, another of the crate's errors or a message, nor a unit variant named for a cancellation, a timeout or a close"
        ));
    };
    // `c` moves into one place; where the body needs it twice, each takes a clone.
    let c = if fill.moves > 1 {
        "::core::clone::Clone::clone(&c)"
    } else {
        "c"
    };
    let body = fill.expr.replace("{c}", c);
    let cfgs = def
        .cfgs
        .iter()
        .chain(&extra_cfgs)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let [impl_generics, ty_generics, where_clause] = &def.generics;
    Ok(Some(Made {
        text: format!(
            " {cfgs} impl {impl_generics} ::core::convert::From<::autocancel::Cancelled> for {name} {ty_generics} {where_clause} {{ fn from(c: ::autocancel::Cancelled) -> Self {{ let _ = &c; {body} }} }}"
        ),
        needs: fill.needs,
    }))
}

/// A value for one slot (a `From` source, a field, a constructor's argument). `{c}` in `expr`
/// stands for the cancellation, moved.
struct Fill {
    /// How much of the cancellation it keeps; lower is preferred. 0: a unit variant named for a
    /// cancellation; 1: an `io::Error` (a kind, and the cancellation as its source); 2: a boxed
    /// error; 3: its text (`String`, `Cow<'static, str>`); 4: a unit variant named for a timeout;
    /// 5: another of the crate's errors, through its own impl; 6: a fixed message (`&'static
    /// str`); 7: a unit variant named for a close; `NONE`: an `Option` left `None`.
    rank: u8,
    expr: String,
    /// How many times `expr` moves `{c}`.
    moves: usize,
    needs: Vec<(String, usize)>,
}

const NONE: u8 = u8::MAX;

impl Fill {
    /// Whether it carries anything of the cancellation (not an `Option` left `None`, not only a
    /// fixed message).
    fn keeps(&self) -> bool {
        self.rank != NONE && self.rank != 6
    }

    fn of(rank: u8, expr: impl Into<String>, moves: usize) -> Fill {
        Fill {
            rank,
            expr: expr.into(),
            moves,
            needs: Vec::new(),
        }
    }
}

/// What a value of the cancellation looks like as a `ty` from std, if the tool knows.
fn plain_value(ty: &Type) -> Option<Fill> {
    let t = strip_parens(ty);
    if is_boxed_dyn_error(t) {
        let sendable = t.to_token_stream().to_string().contains("Send");
        return Some(Fill::of(
            2,
            if sendable {
                "::std::boxed::Box::new({c}) as ::std::boxed::Box<dyn ::std::error::Error + Send + Sync>"
            } else {
                "::std::boxed::Box::new({c}) as ::std::boxed::Box<dyn ::std::error::Error>"
            },
            1,
        ));
    }
    if let Type::Reference(r) = t {
        let is_str = matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str"));
        let is_static = r.lifetime.as_ref().is_some_and(|l| l.ident == "static");
        return (is_str && is_static && r.mutability.is_none()).then(|| Fill::of(6, MESSAGE, 0));
    }
    let names = path_names(t);
    let last = names.last().map(String::as_str);
    if ends_with(&names, &["io", "Error"]) {
        Some(Fill::of(1, "::std::io::Error::from({c})", 1))
    } else if last == Some("BoxError") {
        Some(Fill::of(
            2,
            "::std::boxed::Box::new({c}) as ::std::boxed::Box<dyn ::std::error::Error + Send + Sync>",
            1,
        ))
    } else if last == Some("String") {
        Some(Fill::of(3, "::std::string::ToString::to_string(&c)", 0))
    } else if last == Some("Cow")
        && t.to_token_stream()
            .to_string()
            .replace(' ', "")
            .ends_with("Cow<'static,str>")
    {
        Some(Fill::of(
            3,
            "::std::borrow::Cow::Owned(::std::string::ToString::to_string(&c))",
            0,
        ))
    } else {
        None
    }
}

/// Unit variants a user would map a cancellation to, by name, best first, with their
/// [`Fill::rank`]: tonic's `Code::Cancelled` over `Code::Aborted`, bb8's `RunError::TimedOut`,
/// deadpool's `PoolError::Timeout` over its `PoolError::Closed`.
const UNIT_VARIANTS: [(&str, u8); 12] = [
    ("Cancelled", 0),
    ("Canceled", 0),
    ("Cancellation", 0),
    ("Aborted", 0),
    ("Interrupted", 0),
    ("DeadlineExceeded", 4),
    ("TimedOut", 4),
    ("Timeout", 4),
    ("Elapsed", 4),
    ("Closed", 7),
    ("Shutdown", 7),
    ("ShuttingDown", 7),
];

/// How a unit variant's name fits a cancellation: its rank, then its place in
/// [`UNIT_VARIANTS`].
fn unit_rank(variant: &str) -> Option<(u8, usize)> {
    UNIT_VARIANTS
        .iter()
        .position(|(name, _)| *name == variant)
        .map(|at| (UNIT_VARIANTS[at].1, at))
}

/// A value of `ty` (a field's or an argument's type, spelled in `def`'s file) for the
/// cancellation.
fn fill(index: &Index, def: &LocalType, ty: &Type, depth: usize) -> Option<Fill> {
    if let Some(f) = plain_value(ty) {
        return Some(f);
    }
    let scope = Scope {
        index,
        generics: &def.params,
        file: def.file,
    };
    match scope.classify(ty, 0) {
        ErrClass::Converts(_) => Some(Fill::of(5, "::core::convert::From::from({c})", 1)),
        ErrClass::Local(name, at) => {
            let inner = &index.types[&name][at];
            // A kind: `ErrorKind::Canceled` (a local enum spelled without arguments).
            let bare = matches!(strip_parens(ty), Type::Path(p)
                if p.path.segments.iter().all(|s| s.arguments.is_empty()));
            if inner.is_enum && bare {
                let kind = inner
                    .shapes
                    .iter()
                    .filter(|(_, f)| f.is_empty())
                    .filter_map(|(v, _)| Some((unit_rank(v)?, v)))
                    .min();
                if let Some(((rank, _), variant)) = kind {
                    let path = ty.to_token_stream().to_string().replace(' ', "");
                    return Some(Fill::of(rank, format!("{path}::{variant}"), 0));
                }
            }
            if depth >= MAX_DEPTH || std::ptr::eq(inner, def) {
                return None;
            }
            let made = impl_at(index, &name, at, depth + 1).ok()?;
            let mut f = Fill::of(5, "::core::convert::From::from({c})", 1);
            if let Some(made) = made {
                f.needs.push((name, at));
                f.needs.extend(made.needs);
            }
            Some(f)
        }
        ErrClass::No(_) => None,
    }
}

/// A value of one variant (or of the struct): a unit variant by its name; else each field
/// filled, an `Option` one `None` when it cannot be, and at least one that keeps something.
fn fill_shape(
    index: &Index,
    def: &LocalType,
    ctor: &str,
    variant: &str,
    fields: &Fields,
    depth: usize,
) -> Option<Fill> {
    if fields.is_empty() {
        return def
            .is_enum
            .then(|| unit_rank(variant))
            .flatten()
            .map(|(rank, _)| Fill::of(rank, ctor, 0));
    }
    let mut parts = Vec::new();
    let mut rank = NONE;
    let mut moves = 0;
    let mut needs = Vec::new();
    for field in fields {
        let cfgs = cfgs_of(&field.attrs).join(" ");
        if !cfgs.is_empty() && field.ident.is_none() {
            return None; // no attributes on a call's arguments
        }
        let f = match fill(index, def, &field.ty, depth) {
            Some(f) => f,
            None => match option_of(&field.ty) {
                Some(inner) => match fill(index, def, inner, depth) {
                    Some(f) => Fill {
                        expr: format!("::core::option::Option::Some({})", f.expr),
                        ..f
                    },
                    None => Fill::of(NONE, "::core::option::Option::None", 0),
                },
                None => return None,
            },
        };
        if f.keeps() || f.rank == 6 {
            rank = rank.min(f.rank);
        }
        moves += f.moves;
        needs.extend(f.needs);
        parts.push(match &field.ident {
            Some(name) => format!("{cfgs} {name}: {}", f.expr),
            None => f.expr,
        });
    }
    if !(rank != NONE && rank != 6) {
        return None; // nothing of the cancellation in it (`PollSendError(None)`)
    }
    let expr = match fields {
        Fields::Named(_) => format!("{ctor} {{ {} }}", parts.join(", ")),
        _ => format!("{ctor}({})", parts.join(", ")),
    };
    Some(Fill {
        rank,
        expr,
        moves,
        needs,
    })
}

/// `X` of an `Option<X>`.
fn option_of(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = strip_parens(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match generic_types(&last.arguments).as_slice() {
        [inner] => Some(inner),
        _ => None,
    }
}

/// What a constructor's argument takes: its type, or `X` for `impl Into<X>` and for a type
/// parameter `E: Into<X>` (a parameter with other bounds, or none: `None`).
fn into_target(ty: &Type, generics: &syn::Generics) -> Option<Type> {
    fn into_of<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Type> {
        bounds.find_map(|b| match b {
            TypeParamBound::Trait(t) => {
                let last = t.path.segments.last()?;
                (last.ident == "Into")
                    .then(|| generic_types(&last.arguments).first().map(|t| (*t).clone()))
                    .flatten()
            }
            _ => None,
        })
    }
    match strip_parens(ty) {
        Type::ImplTrait(t) => into_of(t.bounds.iter()),
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = &p.path.segments[0].ident;
            match generics.type_params().find(|tp| &tp.ident == name) {
                Some(param) => {
                    let in_where = generics.where_clause.iter().flat_map(|w| {
                        w.predicates.iter().filter_map(move |pred| match pred {
                            syn::WherePredicate::Type(pt)
                                if path_names(&pt.bounded_ty) == [name.to_string()] =>
                            {
                                Some(pt.bounds.iter())
                            }
                            _ => None,
                        })
                    });
                    into_of(param.bounds.iter().chain(in_where.flatten()))
                }
                None => Some(ty.clone()),
            }
        }
        other => Some(other.clone()),
    }
}

/// `ty` with an alias's parameter replaced by its argument, if it is one.
fn substitute(ty: &Type, subst: &BTreeMap<String, Type>) -> Option<Type> {
    match strip_parens(ty) {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            subst.get(&p.path.segments[0].ident.to_string()).cloned()
        }
        _ => None,
    }
}

fn generic_types(args: &PathArguments) -> Vec<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a
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

fn path_names_of(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

fn path_names(ty: &Type) -> Vec<String> {
    match strip_parens(ty) {
        Type::Path(p) if p.qself.is_none() => path_names_of(&p.path),
        _ => Vec::new(),
    }
}

/// `Box<dyn Error>`, `Box<dyn Error + Send + Sync [+ 'a]>`: std converts any `Error` into these.
pub(crate) fn is_boxed_dyn_error(ty: &Type) -> bool {
    let Type::Path(p) = strip_parens(ty) else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident != "Box" {
        return false;
    }
    let args = generic_types(&last.arguments);
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
    // `use std::error::Error as StdError` is the usual spelling beside a crate's own `Error`.
    for t in &mut traits {
        if t == "StdError" {
            *t = "Error".into();
        }
    }
    traits.sort();
    traits == ["Error"] || traits == ["Error", "Send", "Sync"]
}
