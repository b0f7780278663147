//! Never silent: the loops and waits of an annotated function that its rewrite does not reach.
//!
//! The rewrite checkpoints the function's own loops and races its own `.await`s; it does not
//! enter closures, `async` blocks that are not the body, or macro invocations (see `rewrite`).
//! When those are the *only* places a function loops or waits, `#[cancellable]` would add no
//! checkpoint at all while the function looks annotated: that case is a compile error, spanned
//! on each such loop or wait, naming where it is and what to do. When the function has
//! checkpoints of its own, a loop in a closure beside them is the documented "left alone" case.
//!
//! Counted too: the body of a `fn` declared inside the function (a function of its own, which
//! the rewrite leaves to its own annotation). Not counted: const contexts, and `#[shield]`
//! sections (no checkpoint there is what the user asked for).

use crate::async_block::is_unit_shaped;
use crate::join::is_join;
use crate::macro_args;
use crate::own_flow::skip_const_contexts;
use crate::select::{is_select, malformed_tokio_select, Select};
use crate::shield::{attrs_mut, take_marker};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Arm, Block, Expr, ExprAsync, ExprClosure, Item, Local, Macro, Stmt, StmtMacro};

/// Where an unreached loop or wait is.
#[derive(Debug, PartialEq)]
enum Place {
    Closure,
    AsyncBlock,
    /// In the tokens of this macro (its path as written).
    Macro(String),
    /// This macro waits in its expansion (`select!`, `join!`).
    WaitingMacro,
    /// In a function that builds its future by hand, before the returned `async` block.
    BeforeFuture,
    /// In a `fn` declared inside the body.
    NestedFn,
}

/// One loop or wait the rewrite does not reach.
#[derive(Debug)]
pub(crate) struct Unreached {
    span: Span,
    /// `loop`, `while`, `for`, `.await`, or a waiting macro such as `select!`.
    what: String,
    place: Place,
}

/// When the rewrite reaches no loop or wait of `body` (its own, or in an `async` block it
/// rewrites, see `async_block`; `async_blocks` as the rewrite's flag): the first loop or wait in
/// each closure, `async` block, macro and nested `fn` of `body`, and in each statement of
/// `before`. Empty when the rewrite reaches something.
pub(crate) fn unreached(body: &Block, before: &[Stmt], async_blocks: bool) -> Vec<Unreached> {
    let mut scan = OwnFlow {
        found: Vec::new(),
        async_blocks,
        reached: false,
    };
    scan.visit_block_mut(&mut body.clone());
    if scan.reached {
        return Vec::new();
    }
    for stmt in before {
        scan.record(stmt.to_token_stream(), Place::BeforeFuture);
    }
    scan.found
}

impl Unreached {
    /// The compile error for a function whose only loops and waits are unreached.
    pub(crate) fn error(&self) -> syn::Error {
        let what = &self.what;
        let lead = "#[cancellable] would put no cancellation check anywhere in this function";
        let message = match &self.place {
            Place::Closure => format!(
                "{lead}: this {what} is in a closure, which it does not enter (a `return` there \
                 would leave the closure, not the function). Move the {what} into the function's \
                 own body, or into a #[cancellable] fn that the closure calls; if nothing here \
                 should stop at cancellation, remove #[cancellable]"
            ),
            Place::AsyncBlock => format!(
                "{lead}: this {what} is in an `async` block that is not the function's body, \
                 which it does not enter. Make the block the function's body (an `async fn`, or \
                 a `fn` that returns it: `-> impl Future<Output = T> {{ async move {{ .. }} }}`), \
                 or move its work into a #[cancellable] async fn that it awaits; if an attribute \
                 macro below #[cancellable] made this block, put #[cancellable] above that macro"
            ),
            Place::Macro(name) => format!(
                "{lead}: this {what} is inside `{name}!`, whose tokens it cannot see into. Move \
                 the {what} out of the macro (e.g. `let v = fut.await;` before `{name}!(.., v)`); \
                 if nothing here should stop at cancellation, remove #[cancellable]"
            ),
            Place::WaitingMacro => format!(
                "{lead}: this {what} waits in its own expansion, which #[cancellable] does not \
                 rewrite. Await its futures with `.await` in the function, or add a branch that \
                 ends at `ctx.cancelled()`; if nothing here should stop at cancellation, remove \
                 #[cancellable]"
            ),
            Place::NestedFn => format!(
                "{lead}: this {what} is in a `fn` declared inside it, a function of its own. Put \
                 #[cancellable] on that `fn` too, or move the {what} into this function's body"
            ),
            Place::BeforeFuture => format!(
                "{lead}: this {what} runs while the future is being built, before the returned \
                 `async` block, which is what #[cancellable] rewrites. Move the {what} into the \
                 `async` block"
            ),
        };
        syn::Error::new(self.span, message)
    }
}

