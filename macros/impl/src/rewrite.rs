//! The body rewrite: a `VisitMut` over the function's own statements and expressions.
//!
//! It inserts a checkpoint at the top of every loop body, races every `.await` (async functions),
//! makes `std::thread::sleep` cancellable (blocking functions) or rejects it (async functions),
//! and honours `#[shield]` sections. It does not enter anything that is not the function's own
//! control flow (closures, `async` blocks, nested items, const contexts and macro invocations:
//! see `own_flow.rs`), but for the `()`-shaped `async` blocks and blocking closures it rewrites
//! as bodies of their own (see `sites/async_block.rs`) and the macros whose tokens it parses
//! (see `sites/`); it records each part it declines to enter, for `reach.rs`.

use crate::ctx_param::CtxSource;
use crate::emit::{span_at, Emit};
use crate::own_flow::{own_flow, OwnFlowMut};
use crate::reach::{
    before_future, first_loop_or_wait, FirstLoopOrWait, MacroReach, Place, Unreached,
};
use crate::sites::async_block::{is_unit_closure, is_unit_shaped, Output};
use crate::sites::blocking_wait::{method_wait, park_call, Wait};
use crate::sites::foreign_spawns::ForeignSpawns;
use crate::sites::join::is_join;
use crate::sites::macro_args;
use crate::sites::method_spawn::Spawners;
use crate::sites::select::{is_select, Select};
use crate::sites::shield::{attrs_mut, take_marker};
use crate::sites::sleep::thread_sleep;
use crate::sites::spawn::{spawn_call, Spawn};
use crate::sites::stream;
use crate::spelling::{ends_with, Spelling};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use std::mem;
use syn::spanned::Spanned;
use syn::token::Brace;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{
    parse_quote, Arm, Block, Expr, ExprAsync, ExprBlock, ExprClosure, ExprForLoop, ExprLoop,
    ExprWhile, Ident, Item, Macro, Pat, Stmt,
};

/// What kind of body is being rewritten.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Flavor {
    /// An `async fn` body (or the `async` block `#[tokio::main]` made of one).
    Async,
    /// A plain `fn`, typically run with `spawn_blocking`.
    Blocking,
}

/// Rewrites one function body. See the module docs.
pub(crate) struct Rewriter<'a> {
    emit: &'a Emit,
    flavor: Flavor,
    /// How many `#[shield]` sections enclose the current node: no checkpoint fires inside one.
    shielded: usize,
    /// How many loops enclose the current node: the outermost one declares the countdown its
    /// nest's checkpoints share (see `Emit::paced_loop`).
    loops: usize,
    /// How many loop checkpoints were inserted so far.
    checkpoints: usize,
    /// Whether any generated code refers to the scope local (if not, it is not declared).
    pub(crate) uses_scope: bool,
    /// Misuse found in the body; each error is spanned on the user's tokens.
    pub(crate) errors: Vec<syn::Error>,
    /// Whether `()`-shaped `async` blocks are rewritten too (see `async_block.rs`): only when
    /// the function's context is the ambient one, which such a block reads for itself.
    pub(crate) async_blocks: bool,
    /// The locals known to be a `JoinSet` or a `Handle` (see `method_spawn.rs`).
    pub(crate) spawners: Spawners,
    /// The parts with loops or waits that the rewrite declined to enter (see `reach.rs`).
    declined: Vec<Unreached>,
    /// Whether something was checkpointed without this body's scope: an `async` block or a
    /// blocking closure rewritten with a scope of its own, or a macro that is tokio's to report.
    reached_elsewhere: bool,
}

impl<'a> Rewriter<'a> {
    pub(crate) fn new(emit: &'a Emit, flavor: Flavor) -> Self {
        Rewriter {
            emit,
            flavor,
            shielded: 0,
            loops: 0,
            checkpoints: 0,
            uses_scope: false,
            errors: Vec::new(),
            async_blocks: false,
            spawners: Spawners::default(),
            declined: Vec::new(),
            reached_elsewhere: false,
        }
    }

    /// Never silent (see `reach.rs`): when the rewrite checkpointed nothing, the parts it
    /// declined to enter, and the statements of `before` (run before a hand-built future's
    /// block); else nothing.
    pub(crate) fn unreached(&mut self, before: &[Stmt]) -> Vec<Unreached> {
        if self.uses_scope || self.reached_elsewhere {
            return Vec::new();
        }
        let mut unreached = mem::take(&mut self.declined);
        unreached.extend(before_future(before));
        unreached
    }

