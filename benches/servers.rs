//! What a server pays for deadlines and its task set, against what it would write with plain
//! tokio:
//!
//! - `child_deadline`: a child context with its own deadline around one ready future
//!   (`parent.with_timeout(d).run(fut)`), against `tokio::time::timeout(d, fut)`: the per-request
//!   deadline.
//! - `idle_per_read`: an idle deadline reset on every read (`conn.reset_idle_timeout()` +
//!   `conn.run(read)`), against `tokio::time::timeout(idle, read)` per read, and against a
//!   new child context per read (what users wrote before idle deadlines); the "read" is a ready
//!   future, or one that yields once (registers, is woken, completes).
//! - `task_set_100k`: 100k trivial tasks spawned and all ended, `TaskSet` against `JoinSet` and
//!   tokio-util's `TaskTracker`.
//!
//! Current-thread runtime, everything inside one spawned task. `cargo bench --bench servers`

use std::hint::black_box;
use std::time::{Duration, Instant};

use autocancel::{Cancelled, Ctx, TaskSet};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use tokio_util::task::TaskTracker;

/// Operations per timed call.
const N: u64 = 1000;
/// A deadline that never fires during the bench.
const FAR: Duration = Duration::from_secs(24 * 3600);
const TASKS: usize = 100_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `f` `iters` times inside one task of `rt` and returns the time it took.
fn in_task<F>(rt: &Runtime, iters: u64, f: impl Fn() -> F + Send + 'static) -> Duration
where
    F: std::future::Future<Output = ()> + Send,
{
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..iters {
                f().await;
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

fn child_deadline(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("child_deadline");
    g.throughput(Throughput::Elements(N));
    g.bench_function("tokio_timeout", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || async {
                for i in 0..N {
                    let v = tokio::time::timeout(FAR, std::future::ready(black_box(i))).await;
                    black_box(v.unwrap());
                }
            })
        })
    });
    g.bench_function("with_timeout_run", |b| {
        b.iter_custom(|iters| {
            let parent = Ctx::new();
            in_task(&rt, iters, move || {
                let parent = parent.clone();
                async move {
                    for i in 0..N {
                        let request = parent.with_timeout(FAR);
                        black_box(request.run(std::future::ready(black_box(i))).await.unwrap());
                    }
                }
            })
        })
    });
    g.bench_function("with_timeout_check", |b| {
        b.iter_custom(|iters| {
            let parent = Ctx::new();
            in_task(&rt, iters, move || {
                let parent = parent.clone();
                async move {
                    for i in 0..N {
                        let request = parent.with_timeout(FAR);
                        request.check().unwrap();
                        black_box(std::future::ready(black_box(i)).await);
                    }
                }
            })
        })
    });
    g.finish();
}

fn idle_per_read(c: &mut Criterion) {
    let rt = runtime();
    let idle = Duration::from_secs(3600);
    for read in ["ready", "yield"] {
        let mut g = c.benchmark_group(format!("idle_per_read_{read}"));
        g.throughput(Throughput::Elements(N));
        let yields = read == "yield";
        g.bench_function("tokio_timeout", |b| {
            b.iter_custom(|iters| {
                in_task(&rt, iters, move || async move {
                    for i in 0..N {
                        if yields {
                            let v = tokio::time::timeout(idle, tokio::task::yield_now()).await;
                            v.unwrap();
                        } else {
                            let v = tokio::time::timeout(idle, std::future::ready(black_box(i)));
                            black_box(v.await.unwrap());
                        }
                    }
                })
            })
        });
        g.bench_function("reset_idle_run", |b| {
            b.iter_custom(|iters| {
                let conn = Ctx::new().with_idle_timeout(idle);
                in_task(&rt, iters, move || {
                    let conn = conn.clone();
                    async move {
                        for i in 0..N {
                            conn.reset_idle_timeout();
                            if yields {
                                conn.run(tokio::task::yield_now()).await.unwrap();
                            } else {
                                let v = conn.run(std::future::ready(black_box(i))).await;
                                black_box(v.unwrap());
                            }
                        }
                    }
                })
            })
        });
        g.bench_function("child_per_read_run", |b| {
            b.iter_custom(|iters| {
                let conn = Ctx::new();
                in_task(&rt, iters, move || {
                    let conn = conn.clone();
                    async move {
                        for i in 0..N {
                            let read = conn.with_timeout(idle);
                            if yields {
                                read.run(tokio::task::yield_now()).await.unwrap();
                            } else {
                                let v = read.run(std::future::ready(black_box(i))).await;
                                black_box(v.unwrap());
                            }
                        }
                    }
                })
            })
        });
        g.finish();
    }
}

fn task_set(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("task_set_100k");
    g.throughput(Throughput::Elements(TASKS as u64));
    g.sample_size(10);
    g.bench_function("joinset", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || async {
                let mut set = JoinSet::new();
                for i in 0..TASKS {
                    set.spawn(async move { Ok::<_, Cancelled>(black_box(i)) });
                }
                while let Some(joined) = set.join_next().await {
                    black_box(joined.unwrap().unwrap());
                }
            })
        })
    });
    g.bench_function("task_tracker", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || async {
                let tracker = TaskTracker::new();
                for i in 0..TASKS {
                    tracker.spawn(async move { Ok::<_, Cancelled>(black_box(i)) });
                }
                tracker.close();
                tracker.wait().await;
            })
        })
    });
    g.bench_function("task_set", |b| {
        b.iter_custom(|iters| {
            in_task(&rt, iters, || async {
                let tasks = TaskSet::new();
                for i in 0..TASKS {
                    tasks.spawn(async move { Ok::<_, Cancelled>(black_box(i)) });
                }
                black_box(tasks.shutdown().await);
            })
        })
    });
    g.finish();
}

criterion_group!(benches, child_deadline, idle_per_read, task_set);
criterion_main!(benches);
