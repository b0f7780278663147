//! Coverage of one annotated function: which of its loops and waits got a checkpoint.
//!
//! The *input* side lists every loop, `.await` and waiting macro (`select!`, `join!`,
//! `try_join!`) written in the function's body, wherever it is (closures, `async` blocks, macro
//! arguments, `#[shield]` sections, const contexts), each with where it sits: that is the reason
//! it gets no checkpoint, if it gets none. Nested items are not this function's (the tool
//! considers them on their own).
//!
//! The *output* side is measured, not assumed: the function is expanded by the macro's own code
//! (compiled into this tool), and every path the expansion generated to the runtime
//! (`…::__private::…`, `scope.checkpoint()`) is located at the user's token it stands for (the loop keyword, the
//! `.await`, the macro): generated code uses `Span::mixed_site().located_at(user)`, and outside
//! a compiler `proc_macro2` keeps only the location. A loop or await is covered when a generated
//! `__private` token sits at its keyword; a waiting macro when one sits inside its tokens (not
//! counting those at its inner awaits).

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, LineColumn, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Expr};

/// What a site is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Loop,
    Await,
    /// A `select!`/`join!`/`try_join!` invocation: a wait point of its own.
    WaitMacro,
    /// A call that starts a task (`tokio::spawn`, `spawn_blocking`, `set.spawn(..)`): covered
    /// when the expansion hands the task the caller's context.
    Spawn,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Loop => "loop",
            Kind::Await => "await",
            Kind::WaitMacro => "select!/join!",
            Kind::Spawn => "spawn",
        }
    }
}

/// Where a site sits in the body: the reason it is not checkpointed, if it is not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Place {
    /// The function's own control flow.
    Own,
    /// A spawn in the function's own control flow, as spelled (the reason if it is missed).
    Spawn(String),
    Closure,
    /// An `async` block the macro does not rewrite: one with a value (not `()` by its shape).
    AsyncBlock,
    /// Such a block handed to a spawn: covered when the expansion aborts its task at the
    /// cancellation (`inherit_aborting` at the spawn, whose location this is).
    SpawnedBlock(LineColumn),
    /// Inside the tokens of a macro invocation (its name).
    Macro(String),
    /// Inside a `#[shield]` section: left alone on purpose.
    Shield,
    /// A const context (array length, `const` block).
    Const,
}

impl Place {
    pub(crate) fn reason(&self) -> String {
        match self {
            Place::Own => "own body, yet not checkpointed".into(),
            Place::Spawn(spelling) => format!(
                "a spawn the macro does not recognise (`{spelling}`: a bare name, a receiver of unseen type, a turbofish)"
            ),
            Place::Closure => "inside a closure".into(),
            Place::AsyncBlock => {
                "inside an `async` block with a value (not `()` by its shape)".into()
            }
            Place::SpawnedBlock(_) => {
                "inside a spawned `async` block with a value, the spawn not recognised (its task is not aborted at the cancellation)".into()
            }
            Place::Macro(name) => format!("inside `{name}!`'s tokens"),
            Place::Shield => "inside a #[shield] section (on purpose)".into(),
            Place::Const => "in a const context".into(),
        }
    }
}

/// One loop, await or waiting macro of the input.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    pub(crate) kind: Kind,
    pub(crate) place: Place,
    pub(crate) at: LineColumn,
    /// For a waiting macro: where its tokens end.
    end: Option<LineColumn>,
}

/// Every site of a function body.
pub(crate) fn sites(body: &Block) -> Vec<Site> {
    let mut census = Census {
        place: vec![Place::Own],
        sites: Vec::new(),
    };
    census.visit_block(body);
    census.sites
}

struct Census {
    /// The innermost place is last.
    place: Vec<Place>,
    sites: Vec<Site>,
}

impl Census {
    fn here(&self) -> Place {
        self.place.last().cloned().unwrap_or(Place::Own)
    }

    fn push(&mut self, kind: Kind, span: Span) {
        self.sites.push(Site {
            kind,
            place: self.here(),
            at: span.start(),
            end: None,
        });
    }

    fn push_spawn(&mut self, spelling: String, span: Span) {
        let place = match self.here() {
            Place::Own => Place::Spawn(spelling),
            outer => outer,
        };
        self.sites.push(Site {
            kind: Kind::Spawn,
            place,
            at: span.start(),
            end: None,
        });
    }

