//! Where the function's context comes from: one of its parameters, or the ambient context.

use syn::{FnArg, Ident, Pat, Signature, Type};

/// The source of the context a rewritten function checks.
#[derive(Debug, PartialEq)]
pub(crate) enum CtxSource {
    /// No context parameter: read `Ctx::current()` once, at function entry.
    Ambient,
    /// A parameter (or `self`), named by the user's own ident so that it resolves to the binding.
    Param(Ident),
    /// A parameter whose type is a shared reference (`ctx: &Ctx`): the call borrows the context
    /// for as long as the reference lives (no reference count: see the runtime's `Call`), and
    /// copies the reference, so the function may still rebind its parameter.
    Ref(Ident),
}

/// Finds the context parameter of `sig`.
///
/// With `ctx = name`, the parameter (or `self`) of that name must exist. Without it, a parameter
/// whose type is `Ctx`, `&Ctx` or `&mut Ctx` (any path whose last segment is `Ctx`) is used;
/// the macro looks at the type's spelling only, as rustc has not resolved anything yet.
pub(crate) fn find(sig: &Signature, named: Option<&Ident>) -> syn::Result<CtxSource> {
    match named {
        Some(name) => find_named(sig, name),
        None => find_by_type(sig),
    }
}

fn find_named(sig: &Signature, name: &Ident) -> syn::Result<CtxSource> {
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) if name == "self" => {
                // Keep the receiver's own `self` token: its hygiene is the one the body sees.
                return Ok(CtxSource::Param(Ident::from(receiver.self_token)));
            }
            FnArg::Typed(typed) => {
                if let Pat::Ident(pat) = &*typed.pat {
                    if pat.ident == *name {
                        return Ok(source(&typed.ty, &pat.ident));
                    }
                }
            }
            FnArg::Receiver(_) => {}
        }
    }
    Err(syn::Error::new(
        name.span(),
        format!("`ctx = {name}` names no parameter of this function; name the parameter that holds the context"),
    ))
}

/// How the call reaches the parameter `ident` of type `ty`.
fn source(ty: &Type, ident: &Ident) -> CtxSource {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            CtxSource::Ref(ident.clone())
        }
        Type::Paren(paren) => source(&paren.elem, ident),
        Type::Group(group) => source(&group.elem, ident),
        _ => CtxSource::Param(ident.clone()),
    }
}

fn find_by_type(sig: &Signature) -> syn::Result<CtxSource> {
    let mut found: Option<CtxSource> = None;
    for arg in &sig.inputs {
        let FnArg::Typed(typed) = arg else { continue };
        if !is_ctx_type(&typed.ty) {
            continue;
        }
        let Pat::Ident(pat) = &*typed.pat else {
            // Ignoring a context the caller passes in would silently make the function
            // uncancellable, so a pattern the macro cannot name is an error, not a fallback.
            return Err(syn::Error::new_spanned(
                &typed.pat,
                "#[cancellable] needs the context parameter bound to a name, e.g. `ctx: Ctx`",
            ));
        };
        if found.is_some() {
            return Err(syn::Error::new_spanned(
                &pat.ident,
                "several context parameters; choose one with #[cancellable(ctx = name)]",
            ));
        }
        found = Some(source(&typed.ty, &pat.ident));
    }
    Ok(found.unwrap_or(CtxSource::Ambient))
}

/// `Ctx`, `path::to::Ctx`, `&Ctx`, `&mut Ctx`, `&'a Ctx` (possibly parenthesised).
fn is_ctx_type(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|last| last.ident == "Ctx" && last.arguments.is_none())
        }
        Type::Reference(reference) => is_ctx_type(&reference.elem),
        Type::Paren(paren) => is_ctx_type(&paren.elem),
        Type::Group(group) => is_ctx_type(&group.elem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn sig(s: Signature) -> Signature {
        s
    }

    fn param(name: &str) -> CtxSource {
        CtxSource::Param(Ident::new(name, proc_macro2::Span::call_site()))
    }

    #[test]
    fn ambient_without_ctx_parameter() {
        let s = sig(parse_quote!(async fn f(n: u32, c: Context)));
        assert_eq!(find(&s, None).unwrap(), CtxSource::Ambient);
    }

    #[test]
    fn by_type_value_ref_and_path() {
        // By value, or by `&mut` (which the call must not hold: the body may use it): a handle
        // of the call's own.
        for s in [
            sig(parse_quote!(fn f(n: u32, ctx: Ctx))),
            sig(parse_quote!(fn f<'a>(n: u32, mut ctx: &'a mut Ctx))),
            sig(parse_quote!(fn f(&self, ctx: ::autocancel::Ctx))),
        ] {
            assert_eq!(find(&s, None).unwrap(), param("ctx"));
        }
        // A shared reference: borrowed for the call.
        for s in [
            sig(parse_quote!(fn f(n: u32, ctx: &Ctx))),
            sig(parse_quote!(fn f<'a>(n: u32, ctx: &'a autocancel::Ctx))),
            sig(parse_quote!(fn f(n: u32, ctx: (&Ctx)))),
        ] {
            assert_eq!(
                find(&s, None).unwrap(),
                CtxSource::Ref(Ident::new("ctx", proc_macro2::Span::call_site()))
            );
        }
        // `Option<Ctx>` is not a context.
        let s = sig(parse_quote!(fn f(ctx: Option<Ctx>)));
        assert_eq!(find(&s, None).unwrap(), CtxSource::Ambient);
    }

    #[test]
    fn unnamed_or_several_are_errors() {
        let s = sig(parse_quote!(fn f(_: Ctx)));
        assert!(find(&s, None)
            .unwrap_err()
            .to_string()
            .contains("bound to a name"));
        let s = sig(parse_quote!(fn f(a: Ctx, b: &Ctx)));
        assert!(find(&s, None).unwrap_err().to_string().contains("several"));
        // ...unless one is named.
        assert_eq!(find(&s, Some(&parse_quote!(a))).unwrap(), param("a"));
        assert_eq!(
            find(&s, Some(&parse_quote!(b))).unwrap(),
            CtxSource::Ref(Ident::new("b", proc_macro2::Span::call_site()))
        );
    }

    #[test]
    fn named() {
        let s = sig(parse_quote!(fn f(&self, parent: Handle)));
        assert_eq!(
            find(&s, Some(&parse_quote!(parent))).unwrap(),
            param("parent")
        );
        assert_eq!(
            find(
                &s,
                Some(&Ident::new("self", proc_macro2::Span::call_site()))
            )
            .unwrap(),
            param("self")
        );
        let err = find(&s, Some(&parse_quote!(missing))).unwrap_err();
        assert!(err
            .to_string()
            .contains("`ctx = missing` names no parameter"));
        let s = sig(parse_quote!(fn f(parent: Handle)));
        assert!(find(
            &s,
            Some(&Ident::new("self", proc_macro2::Span::call_site()))
        )
        .is_err());
    }
}
