//! Spawn + wait for trivial tasks: `Group` against `JoinSet` (plain `join_next` loop, and one that
//! also keeps outputs in spawn order), and `ScopedGroup` against `FuturesUnordered` of boxed
//! futures, each with and without a deadline, in one run on a current-thread runtime.
//!
//! `cargo bench --bench spawn_cost`; instruction counts: `benches/spawn_cost_once.rs`.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

#[path = "spawn_cost/workloads.rs"]
mod workloads;

/// Tasks per iteration (as in `benches/group.rs`).
const SPAWNED: usize = 100_000;

fn spawn_wait(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("spawn_cost_100k_current_thread");
    g.throughput(Throughput::Elements(SPAWNED as u64));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    for name in workloads::ALL {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    // Inside a spawned task, as a program's code would be.
                    tokio::spawn(async move {
                        let start = Instant::now();
                        for _ in 0..iters {
                            workloads::run(name, SPAWNED).await;
                        }
                        start.elapsed()
                    })
                    .await
                    .unwrap()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, spawn_wait);
criterion_main!(benches);
