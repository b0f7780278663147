//! `async` blocks inside an annotated function: the work a function starts
//! (`tokio::spawn(async move { loop { .. } })`, `let ctrl_c = async { .. };`) is rewritten too,
//! when the macro can say what a cancelled block returns.
//!
//! A generated `return` inside an `async` block returns from the block, not from the function, so
//! the block's output type decides what "returns the cancellation" means, and the macro cannot see
//! types. It rewrites only blocks with no value of their own, by their shape: no tail expression
//! (or a `for`/`while` loop, a `loop` with no `break value`, an `if` without `else`, or branches
//! and blocks of those), no `?` and no `return value` in the block's own control flow (in a
//! recognised macro's arguments too, read as expressions: tracing's `?x` sigil is no `?`). Such a
//! block's output is `()`, or, when it ends in a `loop` without `break` (type `!`), whatever the
//! code around it needs (`JoinHandle<io::Result<()>>`, a `BoxFuture` of a `Result`): the
//! generated `return exit_block(c)` leaves that type to inference (the runtime's `ExitBlock`:
//! an `Exit` type, or `!` when nothing constrains it in edition 2024). Such a block gets its own
//! scope on the *ambient* context (read at its first poll: in the same task, the function's; in
//! a task spawned inside an annotated function, the caller's, which the spawn carries there),
//! its loops checkpointed and its awaits raced. Other blocks are left alone, and so are all
//! blocks of a function whose context is a parameter (the block would have to capture it, which
//! `async move` blocks sent to another task cannot do for a `&Ctx`).
//!
//! `()` by its shape includes a tail whose type its spelling gives: `()`, and the awaits of
//! `pending::<()>()` and `ready(())` (std's, `core`'s or `futures`').
//!
//! One kind of block with a value is rewritten too: one whose output its spelling gives as
//! `Result<_, E>`, a tail `Ok::<T, E>(..)` or `Err::<T, E>(..)` with `E` written out (no `_`),
//! as code writes when nothing else tells rustc what `?` converts into. Its cancelled checks
//! return `Err(E::from(c))`; when `E` has no `From<Cancelled>`, a probe in the block says so at
//! compile time and the block is run on the never-cancelled root, as if left alone (the
//! runtime's `exit_err.rs`).

use crate::own_flow::{own_flow, OwnFlow};
use crate::sites::macro_args;
use crate::spelling;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprAsync, GenericArgument, Stmt, Type};

/// What the spelling of an `async` block says of its output (see the module docs).
pub(crate) enum Output {
    /// `()` by its shape (or `!`, left to inference): a cancelled check returns
    /// `exit_block(c)`.
    Unit,
    /// `Result<_, E>` by its tail's turbofish: a cancelled check returns `Err(E::from(c))` when
    /// `E: From<Cancelled>`.
    Err(Box<Type>),
    /// Anything else: the block is left alone.
    Unknown,
}

impl Output {
    /// The output of `block`, by its spelling.
    pub(crate) fn of(block: &ExprAsync) -> Output {
        if is_unit_shaped(block) {
            Output::Unit
        } else if let Some(err) = block_tail(&block.block).and_then(spelled_err) {
            Output::Err(Box::new(err.clone()))
        } else {
            Output::Unknown
        }
    }

    /// Whether the rewrite enters the block: its output is known.
    pub(crate) fn is_known(&self) -> bool {
        !matches!(self, Output::Unknown)
    }

    /// `E` of a block spelled `Result<_, E>`.
    pub(crate) fn err(&self) -> Option<&Type> {
        match self {
            Output::Err(err) => Some(err),
            _ => None,
        }
    }
}

/// Whether the rewrite enters `block`: its output is known by its spelling.
pub(crate) fn is_rewritten(block: &ExprAsync) -> bool {
    Output::of(block).is_known()
}

/// Whether `block`'s output is `()` by its shape (see the module docs).
pub(crate) fn is_unit_shaped(block: &ExprAsync) -> bool {
    is_unit_block(&block.block) && !ValueExits::find(&block.block, true)
}

/// A block's tail expression, if it has one.
fn block_tail(block: &Block) -> Option<&Expr> {
    match block.stmts.last() {
        Some(Stmt::Expr(expr, None)) => Some(expr),
        _ => None,
    }
}

