//! The snippets of generated code, in one place so that the expansion stays readable.
//!
//! Every snippet calls the runtime by absolute path (`#krate::__private::…`), never by a name
//! the user's scope could shadow. Generated tokens get `Span::mixed_site()` hygiene *located at*
//! the user's tokens they stand for (the loop keyword, the `.await`, the `sleep` call):
//! errors then point at the user's code, the generated locals cannot clash with the user's,
//! and lints (clippy's included) treat the code as macro output.

use crate::ctx_param::CtxSource;
use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote_spanned, Expr, Ident, Stmt};

/// Span for generated tokens standing for the user's tokens at `user`.
pub(crate) fn span_at(user: Span) -> Span {
    Span::mixed_site().located_at(user)
}

/// `name(args)` as the user's own tokens at `user` (no macro hygiene), for the runtime calls that
/// are `#[track_caller]`: rustc reports a caller inside a macro's output as the macro's call site
/// (the `#[cancellable]` attribute), so the call's name and parentheses — the span rustc takes
/// the caller's location from — carry the span of the loop keyword or `.await` they stand for.
/// Only the path, the name and the parentheses: arguments keep their own spans and hygiene.
fn user_call(user: Span, path: TokenStream, args: TokenStream) -> TokenStream {
    let path: TokenStream = path
        .into_iter()
        .map(|mut tt| {
            tt.set_span(user);
            tt
        })
        .collect();
    let mut args = Group::new(Delimiter::Parenthesis, args);
    args.set_span(user);
    quote!(#path #args)
}

/// What every snippet needs: the runtime's path, the scope local, and how to return.
pub(crate) struct Emit {
    /// `::autocancel` or the `crate = path` override.
    krate: TokenStream,
    /// The per-call `Call` local, hygienic so the user cannot see or shadow it.
    scope: Ident,
    /// The countdown local of a nest of loops (see `Emit::paced_loop`), hygienic too.
    pace: Ident,
    /// The local holding a `&Ctx` parameter's context, hygienic too (the user may shadow the
    /// parameter), which loop checkpoints test directly (the runtime's `Call::checkpoint_in`).
    ctx: Ident,
    /// Whether the call's context is a `&Ctx` parameter, kept in `ctx`.
    given: bool,
    /// `Some(T)` to spell `exit::<T>`: needed only where rustc cannot infer the return type
    /// (inside the `async` block `#[tokio::main]`/`#[tokio::test]` already generated).
    exit_ty: Option<TokenStream>,
    /// Where every `exit` call is placed (the function's return type), so that an unsupported
    /// return type is one error at the signature: rustc reports an unmet bound once per span,
    /// not once per checkpoint and `.await`.
    exit_at: Option<Span>,
    /// Inside an `async` block: how a cancelled check ends it (see `async_block.rs`).
    in_block: Option<BlockEnd>,
}

/// How a cancelled check ends a rewritten `async` block.
#[derive(Clone, PartialEq, Eq)]
enum BlockEnd {
    /// `return exit_block(c)`, whose type the block's output decides (the runtime's
    /// `exit_block`): a `()`-shaped block.
    Inferred,
    /// `return Err(exit_err(__cancellable_exit, c))`: a block spelled `Result<_, E>` (the
    /// runtime's `exit_err`).
    Err,
    /// `return exit_pending(c, cx)`, `Poll::Pending`: the closure of a `poll_fn` the function
    /// awaits, whose race then ends the function (see `Emit::in_poll_fn`); `cx` is the
    /// closure's `&mut Context` parameter.
    Pending(Ident),
}

impl Emit {
    /// `#krate`, placed at `span` (keeping each token's own hygiene): with the path where the
    /// snippet is, a trait error on `exit` points at the loop or the `.await` it belongs to,
    /// not at the attribute.
    fn krate(&self, span: Span) -> TokenStream {
        self.krate
            .clone()
            .into_iter()
            .map(|mut tt| {
                tt.set_span(tt.span().located_at(span));
                tt
            })
            .collect()
    }

    pub(crate) fn new(krate: TokenStream, exit_ty: Option<TokenStream>) -> Emit {
        Emit {
            krate,
            scope: Ident::new("__cancellable", Span::mixed_site()),
            pace: Ident::new("__cancellable_pace", Span::mixed_site()),
            ctx: Ident::new("__cancellable_ctx", Span::mixed_site()),
            given: false,
            exit_ty,
            exit_at: None,
            in_block: None,
        }
    }

    /// Checks loops against the `&Ctx` parameter's local when the call's context is one (see
    /// `given`).
    pub(crate) fn source(self, source: &CtxSource) -> Emit {
        Emit {
            given: matches!(source, CtxSource::Ref(_)),
            ..self
        }
    }

    /// Places every `exit` call at `span`, the function's return type (see `exit_at`).
    pub(crate) fn exit_at(self, span: Option<Span>) -> Emit {
        Emit {
            exit_at: span,
            ..self
        }
    }

    /// The same, for an `async` block the rewrite enters (see `async_block.rs`): one with no
    /// value of its own, whose output is `()` or left to inference (`!`-typed blocks), returns
    /// `exit_block(c)`; one spelled `Result<_, E>` (`typed`) returns `Err(exit_err(..))`.
    pub(crate) fn in_async_block(&self, typed: bool) -> Emit {
        Emit {
            krate: self.krate.clone(),
            scope: self.scope.clone(),
            pace: self.pace.clone(),
            ctx: self.ctx.clone(),
            given: false,
            exit_ty: None,
            exit_at: None,
            in_block: Some(if typed {
                BlockEnd::Err
            } else {
                BlockEnd::Inferred
            }),
        }
    }

    /// The same, for the closure of a `poll_fn(..)` whose `.await` the function races: a
    /// cancelled check returns `Poll::Pending`, whatever the closure's output type, and the race
    /// around the `.await`, on the same ambient context, then finds the cancellation and ends
    /// the function (the runtime's `exit_pending`). `cx` is the closure's parameter.
    pub(crate) fn in_poll_fn(&self, cx: Ident) -> Emit {
        Emit {
            in_block: Some(BlockEnd::Pending(cx)),
            ..self.in_async_block(false)
        }
    }

    /// The hygienic local holding a typed block's exit (see `block_scope_init`).
    fn block_exit(&self) -> Ident {
        Ident::new("__cancellable_exit", Span::mixed_site())
    }

    /// The scope of a block spelled `Result<_, E>`: the probe for `E: From<Cancelled>`, then
    /// the call, on the ambient context when it found one, else on the never-cancelled root
    /// (the runtime's `exit_err.rs`):
    /// `let __cancellable_exit = (&ErrExit::<E>::new()).exit();`,
    /// `let mut __cancellable = pin!(Call::ambient_if(__cancellable_exit.is_some()));`.
    pub(crate) fn block_scope_init(&self, err: &syn::Type) -> Vec<Stmt> {
        let (scope, exit) = (&self.scope, self.block_exit());
        let span = span_at(err.span());
        let krate = self.krate(span);
        vec![
            parse_quote_spanned! {span=>
                let #exit = {
                    #[allow(unused_imports)]
                    use #krate::__private::{NoExit as _, ViaFrom as _};
                    (&#krate::__private::ErrExit::<#err>::new()).exit()
                };
            },
            parse_quote_spanned! {Span::mixed_site()=>
                let mut #scope = ::core::pin::pin!(
                    #krate::__private::Call::ambient_if(#exit.is_some())
                );
            },
        ]
    }

    /// `let mut __cancellable = pin!(Call::ambient());`, `pin!(Call::new(&ctx));` (a context by
    /// value) or, for a `&Ctx`, `let __cancellable_ctx = ctx_of(ctx);` and
    /// `pin!(Call::borrowed(__cancellable_ctx));`, at function entry.
    pub(crate) fn scope_init(&self, source: &CtxSource) -> Vec<Stmt> {
        let scope = &self.scope;
        let mut stmts = Vec::new();
        let init = match source {
            CtxSource::Ambient => {
                let krate = &self.krate;
                quote!(#krate::__private::Call::ambient())
            }
            CtxSource::Param(param) => {
                let span = span_at(param.span());
                let krate = self.krate(span);
                quote_spanned!(span=> #krate::__private::Call::new(&#param))
            }
            CtxSource::Ref(param) => {
                let span = span_at(param.span());
                let krate = self.krate(span);
                let ctx = &self.ctx;
                stmts.push(parse_quote_spanned! {span=>
                    let #ctx = #krate::__private::ctx_of(#param);
                });
                quote_spanned!(span=> #krate::__private::Call::borrowed(#ctx))
            }
        };
        // Pinned: the call's registration links it into its context's waiter list.
        stmts.push(
            parse_quote_spanned!(Span::mixed_site()=> let mut #scope = ::core::pin::pin!(#init);),
        );
        stmts
    }

    /// `return exit(c)`: the cancellation converted into the function's return type.
    fn exit(&self, span: Span, cancelled: &Ident) -> TokenStream {
        let span = self.exit_at.map_or(span, span_at);
        let krate = self.krate(span);
        match &self.in_block {
            Some(BlockEnd::Inferred) => {
                return quote_spanned!(span=> return #krate::__private::exit_block(#cancelled));
            }
            Some(BlockEnd::Pending(cx)) => {
                return quote_spanned! {span=>
                    return #krate::__private::exit_pending(#cancelled, #cx)
                };
            }
            Some(BlockEnd::Err) => {
                let exit = self.block_exit();
                return quote_spanned! {span=>
                    return ::core::result::Result::Err(
                        #krate::__private::exit_err(#exit, #cancelled)
                    )
                };
            }
            None => {}
        }
        match &self.exit_ty {
            None => quote_spanned!(span=> return #krate::__private::exit(#cancelled)),
            Some(ty) => quote_spanned!(span=> return #krate::__private::exit::<#ty>(#cancelled)),
        }
    }

    /// The loop checkpoint, first statement of every iteration:
    /// `if let Err(c) = __cancellable.as_mut().checkpoint(&mut __cancellable_pace) { return exit(c); }`.
    pub(crate) fn checkpoint(&self, loop_span: Span) -> Stmt {
        let span = span_at(loop_span);
        let (scope, pace) = (&self.scope, &self.pace);
        let c = Ident::new("c", span);
        let exit = self.exit(span, &c);
        let call = if self.given {
            let ctx = &self.ctx;
            user_call(loop_span, quote!(checkpoint_in), quote!(#ctx, &mut #pace))
        } else {
            user_call(loop_span, quote!(checkpoint), quote!(&mut #pace))
        };
        parse_quote_spanned! {span=>
            if let ::core::result::Result::Err(#c) = #scope.as_mut().#call { #exit; }
        }
    }

    /// The outermost checkpointed loop of a nest, with the nest's countdown declared before it:
    /// `{ let mut __cancellable_pace = __cancellable.as_mut().pace(); loop { .. } }`. A local of
    /// its own, so that a loop's countdown stays in a register (the runtime's `Pace` says why);
    /// a block, so that the loop keeps its place and its value (`break value`, or `!`).
    pub(crate) fn paced_loop(&self, looped: &Expr) -> Expr {
        let span = Span::mixed_site().located_at(looped.span());
        let (scope, pace) = (&self.scope, &self.pace);
        parse_quote_spanned! {span=>
            {
                let mut #pace = #scope.as_mut().pace();
                #looped
            }
        }
    }

    /// `fut.await` raced against cancellation:
    /// `match race(fut, __cancellable.as_mut()).await { Ok(v) => v, Err(c) => return exit(c) }`.
    ///
    /// `fut` comes first so that its own (already rewritten) awaits are evaluated before the
    /// scope is borrowed; `dot_await` is the user's `.await`, kept for its span.
    pub(crate) fn race(&self, fut: &Expr, dot_await: TokenStream, await_span: Span) -> Expr {
        let span = span_at(await_span);
        let krate = &self.krate;
        let scope = &self.scope;
        let c = Ident::new("c", span);
        let v = Ident::new("v", span);
        let exit = self.exit(span, &c);
        let as_mut = quote_spanned!(span=> .as_mut());
        let call = user_call(
            await_span,
            quote!(#krate::__private::race),
            quote!(#fut, #scope #as_mut),
        );
        parse_quote_spanned! {span=>
            match #call #dot_await {
                ::core::result::Result::Ok(#v) => #v,
                ::core::result::Result::Err(#c) => #exit,
            }
        }
    }

    /// `std::thread::sleep(dur)` in a blocking function, as an expression of type `()`:
    /// `if let Err(c) = __cancellable.sleep_blocking(dur) { return exit(c); }`.
    ///
    /// `keep_used` is the user's `thread::sleep` path when it relies on a `use std::thread;`:
    /// it is mentioned (`let _ = thread::sleep;`) so that the import does not become unused.
    pub(crate) fn sleep_blocking(
        &self,
        dur: &Expr,
        keep_used: Option<&Expr>,
        call_span: Span,
    ) -> Expr {
        let span = span_at(call_span);
        let scope = &self.scope;
        let c = Ident::new("c", span);
        let exit = self.exit(span, &c);
        let call = user_call(call_span, quote!(sleep_blocking), dur.to_token_stream());
        let sleep = quote_spanned! {span=>
            if let ::core::result::Result::Err(#c) = #scope.#call { #exit; }
        };
        match keep_used {
            None => parse_quote_spanned!(span=> #sleep),
            Some(path) => parse_quote_spanned!(span=> { let _ = #path; #sleep }),
        }
    }

    /// `let __shield = shield();`: held while a `#[shield]` section runs.
    pub(crate) fn shield_guard(&self, marker_span: Span) -> Stmt {
        let span = span_at(marker_span);
        let krate = self.krate(span);
        let guard = shield_ident(span);
        parse_quote_spanned!(span=> let #guard = #krate::__private::shield();)
    }

    /// `drop(__shield);`: ends a shielded `let`, whose bindings must outlive the section.
    pub(crate) fn shield_end(&self, marker_span: Span) -> Stmt {
        let span = span_at(marker_span);
        let guard = shield_ident(span);
        parse_quote_spanned!(span=> ::core::mem::drop(#guard);)
    }

    /// `let (__select, __waiter) = select(__cancellable.as_mut(), branches);`: the shared state of
    /// one `select!` (see `select.rs`), and the ident its parts are reached by.
    pub(crate) fn select_init(&self, branches: usize, span: Span) -> (Stmt, Ident) {
        let span = span_at(span);
        let krate = self.krate(span);
        let scope = &self.scope;
        let select = Ident::new("__select", span);
        let waiter = Ident::new("__waiter", span);
        let branches = proc_macro2::Literal::usize_unsuffixed(branches);
        let init = parse_quote_spanned! {span=>
            let (#select, #waiter) = #krate::__private::select(#scope.as_mut(), #branches);
        };
        (init, select)
    }

    /// The cancellation branch of a `select!`:
    /// `Err(c) = __select.cancelled(__waiter) => return exit(c),`.
    pub(crate) fn select_branch(&self, select: &Ident, span: Span) -> TokenStream {
        let span = span_at(span);
        let c = Ident::new("c", span);
        let waiter = Ident::new("__waiter", span);
        let exit = self.exit(span, &c);
        quote_spanned! {span=>
            ::core::result::Result::Err(#c) = #select.cancelled(#waiter) => #exit,
        }
    }

    /// `spawn(fut)`'s argument, given the caller's context:
    /// `inherit(fut, &__cancellable)` (or `inherit_blocking` for a closure).
    pub(crate) fn inherit(&self, arg: &Expr, blocking: bool, span: Span) -> Expr {
        if self.in_block == Some(BlockEnd::Err) {
            // The block's call may be on the root (no exit for its `E`): its spawns take the
            // ambient context, as those of a block left alone do.
            return self.inherit_current(arg, blocking, span);
        }
        let span = span_at(span);
        let krate = self.krate(span);
        let scope = &self.scope;
        let inherit = Ident::new(
            if blocking {
                "inherit_blocking"
            } else {
                "inherit"
            },
            span,
        );
        parse_quote_spanned!(span=> #krate::__private::#inherit(#arg, &#scope))
    }
}

impl Emit {
    /// A spawn of an `async` block with a value (see `sites/spawn.rs`), `spawn` the spawn
    /// expression whose argument is `fut`: the task is aborted at the cancellation, through
    /// the handle the spawn returns;
    /// `{ let __arm = Arm::new(); (&ArmWith::new(spawn(inherit_aborting(fut, &scope, &__arm)))).arm(__arm) }`.
    pub(crate) fn spawn_aborting(
        &self,
        spawn: impl FnOnce(Expr) -> Expr,
        fut: &Expr,
        span: Span,
    ) -> Expr {
        if self.in_block == Some(BlockEnd::Err) {
            // As in `inherit`: aborted by the ambient context, not the block's call's.
            return self.spawn_current_aborting(spawn, fut, span);
        }
        let span = span_at(span);
        let krate = self.krate(span);
        let scope = &self.scope;
        let arm = Ident::new("__arm", span);
        let spawned = spawn(parse_quote_spanned!(span=>
            #krate::__private::inherit_aborting(#fut, &#scope, &#arm)
        ));
        armed(&krate, &arm, spawned, span)
    }

    /// [`Emit::spawn_aborting`] where the scope cannot be borrowed (see `foreign_spawns.rs`):
    /// `inherit_current_aborting(fut, &__arm)`.
    pub(crate) fn spawn_current_aborting(
        &self,
        spawn: impl FnOnce(Expr) -> Expr,
        fut: &Expr,
        span: Span,
    ) -> Expr {
        let span = span_at(span);
        let krate = self.krate(span);
        let arm = Ident::new("__arm", span);
        let spawned = spawn(parse_quote_spanned!(span=>
            #krate::__private::inherit_current_aborting(#fut, &#arm)
        ));
        armed(&krate, &arm, spawned, span)
    }
}

/// `{ let __arm = Arm::new(); (&ArmWith::new(spawned)).arm(__arm) }`: the spawn, handing its
/// task's abort handle over (tokio's spawns; another's result is handed back as it is).
fn armed(krate: &TokenStream, arm: &Ident, spawned: Expr, span: Span) -> Expr {
    parse_quote_spanned! {span=> {
        #[allow(unused_imports)]
        use #krate::__private::{ArmOther as _, ArmTokio as _};
        let #arm = #krate::__private::Arm::new();
        (&#krate::__private::ArmWith::new(#spawned)).arm(#arm)
    }}
}

impl Emit {
    /// A spawn's argument where the scope cannot be borrowed (see `foreign_spawns.rs`):
    /// `inherit_current(fut)` (or `inherit_current_blocking` for a closure).
    pub(crate) fn inherit_current(&self, arg: &Expr, blocking: bool, span: Span) -> Expr {
        let span = span_at(span);
        let krate = self.krate(span);
        let inherit = Ident::new(
            if blocking {
                "inherit_current_blocking"
            } else {
                "inherit_current"
            },
            span,
        );
        parse_quote_spanned!(span=> #krate::__private::#inherit(#arg))
    }
}

impl Emit {
    /// A blocking wait made cancellable (see `blocking_wait.rs`): `wait` is the runtime call
    /// without its scope argument, `(path, args)`;
    /// `match path(&__cancellable, args) { Ok(v) => v, Err(c) => return exit(c) }`.
    pub(crate) fn blocking_wait(&self, path: TokenStream, args: TokenStream, span: Span) -> Expr {
        let span = span_at(span);
        let krate = self.krate(span);
        let scope = &self.scope;
        let c = Ident::new("c", span);
        let v = Ident::new("v", span);
        let exit = self.exit(span, &c);
        parse_quote_spanned! {span=>
            match #krate::__private::blocking::#path(&#scope, #args) {
                ::core::result::Result::Ok(#v) => #v,
                ::core::result::Result::Err(#c) => #exit,
            }
        }
    }

    /// The future tokio's `blocking_recv` on `rx` blocks on (see the runtime's `RecvFuture`).
    pub(crate) fn recv_future(&self, rx: &Expr, span: Span) -> TokenStream {
        let span = span_at(span);
        let krate = self.krate(span);
        quote_spanned! {span=>
            {
                use #krate::__private::blocking::RecvFuture as _;
                (#rx).__autocancel_recv()
            }
        }
    }
}

fn shield_ident(span: Span) -> Ident {
    Ident::new("__shield", span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn emit() -> Emit {
        Emit::new(quote!(::autocancel), None)
    }

    fn s(t: impl ToTokens) -> String {
        t.to_token_stream().to_string()
    }

    fn ss(stmts: Vec<Stmt>) -> String {
        stmts.iter().map(s).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn scope_init() {
        assert_eq!(
            ss(emit().scope_init(&CtxSource::Ambient)),
            "let mut __cancellable = :: core :: pin :: pin ! \
             (:: autocancel :: __private :: Call :: ambient ()) ;"
        );
        let param = CtxSource::Param(parse_quote!(ctx));
        assert_eq!(
            ss(emit().scope_init(&param)),
            "let mut __cancellable = :: core :: pin :: pin ! \
             (:: autocancel :: __private :: Call :: new (& ctx)) ;"
        );
        // A `&Ctx`: kept in a local of its own, which loop checkpoints test.
        let param = CtxSource::Ref(parse_quote!(ctx));
        let e = emit().source(&param);
        assert_eq!(
            ss(e.scope_init(&param)),
            "let __cancellable_ctx = :: autocancel :: __private :: ctx_of (ctx) ; \
             let mut __cancellable = :: core :: pin :: pin ! \
             (:: autocancel :: __private :: Call :: borrowed (__cancellable_ctx)) ;"
        );
        assert!(s(e.checkpoint(Span::call_site()))
            .contains("__cancellable . as_mut () . checkpoint_in (__cancellable_ctx , & mut __cancellable_pace)"));
    }

    #[test]
    fn checkpoint_is_one_statement() {
        assert_eq!(
            s(emit().checkpoint(Span::call_site())),
            "if let :: core :: result :: Result :: Err (c) = __cancellable . as_mut () . checkpoint (& mut __cancellable_pace) \
             { return :: autocancel :: __private :: exit (c) ; }"
        );
    }

    #[test]
    fn race_keeps_the_future_first() {
        let fut: Expr = parse_quote!(rx.recv());
        let out = s(emit().race(&fut, quote!(.await), Span::call_site()));
        assert!(
            out.starts_with(
                "match :: autocancel :: __private :: race (rx . recv () , __cancellable . as_mut ()) . await"
            ),
            "{out}"
        );
    }

    #[test]
    fn exit_with_explicit_type() {
        let e = Emit::new(quote!(my::rt), Some(quote!(Result<(), E>)));
        let out = s(e.checkpoint(Span::call_site()));
        assert!(
            out.contains("return my :: rt :: __private :: exit :: < Result < () , E > > (c)"),
            "{out}"
        );
    }

    #[test]
    fn sleep_and_shield() {
        let dur: Expr = parse_quote!(Duration::from_millis(10));
        let path: Expr = parse_quote!(thread::sleep);
        assert!(
            s(emit().sleep_blocking(&dur, Some(&path), Span::call_site()))
                .starts_with("{ let _ = thread :: sleep ; if let")
        );
        assert_eq!(
            s(emit().sleep_blocking(&dur, None, Span::call_site())),
            "if let :: core :: result :: Result :: Err (c) = __cancellable . sleep_blocking \
             (Duration :: from_millis (10)) { return :: autocancel :: __private :: exit (c) ; }"
        );
        assert_eq!(
            s(emit().shield_guard(Span::call_site())),
            "let __shield = :: autocancel :: __private :: shield () ;"
        );
        assert_eq!(
            s(emit().shield_end(Span::call_site())),
            ":: core :: mem :: drop (__shield) ;"
        );
    }
}
