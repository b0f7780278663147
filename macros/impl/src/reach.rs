//! Never silent: the loops and waits of an annotated function that its rewrite does not reach.
//!
//! The rewrite checkpoints the function's own loops and races its own `.await`s; it does not
//! enter closures, `async` blocks that are not the body, or macro invocations (see `rewrite`,
//! `own_flow`). When those are the *only* places a function loops or waits, `#[cancellable]`
//! would add no checkpoint at all while the function looks annotated: that case is a compile
//! error, spanned on each such loop or wait, naming where it is and what to do. When the
//! function has checkpoints of its own, a loop in a closure beside them is the documented "left
//! alone" case.
//!
//! There is no second walk of the body: the rewrite records each part it declines to enter
//! ([`Unreached::first_in`], [`Unreached::of_macro`]) as it goes, so the check and the rewrite
//! cannot disagree about what the function's own control flow is. A recorded part is searched
//! for its first loop or wait by the same line (see `own_flow.rs`): a loop in a const context
//! inside a closure is no loop of the closure's either. Recorded too: the body of a `fn`
//! declared inside the function (a function of its own, which the rewrite leaves to its own
//! annotation). Not recorded: const contexts, and `#[shield]` sections (no checkpoint there is
//! what the user asked for).

use crate::own_flow::{own_flow, OwnFlow};
use crate::sites::join::is_join;
use crate::sites::select::{is_select, malformed_tokio_select, Select};
use crate::spelling::ends_with;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{Expr, ExprAsync, ExprClosure, Item, Macro, Stmt};

/// Where an unreached loop or wait is.
#[derive(Debug, PartialEq)]
pub(crate) enum Place {
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

/// The statements that run before the returned `async` block of a hand-built future: not
/// rewritten, each recorded by its first loop or wait.
pub(crate) fn before_future(before: &[Stmt]) -> Vec<Unreached> {
    before
        .iter()
        .filter_map(|stmt| Unreached::first_in(Place::BeforeFuture, |find| find.visit_stmt(stmt)))
        .collect()
}

/// What the rewrite makes of a macro it does not rewrite.
pub(crate) enum MacroReach {
    /// Counts as reached: a `select!`/`join!` the rewrite understands in an `async fn` (the
    /// rewrite does it), or a malformed `tokio::select!`, which tokio reports.
    Reached,
    /// Out of reach, with its first loop or wait.
    Unreached(Unreached),
    /// No loop or wait in it.
    Nothing,
}

impl Unreached {
    /// The first loop or wait of a part in `place`, which `walk` hands to the search.
    pub(crate) fn first_in(place: Place, walk: impl FnOnce(&mut FirstLoopOrWait)) -> Option<Self> {
        let mut find = FirstLoopOrWait(None);
        walk(&mut find);
        find.0.map(|(span, what)| Unreached { span, what, place })
    }

    /// A macro invocation the rewrite left as written.
    pub(crate) fn of_macro(mac: &Macro) -> MacroReach {
        // The `select!`s and `join!`s the rewrite understands are checkpoints themselves (see
        // `select.rs`, `join.rs`); a malformed `tokio::select!` is tokio's to report.
        let select = is_select(mac) && Select::parse(mac).is_some();
        if is_join(mac) || select || malformed_tokio_select(mac) {
            return MacroReach::Reached;
        }
        let name = mac.path.to_token_stream().to_string().replace(' ', "");
        if WAITING_MACROS.iter().any(|m| ends_with(&mac.path, &[m])) {
            // Its waits are in the expansion, not in its tokens.
            let span = mac
                .path
                .segments
                .last()
                .map_or(Span::call_site(), |s| s.ident.span());
            return MacroReach::Unreached(Unreached {
                span,
                what: format!("`{name}!`"),
                place: Place::WaitingMacro,
            });
        }
        match first_loop_or_wait(mac.tokens.clone()) {
            Some((span, what)) => MacroReach::Unreached(Unreached {
                span,
                what,
                place: Place::Macro(name),
            }),
            None => MacroReach::Nothing,
        }
    }

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

/// The search for the first loop or wait of a part the rewrite does not enter: all of the
/// part's code that runs (its closures, `async` blocks and nested `fn`s too), but for its const
/// contexts; a macro's tokens are scanned as tokens.
pub(crate) struct FirstLoopOrWait(Option<(Span, String)>);

impl FirstLoopOrWait {
    fn found(&mut self, span: Span, what: &str) {
        self.0.get_or_insert_with(|| (span, what.to_owned()));
    }
}

impl<'ast> Visit<'ast> for FirstLoopOrWait {
    own_flow!(ref 'ast);

    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.0.is_none() {
            visit::visit_expr(self, e);
        }
    }
    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.found(e.loop_token.span, "`loop`");
    }
    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.found(e.while_token.span, "`while`");
    }
    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.found(e.for_token.span, "`for` loop");
    }
    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        // The awaited expression comes first, in the source as in the token scan.
        visit::visit_expr_await(self, e);
        self.found(e.await_token.span, "`.await`");
    }
}

