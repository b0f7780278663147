//! What "the function's own control flow" is, in one place, for every walk of the body: the
//! rewrite (`rewrite.rs`, whose records the never-silent check `reach.rs` reads instead of
//! walking again), the spawns it finds outside it (`sites/foreign_spawns.rs`), the marker strip
//! (`sites/shield.rs`) and the shape of `async` blocks (`sites/async_block.rs`).
//!
//! Not the function's own:
//!
//! - const contexts: types (array lengths in them included), `const { .. }` blocks, the length
//!   of `[x; N]` and const generic arguments (`f::<{ N }>()`): they run at compile time, where a
//!   checkpoint cannot; a loop there is no loop of the running function. No walk enters them;
//! - closures, and nested items (`fn`s, `impl`s, ...): a generated `return` there would leave
//!   them, not the function;
//! - `async` blocks: their `return` leaves the block (see `sites/async_block.rs` for the ones
//!   the rewrite enters anyway, as bodies of their own);
//! - macro invocations: opaque tokens (see `sites/macro_args.rs`, `sites/select.rs` and
//!   `sites/join.rs` for the ones the rewrite parses before their tokens are reached).
//!
//! Each walk's `VisitMut` (or `Visit`) impl includes [`own_flow!`], which skips the const
//! contexts and hands each of the other parts to the walk's [`OwnFlowMut`] (or [`OwnFlow`])
//! impl: what a walk does there (skip, record, enter) is its own business, and by default it
//! does not enter. So a walk cannot enter a part the others skip by forgetting to override a
//! `visit_*` method, and a new kind of part is added here, for all of them.

use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{ExprAsync, ExprClosure, Item, Macro};

/// What a `VisitMut` walk of the function's own control flow does at the parts that are not
/// (see the module docs); each method's default does not enter the part.
pub(crate) trait OwnFlowMut: VisitMut {
    /// A closure (`|x| ..`, `move || ..`, `async |x| ..`).
    fn at_closure(&mut self, _: &mut ExprClosure) {}
    /// An `async` block.
    fn at_async_block(&mut self, _: &mut ExprAsync) {}
    /// An item declared in the body (`fn`, `impl`, `struct`, `use`, `const`, ...).
    fn at_item(&mut self, _: &mut Item) {}
    /// A macro invocation whose tokens the walk did not parse before reaching them.
    fn at_macro(&mut self, _: &mut Macro) {}
}

