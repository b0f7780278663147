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
//! context has a deadline). Per iteration or per `.await` rather than per call (one call,
//! `N` iterations or ready `.await`s: the README's single-thread rows): `loop_root`,
//! `loop_param`, `loop_param_deadline` (a blocking loop), `awaits_plain`, `awaits_group`,
//! `awaits_group_deadline` (ready `.await`s in a `Group` task).

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

#[inline(never)]
async fn plain_awaits(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(std::future::ready(black_box(i)).await);
    }
    Ok(sum)
}

/// The same, annotated: one `.await` per iteration, and the loop's checkpoint.
#[cancellable]
#[inline(never)]
async fn annotated_awaits(n: u64) -> Result<u64, Cancelled> {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(std::future::ready(black_box(i)).await);
    }
    Ok(sum)
}

/// Runs `body` as the one task of a `Group`, with or without a deadline.
fn in_group<F>(rt: &tokio::runtime::Runtime, deadline: bool, body: F)
where
    F: std::future::Future<Output = Result<u64, Cancelled>> + Send + 'static,
{
    rt.block_on(async move {
        let mut group: Group<u64, Cancelled> = if deadline {
            Group::builder().timeout(Duration::from_secs(3600)).build()
        } else {
            Group::builder().build()
        };
        group.spawn(body);
        black_box(group.wait().await.unwrap());
    })
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
    if workload == "sizes" {
        println!(
            "future of the plain fn: {} bytes, of the annotated one: {} bytes",
            std::mem::size_of_val(&plain_small(0)),
            std::mem::size_of_val(&annotated_small(0))
        );
        return;
    }
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
        "loop_root" => drop(black_box(blocking_root(n))),
        "loop_param" => drop(black_box(blocking_param(&ctx, n))),
        "loop_param_deadline" => drop(black_box(blocking_param(&deadline, n))),
        "awaits_plain" => in_group(&rt, false, plain_awaits(n)),
        "awaits_group" => in_group(&rt, false, annotated_awaits(n)),
        "awaits_group_deadline" => in_group(&rt, true, annotated_awaits(n)),
        other => panic!("unknown workload {other}"),
    }
}
