//! [`inherit_current`] and [`inherit_current_blocking`]: what `#[cancellable]` makes of a spawn
//! where the function's own scope cannot be borrowed: inside a closure
//! (`(0..n).map(|i| tokio::spawn(worker(i)))`) or an `async` block it does not rewrite. The new
//! task gets the ambient context of the code that spawns it, read when the spawn runs: in the
//! annotated function's own task, its context.

use std::future::{Future, IntoFuture};

use crate::ambient::{self, Ambient, Member, WithAmbient};
use crate::Ctx;

fn here() -> Ambient {
    Ambient {
        ctx: Ctx::current(),
        member: Member::new("spawned"),
    }
}

/// `fut`, run with the spawner's ambient context as its own.
#[inline]
pub fn inherit_current<F: IntoFuture>(fut: F) -> impl Future<Output = F::Output> {
    WithAmbient::new(here(), fut.into_future())
}

/// `f`, run with the spawner's ambient context as its thread's while it runs.
#[inline]
pub fn inherit_current_blocking<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let ambient = here();
    move || {
        let _entered = ambient::enter(ambient);
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_task_spawned_in_a_closure_sees_the_spawners_context() {
        let ctx = Ctx::new();
        let spawn = || tokio::spawn(inherit_current(async { Ctx::current() }));
        let seen = ctx.scope(async { spawn().await.unwrap() }).await;
        assert!(seen.same_as(&ctx));
        let blocking = || tokio::task::spawn_blocking(inherit_current_blocking(Ctx::current));
        let seen = ctx.scope(async { blocking().await.unwrap() }).await;
        assert!(seen.same_as(&ctx));
    }
}
