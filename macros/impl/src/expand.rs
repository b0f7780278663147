//! Top level of `#[cancellable]`: parse, check, rewrite, assemble.

use crate::args::Args;
use crate::ctx_param::{self, CtxSource};
use crate::emit::Emit;
use crate::find_body::{self, Body};
use crate::rewrite::Rewriter;
use crate::sites::method_spawn::Spawners;
use crate::sites::shield::StripMarkers;
use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use std::mem;
use syn::visit_mut::VisitMut;
use syn::{Item, ItemFn};

/// Expands `#[cancellable(args)] item`.
///
/// On any error the item is emitted unchanged beside the `compile_error!`s, so that the rest of
/// the crate (and rust-analyzer) still sees the function.
pub(crate) fn cancellable(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut out = match syn::parse2::<ItemFn>(item.clone()) {
                Ok(mut func) => {
                    StripMarkers.visit_item_fn_mut(&mut func);
                    func.into_token_stream()
                }
                Err(_) => item,
            };
            out.extend(error.into_compile_error());
            out
        }
    }
}

/// Errors collected along the way, reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let (args, args_error) = Args::parse(args);
    if let Some(e) = args_error {
        errors.push(e);
    }
    let mut func = parse_fn(item)?;
    if let Some(constness) = func.sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "#[cancellable] cannot be used on a `const fn`: checkpoints read the runtime \
             context, which does not exist at compile time",
        ));
    }
    let ctx = errors.ok(ctx_param::find(&func.sig, args.ctx.as_ref()));

    let krate = args.krate();
    let declared_return = first_span(&func.sig.output);
    let spawners = Spawners::collect(&func.sig, &func.block);
    let body = find_body::find(&mut func);
    let ctx = match ctx.unwrap_or(CtxSource::Ambient) {
        // async-trait moved the body into an `async` block where `self` is `__self`.
        CtxSource::Param(name) if body.self_renamed && name == "self" => {
            CtxSource::Param(Ident::new("__self", name.span()))
        }
        ctx => ctx,
    };
    // An unsupported return type is reported at the type the cancellation is returned as: the
    // future's output for a hand-built future, else the declared return type.
    let exit_at = body
        .exit_ty
        .clone()
        .and_then(|ty| first_span(&ty))
        .or(declared_return);
    let emit = Emit::new(krate, body.exit_ty.clone())
        .exit_at(exit_at)
        .source(&ctx);
    rewrite_body(&emit, body, &ctx, spawners)
        .map_err(|e| errors.push(e))
        .ok();
    errors.finish()?;
    Ok(func.into_token_stream())
}

/// Rewrites the body in place; declares the scope first if anything uses it. A body whose
/// only loops and waits the rewrite cannot reach is an error (see `reach`).
fn rewrite_body(
    emit: &Emit,
    body: Body<'_>,
    ctx: &CtxSource,
    spawners: Spawners,
) -> syn::Result<()> {
    let async_blocks = *ctx == CtxSource::Ambient;
    let mut rewriter = Rewriter::new(emit, body.flavor);
    rewriter.async_blocks = async_blocks;
    rewriter.spawners = spawners;
    rewriter.visit_block_mut(body.block);
    let mut errors = Errors::default();
    for error in mem::take(&mut rewriter.errors) {
        errors.push(error);
    }
    for place in rewriter.unreached(&body.before) {
        errors.push(place.error());
    }
    errors.finish()?;
    if rewriter.uses_scope {
        body.block
            .stmts
            .splice(body.scope_at..body.scope_at, emit.scope_init(ctx));
    }
    Ok(())
}

/// The span of the first token of `tokens` (on stable, a proc macro cannot join spans).
fn first_span(tokens: &impl ToTokens) -> Option<Span> {
    let mut tokens = tokens.to_token_stream().into_iter();
    match tokens.next()? {
        // `-> T`: the type, not the arrow.
        TokenTree::Punct(p) if p.as_char() == '-' => tokens.nth(1).map(|tt| tt.span()),
        tt => Some(tt.span()),
    }
}

