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
//!   a body made of what `E` offers: `E::from(io::Error::from(c))` when `E: From<io::Error>`, then
//!   `From<Box<dyn Error>>`, `From<String>`, then a variant or a lone field taking an
//!   `io::Error`, a boxed error or a `String`, then a one-argument constructor taking one
//!   (`Self::new_io(..)`, `Self::from_source(..)`). When `E` offers none of these, no impl can be
//!   written without changing `E`: the function is not annotated, and the report says so;
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
    /// Variants (an enum) or the struct itself (one entry, named `""`): each with its fields.
    shapes: Vec<(String, Fields)>,
    is_enum: bool,
}

/// A `type` alias: its file, its parameters with their defaults, the aliased type.
type Alias = (usize, Vec<(String, Option<Type>)>, Type);

/// An associated function making the type from one value: hyper's `Error::new_io(io::Error)`,
/// tonic's `Error::from_source(impl Into<BoxError>)`.
struct Ctor {
    file: usize,
    name: String,
    /// What the argument takes: its type, or `X` for `impl Into<X>` / `E: Into<X>`.
    takes: Type,
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
    /// Type's name → its constructors of one argument (`fn new_io(e: io::Error) -> Self`), as
    /// (file, name, the type the argument takes, whether it is visible crate-wide).
    ctors: HashMap<String, Vec<Ctor>>,
    modules: HashSet<String>,
}

impl Index {
    pub(crate) fn add_module(&mut self, name: &str) {
        self.modules.insert(name.to_owned());
    }

