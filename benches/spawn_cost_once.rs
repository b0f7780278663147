//! Runs one spawn + wait workload of `benches/spawn_cost.rs` once, for instruction counts:
//!
//! ```sh
//! cargo bench --bench spawn_cost_once --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY scoped 100000
//! valgrind --tool=callgrind BINARY scoped 200000
//! ```
//!
//! (the difference between the two runs, divided by 100,000, is the cost per task, without the
//! runtime's start-up).
//!
//! Also the cost of one poll of a group task: `yield_plain N` (a tokio task that yields `N`
//! times) and `yield_group N` (the same in a `Group` task); and `taskset N`: `N` trivial tasks
//! spawned on a `TaskSet` and all ended (`benches/servers.rs`'s `task_set_100k`), and `tracker N`,
//! the same on tokio-util's `TaskTracker` (the bar for `taskset`); `taskset_mt N` and
//! `tracker_mt N`: the same on a multi-thread runtime with one worker (as `scaling`'s
//! `task_sets` at W = 1, one workload per process, for wall-clock runs without the other's heap);
//! `taskset_park N` and `tracker_park N` (and their `_mt`): tasks that park once (a
//! `yield_now`), so that a `TaskSet` task takes its index, spawned 64 at a time with a yield of
//! the spawner between (as an accept loop: tasks start and end while others are spawned).

use std::hint::black_box;

#[path = "spawn_cost/workloads.rs"]
mod workloads;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let name = args.next().unwrap_or_else(|| "scoped".into());
    assert!(
        workloads::ALL.contains(&name.as_str())
            || name.starts_with("yield_")
            || name.starts_with("taskset")
            || name.starts_with("tracker"),
        "workloads: {:?}, yield_plain, yield_group, taskset, tracker",
        workloads::ALL
    );
    let n: usize = args
        .next()
        .map_or(100_000, |n| n.parse().expect("a task count"));
    let rt = match name.strip_suffix("_mt") {
        Some(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let name = name.trim_end_matches("_mt").to_owned();
    rt.block_on(async move {
        match name.as_str() {
            "yield_plain" => tokio::spawn(yields(n)).await.unwrap(),
            "yield_group" => {
                let mut group: autocancel::Group = autocancel::Group::new();
                group.spawn(async move {
                    yields(n).await;
                    Ok(())
                });
                group.wait().await.unwrap();
            }
            "taskset" => tokio::spawn(async move {
                let tasks = autocancel::TaskSet::new();
                for i in 0..n {
                    tasks.spawn(async move { Ok::<_, autocancel::Cancelled>(black_box(i)) });
                }
                black_box(tasks.shutdown().await);
            })
            .await
            .unwrap(),
            "tracker" => tokio::spawn(async move {
                let tracker = tokio_util::task::TaskTracker::new();
                for i in 0..n {
                    tracker.spawn(async move { Ok::<_, autocancel::Cancelled>(black_box(i)) });
                }
                tracker.close();
                tracker.wait().await;
            })
            .await
            .unwrap(),
            "taskset_park" => tokio::spawn(async move {
                // A grace period that callgrind's slowdown does not run out: no task is aborted.
                let tasks = autocancel::TaskSet::new().grace(std::time::Duration::from_secs(3600));
                for i in 0..n {
                    if i % 64 == 0 {
                        // As an accept loop: the tasks spawned so far get to run.
                        tokio::task::yield_now().await;
                    }
                    tasks.spawn(async move {
                        tokio::task::yield_now().await;
                        Ok::<_, autocancel::Cancelled>(black_box(i))
                    });
                }
                black_box(tasks.shutdown().await);
            })
            .await
            .unwrap(),
            "tracker_park" => tokio::spawn(async move {
                let tracker = tokio_util::task::TaskTracker::new();
                for i in 0..n {
                    if i % 64 == 0 {
                        // As an accept loop: the tasks spawned so far get to run.
                        tokio::task::yield_now().await;
                    }
                    tracker.spawn(async move {
                        tokio::task::yield_now().await;
                        Ok::<_, autocancel::Cancelled>(black_box(i))
                    });
                }
                tracker.close();
                tracker.wait().await;
            })
            .await
            .unwrap(),
            _ => tokio::spawn(async move { workloads::run(&name, n).await })
                .await
                .unwrap(),
        }
    });
}

/// Yields to the scheduler `n` times: `n` polls of the task.
async fn yields(n: usize) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}
