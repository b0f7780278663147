//! Loop checkpoints: what `#[cancellable]` adds to every loop iteration, against a plain loop
//! and against the hand-written alternative (`CancellationToken::is_cancelled()` per iteration).
//!
//! The body is trivial (a sum through `black_box`) so that the checkpoint is all there is to
//! see. Each call runs `N` iterations; divide criterion's time by `N` (or read the throughput
//! line) for the cost per iteration.
//!
//! `cargo bench --bench checkpoints`

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio_util::sync::CancellationToken;

/// Iterations per call.
const N: u64 = 10_000;

/// A deadline far enough away never to fire during the bench, but set: the checkpoint must
/// then also watch the clock.
const FAR: Duration = Duration::from_secs(24 * 3600);

#[inline(never)]
fn plain(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    sum
}

#[inline(never)]
fn token_check(token: &CancellationToken, n: u64) -> Option<u64> {
    let mut sum = 0u64;
    for i in 0..n {
        if token.is_cancelled() {
            return None;
        }
        sum = sum.wrapping_add(black_box(i));
    }
    Some(sum)
}

#[inline(never)]
fn ctx_check(ctx: &Ctx, n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        ctx.check()?;
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

/// The ambient context (outside any group: never cancelled, no deadline).
#[cancellable]
#[inline(never)]
fn annotated_ambient(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

/// A context parameter, with or without a deadline.
#[cancellable]
#[inline(never)]
fn annotated(ctx: &Ctx, n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

fn one_thread(c: &mut Criterion) {
    let token = CancellationToken::new();
    let ctx = Ctx::new();
    let ctx_deadline = Ctx::new().with_timeout(FAR);
    assert!(ctx_deadline.deadline().is_some());

    let mut g = c.benchmark_group("cpu_loop_1_thread");
    g.throughput(Throughput::Elements(N));
    g.bench_function("plain", |b| b.iter(|| plain(black_box(N))));
    g.bench_function("token_is_cancelled", |b| {
        b.iter(|| token_check(&token, black_box(N)))
    });
    g.bench_function("ctx_is_cancelled_deadline", |b| {
        b.iter(|| ctx_check(&ctx_deadline, black_box(N)))
    });
    g.bench_function("annotated_ambient", |b| {
        b.iter(|| annotated_ambient(black_box(N)))
    });
    g.bench_function("annotated_ctx", |b| {
        b.iter(|| annotated(&ctx, black_box(N)))
    });
    g.bench_function("annotated_ctx_deadline", |b| {
        b.iter(|| annotated(&ctx_deadline, black_box(N)))
    });
    g.finish();

    // Short calls: a fresh call with a deadline reads the clock at its first checkpoint (it may
    // start after the deadline) and then at doubling intervals; with few iterations per call
    // those reads are a visible share.
    let mut g = c.benchmark_group("cpu_loop_1_thread_short_calls");
    for n in [100u64, 1000] {
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new("plain", n), &n, |b, &n| {
            b.iter(|| plain(black_box(n)))
        });
        g.bench_with_input(
            BenchmarkId::new("annotated_ctx_deadline", n),
            &n,
            |b, &n| b.iter(|| annotated(&ctx_deadline, black_box(n))),
        );
    }
    g.finish();
}

/// Runs `f` on two threads at once, `iters` times each; the wall time. A call takes tens of
/// microseconds, so starting the two threads (once per sample) is noise.
fn on_two_threads<F: Fn() + Sync>(iters: u64, f: F) -> Duration {
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..iters {
                    f();
                }
            });
        }
    });
    start.elapsed()
}

fn two_threads(c: &mut Criterion) {
    let token = CancellationToken::new();
    let ctx_deadline = Ctx::new().with_timeout(FAR);
    let own = [Ctx::new().with_timeout(FAR), Ctx::new().with_timeout(FAR)];

    // Time per call on each of two threads running at once: equal to the one-thread time when
    // sharing costs nothing.
    let mut g = c.benchmark_group("cpu_loop_2_threads");
    g.throughput(Throughput::Elements(N));
    g.bench_function("plain", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(plain(black_box(N)));
            })
        })
    });
    g.bench_function("token_is_cancelled_shared", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(token_check(&token, black_box(N)));
            })
        })
    });
    g.bench_function("ctx_is_cancelled_deadline_shared", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(ctx_check(&ctx_deadline, black_box(N))).unwrap();
            })
        })
    });
    g.bench_function("annotated_ctx_deadline_shared", |b| {
        b.iter_custom(|iters| {
            on_two_threads(iters, || {
                black_box(annotated(&ctx_deadline, black_box(N))).unwrap();
            })
        })
    });
    g.bench_function("annotated_ctx_deadline_one_each", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            thread::scope(|s| {
                for ctx in &own {
                    s.spawn(move || {
                        for _ in 0..iters {
                            black_box(annotated(ctx, black_box(N))).unwrap();
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, one_thread, two_threads);
criterion_main!(benches);
