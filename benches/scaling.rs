//! What the hot paths cost with W workers busy at once, W = 1, 2, 4, … up to the machine's cores:
//! a cost that grows with W is a cache line every worker writes.
//!
//! Each figure is nanoseconds per operation per worker: W workers (tokio multi-thread workers, or
//! std threads) each run the same number of operations at once, and the wall time from their
//! common start to the last one's end is divided by that number. The median of `--trials` runs.
//! Every baseline (plain code, tokio, tokio-util) runs in the same process, interleaved.
//!
//! ```sh
//! cargo bench --bench scaling                          # W = 1, 2, 4, … up to the cores
//! cargo bench --bench scaling -- --workers 1,2 --trials 7
//! ```
//!
//! Not criterion: a multi-worker throughput figure needs W threads started together on every
//! sample, and the table (one row per W, the baselines beside) is what is compared. Tables go to
//! stdout, in Markdown.

use std::future::Future;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use autocancel::{cancellable, Cancelled, Ctx, Group, ScopedGroup, TaskSet};
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A deadline that never fires during the bench.
const FAR: Duration = Duration::from_secs(24 * 3600);

// ---- The functions called ------------------------------------------------------------------

/// A small async function: one ready `.await`.
#[inline(never)]
async fn plain_small(x: u64) -> Result<u64, Cancelled> {
    Ok(std::future::ready(black_box(x)).await + 1)
}

/// The same, annotated: on the ambient context.
#[cancellable]
#[inline(never)]
async fn annotated_small(x: u64) -> Result<u64, Cancelled> {
    Ok(std::future::ready(black_box(x)).await + 1)
}

/// An async function that parks once.
#[inline(never)]
async fn plain_parks(x: u64) -> Result<u64, Cancelled> {
    tokio::task::yield_now().await;
    Ok(black_box(x) + 1)
}

/// The same, annotated: it registers with the ambient context as it parks, and leaves it when it
/// returns.
#[cancellable]
#[inline(never)]
async fn annotated_parks(x: u64) -> Result<u64, Cancelled> {
    tokio::task::yield_now().await;
    Ok(black_box(x) + 1)
}