/// [`OwnFlowMut`] for a `Visit<'ast>` walk.
pub(crate) trait OwnFlow<'ast>: Visit<'ast> {
    /// A closure (`|x| ..`, `move || ..`, `async |x| ..`).
    fn at_closure(&mut self, _: &'ast ExprClosure) {}
    /// An `async` block.
    fn at_async_block(&mut self, _: &'ast ExprAsync) {}
    /// An item declared in the body (`fn`, `impl`, `struct`, `use`, `const`, ...).
    fn at_item(&mut self, _: &'ast Item) {}
    /// A macro invocation whose tokens the walk did not parse before reaching them.
    fn at_macro(&mut self, _: &'ast Macro) {}
}

/// The `visit_*` methods that draw the line of the function's own control flow (see the module
/// docs), for a `VisitMut` impl (`own_flow!(mut)`, the type implementing [`OwnFlowMut`]) or a
/// `Visit<'ast>` impl (`own_flow!(ref 'ast)`, the type implementing [`OwnFlow`]).
macro_rules! own_flow {
    (mut) => {
        fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
            $crate::own_flow::OwnFlowMut::at_closure(self, closure)
        }
        fn visit_expr_async_mut(&mut self, block: &mut syn::ExprAsync) {
            $crate::own_flow::OwnFlowMut::at_async_block(self, block)
        }
        fn visit_item_mut(&mut self, item: &mut syn::Item) {
            $crate::own_flow::OwnFlowMut::at_item(self, item)
        }
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            $crate::own_flow::OwnFlowMut::at_macro(self, mac)
        }
        // Const contexts.
        fn visit_type_mut(&mut self, _: &mut syn::Type) {}
        fn visit_expr_const_mut(&mut self, _: &mut syn::ExprConst) {}
        fn visit_expr_repeat_mut(&mut self, repeat: &mut syn::ExprRepeat) {
            // The value is evaluated at run time; the length is a constant.
            self.visit_expr_mut(&mut repeat.expr);
        }
        fn visit_generic_argument_mut(&mut self, arg: &mut syn::GenericArgument) {
            if !matches!(arg, syn::GenericArgument::Const(_)) {
                syn::visit_mut::visit_generic_argument_mut(self, arg);
            }
        }
    };
    (ref $ast:lifetime) => {
        fn visit_expr_closure(&mut self, closure: &$ast syn::ExprClosure) {
            $crate::own_flow::OwnFlow::at_closure(self, closure)
        }
        fn visit_expr_async(&mut self, block: &$ast syn::ExprAsync) {
            $crate::own_flow::OwnFlow::at_async_block(self, block)
        }
        fn visit_item(&mut self, item: &$ast syn::Item) {
            $crate::own_flow::OwnFlow::at_item(self, item)
        }
        fn visit_macro(&mut self, mac: &$ast syn::Macro) {
            $crate::own_flow::OwnFlow::at_macro(self, mac)
        }
        // Const contexts.
        fn visit_type(&mut self, _: &$ast syn::Type) {}
        fn visit_expr_const(&mut self, _: &$ast syn::ExprConst) {}
        fn visit_expr_repeat(&mut self, repeat: &$ast syn::ExprRepeat) {
            self.visit_expr(&repeat.expr);
        }
        fn visit_generic_argument(&mut self, arg: &$ast syn::GenericArgument) {
            if !matches!(arg, syn::GenericArgument::Const(_)) {
                syn::visit::visit_generic_argument(self, arg);
            }
        }
    };
}

pub(crate) use own_flow;

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;
    use syn::visit::{self, Visit};
    use syn::visit_mut::{self, VisitMut};

    /// Counts the loops a walk sees, entering the parts that are not the function's own when
    /// `enter` says so.
    #[derive(Default)]
    struct Loops {
        count: usize,
        enter: bool,
        parts: Vec<&'static str>,
    }

    impl<'ast> Visit<'ast> for Loops {
        own_flow!(ref 'ast);
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.count += 1;
            visit::visit_expr_while(self, e);
        }
    }

    impl<'ast> OwnFlow<'ast> for Loops {
        fn at_closure(&mut self, c: &'ast ExprClosure) {
            self.parts.push("closure");
            if self.enter {
                visit::visit_expr_closure(self, c);
            }
        }
        fn at_async_block(&mut self, b: &'ast ExprAsync) {
            self.parts.push("async block");
            if self.enter {
                visit::visit_expr_async(self, b);
            }
        }
        fn at_item(&mut self, i: &'ast Item) {
            self.parts.push("item");
            if self.enter {
                visit::visit_item(self, i);
            }
        }
        fn at_macro(&mut self, _: &'ast Macro) {
            self.parts.push("macro");
        }
    }

    /// The same walk, mutable, with every part left to the defaults.
    struct LoopsMut(usize);

    impl VisitMut for LoopsMut {
        own_flow!(mut);
        fn visit_expr_while_mut(&mut self, e: &mut syn::ExprWhile) {
            self.0 += 1;
            visit_mut::visit_expr_while_mut(self, e);
        }
    }

    impl OwnFlowMut for LoopsMut {}

    fn body() -> syn::Block {
        parse_quote!({
            while own() {}
            let _a = [while go() {}; {
                while false {}
                4
            }];
            let _b: [u8; {
                while false {}
                1
            }] = f::<
                {
                    while false {}
                    2
                },
            >();
            const { while false {} };
            let c = || while closure() {};
            let d = async { while block() {} };
            fn nested() {
                while item() {}
            }
            m!(while tokens() {});
        })
    }

    #[test]
    fn const_contexts_are_never_entered_and_the_other_parts_are_the_walks_choice() {
        let block = body();
        let mut own = Loops::default();
        own.visit_block(&block);
        assert_eq!(
            own.count, 2,
            "the function's own loop and the array's value"
        );
        assert_eq!(own.parts, ["closure", "async block", "item", "macro"]);
        let mut all = Loops {
            enter: true,
            ..Loops::default()
        };
        all.visit_block(&block);
        assert_eq!(
            all.count, 5,
            "and the closure's, the block's, the nested fn's"
        );
        let mut by_default = LoopsMut(0);
        by_default.visit_block_mut(&mut body());
        assert_eq!(by_default.0, 2);
    }
}