    /// Records a part not entered, by its first loop or wait (outside `#[shield]` sections),
    /// which `walk` hands to the search.
    fn decline(&mut self, place: Place, walk: impl FnOnce(&mut FirstLoopOrWait)) {
        if self.active() {
            self.declined.extend(Unreached::first_in(place, walk));
        }
    }

    /// Records a macro left as written.
    fn decline_macro(&mut self, mac: &Macro) {
        if !self.active() {
            return;
        }
        match Unreached::of_macro(mac) {
            MacroReach::Reached => self.reached_elsewhere = true,
            MacroReach::Unreached(unreached) => self.declined.push(unreached),
            MacroReach::Nothing => {}
        }
    }

    /// Takes in what a nested rewrite (a block or closure with a scope of its own) reached and
    /// declined.
    fn absorb(&mut self, inner: &mut Rewriter<'_>) {
        self.errors.append(&mut inner.errors);
        self.declined.append(&mut inner.declined);
        self.reached_elsewhere |= inner.uses_scope || inner.reached_elsewhere;
    }

    /// Runs `walk` over a part the rewrite does not enter (a closure, an unrewritten `async`
    /// block): its spawns inherit the ambient context, its `()`-shaped `async` blocks are
    /// rewritten as bodies of their own (see `foreign_spawns.rs`).
    fn foreign_spawns(&mut self, walk: impl FnOnce(&mut ForeignSpawns<'_>)) {
        let emit = self.emit;
        let spawners = self.spawners.clone();
        let async_blocks = self.async_blocks;
        let mut rewrite_block = |block: &mut ExprAsync| {
            let output = Output::of(block);
            let rewrite = async_blocks && output.is_known();
            if rewrite {
                self.rewrite_async_block(block, output.err());
            }
            rewrite
        };
        let mut foreign = ForeignSpawns {
            emit,
            spawners: &spawners,
            async_blocks,
            rewrite_block: &mut rewrite_block,
            aborting: false,
        };
        walk(&mut foreign);
        // A spawned block aborted at the cancellation is work that stops with the function,
        // when the ambient context it is aborted by is the function's (not so in a function
        // whose context is a parameter: there it is the task's, maybe the never-cancelled root).
        let aborting = foreign.aborting;
        self.reached_elsewhere |= aborting && async_blocks;
    }

    /// Rewrites an `async` block whose output is known (see `async_block.rs`) as a body of its
    /// own: its own scope on the ambient context, and `return exit_block(c)` when cancelled; or,
    /// for a block spelled `Result<_, E>` (`err`), `return Err(exit_err(..))`, on the ambient
    /// context when `E: From<Cancelled>` and on the never-cancelled root when not.
    fn rewrite_async_block(&mut self, block: &mut ExprAsync, err: Option<&syn::Type>) {
        let emit = self.emit.in_async_block(err.is_some());
        let mut inner = Rewriter::new(&emit, Flavor::Async);
        inner.async_blocks = true;
        inner.spawners = self.spawners.clone();
        inner.visit_block_mut(&mut block.block);
        self.absorb(&mut inner);
        if inner.uses_scope {
            let init = match err {
                None => emit.scope_init(&CtxSource::Ambient),
                Some(err) => emit.block_scope_init(err),
            };
            block.block.stmts.splice(0..0, init);
        }
    }

    /// True outside every `#[shield]` section.
    fn active(&self) -> bool {
        self.shielded == 0
    }

    fn in_shield(&mut self, f: impl FnOnce(&mut Self)) {
        self.shielded += 1;
        f(self);
        self.shielded -= 1;
    }

    /// Puts a checkpoint first in a loop body, so that it runs at the start of every iteration
    /// (including the ones entered through `continue`).
    fn checkpoint_loop(&mut self, body: &mut Block, loop_span: Span) {
        if self.active() {
            body.stmts.insert(0, self.emit.checkpoint(loop_span));
            self.uses_scope = true;
            self.checkpoints += 1;
        }
    }

    /// Rewrites a loop (`expr` is one), and declares its nest's countdown before it when it is
    /// the outermost loop with a checkpoint.
    fn rewrite_loop(&mut self, expr: &mut Expr) {
        let before = self.checkpoints;
        self.loops += 1;
        visit_mut::visit_expr_mut(self, expr);
        self.loops -= 1;
        if self.loops == 0 && self.checkpoints > before {
            *expr = self.emit.paced_loop(expr);
        }
    }

    /// Rewrites a statement, pushing it (and, for shielded ones, the guard around it) to `out`.
    fn rewrite_stmt(&mut self, mut stmt: Stmt, out: &mut Vec<Stmt>) {
        // `#[shield]` on an expression statement is on the expression: `visit_expr_mut` sees it.
        let marker = match &mut stmt {
            Stmt::Local(local) => take_marker(&mut local.attrs),
            Stmt::Macro(mac) => take_marker(&mut mac.attrs),
            Stmt::Expr(..) | Stmt::Item(_) => Ok(None),
        };
        let span = match marker {
            Ok(span) => span,
            Err(e) => {
                self.errors.push(e);
                None
            }
        };
        match (span, stmt) {
            // A macro in tail position is the block's value: shield it as an expression.
            (Some(span), Stmt::Macro(mac)) if mac.semi_token.is_none() => {
                let mut expr = Expr::Macro(syn::ExprMacro {
                    attrs: mac.attrs,
                    mac: mac.mac,
                });
                self.wrap_in_shield(&mut expr, span);
                out.push(Stmt::Expr(expr, None));
            }
            // A shielded `let` must stay a statement of this block, or its bindings would go
            // out of scope: hold the guard from just before it to just after it.
            (Some(span), mut stmt) => {
                out.push(self.emit.shield_guard(span));
                self.in_shield(|this| this.visit_stmt_mut(&mut stmt));
                out.push(stmt);
                out.push(self.emit.shield_end(span));
            }
            (None, Stmt::Macro(mac)) => match self.rewrite_macro(&mac.mac) {
                Some(mut expr) => {
                    if let Some(attrs) = attrs_mut(&mut expr) {
                        *attrs = mac.attrs;
                    }
                    out.push(Stmt::Expr(expr, mac.semi_token));
                }
                None => {
                    self.decline_macro(&mac.mac);
                    out.push(Stmt::Macro(mac));
                }
            },
            (None, mut stmt) => {
                self.visit_stmt_mut(&mut stmt);
                out.push(stmt);
            }
        }
    }

    /// Rewrites `expr` as a shielded section: no checkpoints inside, and the runtime's guard
    /// held while it runs.
    fn shield_expr(&mut self, expr: &mut Expr, span: Span) {
        self.in_shield(|this| this.visit_expr_mut(expr));
        self.wrap_in_shield(expr, span);
    }

    /// `{ let __shield = shield(); expr }`, or the guard put first in `expr` if it is a block.
    fn wrap_in_shield(&self, expr: &mut Expr, span: Span) {
        let guard = self.emit.shield_guard(span);
        if let Expr::Block(block) = expr {
            block.block.stmts.insert(0, guard);
            return;
        }
        let inner = mem::replace(expr, Expr::Verbatim(TokenStream::new()));
        *expr = Expr::Block(ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: Block {
                brace_token: Brace(span),
                stmts: vec![guard, Stmt::Expr(inner, None)],
            },
        });
    }

