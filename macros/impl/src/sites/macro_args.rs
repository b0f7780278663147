//! Macros whose arguments are expressions: their waits are checkpoints too.
//!
//! `println!("{:?}", rx.recv().await)`, `assert_eq!(client.get().await?, 200)`,
//! `tracing::info!(n = rx.len(), "got {}", rx.recv().await)`: the macro's tokens are parsed as
//! the expressions they are, rewritten like the body (awaits raced, loops checkpointed, spawns
//! inheriting), and put back in the macro, which then expands as before. Recognised, by the
//! last segment of the path (bare, or under `std::`, `core::`, `alloc::`, `tracing::`, `log::`):
//!
//! - std's argument-list macros: `format!`, `print!`, `println!`, `eprint!`, `eprintln!`,
//!   `write!`, `writeln!`, `panic!`, `assert!`, `assert_eq!`, `assert_ne!`, `debug_assert!`,
//!   `debug_assert_eq!`, `debug_assert_ne!`, `vec!` (also `vec![x; n]`), `matches!` (its first
//!   argument; the pattern is left as written), `format_args!`, `unreachable!`, `todo!`,
//!   `unimplemented!`, `dbg!`;
//! - tracing's (and log's) events and spans: `trace!`..`error!`, `event!`, `span!`,
//!   `trace_span!`..`error_span!`, with their `target:`/`parent:`/`name:` prefixes, field names
//!   (`a.b = x`), and the `?x`/`%x` sigils;
//! - the test assertions of two crates that evaluate their arguments in place as std's do:
//!   assert-json-diff's `assert_json_eq!(actual, expected)` and
//!   `assert_json_include!(actual: a, expected: e)` (axum's examples test with them), and
//!   pretty_assertions' `assert_eq!`/`assert_ne!` under their crate's path.
//!
//! Left alone, as before, when an argument does not parse as one of those forms (a
//! macro-specific grammar, a user's macro of the same name with another grammar): the macro's tokens are then opaque, and the
//! never-silent check reports its waits when they are all the function has.

use crate::spelling::Spelling;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Macro, Token};

/// Recognised macros, by the last segment of their path.
const LISTS: &[&str] = &[
    "format",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "matches",
    "format_args",
    "unreachable",
    "todo",
    "unimplemented",
    "dbg",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
    "assert_json_eq",
    "assert_json_include",
];

/// The crates whose paths are accepted before the name.
const CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tracing",
    "log",
    "assert_json_diff",
    "pretty_assertions",
];

/// One argument: what precedes its expression (`target:`, `name =`, `?`), the expression, and
/// the separator after it.
pub(crate) struct Arg {
    prefix: TokenStream,
    pub(crate) expr: Expr,
    separator: TokenStream,
}

/// The parsed arguments of a recognised macro; `rest` is what is kept as written (a
/// `matches!` pattern).
pub(crate) struct Args {
    pub(crate) args: Vec<Arg>,
    rest: TokenStream,
}

/// Whether `mac` is spelled as one of the recognised macros.
fn recognised(mac: &Macro) -> Option<String> {
    let spelling = Spelling::of(&mac.path)?;
    let names = spelling.names();
    let (last, before) = names.split_last()?;
    let prefix_ok = match before {
        [] => spelling.relative(),
        [krate] => CRATES.contains(krate),
        _ => false,
    };
    (prefix_ok && LISTS.contains(last)).then(|| last.to_string())
}

/// The arguments of `mac`, when it is a recognised macro and they parse.
pub(crate) fn parse(mac: &Macro) -> Option<Args> {
    let name = recognised(mac)?;
    let parser = |input: ParseStream| parse_args(input, &name);
    parser.parse2(mac.tokens.clone()).ok()
}

fn parse_args(input: ParseStream, name: &str) -> syn::Result<Args> {
    let mut args = Vec::new();
    while !input.is_empty() {
        let prefix = prefix(input)?;
        let expr: Expr = input.parse()?;
        let mut separator = TokenStream::new();
        if name == "matches" {
            // `matches!(expr, pattern)`: the rest is a pattern (and maybe a guard).
            let comma: Token![,] = input.parse()?;
            comma.to_tokens(&mut separator);
            args.push(Arg {
                prefix,
                expr,
                separator,
            });
            return Ok(Args {
                args,
                rest: input.parse()?,
            });
        }
        if input.peek(Token![;]) && name == "vec" {
            input.parse::<Token![;]>()?.to_tokens(&mut separator);
        } else if !input.is_empty() {
            input.parse::<Token![,]>()?.to_tokens(&mut separator);
        }
        args.push(Arg {
            prefix,
            expr,
            separator,
        });
    }
    Ok(Args {
        args,
        rest: TokenStream::new(),
    })
}