/// A small blocking function: a loop of 4.
#[inline(never)]
fn plain_blocking(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

/// The same, annotated: on the ambient context (outside any group: the root).
#[cancellable]
#[inline(never)]
fn annotated_blocking(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

/// The same, annotated, with a context parameter; called with a long loop too, for the cost of
/// one checkpoint.
#[cancellable]
#[inline(never)]
fn annotated_blocking_ctx(ctx: &Ctx, n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

/// The loop without the attribute.
#[inline(never)]
fn plain_loop(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    sum
}

// ---- Harness -------------------------------------------------------------------------------

struct Options {
    workers: Vec<usize>,
    trials: usize,
    /// Scales every operation count (`--scale 0.1` for a quick look).
    scale: f64,
}

fn options() -> Options {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut workers: Vec<usize> = std::iter::successors(Some(1), |w| Some(w * 2))
        .take_while(|&w| w <= cores)
        .collect();
    if *workers.last().unwrap() != cores {
        workers.push(cores);
    }
    let mut o = Options {
        workers,
        trials: 5,
        scale: 1.0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--workers" => {
                o.workers = value.split(',').map(|w| w.parse().unwrap()).collect();
                i += 1;
            }
            "--trials" => {
                o.trials = value.parse().unwrap();
                i += 1;
            }
            "--scale" => {
                o.scale = value.parse().unwrap();
                i += 1;
            }
            _ => {} // `--bench`, passed by cargo
        }
        i += 1;
    }
    o
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// `w` std threads, started together, each running `op` `n` times; ns per op per thread.
fn on_threads(w: usize, n: u64, op: impl Fn(usize, u64) + Sync) -> f64 {
    let barrier = Barrier::new(w + 1);
    let elapsed = std::thread::scope(|s| {
        for t in 0..w {
            let (barrier, op) = (&barrier, &op);
            s.spawn(move || {
                barrier.wait();
                for i in 0..n {
                    op(t, i);
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    // The scope joined every thread: the time from their common start.
    elapsed.elapsed().as_nanos() as f64 / n as f64
}

fn runtime(w: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(w)
        .enable_all()
        .build()
        .unwrap()
}

/// `w` tokio tasks on `rt` (w workers), started together, each awaiting `body(task)`, which
/// runs `n` operations; ns per op per task.
fn on_tasks<B, F>(rt: &Runtime, w: usize, n: u64, body: B) -> f64
where
    B: Fn(usize) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(w));
        let futs: Vec<F> = (0..w).map(&body).collect();
        let start = Instant::now();
        let handles: Vec<_> = futs
            .into_iter()
            .map(|fut| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    fut.await
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

/// `w` tasks of one `Group` on `rt` (w workers), started together, each awaiting `body()`,
/// which runs `n` operations; ns per op per task. Their ambient context is the group's, one
/// shared by all.
fn in_one_group<B, F>(rt: &Runtime, w: usize, n: u64, body: B) -> f64
where
    B: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let mut group = Group::<(), Cancelled>::new();
        let barrier = Arc::new(tokio::sync::Barrier::new(w + 1));
        for _ in 0..w {
            let (barrier, fut) = (barrier.clone(), body());
            group.spawn(async move {
                barrier.wait().await;
                fut.await;
                Ok(())
            });
        }
        barrier.wait().await;
        let start = Instant::now();
        group.wait().await.unwrap();
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

/// The same, each task in a `Group` of its own (an ambient context per task).
fn in_group_each<B, F>(rt: &Runtime, w: usize, n: u64, body: B) -> f64
where
    B: Fn() -> F,
    F: Future<Output = ()> + Send + 'static,
{
    on_tasks(rt, w, n, |_| {
        let fut = body();
        async move {
            let mut group = Group::<(), Cancelled>::new();
            group.spawn(async move {
                fut.await;
                Ok(())
            });
            group.wait().await.unwrap();
        }
    })
}

struct Table {
    title: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<(usize, Vec<f64>)>,
}

impl Table {
    fn print(&self) {
        println!("\n### {}\n", self.title);
        println!("| W | {} |", self.columns.join(" | "));
        println!("|---|{}", "---|".repeat(self.columns.len()));
        for (w, cells) in &self.rows {
            let cells: Vec<String> = cells.iter().map(|c| format!("{c:.1}")).collect();
            println!("| {w} | {} |", cells.join(" | "));
        }
    }
}

/// Runs every measurement of `columns` `trials` times, interleaved, and keeps the medians.
fn measure(trials: usize, columns: &[&dyn Fn() -> f64]) -> Vec<f64> {
    let mut samples = vec![Vec::new(); columns.len()];
    for _ in 0..trials {
        for (c, f) in columns.iter().enumerate() {
            samples[c].push(f());
        }
    }
    samples.into_iter().map(median).collect()
}

// ---- Tables ------------------------------------------------------------------------------------

/// Entering a small annotated async function, on the ambient context of a `Group` task (all W
/// tasks of one group, or one group each), a `TaskSet` task, a `ScopedGroup` task, and a plain
/// tokio task (the root context).
fn calls_async(o: &Options) -> Table {
    let calls = (2_000_000.0 * o.scale) as u64;
    let mut rows = Vec::new();
    for &w in &o.workers {
        let rt = runtime(w);
        let plain = || {
            on_tasks(&rt, w, calls, |_| async move {
                for i in 0..calls {
                    black_box(plain_small(i).await.unwrap());
                }
            })
        };
        let loop_annotated = move || async move {
            for i in 0..calls {
                black_box(annotated_small(i).await.unwrap());
            }
        };
        let root = || on_tasks(&rt, w, calls, |_| loop_annotated());
        let one_group = || in_one_group(&rt, w, calls, loop_annotated);
        let group_each = || in_group_each(&rt, w, calls, loop_annotated);
        let task_set = || {
            rt.block_on(async {
                let set = TaskSet::new();
                let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(w);
                let barrier = Arc::new(tokio::sync::Barrier::new(w + 1));
                for _ in 0..w {
                    let (barrier, tx) = (barrier.clone(), tx.clone());
                    set.spawn(async move {
                        barrier.wait().await;
                        loop_annotated().await;
                        tx.send(()).await.unwrap();
                        Ok::<(), Cancelled>(())
                    });
                }
                barrier.wait().await;
                let start = Instant::now();
                for _ in 0..w {
                    rx.recv().await.unwrap();
                }
                let ns = start.elapsed().as_nanos() as f64 / calls as f64;
                set.shutdown().await;
                ns
            })
        };
        let scoped = || {
            on_tasks(&rt, w, calls, |_| async move {
                let mut group = ScopedGroup::<(), Cancelled>::new();
                group.spawn(async move {
                    loop_annotated().await;
                    Ok(())
                });
                group.wait().await.unwrap();
            })
        };
        let m = measure(
            o.trials,
            &[&plain, &root, &one_group, &group_each, &task_set, &scoped],
        );
        let over: Vec<f64> = m[1..].iter().map(|x| x - m[0]).collect();
        let mut cells = vec![m[0]];
        cells.extend(over);
        rows.push((w, cells));
    }
    Table {
        title: "Entering a small annotated async fn (one ready .await), ns per call per worker: plain, then the annotated call's overhead over plain",
        columns: vec![
            "plain call",
            "+ plain tokio task (root ctx)",
            "+ W tasks of one Group",
            "+ one Group per task",
            "+ TaskSet task",
            "+ ScopedGroup task",
        ],
        rows,
    }
}

/// A call that parks once, in W tasks: each parking annotated call registers with its context
/// (one shared by all: the tasks of one `Group`; or a `Group` per task) and leaves it as it
/// returns; beside it, the hand-written equivalents on one shared context or token.
fn parking_calls(o: &Options) -> Table {
    let calls = (500_000.0 * o.scale) as u64;
    let mut rows = Vec::new();
    for &w in &o.workers {
        let rt = runtime(w);
        let plain = || {
            on_tasks(&rt, w, calls, |_| async move {
                for i in 0..calls {
                    black_box(plain_parks(i).await.unwrap());
                }
            })
        };
        let loop_annotated = move || async move {
            for i in 0..calls {
                black_box(annotated_parks(i).await.unwrap());
            }
        };
        let one_group = || in_one_group(&rt, w, calls, loop_annotated);
        let group_each = || in_group_each(&rt, w, calls, loop_annotated);
        let shared = Ctx::new();
        let ctx_select = || {
            on_tasks(&rt, w, calls, |_| {
                let shared = shared.clone();
                async move {
                    for i in 0..calls {
                        tokio::select! {
                            _ = shared.cancelled() => unreachable!(),
                            v = plain_parks(i) => { black_box(v.unwrap()); }
                        }
                    }
                }
            })
        };
        let token = CancellationToken::new();
        let token_select = || {
            on_tasks(&rt, w, calls, |_| {
                let token = token.clone();
                async move {
                    for i in 0..calls {
                        tokio::select! {
                            _ = token.cancelled() => unreachable!(),
                            v = plain_parks(i) => { black_box(v.unwrap()); }
                        }
                    }
                }
            })
        };
        let m = measure(
            o.trials,
            &[&plain, &one_group, &group_each, &ctx_select, &token_select],
        );
        rows.push((w, m));
    }
    Table {
        title: "A call that parks once (`yield_now`) in W tasks, ns per call per worker",
        columns: vec![
            "plain async fn",
            "annotated, W tasks of one `Group`",
            "annotated, one `Group` per task",
            "plain + `select!` on one shared `ctx.cancelled()`",
            "plain + `select!` on one shared `token.cancelled()`",
        ],
        rows,
    }
}

/// Entering a small annotated blocking function on W std threads: on the root context, with a
/// `&Ctx` parameter that has a deadline (one context shared by every thread, or one each).
fn calls_blocking(o: &Options) -> Table {
    let calls = (4_000_000.0 * o.scale) as u64;
    let shared = Ctx::new().with_timeout(FAR);
    let mut rows = Vec::new();
    for &w in &o.workers {
        let own: Vec<Ctx> = (0..w).map(|_| Ctx::new().with_timeout(FAR)).collect();
        let plain = || on_threads(w, calls, |_, i| drop(black_box(plain_blocking(4 + i % 2))));
        let root = || {
            on_threads(w, calls, |_, i| {
                drop(black_box(annotated_blocking(4 + i % 2)))
            })
        };
        let param_shared = || {
            on_threads(w, calls, |_, i| {
                drop(black_box(annotated_blocking_ctx(&shared, 4 + i % 2)))
            })
        };
        let param_own = || {
            on_threads(w, calls, |t, i| {
                drop(black_box(annotated_blocking_ctx(&own[t], 4 + i % 2)))
            })
        };
        let m = measure(o.trials, &[&plain, &root, &param_shared, &param_own]);
        let mut cells = vec![m[0]];
        cells.extend(m[1..].iter().map(|x| x - m[0]));
        rows.push((w, cells));
    }
    Table {
        title: "Entering a small annotated blocking fn (a loop of 4) on W threads, ns per call per thread: plain, then the overhead over plain",
        columns: vec![
            "plain call",
            "+ root ctx (no group)",
            "+ `&Ctx` param with deadline, shared",
            "+ `&Ctx` param with deadline, one per thread",
        ],
        rows,
    }
}

/// A child per request that something waits on (a cancellation hook, registered and dropped:
/// it links the child into its parent's list, and leaves it), on W threads: of one parent shared
/// by all (a server's context), and of a parent per thread; `child_token()` + `cancelled()`
/// polled once, the same for `tokio-util`'s token.
fn children(o: &Options) -> Table {
    let ops = (1_000_000.0 * o.scale) as u64;
    let shared = Ctx::new();
    let token = CancellationToken::new();
    let mut rows = Vec::new();
    for &w in &o.workers {
        let own: Vec<Ctx> = (0..w).map(|_| Ctx::new()).collect();
        let tokens: Vec<CancellationToken> = (0..w).map(|_| CancellationToken::new()).collect();
        let waker = std::task::Waker::noop();
        let hooked = |parent: &Ctx| {
            let child = parent.child();
            drop(black_box(child.on_cancel(|_| {})));
        };
        let token_waited = |parent: &CancellationToken| {
            let child = parent.child_token();
            let mut cancelled = std::pin::pin!(child.cancelled());
            let polled = cancelled
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker));
            assert!(polled.is_pending());
        };
        let waited = |ctx: &Ctx| {
            let mut cancelled = std::pin::pin!(ctx.cancelled());
            let polled = cancelled
                .as_mut()
                .poll(&mut std::task::Context::from_waker(waker));
            assert!(polled.is_pending());
        };
        let wait_shared = || on_threads(w, ops, |_, _| waited(&shared));
        let wait_own = || on_threads(w, ops, |t, _| waited(&own[t]));
        // As tasks wait: each thread keeps 64 waits at 64 addresses and renews one per step
        // (the old one leaves, the new one registers).
        let wait_shared_many = || {
            let barrier = Barrier::new(w + 1);
            let elapsed = std::thread::scope(|s| {
                for _ in 0..w {
                    let (barrier, shared) = (&barrier, &shared);
                    s.spawn(move || {
                        let mut waits: Vec<_> =
                            (0..64).map(|_| Box::pin(shared.cancelled())).collect();
                        barrier.wait();
                        for i in 0..ops {
                            let wait = &mut waits[(i % 64) as usize];
                            wait.set(shared.cancelled());
                            let polled = wait
                                .as_mut()
                                .poll(&mut std::task::Context::from_waker(waker));
                            assert!(polled.is_pending());
                        }
                    });
                }
                barrier.wait();
                Instant::now()
            });
            elapsed.elapsed().as_nanos() as f64 / ops as f64
        };
        // A child only checked (a request on a ready future): made, checked and dropped. What
        // it shares with the other threads' is its hold on the parent (`ctx/state/lease.rs`).
        let checked = |parent: &Ctx| {
            let child = parent.child();
            assert!(!black_box(&child).is_cancelled());
        };
        let checked_shared = || on_threads(w, ops, |_, _| checked(&shared));
        let checked_own = || on_threads(w, ops, |t, _| checked(&own[t]));
        let ctx_shared = || on_threads(w, ops, |_, _| hooked(&shared));
        let ctx_own = || on_threads(w, ops, |t, _| hooked(&own[t]));
        let token_shared = || on_threads(w, ops, |_, _| token_waited(&token));
        let token_own = || on_threads(w, ops, |t, _| token_waited(&tokens[t]));
        rows.push((
            w,
            measure(
                o.trials,
                &[
                    &ctx_shared,
                    &ctx_own,
                    &token_shared,
                    &token_own,
                    &wait_shared,
                    &wait_own,
                    &wait_shared_many,
                    &checked_shared,
                    &checked_own,
                ],
            ),
        ));
    }
    Table {
        title: "A child made and dropped on W threads: waited on (a hook registered and dropped; a token's `cancelled()` polled once), or only checked; ns per child per thread",
        columns: vec![
            "`parent.child()` + `on_cancel`, one parent shared",
            "the same, a parent per thread",
            "`child_token()` + `cancelled()`, one token shared",
            "the same, a token per thread",
            "`ctx.cancelled()` polled once, on one context shared",
            "the same, a context per thread",
            "`ctx.cancelled()` on one context shared, 64 waits per thread renewed in turn",
            "`parent.child()` + `is_cancelled()` (not waited on), one parent shared",
            "the same, a parent per thread",
        ],
        rows,
    }
}

/// A loop checkpoint on one context shared by W threads: what already scales.
fn loop_checkpoints(o: &Options) -> Table {
    let iters = 10_000u64;
    let calls = (400.0 * o.scale).max(1.0) as u64;
    let shared = Ctx::new().with_timeout(FAR);
    let token = CancellationToken::new();
    let mut rows = Vec::new();
    for &w in &o.workers {
        let plain = || {
            on_threads(w, calls, |_, _| {
                black_box(plain_loop(iters));
            }) / iters as f64
        };
        let annotated = || {
            on_threads(w, calls, |_, _| {
                drop(black_box(annotated_blocking_ctx(&shared, iters)))
            }) / iters as f64
        };
        let token_loop = || {
            on_threads(w, calls, |_, _| {
                let mut sum = 0u64;
                for i in 0..iters {
                    if token.is_cancelled() {
                        break;
                    }
                    sum = sum.wrapping_add(black_box(i));
                }
                black_box(sum);
            }) / iters as f64
        };
        rows.push((w, measure(o.trials, &[&plain, &annotated, &token_loop])));
    }
    Table {
        title: "A loop on one context shared by W threads, ns per iteration per thread",
        columns: vec![
            "plain loop",
            "`#[cancellable]`, shared ctx with deadline",
            "`CancellationToken::is_cancelled` each iteration, shared token",
        ],
        rows,
    }
}

/// A request per loop turn in W request loops: each request parks once (`yield_now`), or is
/// ready; with no context, with tokio's timeout, with a child token, with a child context.
fn requests(o: &Options) -> Table {
    let reqs = (200_000.0 * o.scale) as u64;
    let mut rows = Vec::new();
    for &w in &o.workers {
        let rt = runtime(w);
        let server = Ctx::new();
        let token = CancellationToken::new();
        let bare = || {
            on_tasks(&rt, w, reqs, |_| async move {
                for _ in 0..reqs {
                    tokio::task::yield_now().await;
                }
            })
        };
        let timeout = || {
            on_tasks(&rt, w, reqs, |_| async move {
                for _ in 0..reqs {
                    let r = tokio::time::timeout(Duration::from_secs(5), tokio::task::yield_now());
                    r.await.unwrap();
                }
            })
        };
        let child_token = || {
            on_tasks(&rt, w, reqs, |_| {
                let token = token.clone();
                async move {
                    for _ in 0..reqs {
                        let child = token.child_token();
                        tokio::select! {
                            _ = child.cancelled() => unreachable!(),
                            _ = tokio::task::yield_now() => {}
                        }
                    }
                }
            })
        };
        let child = || {
            on_tasks(&rt, w, reqs, |_| {
                let server = server.clone();
                async move {
                    for _ in 0..reqs {
                        server.child().run(tokio::task::yield_now()).await.unwrap();
                    }
                }
            })
        };
        let with_timeout = || {
            on_tasks(&rt, w, reqs, |_| {
                let server = server.clone();
                async move {
                    for _ in 0..reqs {
                        let req = server.with_timeout(Duration::from_secs(5));
                        req.run(tokio::task::yield_now()).await.unwrap();
                    }
                }
            })
        };
        let with_timeout_ready = || {
            on_tasks(&rt, w, reqs * 10, |_| {
                let server = server.clone();
                async move {
                    for i in 0..reqs * 10 {
                        let req = server.with_timeout(Duration::from_secs(5));
                        black_box(req.run(std::future::ready(i)).await.unwrap());
                    }
                }
            })
        };
        let child_ready = || {
            on_tasks(&rt, w, reqs * 10, |_| {
                let server = server.clone();
                async move {
                    for i in 0..reqs * 10 {
                        black_box(server.child().run(std::future::ready(i)).await.unwrap());
                    }
                }
            })
        };
        // The same two with a parent per request loop: what sharing the parent costs.
        let child_own = || {
            on_tasks(&rt, w, reqs, |_| async move {
                let server = Ctx::new();
                for _ in 0..reqs {
                    server.child().run(tokio::task::yield_now()).await.unwrap();
                }
            })
        };
        let child_own_ready = || {
            on_tasks(&rt, w, reqs * 10, |_| async move {
                let server = Ctx::new();
                for i in 0..reqs * 10 {
                    black_box(server.child().run(std::future::ready(i)).await.unwrap());
                }
            })
        };
        rows.push((
            w,
            measure(
                o.trials,
                &[
                    &bare,
                    &timeout,
                    &child_token,
                    &child,
                    &with_timeout,
                    &with_timeout_ready,
                    &child_ready,
                    &child_own,
                    &child_own_ready,
                ],
            ),
        ));
    }
    Table {
        title: "A request per turn in W request loops, ns per request per worker (parks once on `yield_now`, or ready)",
        columns: vec![
            "`yield_now` alone",
            "`tokio::time::timeout(5s, ..)`",
            "`child_token()` + `select!`",
            "`server.child().run(..)`",
            "`server.with_timeout(5s).run(..)`",
            "`server.with_timeout(5s).run(ready)`",
            "`server.child().run(ready)`",
            "the same, a server per loop: `child().run(..)`",
            "`child().run(ready)`",
        ],
        rows,
    }
}

/// W spawner tasks each spawning trivial tasks into one shared set, until all have ended.
fn task_sets(o: &Options) -> Table {
    let per = (100_000.0 * o.scale) as u64;
    let mut rows = Vec::new();
    for &w in &o.workers {
        let rt = runtime(w);
        let tracker = || {
            let tracker = TaskTracker::new();
            let start = Instant::now();
            on_tasks(&rt, w, per, |_| {
                let tracker = tracker.clone();
                async move {
                    for i in 0..per {
                        tracker.spawn(async move {
                            black_box(i);
                        });
                    }
                }
            });
            rt.block_on(async {
                tracker.close();
                tracker.wait().await;
            });
            start.elapsed().as_nanos() as f64 / per as f64
        };
        let task_set = || {
            let set = Arc::new(TaskSet::new());
            let start = Instant::now();
            on_tasks(&rt, w, per, |_| {
                let set = set.clone();
                async move {
                    for i in 0..per {
                        set.spawn(async move {
                            black_box(i);
                            Ok::<(), Cancelled>(())
                        });
                    }
                }
            });
            let set = Arc::into_inner(set).unwrap();
            rt.block_on(set.shutdown());
            start.elapsed().as_nanos() as f64 / per as f64
        };
        let m = measure(o.trials, &[&tracker, &task_set]);
        rows.push((w, vec![m[0], m[1], m[1] / m[0]]));
    }
    Table {
        title: "Spawn + end: W tasks each spawning trivial tasks into one shared set, until every task has ended, ns per task per worker",
        columns: vec!["`TaskTracker`", "`TaskSet`", "ratio"],
        rows,
    }
}

fn main() {
    let o = options();
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--") && a.parse::<f64>().is_err() && !a.contains(','))
        .collect();
    println!(
        "scaling: workers {:?}, {} trials (median), {} cores",
        o.workers,
        o.trials,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let run = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let start = Instant::now();
    if run("calls_async") {
        calls_async(&o).print();
    }
    if run("parking_calls") {
        parking_calls(&o).print();
    }
    if run("calls_blocking") {
        calls_blocking(&o).print();
    }
    if run("loops") {
        loop_checkpoints(&o).print();
    }
    if run("requests") {
        requests(&o).print();
    }
    if run("children") {
        children(&o).print();
    }
    if run("task_sets") {
        task_sets(&o).print();
    }
    eprintln!("scaling: {:.1} s", start.elapsed().as_secs_f64());
}
