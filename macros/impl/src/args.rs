//! The attribute's own arguments: `#[cancellable(crate = path, ctx = name)]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token};

/// Parsed `#[cancellable(...)]` arguments. Every field is optional.
#[derive(Default)]
pub(crate) struct Args {
    /// `crate = path`: where the runtime lives, for users who reach `autocancel` through a
    /// re-export (same convention as `serde(crate = ..)` and `tokio::main(crate = ..)`).
    pub krate: Option<Path>,
    /// `ctx = name`: the parameter that holds the context, when it is not recognisable by its
    /// type (for instance `ctx = self` on a type that implements `AsRef<Ctx>`).
    pub ctx: Option<Ident>,
}

impl Args {
    /// Parses the tokens between the attribute's parentheses.
    ///
    /// Unknown or repeated arguments do not stop the parse: they are all reported at once,
    /// combined into one error. A syntax error (a missing `=`, a stray token) does stop it,
    /// because nothing after it can be trusted.
    /// Returns the arguments understood so far beside the errors, so that a mistake in one
    /// argument does not also turn into errors about the others (a duplicate `ctx` keeps the
    /// first).
    pub(crate) fn parse(tokens: TokenStream) -> (Args, Option<syn::Error>) {
        let mut args = Args::default();
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };

        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                let value = expect_eq(&meta, "`crate = path`")?;
                let path = parse_crate_path(value)?;
                if args.krate.is_some() {
                    push(syn::Error::new_spanned(
                        &meta.path,
                        "duplicate `crate` argument",
                    ));
                } else {
                    args.krate = Some(path);
                }
            } else if meta.path.is_ident("ctx") {
                let value = expect_eq(&meta, "`ctx = name`")?;
                // `parse_any` so that `ctx = self` is accepted (`self` is a keyword).
                let name = Ident::parse_any(value).map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected the name of a parameter, as in `ctx = parent`",
                    )
                })?;
                if args.ctx.is_some() {
                    push(syn::Error::new_spanned(
                        &meta.path,
                        "duplicate `ctx` argument",
                    ));
                } else {
                    args.ctx = Some(name);
                }
            } else {
                let name = meta.path.to_token_stream().to_string().replace(' ', "");
                push(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown argument `{name}` to #[cancellable]; expected `crate = path` or `ctx = name`"
                    ),
                ));
                // Skip the value, if any, so that the arguments after it are still checked.
                if meta.input.peek(Token![=]) {
                    let value = meta.value()?;
                    value.parse::<syn::Expr>()?;
                }
            }
            Ok(())
        });
        if let Err(e) = parser.parse2(tokens) {
            push(e);
        }
        (args, errors)
    }

    /// The path generated code uses to reach the runtime: `::autocancel` unless overridden.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => quote!(#path),
            None => {
                let name = Ident::new("autocancel", Span::call_site());
                quote!(::#name)
            }
        }
    }
}

/// `name = ...`: the value after `=`, or an error on `name` saying what was expected.
fn expect_eq<'a>(
    meta: &syn::meta::ParseNestedMeta<'a>,
    form: &str,
) -> syn::Result<ParseStream<'a>> {
    if meta.input.peek(Token![=]) {
        meta.value()
    } else {
        Err(syn::Error::new_spanned(
            &meta.path,
            format!("expected {form}"),
        ))
    }
}

/// `crate = some::path` or, as serde and tokio spell it, `crate = "some::path"`.
fn parse_crate_path(input: ParseStream) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse_with(Path::parse_mod_style)
    } else {
        input.call(Path::parse_mod_style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> syn::Result<Args> {
        match Args::parse(tokens) {
            (args, None) => Ok(args),
            (_, Some(e)) => Err(e),
        }
    }

    #[test]
    fn empty() {
        let args = parse(quote!()).unwrap();
        assert!(args.krate.is_none() && args.ctx.is_none());
        assert_eq!(args.krate().to_string(), ":: autocancel");
    }

    #[test]
    fn crate_path_and_string() {
        let args = parse(quote!(crate = my::reexport)).unwrap();
        assert_eq!(args.krate().to_string(), "my :: reexport");
        let args = parse(quote!(crate = "::other::path")).unwrap();
        assert_eq!(
            args.krate.unwrap().to_token_stream().to_string(),
            ":: other :: path"
        );
    }

    #[test]
    fn ctx_name_and_self() {
        let args = parse(quote!(ctx = parent, crate = x)).unwrap();
        assert_eq!(args.ctx.unwrap(), "parent");
        let args = parse(quote!(ctx = self)).unwrap();
        assert_eq!(args.ctx.unwrap(), "self");
    }

    #[test]
    fn unknown_arguments_are_all_reported() {
        let err = parse(quote!(foo, bar = 1, ctx = c)).err().unwrap();
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("unknown argument `foo`"));
        assert!(messages[1].contains("unknown argument `bar`"));
    }

    #[test]
    fn duplicates_and_malformed() {
        let (args, err) = Args::parse(quote!(ctx = a, ctx = b));
        assert!(err.unwrap().to_string().contains("duplicate `ctx`"));
        assert_eq!(args.ctx.unwrap(), "a", "the first is kept");
        let err = parse(quote!(crate)).err().unwrap();
        assert_eq!(err.to_string(), "expected `crate = path`");
        let err = parse(quote!(ctx = 3)).err().unwrap();
        assert!(
            err.to_string().contains("expected the name of a parameter"),
            "{err}"
        );
        let err = parse(quote!(ctx = a crate = b)).err().unwrap();
        assert!(err.to_string().contains("expected `,`"), "{err}");
    }
}
