//! `Group` against what a user would otherwise write with tokio: `JoinSet`, and `JoinSet` plus
//! a `CancellationToken` raced by hand (`select!`) in every task.
//!
//! Each runs on a current-thread and on a multi-thread runtime (2 workers), each built once,
//! from inside a spawned task (as a program's code would).
//!
//! `cargo bench --bench group`

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Group};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Tasks spawned and waited for, per iteration.
const SPAWNED: usize = 100_000;
/// Tasks parked, then cancelled, per iteration.
const PARKED: usize = 10_000;

/// Both runtimes, built once. The current-thread one shows the CPU cost per task; on the
/// multi-thread one (2 workers, the machine's cores) scheduling — which worker runs and steals
/// what, workers parking and waking — makes run-to-run differences larger than the ones measured.
fn runtimes() -> [(&'static str, Runtime); 2] {
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    [("current_thread", current), ("multi_thread", multi)]
}

/// Runs `f` in a task on `rt`, returning what it measured.
fn in_task<F>(rt: &Runtime, f: F) -> Duration
where
    F: std::future::Future<Output = Duration> + Send + 'static,
{
    rt.block_on(async { tokio::spawn(f).await.unwrap() })
}

fn spawn_wait(c: &mut Criterion) {
    for (flavor, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("spawn_wait_100k_{flavor}"));
        g.throughput(Throughput::Elements(SPAWNED as u64));
        g.sample_size(20);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function("joinset", |b| {
            b.iter_custom(|iters| {
                in_task(&rt, async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut set = JoinSet::new();
                        for _ in 0..SPAWNED {
                            set.spawn(async {});
                        }
                        while let Some(joined) = set.join_next().await {
                            joined.unwrap();
                        }
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_function("group", |b| {
            b.iter_custom(|iters| {
                in_task(&rt, async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut group: Group = Group::new();
                        for _ in 0..SPAWNED {
                            group.spawn(async { Ok(()) });
                        }
                        black_box(group.wait().await.unwrap());
                    }
                    start.elapsed()
                })
            })
        });
        g.finish();
    }
}

/// A task parked in an annotated `.await` until cancelled.
#[cancellable]
async fn parked(started: Arc<AtomicUsize>) -> Result<(), Cancelled> {
    started.fetch_add(1, Ordering::Relaxed);
    std::future::pending::<()>().await;
    Ok(())
}

/// Waits until `n` tasks have started, then a little more, so that all of them are parked.
async fn until_parked(started: &AtomicUsize, n: usize) {
    while started.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_micros(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(2)).await;
}

fn cancel_parked(c: &mut Criterion) {
    for (flavor, rt) in runtimes() {
        // Only cancel -> every task ended -> wait returns is timed; spawning and parking are not.
        let mut g = c.benchmark_group(format!("cancel_parked_10k_{flavor}"));
        g.throughput(Throughput::Elements(PARKED as u64));
        g.sample_size(20);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function("joinset_token_select", |b| {
            b.iter_custom(|iters| {
                in_task(&rt, async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let token = CancellationToken::new();
                        let started = Arc::new(AtomicUsize::new(0));
                        let mut set = JoinSet::new();
                        for _ in 0..PARKED {
                            let token = token.clone();
                            let started = started.clone();
                            set.spawn(async move {
                                started.fetch_add(1, Ordering::Relaxed);
                                tokio::select! {
                                    biased;
                                    _ = token.cancelled() => Err(()),
                                    () = std::future::pending::<()>() => Ok(()),
                                }
                            });
                        }
                        until_parked(&started, PARKED).await;
                        let start = Instant::now();
                        token.cancel();
                        while let Some(joined) = set.join_next().await {
                            joined.unwrap().unwrap_err();
                        }
                        timed += start.elapsed();
                    }
                    timed
                })
            })
        });
        g.bench_function("group_annotated", |b| {
            b.iter_custom(|iters| {
                in_task(&rt, async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Arc::new(AtomicUsize::new(0));
                        let mut group: Group = Group::new();
                        for _ in 0..PARKED {
                            group.spawn(parked(started.clone()));
                        }
                        until_parked(&started, PARKED).await;
                        let start = Instant::now();
                        group.ctx().cancel();
                        black_box(group.wait().await.unwrap_err());
                        timed += start.elapsed();
                    }
                    timed
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, spawn_wait, cancel_parked);
criterion_main!(benches);
