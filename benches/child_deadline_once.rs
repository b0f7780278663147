//! Runs one child-deadline workload of `benches/servers.rs` once, for instruction counts:
//!
//! ```sh
//! cargo bench --bench child_deadline_once --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY run 0
//! valgrind --tool=callgrind BINARY run 50000
//! ```
//!
//! (the difference between the two runs, divided by 50,000, is the cost per operation, without
//! the runtime's start-up). Workloads:
//! - `timeout`: `tokio::time::timeout` around a ready future;
//! - `run`: `parent.with_timeout(d).run(fut)`; `check`: `with_timeout` + `check`;
//! - `run_foreign`: `run`, of a parent made on another thread (the server's context, its
//!   requests on one worker: they hold an `Arc` of it each); `run_leased`: the same once
//!   children of it were made on two threads (they lease their hold on it,
//!   `ctx/state/lease.rs`);
//! - `parked`: a bare future that parks once (`yield_now`); `timeout_parked` and `run_parked`:
//!   the first two around it (the deadline's timer is armed and removed);
//! - `hooked`: `parent.child()` with an `on_cancel` hook (linked into the parent's list, and
//!   left).

use std::hint::black_box;
use std::time::Duration;

use autocancel::Ctx;

const FAR: Duration = Duration::from_secs(3600);

async fn workload(name: &str, n: usize) {
    let parent = Ctx::new();
    match name {
        "timeout" => {
            for i in 0..n {
                let v = tokio::time::timeout(FAR, std::future::ready(black_box(i))).await;
                black_box(v.unwrap());
            }
        }
        "run" => {
            for i in 0..n {
                let request = parent.with_timeout(FAR);
                black_box(request.run(std::future::ready(black_box(i))).await.unwrap());
            }
        }
        "run_foreign" => {
            // A parent made on another thread (a server's context, its requests on one worker).
            let parent = std::thread::spawn(Ctx::new).join().unwrap();
            for i in 0..n {
                let request = parent.with_timeout(FAR);
                black_box(request.run(std::future::ready(black_box(i))).await.unwrap());
            }
        }
        "run_leased" => {
            // The same, once children of the parent were made on two threads besides its own:
            // they lease (after the first few here).
            let parent = std::thread::spawn(Ctx::new).join().unwrap();
            let first = parent.clone();
            std::thread::spawn(move || drop(first.child()))
                .join()
                .unwrap();
            for i in 0..n {
                let request = parent.with_timeout(FAR);
                black_box(request.run(std::future::ready(black_box(i))).await.unwrap());
            }
        }
        "run_unlinked" => {
            // A parent that is never cancelled (the ambient context outside any group): no link.
            let parent = Ctx::current();
            for i in 0..n {
                let request = parent.with_timeout(FAR);
                black_box(request.run(std::future::ready(black_box(i))).await.unwrap());
            }
        }
        "check" => {
            for i in 0..n {
                let request = parent.with_timeout(FAR);
                request.check().unwrap();
                black_box(std::future::ready(black_box(i)).await);
            }
        }
        "parked" => {
            // The bare request that parks once: the bar for the two below.
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
        }
        "timeout_parked" => {
            // Parks once: the timer is registered and removed.
            for _ in 0..n {
                let v = tokio::time::timeout(FAR, tokio::task::yield_now()).await;
                v.unwrap();
            }
        }
        "run_parked" => {
            for _ in 0..n {
                let request = parent.with_timeout(FAR);
                request.run(tokio::task::yield_now()).await.unwrap();
            }
        }
        "hooked" => {
            // A child that something waits on: linked into its parent's list, and left.
            for _ in 0..n {
                let request = parent.child();
                drop(black_box(request.on_cancel(|_| {})));
            }
        }
        other => panic!(
            "workloads: timeout, run, run_unlinked, check, parked, timeout_parked, run_parked, \
             hooked \
             (not {other})"
        ),
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let name = args.next().unwrap_or_else(|| "run".into());
    let n: usize = args.next().map_or(50_000, |n| n.parse().expect("a count"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        tokio::spawn(async move { workload(&name, n).await })
            .await
            .unwrap()
    });
}