    /// The outermost non-`Own` place wins: a loop in a closure in a shield is "in a shield".
    fn within(&mut self, place: Place, f: impl FnOnce(&mut Self)) {
        let place = match self.here() {
            Place::Own | Place::Spawn(_) => place,
            outer => outer,
        };
        self.place.push(place);
        f(self);
        self.place.pop();
    }

    fn shielded(attrs: &[Attribute]) -> bool {
        attrs.iter().any(|a| a.path().is_ident("shield"))
    }

    /// A macro's tokens: loops and `.await`s found by keyword.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tt) in tokens.iter().enumerate() {
            match tt {
                TokenTree::Ident(ident) if ident == "loop" || ident == "while" => {
                    self.push(Kind::Loop, ident.span())
                }
                // `for` of a loop, not of `impl X for Y` / `for<'a>`: followed by a pattern and
                // `in` before any `{`.
                TokenTree::Ident(ident) if ident == "for" && is_for_loop(&tokens[i + 1..]) => {
                    self.push(Kind::Loop, ident.span())
                }
                TokenTree::Ident(ident)
                    if ident == "await"
                        && i > 0
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.') =>
                {
                    self.push(Kind::Await, ident.span())
                }
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                _ => {}
            }
        }
    }
}

fn is_for_loop(rest: &[TokenTree]) -> bool {
    for tt in rest {
        match tt {
            TokenTree::Ident(i) if i == "in" => return true,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return false,
            TokenTree::Punct(p) if p.as_char() == ';' || p.as_char() == '<' => return false,
            _ => {}
        }
    }
    false
}

/// A spawn's argument that is an `async` block with a value: the macro aborts its task at the
/// cancellation, when it recognises the spawn.
fn valued_block(arg: &Expr) -> Option<&syn::ExprAsync> {
    match arg {
        Expr::Async(block) if !crate::async_block::is_unit_shaped(block) => Some(block),
        _ => None,
    }
}

fn is_spawn(name: &str) -> bool {
    matches!(name, "spawn" | "spawn_local" | "spawn_blocking")
}

/// The macros that wait on futures, by their last path segment.
fn is_wait_macro(name: &str) -> bool {
    matches!(name, "select" | "select_biased" | "join" | "try_join")
}