/// `E` of a tail `Ok::<T, E>(..)`/`Err::<T, E>(..)` (also `Result::<T, E>::Ok(..)`, with
/// `std::result::`/`core::result::` before it), with no `_` in `E`.
fn spelled_err(tail: &Expr) -> Option<&Type> {
    let Expr::Call(call) = tail else { return None };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    if func.qself.is_some() || call.args.len() != 1 {
        return None;
    }
    let (spelling, generics) = spelling::with_turbofish(&func.path)?;
    let variant = matches!(
        spelling.names().as_slice(),
        ["Ok" | "Err"]
            | ["Result", "Ok" | "Err"]
            | ["std" | "core", "result", "Result", "Ok" | "Err"]
    );
    let generics = generics.filter(|_| variant)?;
    let types: Vec<&Type> = generics
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [_, err] if generics.args.len() == 2 && is_written_out(err) => Some(err),
        _ => None,
    }
}

/// A type with no `_` and no `impl Trait` in it: one the generated probe can name.
fn is_written_out(ty: &Type) -> bool {
    struct Holes(bool);
    impl<'ast> Visit<'ast> for Holes {
        fn visit_type(&mut self, ty: &'ast Type) {
            self.0 |= matches!(ty, Type::Infer(_) | Type::ImplTrait(_) | Type::Macro(_));
            visit::visit_type(self, ty);
        }
    }
    let mut holes = Holes(false);
    holes.visit_type(ty);
    !holes.0
}

/// The same, but for a body where `?` has no value either: async-stream's `try_stream!` turns
/// each `?` into "yield the error, end the stream" (see `stream.rs`).
pub(crate) fn is_unit_shaped_but_for_try(block: &Block) -> bool {
    is_unit_block(block) && !ValueExits::find(block, false)
}

/// Whether a closure with no parameters has no value of its own by its shape, as for `async`
/// blocks: a blocking closure handed to `spawn_blocking` (`move || loop { .. }`), whose body
/// the rewrite then treats as a blocking `fn`'s, returning `exit_block(c)` when cancelled.
pub(crate) fn is_unit_closure(closure: &syn::ExprClosure) -> bool {
    if !closure.inputs.is_empty()
        || !matches!(closure.output, syn::ReturnType::Default)
        || closure.asyncness.is_some()
    {
        return false;
    }
    let shaped = match &*closure.body {
        Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => is_unit_block(&b.block),
        body => is_unit_expr(body),
    };
    let mut exits = ValueExits {
        found: false,
        tries: true,
    };
    exits.visit_expr(&closure.body);
    shaped && !exits.found
}

/// A block whose value is `()`: no tail expression, or a tail that is `()` by its shape.
fn is_unit_block(block: &Block) -> bool {
    match block.stmts.last() {
        None => true,
        Some(Stmt::Expr(expr, None)) => is_unit_expr(expr),
        Some(Stmt::Expr(_, Some(_))) | Some(Stmt::Local(_)) | Some(Stmt::Item(_)) => true,
        Some(Stmt::Macro(m)) => m.semi_token.is_some(),
    }
}

/// Expressions whose type is `()` whatever they contain: `for` and `while` loops, a `loop` with
/// no `break value`, an `if` without `else` (rustc requires its block to be `()`), an
/// `if`/`else` or a block whose branches are `()` by their shape.
fn is_unit_expr(expr: &Expr) -> bool {
    match expr {
        Expr::ForLoop(_) | Expr::While(_) => true,
        Expr::Loop(l) => !breaks_with_value(&l.body),
        Expr::If(i) => match &i.else_branch {
            None => true,
            Some((_, other)) => is_unit_block(&i.then_branch) && is_unit_expr(other),
        },
        Expr::Block(b) => b.label.is_none() && is_unit_block(&b.block),
        Expr::Unsafe(u) => is_unit_block(&u.block),
        Expr::Tuple(t) => t.elems.is_empty(),
        Expr::Await(a) => awaits_unit(&a.base),
        Expr::Paren(p) => is_unit_expr(&p.expr),
        _ => false,
    }
}

