//! Spawns where the function's scope cannot be borrowed: inside closures
//! (`(0..n).map(|i| tokio::spawn(worker(i))).collect()`) and the `async` blocks the rewrite does
//! not enter (blocks with a value, or of a function whose context is a parameter).
//!
//! A closure may be `move`, `'static`, or still alive when the function next checkpoints, so it
//! cannot capture the function's scope; the spawn there becomes
//! `spawn(inherit_current(fut))` instead: the task gets the ambient context of the code that
//! spawns it, read when the spawn runs, which in the function's own task is the function's
//! context when that context is the ambient one. (In a function with a context parameter it is
//! the task's ambient context, which `Group::spawn` and `ctx.scope` set; documented.) Nothing
//! else is rewritten there: a generated `return` would leave the closure, not the function.
//!
//! `()`-shaped `async` blocks found on the way are handed back to the rewrite, which gives them
//! their own scope (see `async_block.rs`).

use crate::emit::Emit;
use crate::own_flow::{own_flow, OwnFlowMut};
use crate::sites::async_block::is_unit_shaped;
use crate::sites::method_spawn::Spawners;
use crate::sites::spawn::{spawn_call, Spawn};
use proc_macro2::TokenStream;
use std::mem;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ExprAsync, ExprClosure};

/// Walks a closure's body (or an unrewritten `async` block) for spawns.
pub(crate) struct ForeignSpawns<'a> {
    pub(crate) emit: &'a Emit,
    pub(crate) spawners: &'a Spawners,
    /// Whether `()`-shaped `async` blocks are rewritten (see `Rewriter::async_blocks`): a
    /// spawned block that is not is aborted at the cancellation instead.
    pub(crate) async_blocks: bool,
    /// Set once a spawn is made to abort its task at the cancellation: the never-silent check
    /// then counts the function as one that stops its work (see `reach.rs`).
    pub(crate) aborting: bool,
    /// Rewrites a `()`-shaped block as a body of its own; false when it left the block alone.
    pub(crate) rewrite_block: &'a mut dyn FnMut(&mut ExprAsync) -> bool,
}

impl ForeignSpawns<'_> {
    fn wrap(&self, arg: &mut Expr, kind: Spawn, span: proc_macro2::Span) {
        let fut = mem::replace(arg, Expr::Verbatim(TokenStream::new()));
        *arg = self
            .emit
            .inherit_current(&fut, kind == Spawn::Blocking, span);
    }

    /// Whether a spawn's future is an `async` block that is not rewritten: its task is aborted
    /// at the cancellation instead (as in the function's own control flow, `rewrite.rs`).
    fn aborted_instead(&self, kind: Spawn, fut: &Expr) -> bool {
        kind == Spawn::Future
            && matches!(fut, Expr::Async(block) if !(self.async_blocks && is_unit_shaped(block)))
    }

    /// `spawn(fut)` → the spawn, handing its task's abort handle over (`Emit::spawn_aborting`).
    fn abort_instead(&mut self, expr: &mut Expr, span: proc_macro2::Span) {
        self.aborting = true;
        let spawn = mem::replace(expr, Expr::Verbatim(TokenStream::new()));
        let (mut spawn, fut) = match spawn {
            Expr::Call(mut call) => {
                let fut = mem::replace(&mut call.args[0], Expr::Verbatim(TokenStream::new()));
                (Expr::Call(call), fut)
            }
            Expr::MethodCall(mut call) => {
                let fut = mem::replace(&mut call.args[0], Expr::Verbatim(TokenStream::new()));
                (Expr::MethodCall(call), fut)
            }
            other => unreachable!("a spawn is a call: {other:?}"),
        };
        *expr = self.emit.spawn_current_aborting(
            |arg| {
                match &mut spawn {
                    Expr::Call(call) => call.args[0] = arg,
                    Expr::MethodCall(call) => call.args[0] = arg,
                    _ => unreachable!("taken apart above"),
                }
                spawn
            },
            &fut,
            span,
        );
    }
}

// Closures and `async` blocks are where this walk goes (code that runs when the function's
// scope cannot be borrowed); nested items and macros' tokens are not entered (see
// `own_flow.rs`).
impl OwnFlowMut for ForeignSpawns<'_> {
    fn at_closure(&mut self, closure: &mut ExprClosure) {
        visit_mut::visit_expr_closure_mut(self, closure);
    }

    fn at_async_block(&mut self, block: &mut ExprAsync) {
        if !(self.rewrite_block)(block) {
            visit_mut::visit_expr_async_mut(self, block);
        }
    }
}

impl VisitMut for ForeignSpawns<'_> {
    own_flow!(mut);

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        // Decided before the block is visited (and maybe rewritten as a body of its own).
        let aborted = match &*expr {
            Expr::Call(call) => spawn_call(call)
                .filter(|&kind| self.aborted_instead(kind, &call.args[0]))
                .map(|_| call.func.span()),
            Expr::MethodCall(call) => self
                .spawners
                .method_spawn(call)
                .filter(|&kind| self.aborted_instead(kind, &call.args[0]))
                .map(|_| call.method.span()),
            _ => None,
        };
        visit_mut::visit_expr_mut(self, expr);
        if let Some(span) = aborted {
            return self.abort_instead(expr, span);
        }
        match expr {
            Expr::Call(call) => {
                if let Some(kind) = spawn_call(call) {
                    let span = call.func.span();
                    self.wrap(&mut call.args[0], kind, span);
                }
            }
            Expr::MethodCall(call) => {
                if let Some(kind) = self.spawners.method_spawn(call) {
                    let span = call.method.span();
                    self.wrap(&mut call.args[0], kind, span);
                }
            }
            _ => {}
        }
    }
}
