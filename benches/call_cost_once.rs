//! Runs one call-entry workload of `benches/scaling.rs` once, on one thread, for instruction
//! counts:
//!
//! ```sh
//! cargo bench --bench call_cost_once --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY WORKLOAD 0
//! valgrind --tool=callgrind BINARY WORKLOAD 100000
//! ```
//!
//! (the difference between the two runs, divided by 100,000, is the cost per call, without the
//! runtime's start-up). Workloads: `plain` and `annotated` (a small async fn, one ready `.await`,
//! in a plain tokio task: the root context), `group` (the annotated one in a `Group` task),
//! `blocking_plain`, `blocking_root` (a blocking fn with a loop of 4, outside any group),
//! `blocking_param` (the same with a `&Ctx` parameter), `blocking_param_deadline` (whose
//! context has a deadline).

use std::hint::black_box;
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Ctx, Group};

#[inline(never)]
async fn plain_small(x: u64) -> Result<u64, Cancelled> {
    Ok(std::future::ready(black_box(x)).await + 1)
}

#[cancellable]
#[inline(never)]
async fn annotated_small(x: u64) -> Result<u64, Cancelled> {
    Ok(std::future::ready(black_box(x)).await + 1)
}

#[inline(never)]
fn blocking_plain(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

#[cancellable]
#[inline(never)]
fn blocking_root(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

#[cancellable]
#[inline(never)]
fn blocking_param(ctx: &Ctx, n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(black_box(i));
    }
    Ok(sum)
}

async fn calls(n: u64, annotated: bool) {
    for i in 0..n {
        if annotated {
            black_box(annotated_small(i).await.unwrap());
        } else {
            black_box(plain_small(i).await.unwrap());
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let workload = args.next().unwrap_or_else(|| "annotated".into());
    let n: u64 = args.next().map_or(100_000, |n| n.parse().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = Ctx::new();
    let deadline = Ctx::new().with_timeout(Duration::from_secs(3600));
    match workload.as_str() {
        "plain" => rt.block_on(async { tokio::spawn(calls(n, false)).await.unwrap() }),
        "annotated" => rt.block_on(async { tokio::spawn(calls(n, true)).await.unwrap() }),
        "group" => rt.block_on(async {
            let mut group = Group::<(), Cancelled>::new();
            group.spawn(async move {
                calls(n, true).await;
                Ok(())
            });
            group.wait().await.unwrap();
        }),
        "blocking_plain" => (0..n).for_each(|i| drop(black_box(blocking_plain(4 + i % 2)))),
        "blocking_root" => (0..n).for_each(|i| drop(black_box(blocking_root(4 + i % 2)))),
        "blocking_param" => (0..n).for_each(|i| drop(black_box(blocking_param(&ctx, 4 + i % 2)))),
        "blocking_param_deadline" => {
            (0..n).for_each(|i| drop(black_box(blocking_param(&deadline, 4 + i % 2))))
        }
        other => panic!("unknown workload {other}"),
    }
}