/// A future whose output its spelling says is `()`: `pending::<()>()` and `ready(())`, bare or
/// through std's, `core`'s or `futures`' `future` module.
fn awaits_unit(future: &Expr) -> bool {
    let Expr::Call(call) = future else {
        return false;
    };
    let Expr::Path(func) = &*call.func else {
        return false;
    };
    let Some((spelling, generics)) = spelling::with_turbofish(&func.path) else {
        return false;
    };
    if func.qself.is_some() {
        return false;
    }
    let names = spelling.names();
    let Some((name, module)) = names.split_last() else {
        return false;
    };
    let known_module = matches!(
        module,
        [] | ["future"] | ["std" | "core" | "futures" | "futures_util", "future"]
    );
    let unit = |ty: &Type| matches!(ty, Type::Tuple(t) if t.elems.is_empty());
    let args: Vec<&Expr> = call.args.iter().collect();
    known_module
        && match (*name, generics) {
            ("pending", Some(generics)) => {
                args.is_empty()
                    && matches!(generics.args.iter().collect::<Vec<_>>().as_slice(),
                        [GenericArgument::Type(ty)] if unit(ty))
            }
            ("ready", None) => matches!(args.as_slice(), [Expr::Tuple(t)] if t.elems.is_empty()),
            _ => false,
        }
}

/// Whether a `loop` body has a `break value` (for this loop or any: a conservative answer).
fn breaks_with_value(body: &Block) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        own_flow!(ref 'ast);
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            self.0 |= b.expr.is_some();
            visit::visit_expr_break(self, b);
        }
    }
    // The `break`s of closures, `async` blocks and nested items are theirs.
    impl OwnFlow<'_> for Finder {}
    let mut finder = Finder(false);
    finder.visit_block(body);
    finder.0
}

/// `?` (when `tries`) or `return value` in a block's own control flow: its output is then not
/// `()`.
struct ValueExits {
    found: bool,
    tries: bool,
}

impl ValueExits {
    fn find(block: &Block, tries: bool) -> bool {
        let mut finder = ValueExits {
            found: false,
            tries,
        };
        finder.visit_block(block);
        finder.found
    }
}