/// Walks what the rewrite walks, recording what it leaves out.
struct OwnFlow {
    found: Vec<Unreached>,
    /// Whether `()`-shaped `async` blocks are rewritten (and so walked).
    async_blocks: bool,
    /// Whether a loop or an `.await` the rewrite reaches was seen.
    reached: bool,
}

impl OwnFlow {
    fn record(&mut self, tokens: TokenStream, place: Place) {
        if let Some((span, what)) = first_loop_or_wait(tokens) {
            self.found.push(Unreached { span, what, place });
        }
    }
}

/// Whether `attrs` holds a `#[shield]` marker (removed: this walk is over a copy).
fn shielded(attrs: &mut Vec<syn::Attribute>) -> bool {
    !matches!(take_marker(attrs), Ok(None))
}

impl VisitMut for OwnFlow {
    fn visit_item_mut(&mut self, item: &mut Item) {
        // Only a nested `fn`'s body: other items' tokens hold `for` in `impl Trait for T`.
        if let Item::Fn(func) = item {
            self.record(func.block.to_token_stream(), Place::NestedFn);
        }
    }
    skip_const_contexts!(mut);

    fn visit_expr_closure_mut(&mut self, closure: &mut ExprClosure) {
        // `|i| tokio::spawn(async move { loop { .. } })`: the rewrite gives the block a scope
        // of its own (see `foreign_spawns.rs`), which checkpoints its loops and waits.
        if self.async_blocks && rewrites_a_block(&closure.body) {
            self.reached = true;
            return;
        }
        self.record(closure.body.to_token_stream(), Place::Closure);
    }

