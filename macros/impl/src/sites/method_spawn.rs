//! tokio's method spawns, where they can be told apart without types: `JoinSet::spawn`,
//! `JoinSet::spawn_blocking`, `Handle::spawn`, `task::Builder::spawn*`.
//!
//! `x.spawn(fut)` could be any type's method before type checking, `Group::spawn`,
//! `TaskSet::spawn` and `ScopedGroup::spawn` included, which set their own context and must keep
//! it. So a method spawn is rewritten only when its receiver says which type it is:
//!
//! - a local or parameter of the annotated function whose declaration names the type: `let set =
//!   JoinSet::new();` (or `JoinSet::default()`, `tokio::task::JoinSet::new()`), `let set:
//!   JoinSet<T> = ..`, a parameter `set: &mut JoinSet<T>`; the same for `Handle`
//!   (`Handle::current()`, `h: &Handle`);
//! - the call itself: `Handle::current().spawn(fut)`, `tokio::task::Builder::new().name("w")
//!   .spawn(fut)` (the `Builder` spelled with `task::` before it: a bare `Builder` could be
//!   `std::thread::Builder`).
//!
//! Only the one-argument methods (`spawn`, `spawn_local`, `spawn_blocking`); a name bound again
//! later in the function (shadowing) is not followed. Other receivers (fields, `self.set`,
//! values returned by functions) are left as written: wrap their futures in `ctx.scope(fut)`.

use crate::sites::spawn::Spawn;
use crate::spelling::ends_with;
use std::collections::HashSet;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall, FnArg, Local, Pat, Path, Signature, Type};

/// The locals and parameters known to be a `JoinSet` or a `Handle`.
#[derive(Clone, Default)]
pub(crate) struct Spawners(HashSet<String>);

impl Spawners {
    /// Collects them from the signature and every `let` of the body.
    pub(crate) fn collect(sig: &Signature, body: &syn::Block) -> Spawners {
        let mut found = Spawners::default();
        for input in &sig.inputs {
            if let FnArg::Typed(arg) = input {
                if let (Pat::Ident(name), true) = (&*arg.pat, names_spawner_type(&arg.ty)) {
                    found.0.insert(name.ident.to_string());
                }
            }
        }
        found.visit_block(body);
        found
    }

    /// What `call` starts, if it is a method spawn of a known receiver.
    pub(crate) fn method_spawn(&self, call: &ExprMethodCall) -> Option<Spawn> {
        if call.args.len() != 1 || call.turbofish.is_some() {
            return None;
        }
        let kind = match call.method.to_string().as_str() {
            "spawn" | "spawn_local" => Spawn::Future,
            "spawn_blocking" => Spawn::Blocking,
            _ => return None,
        };
        self.is_spawner(&call.receiver).then_some(kind)
    }

    fn is_spawner(&self, receiver: &Expr) -> bool {
        match receiver {
            Expr::Path(p) => {
                p.qself.is_none()
                    && p.path
                        .get_ident()
                        .is_some_and(|i| self.0.contains(&i.to_string()))
            }
            Expr::Paren(p) => self.is_spawner(&p.expr),
            Expr::Reference(r) => self.is_spawner(&r.expr),
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if ends_with(&p.path, &["Handle", "current"]))
            }
            // `task::Builder::new().name("x")...`
            Expr::MethodCall(m) => builder_chain(m),
            _ => false,
        }
    }
}

/// A chain of method calls on `task::Builder::new()`.
fn builder_chain(call: &ExprMethodCall) -> bool {
    match &*call.receiver {
        Expr::MethodCall(inner) => builder_chain(inner),
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if is_task_builder_new(&p.path)),
        _ => false,
    }
}

fn is_task_builder_new(path: &Path) -> bool {
    ends_with(path, &["task", "Builder", "new"])
}

/// `JoinSet<T>`, `&mut JoinSet<T>`, `tokio::task::JoinSet<T>`, `Handle`, `&Handle`.
fn names_spawner_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => names_spawner_type(&r.elem),
        Type::Paren(p) => names_spawner_type(&p.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && (ends_with(&p.path, &["JoinSet"]) || ends_with(&p.path, &["Handle"]))
        }
        _ => false,
    }
}

/// `JoinSet::new()`, `JoinSet::default()`, `Handle::current()`.
fn makes_spawner(init: &Expr) -> bool {
    let Expr::Call(call) = init else {
        return false;
    };
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    ends_with(&func.path, &["JoinSet", "new"])
        || ends_with(&func.path, &["JoinSet", "default"])
        || ends_with(&func.path, &["Handle", "current"])
}

impl<'ast> Visit<'ast> for Spawners {
    fn visit_local(&mut self, local: &'ast Local) {
        let (pat, ty) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            pat => (pat, None),
        };
        if let Pat::Ident(name) = pat {
            let by_init = local.init.as_ref().is_some_and(|i| makes_spawner(&i.expr));
            if by_init || ty.is_some_and(names_spawner_type) {
                self.0.insert(name.ident.to_string());
            }
        }
        visit::visit_local(self, local);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn kind(sig: Signature, body: syn::Block, call: ExprMethodCall) -> Option<Spawn> {
        Spawners::collect(&sig, &body).method_spawn(&call)
    }

    #[test]
    fn known_receivers() {
        let sig: Signature =
            parse_quote!(async fn f(set: &mut JoinSet<u8>, h: &Handle, g: &mut Group));
        let body: syn::Block = parse_quote!({
            let mut local = tokio::task::JoinSet::new();
            let typed: JoinSet<()> = make();
            let rt = Handle::current();
            let group = Group::new();
        });
        let k = |call| kind(sig.clone(), body.clone(), call);
        assert_eq!(k(parse_quote!(set.spawn(f))), Some(Spawn::Future));
        assert_eq!(
            k(parse_quote!(set.spawn_blocking(f))),
            Some(Spawn::Blocking)
        );
        assert_eq!(k(parse_quote!(local.spawn_local(f))), Some(Spawn::Future));
        assert_eq!(k(parse_quote!(typed.spawn(f))), Some(Spawn::Future));
        assert_eq!(k(parse_quote!(h.spawn(f))), Some(Spawn::Future));
        assert_eq!(k(parse_quote!(rt.spawn_blocking(f))), Some(Spawn::Blocking));
        assert_eq!(
            k(parse_quote!(Handle::current().spawn(f))),
            Some(Spawn::Future)
        );
        assert_eq!(
            k(parse_quote!(tokio::task::Builder::new().name("w").spawn(f))),
            Some(Spawn::Future)
        );
        // Their own context, or unknown.
        assert_eq!(k(parse_quote!(g.spawn(f))), None);
        assert_eq!(k(parse_quote!(group.spawn(f))), None);
        assert_eq!(k(parse_quote!(self.set.spawn(f))), None);
        assert_eq!(k(parse_quote!(other.spawn(f))), None);
        assert_eq!(k(parse_quote!(Builder::new().spawn(f))), None);
        assert_eq!(k(parse_quote!(set.spawn_on(f, h))), None);
    }
}
