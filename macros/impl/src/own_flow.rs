//! What "the function's own control flow" is, in one place, for every walk of the body: the
//! rewrite (`rewrite.rs`), the never-silent check (`reach.rs`), the marker strip (`shield.rs`)
//! and the shape of `async` blocks (`async_block.rs`).
//!
//! Not the function's own, and so never rewritten in place:
//!
//! - const contexts: types (array lengths in them included), `const { .. }` blocks, the length
//!   of `[x; N]` and const generic arguments (`f::<{ N }>()`): they run at compile time, where a
//!   checkpoint cannot; a loop there is no loop of the running function;
//! - closures, nested items: a generated `return` there would leave them, not the function;
//! - `async` blocks: their `return` leaves the block (see `async_block.rs` for the ones the
//!   rewrite enters anyway);
//! - macro invocations: opaque tokens (see `macro_args.rs` for the ones parsed as expressions).
//!
//! The const contexts are skipped the same way by every walk: each one's `impl` includes
//! [`skip_const_contexts!`]. What a walk does at the others (skip, record, enter) is its own
//! business.

/// The visit methods that skip const contexts (see the module docs), for a `VisitMut` impl
/// (`skip_const_contexts!(mut)`) or a `Visit<'ast>` impl (`skip_const_contexts!(ref 'ast)`).
macro_rules! skip_const_contexts {
    (mut) => {
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

pub(crate) use skip_const_contexts;

#[cfg(test)]
mod tests {
    use syn::parse_quote;
    use syn::visit::Visit;

    /// Counts the loops a walk with the shared rule sees.
    struct Loops(usize);

    impl<'ast> Visit<'ast> for Loops {
        skip_const_contexts!(ref 'ast);
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.0 += 1;
            syn::visit::visit_expr_while(self, e);
        }
    }

    #[test]
    fn const_contexts_are_skipped() {
        let block: syn::Block = parse_quote!({
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
        });
        let mut loops = Loops(0);
        loops.visit_block(&block);
        assert_eq!(loops.0, 1, "only the array's value is run-time code");
    }
}
