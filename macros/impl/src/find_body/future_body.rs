//! Functions that return their body as a future: `fn f() -> impl Future<Output = T>` ending in
//! `async move { .. }`, or `-> Pin<Box<dyn Future<Output = T> + ..>>` ending in
//! `Box::pin(async move { .. })`.
//!
//! That returned `async` block *is* the function's body in another form, so it is rewritten as
//! an `async fn` body would be. This is also the shape `#[async_trait]` gives every method
//! (see `async_trait`), and the one tracing-attributes itself recognises as async-trait's.

use crate::expand::mentions_impl;
use crate::spelling::ends_with;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{
    AngleBracketedGenericArguments, Block, Expr, GenericArgument, PathArguments, ReturnType, Stmt,
    Type, TypeParamBound,
};

/// The `async` block the function body ends with: `async {..}`, `async move {..}`, or the same
/// as the argument of a call to a path ending in `Box::pin`.
pub(crate) fn returned_async_block(body: &mut Block) -> Option<&mut Block> {
    let Some(Stmt::Expr(tail, None)) = body.stmts.last_mut() else {
        return None;
    };
    async_block_or_box_pin(tail)
}

fn async_block_or_box_pin(expr: &mut Expr) -> Option<&mut Block> {
    match expr {
        Expr::Async(block) => Some(&mut block.block),
        Expr::Call(call) if call.args.len() == 1 && is_box_pin(&call.func) => {
            match call.args.first_mut() {
                Some(Expr::Async(block)) => Some(&mut block.block),
                _ => None,
            }
        }
        Expr::Paren(paren) => async_block_or_box_pin(&mut paren.expr),
        Expr::Group(group) => async_block_or_box_pin(&mut group.expr),
        _ => None,
    }
}

/// `Box::pin`, `std::boxed::Box::pin`, `::std::boxed::Box::pin`, `alloc::boxed::Box::pin`.
fn is_box_pin(func: &Expr) -> bool {
    matches!(func, Expr::Path(path) if ends_with(&path.path, &["Box", "pin"]))
}

/// `T` in a return type spelled `impl Future<Output = T>`, `Pin<Box<dyn Future<Output = T> +
/// Send + 'a>>` or `BoxFuture<'a, T>` / `LocalBoxFuture<'a, T>` (the `futures` aliases), for
/// `exit::<T>`: rustc does not infer an `async` block's output from the coercion that boxes it.
/// `None` when it is not spelled so, or mentions `impl Trait` (which a turbofish cannot name).
pub(crate) fn output_type(output: &ReturnType) -> Option<TokenStream> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let ty = find_output(ty)?.to_token_stream();
    (!mentions_impl(ty.clone())).then_some(ty)
}

fn find_output(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(t) => t.bounds.iter().find_map(future_output),
        Type::TraitObject(t) => t.bounds.iter().find_map(future_output),
        Type::Paren(t) => find_output(&t.elem),
        Type::Group(t) => find_output(&t.elem),
        Type::Path(t) => {
            let last = t.path.segments.last()?;
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
                return only_type_arg(args);
            }
            // `Pin<Box<..>>`: look through the type arguments.
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(inner) => find_output(inner),
                _ => None,
            })
        }
        _ => None,
    }
}

/// The one type argument of `BoxFuture<'a, T>`; not a guess among several (tonic's
/// `BoxFuture<T, E>` is a future of `Result<T, E>`).
fn only_type_arg(args: &AngleBracketedGenericArguments) -> Option<&Type> {
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let ty = types.next()?;
    types.next().is_none().then_some(ty)
}

/// `Output = T` of a `Future<Output = T>` bound.
fn future_output(bound: &TypeParamBound) -> Option<&Type> {
    let TypeParamBound::Trait(bound) = bound else {
        return None;
    };
    let last = bound.path.segments.last()?;
    if last.ident != "Future" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn output(ret: ReturnType) -> Option<String> {
        output_type(&ret).map(|t| t.to_string())
    }

    #[test]
    fn output_of_future_return_types() {
        assert_eq!(
            output(parse_quote!(-> impl Future<Output = io::Result<()>> + Send)).as_deref(),
            Some("io :: Result < () >")
        );
        assert_eq!(
            output(parse_quote!(
                -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = u32> + Send + 'async_trait>>
            ))
            .as_deref(),
            Some("u32")
        );
        assert_eq!(
            output(parse_quote!(-> BoxFuture<'a, Option<u8>>)).as_deref(),
            Some("Option < u8 >")
        );
        assert_eq!(
            output(parse_quote!(-> impl Future<Output = impl Debug>)),
            None
        );
        assert_eq!(output(parse_quote!(-> Result<(), E>)), None);
        assert_eq!(output(ReturnType::Default), None);
    }

    #[test]
    fn returned_async_blocks() {
        let mut b: Block = parse_quote!({
            let x = 1;
            async move { x }
        });
        assert!(returned_async_block(&mut b).is_some());
        let mut b: Block = parse_quote!({ ::std::boxed::Box::pin(async move { 1 }) });
        assert!(returned_async_block(&mut b).is_some());
        let mut b: Block = parse_quote!({ Box::new(async move { 1 }) });
        assert!(returned_async_block(&mut b).is_none());
        let mut b: Block = parse_quote!({
            async move { 1 };
        });
        assert!(returned_async_block(&mut b).is_none());
    }
}