impl<'ast> Visit<'ast> for ValueExits {
    own_flow!(ref 'ast);
    fn visit_expr_try(&mut self, e: &'ast syn::ExprTry) {
        self.found |= self.tries;
        visit::visit_expr_try(self, e);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.found |= r.expr.is_some();
        visit::visit_expr_return(self, r);
    }
}

// The `?` and `return` of closures, `async` blocks and nested items are theirs.
impl<'ast> OwnFlow<'ast> for ValueExits {
    // A recognised macro's arguments are expressions (`sites/macro_args.rs`): look in them, so
    // that tracing's `?x` sigil (`error!(cause = ?err, "..")`) is not taken for a `?`. Another
    // macro's tokens may hide a `?` (`ready!`, `try_join!`…): be conservative.
    fn at_macro(&mut self, m: &'ast syn::Macro) {
        if let Some(args) = macro_args::parse(m) {
            for arg in &args.args {
                self.visit_expr(&arg.expr);
            }
            return;
        }
        let tries = self.tries;
        self.found |= m.tokens.clone().into_iter().any(|tt| {
            matches!(&tt, proc_macro2::TokenTree::Punct(p) if tries && p.as_char() == '?')
                || matches!(&tt, proc_macro2::TokenTree::Ident(i) if i == "return")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn unit(e: ExprAsync) -> bool {
        is_unit_shaped(&e)
    }

    #[test]
    fn unit_shaped_blocks() {
        assert!(unit(parse_quote!(async {})));
        assert!(unit(parse_quote!(async move {
            while let Ok(m) = rx.recv().await {
                if tx.send(m).await.is_err() {
                    break;
                }
            }
        })));
        assert!(unit(parse_quote!(async {
            sleep(d).await;
            println!("x");
        })));
        assert!(unit(parse_quote!(async {
            loop {
                tick().await;
            }
        })));
        assert!(unit(parse_quote!(async {
            let f = || -> Result<(), E> {
                g()?;
                Ok(())
            };
            return;
        })));
    }

    #[test]
    fn blocking_closures() {
        let c = |e: syn::ExprClosure| is_unit_closure(&e);
        assert!(c(parse_quote!(move || loop {
            std::thread::sleep(d);
        })));
        assert!(c(parse_quote!(|| {
            for x in xs {
                f(x);
            }
        })));
        assert!(!c(parse_quote!(|| 5)));
        assert!(!c(parse_quote!(|x| loop {})));
        assert!(!c(parse_quote!(|| -> () { loop {} })));
        assert!(!c(parse_quote!(|| {
            g()?;
        })));
    }

    #[test]
    fn tracing_sigils_are_not_a_try() {
        // mini-redis's connection task: `?err` is tracing's Debug sigil, not a `?`.
        assert!(unit(parse_quote!(async move {
            if let Err(err) = handler.run().await {
                error!(cause = ?err, "connection error");
            }
        })));
        assert!(unit(parse_quote!(async {
            tracing::info!(?peer, %addr, n = ?x.len(), "accepted");
            println!("{:?}", rx.recv().await);
        })));
        // A real `?` in a recognised macro's argument is one.
        assert!(!unit(parse_quote!(async {
            println!("{}", f().await?);
        })));
        assert!(!unit(parse_quote!(async {
            assert_eq!(g()?, 1);
        })));
    }

    #[test]
    fn tails_whose_spelling_says_unit() {
        assert!(unit(parse_quote!(async { () })));
        assert!(unit(parse_quote!(async {
            if i == 1 {
                std::future::pending::<()>().await
            } else {
                std::future::ready(()).await
            }
        })));
        assert!(unit(parse_quote!(async {
            futures::future::pending::<()>().await
        })));
        assert!(unit(parse_quote!(async { ready(()).await })));
        assert!(!unit(parse_quote!(async { pending::<u8>().await })));
        assert!(!unit(parse_quote!(async { pending().await })));
        assert!(!unit(parse_quote!(async { ready(1).await })));
        assert!(!unit(parse_quote!(async { my::ready(()).await })));
    }

    #[test]
    fn tails_spelled_result() {
        let err = |e: ExprAsync| match Output::of(&e) {
            Output::Err(ty) => Some(quote::quote!(#ty).to_string()),
            _ => None,
        };
        assert_eq!(
            err(parse_quote!(async move {
                let s = connect(a).await?;
                Ok::<_, ConnectError>((start, s))
            })),
            Some("ConnectError".into())
        );
        assert_eq!(
            err(parse_quote!(async { Err::<u8, io::Error>(e) })),
            Some("io :: Error".into())
        );
        assert_eq!(
            err(parse_quote!(async {
                std::result::Result::<(), Box<dyn Error + Send>>::Ok(())
            })),
            Some("Box < dyn Error + Send >".into())
        );
        // `E` not written out, no turbofish, or not `Ok`/`Err` of `Result`.
        assert!(err(parse_quote!(async { Ok::<u8, _>(1) })).is_none());
        assert!(err(parse_quote!(async { Ok::<u8, Box<_>>(1) })).is_none());
        assert!(err(parse_quote!(async { Ok(1) })).is_none());
        assert!(err(parse_quote!(async { Some::<u8>(1) })).is_none());
        assert!(err(parse_quote!(async { my::Ok::<u8, E>(1) })).is_none());
        assert!(err(parse_quote!(async {
            Ok::<u8, E>(1);
        }))
        .is_none());
    }

    #[test]
    fn blocks_with_a_value_are_not() {
        assert!(!unit(parse_quote!(async { 1 })));
        assert!(!unit(parse_quote!(async {
            if c {
                1
            } else {
                2
            }
        })));
        assert!(!unit(parse_quote!(async {
            'b: {
                break 'b 1;
            }
        })));
        assert!(!unit(parse_quote!(async { f().await })));
        assert!(!unit(parse_quote!(async {
            f().await?;
        })));
        assert!(!unit(parse_quote!(async {
            if c {
                return 3;
            }
        })));
        assert!(!unit(parse_quote!(async {
            loop {
                break 5;
            }
        })));
        assert!(!unit(parse_quote!(async {
            ready!(x);
            println!("y")
        })));
        assert!(!unit(parse_quote!(async {
            m!(a?);
        })));
    }
}