    fn visit_expr_async_mut(&mut self, block: &mut ExprAsync) {
        if self.async_blocks && is_unit_shaped(block) {
            visit_mut::visit_expr_async_mut(self, block);
        } else {
            self.record(block.block.to_token_stream(), Place::AsyncBlock);
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut Macro) {
        // The `select!`s and `join!`s the rewrite understands are checkpoints themselves (see
        // `select.rs`, `join.rs`); a malformed `tokio::select!` is tokio's to report.
        let select = is_select(mac) && Select::parse(mac).is_some();
        if is_join(mac) || select || malformed_tokio_select(mac) {
            self.reached = true;
            return;
        }
        // The argument-list macros the rewrite parses: their arguments are its own flow.
        if first_loop_or_wait(mac.tokens.clone()).is_some() {
            if let Some(mut args) = macro_args::parse(mac) {
                for arg in &mut args.args {
                    self.visit_expr_mut(&mut arg.expr);
                }
                return;
            }
        }
        let name = mac.path.to_token_stream().to_string().replace(' ', "");
        let last = mac.path.segments.last().map(|s| s.ident.to_string());
        if last.is_some_and(|l| WAITING_MACROS.contains(&l.as_str())) {
            // Its waits are in the expansion, not in its tokens.
            let span = mac
                .path
                .segments
                .last()
                .map_or(Span::call_site(), |s| s.ident.span());
            self.found.push(Unreached {
                span,
                what: format!("`{name}!`"),
                place: Place::WaitingMacro,
            });
        } else {
            self.record(mac.tokens.clone(), Place::Macro(name));
        }
    }

    fn visit_local_mut(&mut self, local: &mut Local) {
        // tracing's return-type hint, `let __tracing_attr_fake_return: T = loop {};` in an
        // `if false`, is no loop of the user's (where `instrument` did not peel it off).
        let is_hint = matches!(&local.pat, syn::Pat::Type(t)
            if matches!(&*t.pat, syn::Pat::Ident(i) if i.ident == "__tracing_attr_fake_return"));
        if !is_hint && !shielded(&mut local.attrs) {
            visit_mut::visit_local_mut(self, local);
        }
    }

    fn visit_stmt_macro_mut(&mut self, mac: &mut StmtMacro) {
        if !shielded(&mut mac.attrs) {
            visit_mut::visit_stmt_macro_mut(self, mac);
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut Arm) {
        if !shielded(&mut arm.attrs) {
            visit_mut::visit_arm_mut(self, arm);
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if attrs_mut(expr).is_some_and(shielded) {
            return;
        }
        if let Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) | Expr::Await(_) = expr {
            self.reached = true;
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// Whether `expr` holds a `()`-shaped `async` block (one the rewrite gives its own scope) with
/// a loop or a wait in it.
fn rewrites_a_block(expr: &Expr) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        skip_const_contexts!(ref 'ast);
        fn visit_item(&mut self, _: &'ast Item) {}
        fn visit_expr_async(&mut self, block: &'ast ExprAsync) {
            if is_unit_shaped(block) {
                self.0 |= first_loop_or_wait(block.block.to_token_stream()).is_some();
            } else {
                syn::visit::visit_expr_async(self, block);
            }
        }
    }
    let mut find = Find(false);
    syn::visit::Visit::visit_expr(&mut find, expr);
    find.0
}

/// Macros that wait although their tokens hold no `.await`.
const WAITING_MACROS: &[&str] = &["select", "select_biased", "join", "try_join"];

/// The first `loop`, `while`, `for` (not `for<'a>`) or `.await` in `tokens`, with its name.
pub(crate) fn first_loop_or_wait(tokens: TokenStream) -> Option<(Span, String)> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().find_map(|(i, tt)| match tt {
        TokenTree::Ident(ident) => {
            let name = ident.to_string();
            let next_is_lt =
                matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '<');
            let after_dot =
                i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
            match name.as_str() {
                "loop" | "while" => Some((ident.span(), format!("`{name}`"))),
                "for" if !next_is_lt => Some((ident.span(), "`for` loop".into())),
                "await" if after_dot => Some((ident.span(), "`.await`".into())),
                _ => None,
            }
        }
        TokenTree::Group(group) => first_loop_or_wait(group.stream()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn places(body: Block) -> Vec<(String, Place)> {
        unreached(&body, &[], false)
            .into_iter()
            .map(|u| (u.what, u.place))
            .collect()
    }

    #[test]
    fn nothing_is_reported_when_something_is_reached() {
        assert!(places(parse_quote!({
            for a in b {}
            xs.iter().for_each(|x| loop {});
        }))
        .is_empty());
        assert!(places(parse_quote!({
            f(x.await);
            println!("{}", y.await);
        }))
        .is_empty());
    }

    #[test]
    fn unit_async_blocks_are_reached_when_rewritten() {
        let body: Block = parse_quote!({
            tokio::spawn(async move {
                loop {
                    tick().await;
                }
            });
        });
        assert!(unreached(&body, &[], true).is_empty());
        assert_eq!(unreached(&body, &[], false)[0].place, Place::AsyncBlock);
        let valued: Block = parse_quote!({
            tokio::spawn(async move {
                loop {
                    tick().await?;
                }
            });
        });
        assert_eq!(unreached(&valued, &[], true)[0].place, Place::AsyncBlock);
    }

    #[test]
    fn closures_async_blocks_and_macros_are_not() {
        let found = places(parse_quote!({
            xs.iter().for_each(|x| while go() {});
            tokio::spawn(async move { rx.recv().await });
            show!(f.await);
            futures::select! { _ = a => break }
            let f: &dyn for<'a> Fn(&'a u8) = &|_| {};
        }));
        assert_eq!(
            found,
            [
                ("`while`".into(), Place::Closure),
                ("`.await`".into(), Place::AsyncBlock),
                ("`.await`".into(), Place::Macro("show".into())),
                ("`futures::select!`".into(), Place::WaitingMacro),
            ]
        );
    }

    #[test]
    fn unit_async_blocks_in_closures_are_reached_when_rewritten() {
        let body: Block = parse_quote!({
            (0..n).for_each(|i| {
                tokio::spawn(async move {
                    loop {
                        tick(i).await;
                    }
                });
            });
        });
        assert!(unreached(&body, &[], true).is_empty());
        assert_eq!(unreached(&body, &[], false)[0].place, Place::Closure);
    }

    #[test]
    fn argument_list_macros_are_own_flow() {
        assert!(places(parse_quote!({
            println!("{}", f.await);
        }))
        .is_empty());
        // Their closures are closures.
        assert_eq!(
            places(parse_quote!({
                assert!(xs.iter().all(|x| loop {}));
            })),
            [("`loop`".into(), Place::Closure)]
        );
    }

    #[test]
    fn nested_fns_are_counted_other_items_not() {
        let found = places(parse_quote!({
            fn helper() {
                loop {}
            }
            impl Display for X {}
        }));
        assert_eq!(found, [("`loop`".into(), Place::NestedFn)]);
    }

    #[test]
    fn shielded_sections_and_consts_are_not_counted() {
        assert!(places(parse_quote!({
            #[shield]
            let a = async { x.await };
            #[shield]
            {
                xs.iter().for_each(|x| loop {})
            }
            let n = [0; { loop {} }];
        }))
        .is_empty());
    }

    /// Issue 20: a loop in an array length is no loop of the function's; it used to count as
    /// reached, so the closure's loop below got neither a checkpoint nor the error.
    #[test]
    fn a_loop_in_an_array_length_is_not_reached() {
        let found = places(parse_quote!({
            let _a = [0u8; {
                while false {}
                4
            }];
            xs.iter().for_each(|_| loop {});
        }));
        assert_eq!(found, [("`loop`".into(), Place::Closure)]);
    }
}