    /// The arguments of `println!`, `assert!`, `tracing::info!`... are rewritten as expressions
    /// (see `macro_args.rs`); a `stream!` body as a `()`-shaped `async` block (see `stream.rs`);
    /// `tokio::select!` gets a cancellation branch and its handlers are
    /// rewritten (see `select.rs`); `join!`/`try_join!` is raced as one await (see `join.rs`).
    /// `None` leaves the macro as written.
    fn rewrite_macro(&mut self, mac: &Macro) -> Option<Expr> {
        if self.active() && first_loop_or_wait(mac.tokens.clone()).is_some() {
            if let Some(mut args) = macro_args::parse(mac) {
                for arg in &mut args.args {
                    self.visit_expr_mut(&mut arg.expr);
                }
                let mut mac = mac.clone();
                mac.tokens = args.tokens();
                return Some(Expr::Macro(syn::ExprMacro {
                    attrs: Vec::new(),
                    mac,
                }));
            }
        }
        if self.async_blocks && self.active() {
            if let Some(mut body) = stream::body(mac) {
                self.rewrite_async_block(&mut body, None);
                return Some(Expr::Macro(syn::ExprMacro {
                    attrs: Vec::new(),
                    mac: stream::with_body(mac, &body),
                }));
            }
        }
        if !self.active() || self.flavor != Flavor::Async {
            return None;
        }
        if is_select(mac) {
            let mut select = Select::parse(mac)?;
            for branch in &mut select.branches {
                self.visit_expr_mut(&mut branch.handler);
            }
            if let Some(otherwise) = &mut select.otherwise {
                self.visit_expr_mut(&mut otherwise.expr);
            }
            self.uses_scope = true;
            return Some(select.emit(mac, self.emit));
        }
        if is_join(mac) {
            let span = mac.bang_token.span;
            let joined: Expr = syn::parse_quote_spanned!(span_at(span)=> async { #mac });
            self.uses_scope = true;
            return Some(
                self.emit
                    .race(&joined, quote_spanned!(span_at(span)=> .await), span),
            );
        }
        None
    }

    /// `tokio::spawn(fut)` → `tokio::spawn(inherit(fut, &scope))` (see `spawn.rs`).
    fn inherit_spawn(&mut self, call: &mut syn::ExprCall, kind: Spawn) {
        if kind == Spawn::Blocking && self.rewrite_blocking_closure(&mut call.args[0]) {
            self.visit_expr_mut(&mut call.func);
        } else {
            visit_mut::visit_expr_call_mut(self, call);
        }
        let span = call.func.span();
        let arg = &mut call.args[0];
        let fut = mem::replace(arg, Expr::Verbatim(TokenStream::new()));
        *arg = self.emit.inherit(&fut, kind == Spawn::Blocking, span);
        self.uses_scope = true;
    }

    /// Whether a spawn's future is an `async` block the rewrite does not enter as a spawn's (one
    /// with a value, even one spelled `Result<_, E>`, whose `E` may have no exit; any, in a
    /// function whose context is a parameter): its task is aborted at the cancellation instead,
    /// through the handle the spawn returns (the runtime's `inherit_aborting`), as
    /// `JoinHandle::abort` would: at its next `.await`.
    fn aborted_instead(&self, kind: Spawn, fut: &Expr) -> bool {
        kind == Spawn::Future
            && matches!(fut, Expr::Async(block) if !(self.async_blocks && is_unit_shaped(block)))
    }

    /// The spawn of such a block (`fut`, taken out of the call that `spawn` puts back
    /// together): the block's own spawns inherit the ambient context (it is not entered
    /// otherwise), and the spawn hands its task's abort handle over (see `Emit::spawn_aborting`).
    fn spawn_aborting(
        &mut self,
        mut fut: Expr,
        span: proc_macro2::Span,
        spawn: impl FnOnce(Expr) -> Expr,
    ) -> Expr {
        if let Expr::Async(block) = &mut fut {
            self.foreign_spawns(|walk| walk.visit_block_mut(&mut block.block));
        }
        self.uses_scope = true;
        self.emit.spawn_aborting(spawn, &fut, span)
    }

    /// A closure handed to `spawn_blocking` with no value of its own (see `async_block.rs`):
    /// its body is rewritten as a blocking `fn`'s, on the ambient context of the thread it runs
    /// on (the spawn's `inherit_blocking` sets it). False when `arg` is not such a closure.
    fn rewrite_blocking_closure(&mut self, arg: &mut Expr) -> bool {
        let Expr::Closure(closure) = arg else {
            return false;
        };
        if !self.active() || !is_unit_closure(closure) {
            return false;
        }
        let emit = self.emit.in_async_block(false);
        let mut inner = Rewriter::new(&emit, Flavor::Blocking);
        inner.async_blocks = self.async_blocks;
        inner.spawners = self.spawners.clone();
        let mut block = match mem::replace(&mut *closure.body, Expr::Verbatim(TokenStream::new())) {
            Expr::Block(b) => b.block,
            body => Block {
                brace_token: Brace(body.span()),
                stmts: vec![Stmt::Expr(body, None)],
            },
        };
        inner.visit_block_mut(&mut block);
        self.absorb(&mut inner);
        if inner.uses_scope {
            block
                .stmts
                .splice(0..0, emit.scope_init(&CtxSource::Ambient));
        }
        *closure.body = Expr::Block(ExprBlock {
            attrs: Vec::new(),
            label: None,
            block,
        });
        true
    }

    /// `poll_fn(|cx| ..)` as the future of an `.await` this function races, in a function on
    /// the ambient context: the closure's loops get checkpoints that return `Poll::Pending`
    /// (see `Emit::in_poll_fn`), on a call of the closure's own, made at each poll on the
    /// ambient context (the function's call is borrowed by the race meanwhile). False, and
    /// nothing done, when `base` is not such a call.
    fn rewrite_poll_fn(&mut self, base: &mut Expr) -> bool {
        let Expr::Call(call) = base else {
            return false;
        };
        let poll_fn = Spelling::of_expr(&call.func).is_some_and(|s| {
            matches!(
                s.names().as_slice(),
                ["poll_fn"]
                    | ["future", "poll_fn"]
                    | [
                        "std" | "core" | "futures" | "futures_util",
                        "future",
                        "poll_fn"
                    ]
            )
        });
        if !poll_fn || !self.async_blocks || !self.active() || call.args.len() != 1 {
            return false;
        }
        let Expr::Closure(closure) = &mut call.args[0] else {
            return false;
        };
        if closure.asyncness.is_some() || closure.inputs.len() != 1 {
            return false;
        }
        // The `&mut Context` parameter, which the exit wakes the task through: the user's name,
        // or one of ours in place of a `_`.
        let param = match &mut closure.inputs[0] {
            Pat::Type(typed) => &mut *typed.pat,
            param => param,
        };
        let cx = match param {
            Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                ident.ident.clone()
            }
            Pat::Wild(wild) => {
                let cx = Ident::new(
                    "__cancellable_cx",
                    Span::mixed_site().located_at(wild.span()),
                );
                *param = parse_quote!(#cx);
                cx
            }
            _ => return false,
        };
        let emit = self.emit.in_poll_fn(cx);
        let mut inner = Rewriter::new(&emit, Flavor::Blocking);
        inner.async_blocks = self.async_blocks;
        inner.spawners = self.spawners.clone();
        let mut block = match mem::replace(&mut *closure.body, Expr::Verbatim(TokenStream::new())) {
            Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => b.block,
            body => Block {
                brace_token: Brace(body.span()),
                stmts: vec![Stmt::Expr(body, None)],
            },
        };
        inner.visit_block_mut(&mut block);
        self.absorb(&mut inner);
        if inner.uses_scope {
            block
                .stmts
                .splice(0..0, emit.scope_init(&CtxSource::Ambient));
        }
        *closure.body = Expr::Block(ExprBlock {
            attrs: Vec::new(),
            label: None,
            block,
        });
        true
    }

    /// A call's parts. The argument of a `block_on(..)` is a future: a `rx.recv()` there is an
    /// async receiver's, not std's blocking one, and is left as written (its parts rewritten).
    fn visit_call(&mut self, call: &mut syn::ExprCall) {
        let block_on = matches!(&*call.func, Expr::Path(p) if ends_with(&p.path, &["block_on"]));
        if !block_on {
            return visit_mut::visit_expr_call_mut(self, call);
        }
        self.visit_expr_mut(&mut call.func);
        self.visit_futures(call.args.iter_mut());
    }

    /// The arguments of a `block_on`, where `rx.recv()` is a future (see `visit_call`).
    fn visit_futures<'e>(&mut self, args: impl Iterator<Item = &'e mut Expr>) {
        for arg in args {
            match arg {
                Expr::MethodCall(m) if matches!(method_wait(m), Some(Wait::Std(_))) => {
                    visit_mut::visit_expr_method_call_mut(self, m)
                }
                arg => self.visit_expr_mut(arg),
            }
        }
    }

    /// A blocking wait → `match blocking::wait(&scope, ..) { .. }` (see `blocking_wait.rs`).
    fn blocking_wait(&mut self, call: &syn::ExprMethodCall, wait: Wait) -> Expr {
        let span = call.method.span();
        let receiver = &call.receiver;
        let args = &call.args;
        self.uses_scope = true;
        match wait {
            Wait::Park => unreachable!("park is a path call"),
            Wait::TokioRecv => {
                let fut = self.emit.recv_future(receiver, span);
                self.emit.blocking_wait(quote!(block_on), fut, span)
            }
            Wait::TokioMethod(name) => {
                let method = syn::Ident::new(name, call.method.span());
                self.emit
                    .blocking_wait(quote!(block_on), quote!((#receiver).#method(#args)), span)
            }
            Wait::Std("join") => self
                .emit
                .blocking_wait(quote!(join), quote!(#receiver), span),
            Wait::Std(name) => {
                let function = syn::Ident::new(name, call.method.span());
                // Spanned on the receiver: a type that is not std's is reported there.
                let args = quote_spanned!(receiver.span()=> &(#receiver), #args);
                self.emit.blocking_wait(quote!(#function), args, span)
            }
        }
    }

    /// `fut.await` → `match race(fut, &mut scope).await { .. }`.
    fn race_await(&mut self, expr: &mut Expr) {
        let Expr::Await(mut awaited) = mem::replace(expr, Expr::Verbatim(TokenStream::new()))
        else {
            unreachable!("race_await is only called on Expr::Await")
        };
        // Inner awaits first: `f(g().await).await` races both, the inner one completing
        // before the outer race borrows the scope.
        if !self.rewrite_poll_fn(&mut awaited.base) {
            self.visit_expr_mut(&mut awaited.base);
        }
        let dot = awaited.dot_token;
        let kw = awaited.await_token;
        let mut raced = self.emit.race(&awaited.base, quote!(#dot #kw), kw.span);
        if let Expr::Match(m) = &mut raced {
            m.attrs = awaited.attrs;
        }
        *expr = raced;
        self.uses_scope = true;
    }
}

// What the rewrite does at the parts that are not this function's own control flow (see
// `own_flow.rs`): a `return` generated inside would return from the closure, the `async` block
// or the nested `fn`, not from this function, so they are left untouched, each recorded for the
// never-silent check (see `reach.rs`). Their spawns still inherit the context (see
// `sites/foreign_spawns.rs`).
impl OwnFlowMut for Rewriter<'_> {
    fn at_item(&mut self, item: &mut Item) {
        // Only a nested `fn`'s body: another item's code is not run by this function.
        if let Item::Fn(func) = item {
            self.decline(Place::NestedFn, |find| find.visit_block(&func.block));
        }
    }

    fn at_closure(&mut self, closure: &mut ExprClosure) {
        if self.active() {
            self.decline(Place::Closure, |find| find.visit_expr(&closure.body));
            self.foreign_spawns(|walk| walk.visit_expr_mut(&mut closure.body));
        }
    }

    // Its `return` returns from the block: rewritten only when its output is `()` by its shape.
    fn at_async_block(&mut self, block: &mut ExprAsync) {
        let output = Output::of(block);
        if self.async_blocks && self.active() && output.is_known() {
            self.rewrite_async_block(block, output.err());
        } else if self.active() {
            self.decline(Place::AsyncBlock, |find| find.visit_block(&block.block));
            self.foreign_spawns(|walk| walk.visit_block_mut(&mut block.block));
        }
    }

    // A macro's tokens are opaque: what they expand to is not known here. The macros the
    // rewrite understands are taken at their statement or expression (`rewrite_macro`), and
    // the others recorded there (`decline_macro`), before their tokens are reached.
    fn at_macro(&mut self, _: &mut Macro) {}
}

impl VisitMut for Rewriter<'_> {
    own_flow!(mut);

    fn visit_block_mut(&mut self, block: &mut Block) {
        for stmt in mem::take(&mut block.stmts) {
            self.rewrite_stmt(stmt, &mut block.stmts);
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut Arm) {
        match take_marker(&mut arm.attrs) {
            Ok(Some(span)) => {
                self.in_shield(|this| visit_mut::visit_arm_mut(this, arm));
                self.wrap_in_shield(&mut arm.body, span);
            }
            Ok(None) => visit_mut::visit_arm_mut(self, arm),
            Err(e) => {
                self.errors.push(e);
                visit_mut::visit_arm_mut(self, arm);
            }
        }
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(attrs) = attrs_mut(expr) {
            match take_marker(attrs) {
                Ok(Some(span)) => return self.shield_expr(expr, span),
                Ok(None) => {}
                Err(e) => self.errors.push(e),
            }
        }
        match expr {
            Expr::Await(_) if self.flavor == Flavor::Async && self.active() => {
                self.race_await(expr);
            }
            Expr::Macro(m) => match self.rewrite_macro(&m.mac) {
                Some(mut rewritten) => {
                    if let Some(attrs) = attrs_mut(&mut rewritten) {
                        *attrs = mem::take(&mut m.attrs);
                    }
                    *expr = rewritten;
                }
                None => self.decline_macro(&m.mac),
            },
            Expr::MethodCall(call)
                if self.active()
                    && self
                        .spawners
                        .method_spawn(call)
                        .is_some_and(|kind| self.aborted_instead(kind, &call.args[0])) =>
            {
                let Expr::MethodCall(mut call) =
                    mem::replace(expr, Expr::Verbatim(TokenStream::new()))
                else {
                    unreachable!("matched above")
                };
                self.visit_expr_mut(&mut call.receiver);
                let span = call.method.span();
                let fut = mem::replace(&mut call.args[0], Expr::Verbatim(TokenStream::new()));
                *expr = self.spawn_aborting(fut, span, |arg| {
                    call.args[0] = arg;
                    Expr::MethodCall(call)
                });
            }
            Expr::MethodCall(call)
                if self.active() && self.spawners.method_spawn(call).is_some() =>
            {
                let kind = self
                    .spawners
                    .method_spawn(call)
                    .expect("checked by the guard");
                visit_mut::visit_expr_method_call_mut(self, call);
                let span = call.method.span();
                let arg = &mut call.args[0];
                let fut = mem::replace(arg, Expr::Verbatim(TokenStream::new()));
                *arg = self.emit.inherit(&fut, kind == Spawn::Blocking, span);
                self.uses_scope = true;
            }
            Expr::Call(call)
                if self.flavor == Flavor::Blocking
                    && self.active()
                    && park_call(call).is_some() =>
            {
                let span = call.func.span();
                *expr = self
                    .emit
                    .blocking_wait(quote!(park), TokenStream::new(), span);
                self.uses_scope = true;
            }
            // `runtime.block_on(rx.recv())`: a future, as in `visit_call`.
            Expr::MethodCall(call) if call.method == "block_on" => {
                self.visit_expr_mut(&mut call.receiver);
                self.visit_futures(call.args.iter_mut());
            }
            Expr::MethodCall(call)
                if self.flavor == Flavor::Blocking
                    && self.active()
                    && method_wait(call).is_some() =>
            {
                let wait = method_wait(call).expect("checked by the guard");
                visit_mut::visit_expr_method_call_mut(self, call);
                *expr = self.blocking_wait(call, wait);
            }
            Expr::Call(call)
                if self.active()
                    && spawn_call(call)
                        .is_some_and(|kind| self.aborted_instead(kind, &call.args[0])) =>
            {
                let Expr::Call(mut call) = mem::replace(expr, Expr::Verbatim(TokenStream::new()))
                else {
                    unreachable!("matched above")
                };
                self.visit_expr_mut(&mut call.func);
                let span = call.func.span();
                let fut = mem::replace(&mut call.args[0], Expr::Verbatim(TokenStream::new()));
                *expr = self.spawn_aborting(fut, span, |arg| {
                    call.args[0] = arg;
                    Expr::Call(call)
                });
            }
            Expr::Call(call) if self.active() && spawn_call(call).is_some() => {
                let kind = spawn_call(call).expect("checked by the guard");
                self.inherit_spawn(call, kind);
            }
            Expr::Call(call) => {
                let Some(sleep) = thread_sleep(call) else {
                    return self.visit_call(call);
                };
                match self.flavor {
                    Flavor::Async => {
                        self.errors.push(syn::Error::new_spanned(
                            &*call,
                            "`std::thread::sleep` blocks the executor thread in an `async fn`, and \
                             nothing can cancel it; use `tokio::time::sleep(..).await`, which \
                             #[cancellable] races against cancellation",
                        ));
                        visit_mut::visit_expr_call_mut(self, call);
                    }
                    Flavor::Blocking if self.active() => {
                        let mut dur = sleep.dur.clone();
                        let imported = sleep.imported.cloned();
                        self.visit_expr_mut(&mut dur);
                        let span = call.func.span();
                        *expr = self.emit.sleep_blocking(&dur, imported.as_ref(), span);
                        self.uses_scope = true;
                    }
                    Flavor::Blocking => visit_mut::visit_expr_call_mut(self, call),
                }
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.rewrite_loop(expr),
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_expr_for_loop_mut(&mut self, e: &mut ExprForLoop) {
        visit_mut::visit_expr_for_loop_mut(self, e);
        self.checkpoint_loop(&mut e.body, e.for_token.span);
    }

    fn visit_expr_while_mut(&mut self, e: &mut ExprWhile) {
        visit_mut::visit_expr_while_mut(self, e);
        self.checkpoint_loop(&mut e.body, e.while_token.span);
    }

    fn visit_expr_loop_mut(&mut self, e: &mut ExprLoop) {
        visit_mut::visit_expr_loop_mut(self, e);
        self.checkpoint_loop(&mut e.body, e.loop_token.span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    /// Rewrites `body` and returns it as a string, with whether the scope is used.
    fn rewrite(flavor: Flavor, mut body: Block) -> (String, bool) {
        let emit = Emit::new(quote!(::rt), None);
        let mut rewriter = Rewriter::new(&emit, flavor);
        rewriter.visit_block_mut(&mut body);
        assert!(rewriter.errors.is_empty());
        (body.to_token_stream().to_string(), rewriter.uses_scope)
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn one_checkpoint_per_loop_at_any_depth() {
        let (out, used) = rewrite(
            Flavor::Blocking,
            parse_quote!({
                'a: for x in xs {
                    while let Some(y) = it.next() {
                        loop {
                            if y {
                                break 'a;
                            }
                        }
                    }
                }
                if c {
                    loop {}
                } else {
                    match m {
                        _ => while w {},
                    }
                }
            }),
        );
        assert!(used);
        assert_eq!(
            count(&out, ". checkpoint (& mut __cancellable_pace)"),
            5,
            "{out}"
        );
        // First statement of each body.
        assert!(out.contains("'a : for x in xs { if let"), "{out}");
        // One countdown per nest, declared before its outermost loop: the `for` (with the two
        // loops inside it), and each of the two loops on their own.
        assert_eq!(
            count(
                &out,
                "let mut __cancellable_pace = __cancellable . as_mut () . pace () ;"
            ),
            3,
            "{out}"
        );
        assert!(
            out.contains(
                "{ let mut __cancellable_pace = __cancellable . as_mut () . pace () ; 'a : for"
            ),
            "{out}"
        );
    }

    #[test]
    fn awaits_are_raced_only_in_async_bodies() {
        let body: Block = parse_quote!({
            let a = f(g().await).await?;
            h().await.x
        });
        let (out, _) = rewrite(Flavor::Async, body.clone());
        assert_eq!(count(&out, ":: rt :: __private :: race ("), 3, "{out}");
        let (out, used) = rewrite(Flavor::Blocking, body);
        assert!(!used && !out.contains("race"), "{out}");
    }

    #[test]
    fn closures_async_blocks_items_macros_and_consts_are_left_alone() {
        let (out, used) = rewrite(
            Flavor::Async,
            parse_quote!({
                let f = || loop {};
                let g = async {
                    loop {
                        x.await
                    }
                };
                fn nested() {
                    loop {}
                }
                m!(loop {
                    y.await
                });
                let a = [0; {
                    let mut n = 0;
                    while n < 3 {
                        n += 1
                    }
                    n
                }];
                const { loop {} };
                struct S([u8; { loop {} }]);
            }),
        );
        assert!(!used, "{out}");
        assert!(
            !out.contains("checkpoint") && !out.contains("race"),
            "{out}"
        );
    }

    #[test]
    fn shield_suppresses_checkpoints_and_races_inside() {
        let (out, _) = rewrite(
            Flavor::Async,
            parse_quote!({
                #[shield]
                for x in xs {
                    x.await;
                }
                #[shield]
                let y = loop {
                    break z.await;
                };
                w.await;
            }),
        );
        assert_eq!(count(&out, "checkpoint"), 0, "{out}");
        assert_eq!(count(&out, "race"), 1, "only the unshielded await: {out}");
        assert_eq!(count(&out, ":: rt :: __private :: shield ()"), 2, "{out}");
        assert!(!out.contains("# [shield]"), "{out}");
    }

    #[test]
    fn thread_sleep_is_made_cancellable_in_blocking_bodies() {
        let (out, used) = rewrite(
            Flavor::Blocking,
            parse_quote!({
                std::thread::sleep(d);
                #[shield]
                std::thread::sleep(e);
            }),
        );
        assert!(used);
        assert_eq!(count(&out, "sleep_blocking (d)"), 1, "{out}");
        assert!(
            out.contains("std :: thread :: sleep (e)"),
            "shielded: left as is: {out}"
        );
    }

    #[test]
    fn blocking_waits_in_blocking_bodies_only() {
        let body: Block = parse_quote!({
            let a = rx.recv();
            let b = futures::executor::block_on(arx.recv());
            let d = runtime.block_on(brx.recv());
            let c = parts.join(",");
        });
        let (out, used) = rewrite(Flavor::Blocking, body.clone());
        assert!(used);
        assert_eq!(count(&out, "__private :: blocking :: recv ("), 1, "{out}");
        assert!(out.contains("block_on (arx . recv ())"), "{out}");
        assert!(out.contains("block_on (brx . recv ())"), "{out}");
        let (out, _) = rewrite(Flavor::Async, body);
        assert!(!out.contains("blocking"), "{out}");
    }

    #[test]
    fn thread_sleep_in_async_is_an_error_spanned_on_the_call() {
        let emit = Emit::new(quote!(::rt), None);
        let mut rewriter = Rewriter::new(&emit, Flavor::Async);
        let mut body: Block = parse_quote!({
            loop {
                thread::sleep(d);
            }
        });
        rewriter.visit_block_mut(&mut body);
        assert_eq!(rewriter.errors.len(), 1);
        assert!(rewriter.errors[0]
            .to_string()
            .contains("tokio::time::sleep(..).await"));
    }
}