impl<'ast> Visit<'ast> for Census {
    // Not this function's: nested items are considered on their own.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr(&mut self, e: &'ast Expr) {
        if let Some(attrs) = expr_attrs(e) {
            if Self::shielded(attrs) {
                return self.within(Place::Shield, |this| visit::visit_expr(this, e));
            }
        }
        match e {
            Expr::ForLoop(l) => self.push(Kind::Loop, l.for_token.span),
            Expr::While(l) => self.push(Kind::Loop, l.while_token.span),
            Expr::Loop(l) => self.push(Kind::Loop, l.loop_token.span),
            Expr::Await(a) => self.push(Kind::Await, a.await_token.span),
            Expr::Call(call) if call.args.len() == 1 => {
                if let Expr::Path(p) = &*call.func {
                    let names: Vec<String> = p
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect();
                    let last = names.last().map(String::as_str).unwrap_or("");
                    // `std::thread::spawn` starts a thread, not a task: no context to hand;
                    // `tokio_test::task::spawn` wraps a future to poll it by hand in the same
                    // task (its context is the caller's already), it starts nothing.
                    if is_spawn(last) && !names.iter().any(|n| n == "thread" || n == "tokio_test") {
                        self.push_spawn(names.join("::"), call.func.span());
                        if let Some(block) = valued_block(&call.args[0]) {
                            self.visit_expr(&call.func);
                            let at = call.func.span().start();
                            return self.within(Place::SpawnedBlock(at), |this| {
                                visit::visit_expr_async(this, block)
                            });
                        }
                    }
                }
            }
            Expr::MethodCall(call)
                if call.args.len() == 1 && is_spawn(&call.method.to_string()) =>
            {
                let receiver = quote::ToTokens::to_token_stream(&call.receiver).to_string();
                self.push_spawn(format!("{receiver}.{}", call.method), call.method.span());
                if let Some(block) = valued_block(&call.args[0]) {
                    self.visit_expr(&call.receiver);
                    let at = call.method.span().start();
                    return self.within(Place::SpawnedBlock(at), |this| {
                        visit::visit_expr_async(this, block)
                    });
                }
            }
            Expr::Closure(_) => {
                return self.within(Place::Closure, |this| visit::visit_expr(this, e))
            }
            // A block the macro enters (`()`-shaped, or spelled `Result<_, E>`) is rewritten like the body (when the function's context is the
            // ambient one): its sites are as much the function's own as the body's.
            Expr::Async(block) if !crate::async_block::is_rewritten(block) => {
                return self.within(Place::AsyncBlock, |this| visit::visit_expr(this, e))
            }
            Expr::Const(_) => return self.within(Place::Const, |this| visit::visit_expr(this, e)),
            _ => {}
        }
        visit::visit_expr(self, e);
    }

    fn visit_expr_repeat(&mut self, r: &'ast syn::ExprRepeat) {
        self.visit_expr(&r.expr);
        self.within(Place::Const, |this| this.visit_expr(&r.len));
    }

    fn visit_type(&mut self, _: &'ast syn::Type) {}

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if Self::shielded(&local.attrs) {
            self.within(Place::Shield, |this| visit::visit_local(this, local));
        } else {
            visit::visit_local(self, local);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if Self::shielded(&arm.attrs) {
            self.within(Place::Shield, |this| visit::visit_arm(this, arm));
        } else {
            visit::visit_arm(self, arm);
        }
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        if Self::shielded(&m.attrs) {
            self.within(Place::Shield, |this| this.visit_macro(&m.mac));
        } else {
            self.visit_macro(&m.mac);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if is_wait_macro(&name) {
            self.sites.push(Site {
                kind: Kind::WaitMacro,
                place: self.here(),
                at: mac.path.span().start(),
                end: Some(mac.delimiter.span().close().end()),
            });
        }
        self.within(Place::Macro(name), |this| {
            this.scan_tokens(mac.tokens.clone())
        });
    }
}

/// The outer attributes of an expression (where `#[shield]` may be).
fn expr_attrs(e: &Expr) -> Option<&Vec<Attribute>> {
    Some(match e {
        Expr::Block(b) => &b.attrs,
        Expr::ForLoop(b) => &b.attrs,
        Expr::While(b) => &b.attrs,
        Expr::Loop(b) => &b.attrs,
        Expr::Await(b) => &b.attrs,
        Expr::Call(b) => &b.attrs,
        Expr::MethodCall(b) => &b.attrs,
        Expr::If(b) => &b.attrs,
        Expr::Match(b) => &b.attrs,
        Expr::Macro(b) => &b.attrs,
        Expr::Assign(b) => &b.attrs,
        Expr::Unsafe(b) => &b.attrs,
        _ => return None,
    })
}

/// Where the expansion put generated calls to the runtime.
#[derive(Default)]
pub(crate) struct Generated {
    /// The locations of its `__private` path segments and `checkpoint` / `checkpoint_in` calls.
    private: BTreeSet<LineColumn>,
    /// The spawns whose task is aborted at the cancellation (`inherit_aborting`).
    aborting: BTreeSet<LineColumn>,
}

/// Where the expansion put generated calls to the runtime.
pub(crate) fn generated_at(expansion: TokenStream) -> Generated {
    let mut out = Generated::default();
    collect_private(expansion, &mut out);
    out
}

fn collect_private(tokens: TokenStream, out: &mut Generated) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) if i == "inherit_aborting" => {
                out.aborting.insert(i.span().start());
            }
            // `…::__private::race(..)` at an `.await`, `scope.checkpoint(..)` (or, on a `&Ctx`
            // parameter, `scope.checkpoint_in(..)`) at a loop keyword (its `return exit(c)` is
            // located at the return type, where a type error belongs).
            TokenTree::Ident(i)
                if i == "__private" || i == "checkpoint" || i == "checkpoint_in" =>
            {
                out.private.insert(i.span().start());
            }
            TokenTree::Group(g) => collect_private(g.stream(), out),
            _ => {}
        }
    }
}

/// Whether the expansion checkpointed `site`.
pub(crate) fn covered(site: &Site, generated: &Generated, all: &[Site]) -> bool {
    if let Place::SpawnedBlock(spawn) = site.place {
        return generated.aborting.contains(&spawn);
    }
    match site.end {
        None => generated.private.contains(&site.at),
        Some(end) => generated.private.range(site.at..=end).any(|at| {
            // Not one of the awaits inside the macro, raced on their own.
            !all.iter().any(|s| s.kind == Kind::Await && s.at == *at)
        }),
    }
}