impl<'ast> OwnFlow<'ast> for FirstLoopOrWait {
    fn at_closure(&mut self, closure: &'ast ExprClosure) {
        visit::visit_expr_closure(self, closure);
    }
    fn at_async_block(&mut self, block: &'ast ExprAsync) {
        visit::visit_expr_async(self, block);
    }
    // A nested `fn`'s body, as the rewrite records one (other items' are not run by the part).
    fn at_item(&mut self, item: &'ast Item) {
        if let Item::Fn(func) = item {
            self.visit_block(&func.block);
        }
    }
    fn at_macro(&mut self, mac: &'ast Macro) {
        if self.0.is_none() {
            self.0 = first_loop_or_wait(mac.tokens.clone());
        }
    }
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

/// What the rewrite of `body` leaves out of reach (`async_blocks` as its flag), when it reaches
/// nothing: the check as `expand` runs it, for the tests below.
#[cfg(test)]
fn unreached(body: &syn::Block, before: &[Stmt], async_blocks: bool) -> Vec<Unreached> {
    use crate::emit::Emit;
    use crate::rewrite::{Flavor, Rewriter};
    use syn::visit_mut::VisitMut;
    let emit = Emit::new(quote::quote!(::rt), None);
    let mut rewriter = Rewriter::new(&emit, Flavor::Async);
    rewriter.async_blocks = async_blocks;
    rewriter.visit_block_mut(&mut body.clone());
    rewriter.unreached(before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::{parse_quote, Block};

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
            let ticks = async move {
                loop {
                    tick().await;
                }
            };
        });
        assert!(unreached(&body, &[], true).is_empty());
        assert_eq!(unreached(&body, &[], false)[0].place, Place::AsyncBlock);
        let valued: Block = parse_quote!({
            let ticks = async move {
                loop {
                    tick().await?;
                }
            };
        });
        assert_eq!(unreached(&valued, &[], true)[0].place, Place::AsyncBlock);
    }

    #[test]
    fn closures_async_blocks_and_macros_are_not() {
        let found = places(parse_quote!({
            xs.iter().for_each(|x| while go() {});
            let g = async move { rx.recv().await };
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
    fn blocks_with_a_value_spawned_in_closures_are_reached_by_the_abort() {
        let body: Block = parse_quote!({
            (0..n).for_each(|i| {
                tokio::spawn(async move {
                    tick(i).await;
                    i
                });
            });
        });
        assert!(unreached(&body, &[], true).is_empty());
        // With a context parameter, the abort would follow the task's ambient context, not
        // the parameter: not counted.
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

    /// A loop in a const context inside a closure is no loop of the closure's either (the token
    /// scan this search replaced counted it, and an `impl Trait for T` as a `for` loop).
    #[test]
    fn a_part_is_searched_by_the_same_line() {
        assert!(places(parse_quote!({
            xs.iter().for_each(|_| {
                let _a = [0u8; {
                    while false {}
                    4
                }];
                impl Tr for X {}
            });
        }))
        .is_empty());
        let found = places(parse_quote!({
            xs.iter().for_each(|_| {
                let _a = [0u8; {
                    while false {}
                    4
                }];
                fn helper() {
                    m!(x.await);
                }
                f(y.await)
            });
        }));
        assert_eq!(found, [("`.await`".into(), Place::Closure)]);
        let before: Vec<Stmt> = parse_quote!(let n = [0; { loop {} }];);
        assert!(unreached(&parse_quote!({}), &before, false).is_empty());
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
