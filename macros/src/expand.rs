//! Top level of `#[cancellable]`: parse, check, rewrite, assemble.

use crate::args::Args;
use crate::ctx_param::{self, CtxSource};
use crate::emit::Emit;
use crate::rewrite::{Flavor, Rewriter};
use crate::shield::StripMarkers;
use crate::tokio;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Block, Item, ItemFn, ReturnType};

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
    let (flavor, exit_ty, body) = match func.sig.asyncness {
        Some(_) => (Flavor::Async, None, &mut *func.block),
        None => {
            // The return type is spelled out for `exit::<T>` inside tokio's `async` block,
            // where rustc does not see the function signature (unless it is an `impl Trait`,
            // which cannot be spelled there: inference is left to do its best).
            let ret = match &func.sig.output {
                ReturnType::Default => Some(quote!(())),
                ReturnType::Type(_, ty) => {
                    let ty = ty.to_token_stream();
                    (!mentions_impl(ty.clone())).then_some(ty)
                }
            };
            match tokio::original_body(&mut func) {
                Some(body) => (Flavor::Async, ret, body),
                None => (Flavor::Blocking, None, &mut *func.block),
            }
        }
    };
    let emit = Emit::new(krate, exit_ty);
    rewrite_body(&emit, flavor, body, &ctx.unwrap_or(CtxSource::Ambient))?;
    errors.finish()?;
    Ok(func.into_token_stream())
}

/// Rewrites `body` in place; declares the scope first if anything uses it.
fn rewrite_body(emit: &Emit, flavor: Flavor, body: &mut Block, ctx: &CtxSource) -> syn::Result<()> {
    let mut rewriter = Rewriter::new(emit, flavor);
    rewriter.async_blocks = *ctx == CtxSource::Ambient;
    rewriter.visit_block_mut(body);
    let mut errors = Errors::default();
    for error in rewriter.errors {
        errors.push(error);
    }
    errors.finish()?;
    if rewriter.uses_scope {
        body.stmts.insert(0, emit.scope_init(ctx));
    }
    Ok(())
}

/// Whether a type mentions `impl Trait` anywhere.
fn mentions_impl(tokens: TokenStream) -> bool {
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
            let (span, is_fn) = keyword(item);
            let message = if is_fn {
                "#[cancellable] needs a function with a body"
            } else {
                "#[cancellable] applies to a `fn` or an `async fn` (free function, method or trait \
                 impl method)"
            };
            Err(syn::Error::new(span, message))
        }
    }
}

/// The span of an item's first token after its attributes and visibility (`struct`, `impl`,
/// `fn`...), for errors that should not underline the whole item; and whether it is a `fn`.
fn keyword(item: TokenStream) -> (Span, bool) {
    let mut tokens = item.into_iter().peekable();
    let mut is_fn = false;
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
                first.get_or_insert(tt.span());
                if i == "fn" {
                    is_fn = true;
                    break;
                }
                // `unsafe fn`, `extern "C" fn`, ... : keep looking for `fn` a little.
                if !matches!(
                    i.to_string().as_str(),
                    "const" | "async" | "unsafe" | "extern" | "safe" | "default"
                ) {
                    break;
                }
            }
            TokenTree::Literal(_) => {}
            _ => {
                first.get_or_insert(tt.span());
                break;
            }
        }
    }
    (first.unwrap_or_else(Span::call_site), is_fn)
}

#[cfg(test)]
mod tests {
    use super::*;

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