    pub(crate) fn add_file(&mut self, file: usize, stem: &str, ast: &syn::File) {
        self.modules.insert(stem.to_owned());
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
                                    if !own_param {
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
    /// The one-argument constructors of an inherent impl (see [`Ctor`]).
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
            if sig.inputs.len() != 1 || sig.asyncness.is_some() || sig.constness.is_some() {
                continue;
            }
            let syn::FnArg::Typed(arg) = &sig.inputs[0] else {
                continue; // a method
            };
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
            let Some(takes) = into_target(&arg.ty, &sig.generics) else {
                continue;
            };
            let crate_wide = match &f.vis {
                syn::Visibility::Public(_) => true,
                syn::Visibility::Restricted(r) => r.path.is_ident("crate"),
                syn::Visibility::Inherited => false,
            };
            self.index.ctors.entry(target.clone()).or_default().push(Ctor {
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
        let mut out: Vec<(bool, bool, usize)> = Vec::new();
        for (i, (file, _, _)) in self
            .index
            .aliases
            .get(name)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((!self.prefers(names, *file), true, i));
        }
        for (i, t) in self.index.types.get(name).into_iter().flatten().enumerate() {
            out.push((!self.prefers(names, t.file), false, i));
        }
        out.sort();
        out.into_iter().map(|(_, alias, i)| (alias, i)).collect()
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

/// The impl a user would write for the crate's type `name` (its `def`-th definition): its text
/// (`None` when it converts already), or `Err(why none can be written)`.
pub(crate) fn impl_for(index: &Index, name: &str, def: usize) -> Result<Option<String>, String> {
    if index.has_cancelled.contains(name) || index.blanket.contains(name) {
        return Ok(None); // converts already (a blanket impl is checked by the compiler)
    }
    let def = &index.types[name][def];
    // By name: an `impl From<X> for Error` is taken to be for whichever `Error` it is beside.
    let froms = index.froms.get(name).map(Vec::as_slice).unwrap_or(&[]);
    {
        let ctors = index.ctors.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let mut cfgs = def.cfgs.clone();
        let body = body_for(def, froms)
            .or_else(|| {
                let (body, ctor_cfgs) = ctor_body(def, ctors)?;
                cfgs.extend(ctor_cfgs);
                Some(body)
            })
            .ok_or_else(|| {
                format!(
                    "no conversion from Cancelled: `{name}` has no From<io::Error>/From<Box<dyn Error>>/From<String>, nor a variant, lone field or one-argument constructor taking one"
                )
            })?;
        let cfgs = cfgs.join(" ");
        let [impl_generics, ty_generics, where_clause] = &def.generics;
        Ok(Some(format!(
            " {cfgs} impl {impl_generics} ::core::convert::From<::autocancel::Cancelled> for {name} {ty_generics} {where_clause} {{ fn from(c: ::autocancel::Cancelled) -> Self {{ {body} }} }}"
        )))
    }
}

/// What a value of the cancellation looks like as a `ty`, if the tool knows.
fn value_of(ty: &Type) -> Option<&'static str> {
    let t = strip_parens(ty);
    if is_boxed_dyn_error(t) {
        let sendable = t.to_token_stream().to_string().contains("Send");
        return Some(if sendable {
            "::std::boxed::Box::new(c) as ::std::boxed::Box<dyn ::std::error::Error + Send + Sync>"
        } else {
            "::std::boxed::Box::new(c) as ::std::boxed::Box<dyn ::std::error::Error>"
        });
    }
    let names = path_names(t);
    if ends_with(&names, &["io", "Error"]) {
        Some("::std::io::Error::from(c)")
    } else if names.last().is_some_and(|n| n == "BoxError") {
        Some(
            "::std::boxed::Box::new(c) as ::std::boxed::Box<dyn ::std::error::Error + Send + Sync>",
        )
    } else if names.last().is_some_and(|n| n == "String") {
        Some("::std::string::ToString::to_string(&c)")
    } else {
        None
    }
}

fn body_for(def: &LocalType, froms: &[Type]) -> Option<String> {
    // By preference: an io::Error keeps the most (a kind, the cancellation as its source).
    let rank = |t: &Type| match value_of(t) {
        Some(v) if v.starts_with("::std::io") => Some(0),
        Some(v) if v.starts_with("::std::boxed") => Some(1),
        Some(_) => Some(2),
        None => None,
    };
    if let Some(t) = froms
        .iter()
        .filter(|t| rank(t).is_some())
        .min_by_key(|t| rank(t))
    {
        return Some(format!(
            "<Self as ::core::convert::From<_>>::from({})",
            value_of(t)?
        ));
    }
    let mut best: Option<(usize, String)> = None;
    for (variant, fields) in &def.shapes {
        if fields.len() != 1 {
            continue;
        }
        let field = fields.iter().next()?;
        let (Some(r), Some(v)) = (rank(&field.ty), value_of(&field.ty)) else {
            continue;
        };
        let ctor = if def.is_enum {
            format!("Self::{variant}")
        } else {
            "Self".to_owned()
        };
        let expr = match &field.ident {
            Some(f) => format!("{ctor} {{ {f}: {v} }}"),
            None => format!("{ctor}({v})"),
        };
        if best.as_ref().is_none_or(|(b, _)| r < *b) {
            best = Some((r, expr));
        }
    }
    best.map(|(_, e)| e)
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
                            syn::WherePredicate::Type(pt) if path_names(&pt.bounded_ty) == [name.to_string()] => {
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

/// A constructor's call, when the type has no conversion nor variant to take the cancellation:
/// `Self::new_io(io::Error::from(c))`. One of the type's own file (the impl is written there:
/// a private one is visible), or one visible crate-wide; by the same preference as
/// [`body_for`]'s; with its `#[cfg]`s, for the impl.
fn ctor_body(def: &LocalType, ctors: &[Ctor]) -> Option<(String, Vec<String>)> {
    let rank = |t: &Type| match value_of(t) {
        Some(v) if v.starts_with("::std::io") => Some(0),
        Some(v) if v.starts_with("::std::boxed") => Some(1),
        Some(_) => Some(2),
        None => None,
    };
    ctors
        .iter()
        .filter(|c| c.file == def.file || c.crate_wide)
        .filter_map(|c| Some((rank(&c.takes)?, c)))
        .min_by_key(|(r, _)| *r)
        .and_then(|(_, c)| {
            let body = format!("Self::{}({})", c.name, value_of(&c.takes)?);
            Some((body, c.cfgs.clone()))
        })
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
    traits.sort();
    traits == ["Error"] || traits == ["Error", "Send", "Sync"]
}
