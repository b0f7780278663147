//! What `#[cancellable]` adds to a `tokio::select!` (a cancellation branch, and a gate on each
//! branch) and to a `tokio::spawn` (the caller's context carried into the task).
//!
//! - `select_ready`: `N` `select!`s per call, in a loop, each over a ready future and a future
//!   that never completes; plain, annotated, and the hand-written equivalent with a
//!   `CancellationToken` branch. The annotated loops also pay their loop checkpoint, as users'
//!   code does.
//! - `spawn`: spawn a trivial task and await it; plain `tokio::spawn`, the annotated spawn
//!   (`tokio::spawn(inherit(fut, ..))`, its `.await` raced too), and `tokio::spawn(ctx.scope(fut))`,
//!   what one would write by hand to get the same.
//!
//! Everything runs inside one task on a current-thread runtime built once.
//!
//! `cargo bench --bench select_spawn`

use std::future::{pending, ready, Future};
use std::hint::black_box;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// `select!`s per call.
const N: u64 = 1000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Times `iters` calls of `call` inside one task spawned with `tokio::spawn`.
fn in_task<F, Fut>(rt: &Runtime, iters: u64, call: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future + Send,
    Fut::Output: Send,
{
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(call().await);
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

// --- select! over a ready future ------------------------------------------------------------

async fn select_plain(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            v = ready(black_box(i)) => v,
            () = pending() => 0,
        };
        sum = sum.wrapping_add(v);
    }
    sum
}

async fn select_plain_biased(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            biased;
            v = ready(black_box(i)) => v,
            () = pending() => 0,
        };
        sum = sum.wrapping_add(v);
    }
    sum
}

async fn select_token(token: &CancellationToken, n: u64) -> Option<u64> {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            v = ready(black_box(i)) => v,
            () = pending() => 0,
        };
        sum = sum.wrapping_add(v);
    }
    Some(sum)
}

#[cancellable]
async fn select_annotated(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            v = ready(black_box(i)) => v,
            () = pending() => 0,
        };
        sum = sum.wrapping_add(v);
    }
    Ok(sum)
}

#[cancellable]
async fn select_annotated_biased(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            biased;
            v = ready(black_box(i)) => v,
            () = pending() => 0,
        };
        sum = sum.wrapping_add(v);
    }
    Ok(sum)
}

fn selects(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("select_ready");
    g.throughput(Throughput::Elements(N));
    g.bench_function("plain", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || select_plain(black_box(N))))
    });
    g.bench_function("annotated", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || select_annotated(black_box(N))))
    });
    g.bench_function("plain_biased", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || select_plain_biased(black_box(N))))
    });
    g.bench_function("annotated_biased", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || select_annotated_biased(black_box(N))))
    });
    g.bench_function("token_branch_biased", |b| {
        let token = CancellationToken::new();
        b.iter_custom(|iters| {
            let token = token.clone();
            in_task(&rt, iters, move || {
                let token = token.clone();
                async move { select_token(&token, black_box(N)).await }
            })
        })
    });
    g.finish();
}

// --- spawn + await of a trivial task --------------------------------------------------------

async fn spawn_plain() -> u64 {
    tokio::spawn(async { black_box(1u64) }).await.unwrap()
}

#[cancellable]
async fn spawn_annotated() -> Result<u64, Cancelled> {
    Ok(tokio::spawn(async { black_box(1u64) }).await.unwrap())
}

async fn spawn_scoped(ctx: &Ctx) -> u64 {
    tokio::spawn(ctx.scope(async { black_box(1u64) }))
        .await
        .unwrap()
}

fn spawns(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("spawn");
    g.throughput(Throughput::Elements(1));
    g.bench_function("plain", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, spawn_plain))
    });
    g.bench_function("annotated_inherit", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, spawn_annotated))
    });
    g.bench_function("ctx_scope_by_hand", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || async {
                let ctx = Ctx::current();
                spawn_scoped(&ctx).await
            })
        })
    });
    g.finish();
}

criterion_group!(benches, selects, spawns);
criterion_main!(benches);
