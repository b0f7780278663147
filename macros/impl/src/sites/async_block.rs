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

use crate::own_flow::{own_flow, OwnFlow};
use crate::sites::macro_args;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprAsync, Stmt};

/// Whether `block`'s output is `()` by its shape (see the module docs).
pub(crate) fn is_unit_shaped(block: &ExprAsync) -> bool {
    is_unit_block(&block.block) && !ValueExits::find(&block.block, true)
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
