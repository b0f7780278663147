//! What `#[cancellable]` adds to every `.await`: a biased race against the context's
//! cancellation. Against a plain `.await` and against the hand-written
//! `tokio::select! { biased; _ = token.cancelled() => .., v = fut => v }`.
//!
//! Each call awaits `N` times in a loop (so the annotated versions also pay the loop checkpoint,
//! as users' code does). Everything runs inside one task spawned on a current-thread runtime
//! built once; the annotated functions run in a `Group` task, as they would in a program, so
//! their time also includes what the group adds to each poll of the task.
//!
//! `cargo bench --bench awaits`

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Group};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// Awaits per call.
const N: u64 = 1000;

/// A group deadline that never fires during the bench, but is set.
const FAR: Duration = Duration::from_secs(24 * 3600);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// --- a ready future -------------------------------------------------------------------------

async fn ready_plain(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(std::future::ready(black_box(i)).await);
    }
    sum
}

async fn ready_select(token: &CancellationToken, n: u64) -> Option<u64> {
    let mut sum = 0u64;
    for i in 0..n {
        let v = tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            v = std::future::ready(black_box(i)) => v,
        };
        sum = sum.wrapping_add(v);
    }
    Some(sum)
}

#[cancellable]
async fn ready_annotated(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(std::future::ready(black_box(i)).await);
    }
    Ok(sum)
}

// --- a future that yields once --------------------------------------------------------------

async fn yield_plain(n: u64) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}

async fn yield_select(token: &CancellationToken, n: u64) -> Option<()> {
    for _ in 0..n {
        tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            () = tokio::task::yield_now() => {}
        }
    }
    Some(())
}

#[cancellable]
async fn yield_annotated(n: u64) -> Result<(), Cancelled> {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
    Ok(())
}

// --- harness --------------------------------------------------------------------------------

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

/// Times `iters` calls of `call` inside one task of a `Group`, with or without a deadline.
fn in_group<F, Fut>(rt: &Runtime, deadline: bool, iters: u64, call: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Cancelled>> + Send,
{
    rt.block_on(async move {
        let mut group: Group<Duration> = if deadline {
            Group::with_timeout(FAR)
        } else {
            Group::new()
        };
        group.spawn(async move {
            let start = Instant::now();
            for _ in 0..iters {
                call().await?;
            }
            Ok(start.elapsed())
        });
        group.wait().await.unwrap()[0]
    })
}

fn ready(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("await_ready");
    g.throughput(Throughput::Elements(N));
    g.bench_function("plain", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || ready_plain(black_box(N))))
    });
    g.bench_function("select_token", |b| {
        let token = CancellationToken::new();
        b.iter_custom(|iters| {
            let token = token.clone();
            in_task(&rt, iters, move || {
                let token = token.clone();
                async move { ready_select(&token, black_box(N)).await }
            })
        })
    });
    g.bench_function("annotated_plain_task", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || ready_annotated(black_box(N))))
    });
    for (name, deadline) in [
        ("annotated_group", false),
        ("annotated_group_deadline", true),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                in_group(&rt, deadline, iters, || async {
                    black_box(ready_annotated(black_box(N)).await?);
                    Ok(())
                })
            })
        });
    }
    g.finish();
}

fn yields(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("await_yield_now");
    g.throughput(Throughput::Elements(N));
    g.bench_function("plain", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || yield_plain(black_box(N))))
    });
    g.bench_function("select_token", |b| {
        let token = CancellationToken::new();
        b.iter_custom(|iters| {
            let token = token.clone();
            in_task(&rt, iters, move || {
                let token = token.clone();
                async move { yield_select(&token, black_box(N)).await }
            })
        })
    });
    // With a deadline the group arms a timer, and a pending timer makes every trip through
    // the scheduler (which `yield_now` is) also look at the timer wheel: the baseline for
    // "with a deadline" is the plain loop under `tokio::time::timeout`.
    g.bench_function("plain_under_timeout", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || {
                tokio::time::timeout(FAR, yield_plain(black_box(N)))
            })
        })
    });
    g.bench_function("annotated_plain_task", |b| {
        b.iter_custom(|iters| in_task(&rt, iters, || yield_annotated(black_box(N))))
    });
    for (name, deadline) in [
        ("annotated_group", false),
        ("annotated_group_deadline", true),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| in_group(&rt, deadline, iters, || yield_annotated(black_box(N))))
        });
    }
    g.finish();
}

criterion_group!(benches, ready, yields);
criterion_main!(benches);
