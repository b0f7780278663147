//! Path matching by spelling, for every site the macro recognises (spawns and `detached`,
//! sleeps, blocking waits and `block_on`, `select!`/`join!` and the other waiting macros,
//! argument-list macros, tokio's spawn methods) and for `Box::pin` in a hand-built future:
//! before name resolution a path is only the names written in it.

use syn::{AngleBracketedGenericArguments, Expr, Path, PathArguments};

/// A path's segment names as written, and whether it starts with `::`.
pub(crate) struct Spelling {
    names: Vec<String>,
    leading_colon: bool,
}

impl Spelling {
    /// The spelling of `path`; `None` when a segment has generic arguments (a turbofish), which
    /// no recognised site is written with.
    pub(crate) fn of(path: &Path) -> Option<Spelling> {
        if path.segments.iter().any(|s| !s.arguments.is_none()) {
            return None;
        }
        Some(Spelling {
            names: path.segments.iter().map(|s| s.ident.to_string()).collect(),
            leading_colon: path.leading_colon.is_some(),
        })
    }

    /// The spelling of a path expression (`tokio::spawn` in `tokio::spawn(f)`), not `<T>::f`.
    pub(crate) fn of_expr(expr: &Expr) -> Option<Spelling> {
        match expr {
            Expr::Path(p) if p.qself.is_none() => Spelling::of(&p.path),
            _ => None,
        }
    }

    /// The names, to match as a slice: `match s.names().as_slice() { ["tokio", "spawn"] => .. }`.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Without a leading `::`: a path that may rely on a `use` (`task::spawn`, bare `select!`).
    pub(crate) fn relative(&self) -> bool {
        !self.leading_colon
    }
}

/// A path written with one turbofish (`Ok::<T, E>`, `Result::<T, E>::Ok`, `pending::<()>`): its
/// spelling without it, and the turbofish's arguments. `None` for a path with more than one
/// segment carrying arguments, or arguments that are not `::<..>`.
pub(crate) fn with_turbofish(
    path: &Path,
) -> Option<(Spelling, Option<&AngleBracketedGenericArguments>)> {
    let mut turbofish = None;
    for segment in &path.segments {
        match &segment.arguments {
            PathArguments::None => {}
            PathArguments::AngleBracketed(args) if turbofish.is_none() => turbofish = Some(args),
            _ => return None,
        }
    }
    let spelling = Spelling {
        names: path.segments.iter().map(|s| s.ident.to_string()).collect(),
        leading_colon: path.leading_colon.is_some(),
    };
    Some((spelling, turbofish))
}

/// Whether `path`'s last segments are `names` (generic arguments ignored: `JoinSet<T>`).
pub(crate) fn ends_with(path: &Path, names: &[&str]) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.len() >= names.len() && segments[segments.len() - names.len()..] == *names
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn spellings() {
        let s = Spelling::of(&parse_quote!(::tokio::spawn)).unwrap();
        assert_eq!(s.names(), ["tokio", "spawn"]);
        assert!(!s.relative());
        assert!(Spelling::of(&parse_quote!(tokio::spawn::<F>)).is_none());
        assert!(Spelling::of_expr(&parse_quote!(<T as X>::f)).is_none());
        assert!(ends_with(
            &parse_quote!(tokio::task::JoinSet<u8>),
            &["JoinSet"]
        ));
        assert!(!ends_with(&parse_quote!(Set), &["JoinSet"]));
        let path: Path = parse_quote!(Result::<u8, E>::Ok);
        let (s, args) = with_turbofish(&path).unwrap();
        assert_eq!(s.names(), ["Result", "Ok"]);
        assert_eq!(args.unwrap().args.len(), 2);
        assert!(with_turbofish(&parse_quote!(A::<u8>::B::<u8>)).is_none());
    }
}
