//! Deadline overshoot on the real clock: how long after a group's deadline `wait` returns, with
//! 1,000 annotated tasks sleeping in loops, against `tokio::time::timeout` over a `JoinSet` of
//! the same (plain) tasks.
//!
//! Not a criterion bench: the quantity is a latency distribution (wall time past the deadline),
//! not the throughput of a repeated operation, and each run lasts the 50 ms timeout whatever
//! happens in it. So this prints percentiles of the overshoot over many runs.
//!
//! `cargo bench --bench overshoot` (100 runs each; `-- --runs N` for more). Without `--bench`
//! (as `cargo test --benches` runs it) it does 3 runs, as a smoke test.

use std::hint::black_box;
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Group};
use tokio::task::JoinSet;
use tokio::time::Instant;

const TASKS: u32 = 1000;
const TIMEOUT: Duration = Duration::from_millis(50);

/// Task `i`'s sleep per iteration: 5 to 24 ms, so that some tasks wake on the deadline's
/// instant itself (5, 10 and 25 ms divide 50) and the rest in between.
fn step(i: u32) -> Duration {
    Duration::from_millis(5 + u64::from(i % 20))
}

#[cancellable]
async fn annotated_sleeper(step: Duration) -> Result<(), Cancelled> {
    let mut n = 0u64;
    loop {
        tokio::time::sleep(step).await;
        n = black_box(n + 1);
    }
}

async fn plain_sleeper(step: Duration) {
    let mut n = 0u64;
    loop {
        tokio::time::sleep(step).await;
        n = black_box(n + 1);
    }
}

/// Group with a 50 ms timeout; returns (wait returned - deadline).
async fn ours() -> Duration {
    let mut group: Group = Group::with_timeout(TIMEOUT);
    let deadline = group.ctx().deadline().expect("a timeout").instant();
    for i in 0..TASKS {
        group.spawn(annotated_sleeper(step(i)));
    }
    let err = group.wait().await.unwrap_err();
    let over = Instant::now().saturating_duration_since(deadline);
    assert!(err.is_deadline_exceeded(), "{err}");
    over
}

/// `timeout_at` over joining a `JoinSet`; returns (timeout returned - deadline, every task
/// ended - deadline). On timeout the set still has every task: `shutdown` aborts them and waits,
/// which is what `Group::wait` does (it returns only once no task runs).
async fn baseline() -> (Duration, Duration) {
    let deadline = Instant::now() + TIMEOUT;
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        set.spawn(plain_sleeper(step(i)));
    }
    let joined =
        tokio::time::timeout_at(deadline, async { while set.join_next().await.is_some() {} }).await;
    let timed_out = Instant::now().saturating_duration_since(deadline);
    assert!(joined.is_err());
    set.shutdown().await;
    let ended = Instant::now().saturating_duration_since(deadline);
    (timed_out, ended)
}

fn percentiles(name: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    format!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
        us(at(0.0)),
        us(at(0.5)),
        us(at(0.9)),
        us(at(0.99)),
        us(at(1.0)),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--runs N"))
        .unwrap_or(if bench { 100 } else { 3 });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut group, mut timeout, mut shutdown) = (vec![], vec![], vec![]);
    for _ in 0..runs {
        // Alternated, each in a task of the same runtime, so that both see the same machine.
        group.push(rt.block_on(async { tokio::spawn(ours()).await.unwrap() }));
        let (t, s) = rt.block_on(async { tokio::spawn(baseline()).await.unwrap() });
        timeout.push(t);
        shutdown.push(s);
    }

    println!(
        "deadline overshoot, {TASKS} tasks sleeping 5-24 ms per step, {:?} timeout, {runs} runs \
         (µs past the deadline)",
        TIMEOUT
    );
    println!("| | min | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    println!(
        "{}",
        percentiles("Group::with_timeout + wait (all tasks ended)", group)
    );
    println!(
        "{}",
        percentiles("tokio::time::timeout over JoinSet (returned)", timeout)
    );
    println!(
        "{}",
        percentiles("... + JoinSet::shutdown (all tasks ended)", shutdown)
    );
}