/// What may precede an argument's expression: `?`/`%` (tracing's sigils), `ident:` (tracing's
/// `target:`, `parent:`, `name:`), `a.b =` (a field or a named format argument), or nothing.
fn prefix(input: ParseStream) -> syn::Result<TokenStream> {
    let mut prefix = TokenStream::new();
    let fork = input.fork();
    if fork.peek(Ident) && fork.peek2(Token![:]) && !fork.peek2(Token![::]) {
        fork.call(Ident::parse_any)?.to_tokens(&mut prefix);
        fork.parse::<Token![:]>()?.to_tokens(&mut prefix);
        input.advance_to(&fork);
        return Ok(prefix);
    }
    if let Some(name) = field_name(&fork) {
        input.advance_to(&fork);
        name.to_tokens(&mut prefix);
    }
    if input.peek(Token![?]) {
        input.parse::<Token![?]>()?.to_tokens(&mut prefix);
    } else if input.peek(Token![%]) {
        input.parse::<Token![%]>()?.to_tokens(&mut prefix);
    }
    Ok(prefix)
}

/// `a.b.c =` (not `==` or `=>`), consumed from `fork` if it is there.
fn field_name(fork: ParseStream) -> Option<TokenStream> {
    let mut tokens = TokenStream::new();
    let inner = fork.fork();
    inner.call(Ident::parse_any).ok()?.to_tokens(&mut tokens);
    while inner.peek(Token![.]) {
        inner.parse::<Token![.]>().ok()?.to_tokens(&mut tokens);
        inner.call(Ident::parse_any).ok()?.to_tokens(&mut tokens);
    }
    if !inner.peek(Token![=]) || inner.peek(Token![==]) || inner.peek(Token![=>]) {
        return None;
    }
    inner.parse::<Token![=]>().ok()?.to_tokens(&mut tokens);
    fork.advance_to(&inner);
    Some(tokens)
}

impl Args {
    /// The macro's tokens again, with the (rewritten) expressions.
    pub(crate) fn tokens(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for arg in &self.args {
            out.extend(arg.prefix.clone());
            arg.expr.to_tokens(&mut out);
            out.extend(arg.separator.clone());
        }
        out.extend(self.rest.clone());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn round_trip(mac: Macro) -> Option<(usize, String)> {
        let args = parse(&mac)?;
        Some((args.args.len(), args.tokens().to_string()))
    }

    #[test]
    fn std_macros_parse_as_expressions() {
        assert_eq!(
            round_trip(parse_quote!(println!(
                "{:?} {x}",
                rx.recv().await,
                x = f().await
            ))),
            Some((
                3,
                "\"{:?} {x}\" , rx . recv () . await , x = f () . await".into()
            ))
        );
        assert_eq!(
            round_trip(parse_quote!(assert_eq!(a.await, 1, "msg",))).map(|r| r.0),
            Some(3)
        );
        assert_eq!(
            round_trip(parse_quote!(vec![x.await; n])),
            Some((2, "x . await ; n".into()))
        );
        assert_eq!(
            round_trip(parse_quote!(matches!(f().await, Some(1 | 2) if true))),
            Some((1, "f () . await , Some (1 | 2) if true".into()))
        );
        assert_eq!(
            round_trip(parse_quote!(std::write!(f, "{}", g::<A, B>(x).await))).map(|r| r.0),
            Some(3)
        );
    }

    #[test]
    fn tracing_prefixes() {
        assert_eq!(
            round_trip(parse_quote!(tracing::info!(
                target: "t",
                parent: &span,
                a.b = x.await,
                ?y,
                %z.await,
                "got {}",
                w.await
            )))
            .map(|r| r.0),
            Some(7)
        );
        assert_eq!(
            round_trip(parse_quote!(info_span!("s", n = ?rx.len()))),
            Some((2, "\"s\" , n = ? rx . len ()".into()))
        );
    }

    #[test]
    fn others_are_left_alone() {
        assert!(round_trip(parse_quote!(my_macro!(a.await))).is_none());
        assert!(round_trip(parse_quote!(tokio::println!(a.await))).is_none());
        assert!(round_trip(parse_quote!(println!("{}" a))).is_none());
        assert!(round_trip(parse_quote!(other_crate::assert_json_eq!(a.await, b))).is_none());
    }

    #[test]
    fn json_and_pretty_assertions() {
        assert_eq!(
            round_trip(parse_quote!(assert_json_eq!(
                res.json().await,
                json!({"a": 1})
            )))
            .map(|r| r.0),
            Some(2)
        );
        assert_eq!(
            round_trip(parse_quote!(assert_json_diff::assert_json_include!(
                actual: body.await,
                expected: e
            ))),
            Some((2, "actual : body . await , expected : e".into()))
        );
        assert_eq!(
            round_trip(parse_quote!(pretty_assertions::assert_eq!(a.await, 1))).map(|r| r.0),
            Some(2)
        );
    }
}