/// Whether a type mentions `impl Trait` anywhere.
pub(crate) fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// The annotated item, which must be a function with a body.
fn parse_fn(item: TokenStream) -> syn::Result<ItemFn> {
    let parsed: Item = syn::parse2(item.clone())?;
    match parsed {
        Item::Fn(func) => Ok(func),
        _ => {
            let (span, keyword) = keyword(item);
            let message = match keyword.as_deref() {
                Some("fn") => "#[cancellable] needs a function with a body",
                Some("impl") => {
                    "#[cancellable] applies to functions, not to an `impl` block: put it on each \
                     method of the block that should stop at cancellation (in an \
                     `#[async_trait]` impl too: on the methods, inside the block)"
                }
                Some("trait") => {
                    "#[cancellable] applies to functions, not to a `trait`: put it on the default \
                     methods that should stop at cancellation, and on the methods of the impls"
                }
                _ => {
                    "#[cancellable] applies to a `fn` or an `async fn` (free function, method or \
                     trait impl method)"
                }
            };
            Err(syn::Error::new(span, message))
        }
    }
}

/// The span of an item's first token after its attributes and visibility (`struct`, `impl`,
/// `fn`...), for errors that should not underline the whole item; and which keyword it is
/// (`fn` if there is one before anything else).
fn keyword(item: TokenStream) -> (Span, Option<String>) {
    let mut tokens = item.into_iter().peekable();
    let mut first = None;
    while let Some(tt) = tokens.next() {
        match &tt {
            // `#[attr]`
            TokenTree::Punct(p) if p.as_char() == '#' => {
                tokens.next();
            }
            // `pub` and `pub(crate)`
            TokenTree::Ident(i) if i == "pub" => {
                if let Some(TokenTree::Group(_)) = tokens.peek() {
                    tokens.next();
                }
            }
            TokenTree::Ident(i) => {
                let span = *first.get_or_insert(i.span());
                let name = i.to_string();
                // `unsafe fn`, `extern "C" fn`, `unsafe impl`... : keep looking a little.
                if !matches!(
                    name.as_str(),
                    "const" | "async" | "unsafe" | "extern" | "safe" | "default"
                ) {
                    return (span, Some(name));
                }
            }
            TokenTree::Literal(_) => {}
            _ => return (*first.get_or_insert(tt.span()), None),
        }
    }
    (first.unwrap_or_else(Span::call_site), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn errors_of(args: TokenStream, item: TokenStream) -> Vec<String> {
        match expand(args, item) {
            Ok(tokens) => panic!("expected errors, got {tokens}"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn non_functions_are_rejected() {
        let e = errors_of(
            quote!(),
            quote!(
                #[derive(Debug)]
                pub struct S;
            ),
        );
        assert!(e[0].contains("applies to a `fn`"), "{e:?}");
        let e = errors_of(
            quote!(),
            quote!(
                fn declared_only(&self);
            ),
        );
        assert!(e[0].contains("needs a function with a body"), "{e:?}");
    }

    #[test]
    fn all_errors_are_reported_together() {
        let e = errors_of(
            quote!(bogus, ctx = nope),
            quote!(
                const fn f() {}
            ),
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("unknown argument `bogus`"));
        assert!(e[1].contains("`const fn`"));
        assert!(e[2].contains("`ctx = nope` names no parameter"));
    }

    #[test]
    fn body_errors() {
        let e = errors_of(
            quote!(),
            quote!(
                async fn f() {
                    std::thread::sleep(d);
                }
            ),
        );
        assert!(e[0].contains("tokio::time::sleep"), "{e:?}");
    }

    #[test]
    fn original_item_is_kept_beside_the_error() {
        let out = cancellable(
            quote!(),
            quote!(
                async fn f() {
                    thread::sleep(d)
                }
            ),
        )
        .to_string();
        assert!(
            out.starts_with("async fn f () { thread :: sleep (d) }"),
            "{out}"
        );
        assert!(out.contains("compile_error"), "{out}");
    }

    #[test]
    fn impl_trait_is_not_spelled_in_a_turbofish() {
        assert!(mentions_impl(quote!(Box<impl Fn()>)));
        assert!(!mentions_impl(quote!(Result<(), Box<dyn Error>>)));
    }

    #[test]
    fn nothing_to_rewrite_means_no_scope() {
        let out = cancellable(
            quote!(),
            quote!(
                async fn f() -> u32 {
                    1
                }
            ),
        )
        .to_string();
        assert_eq!(out, "async fn f () -> u32 { 1 }");
    }
}
