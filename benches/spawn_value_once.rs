//! The cost of a spawned `async` block with a value inside a `#[cancellable]` function, which
//! the rewrite aborts at the cancellation (`inherit_aborting`: the spawn hands its task's abort
//! handle over), against the same spawn in a plain function and a `()` block in an annotated
//! one (`inherit`: rewritten, no handle handed over). For instruction counts:
//!
//! ```sh
//! cargo bench --bench spawn_value_once --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY value 100000
//! valgrind --tool=callgrind BINARY value 200000
//! ```
//!
//! (the difference between the two runs, divided by 100,000, is the cost per spawn + `.await`
//! of its handle, without the runtime's start-up). Workloads: `plain` (no macro), `value` (a
//! block with a value, aborted at the cancellation), `unit` (a `()` block, rewritten). Each
//! runs in the scope of a cancellable context (`Ctx::new()`), on a current-thread runtime.

use autocancel::{cancellable, Cancelled, Ctx};
use std::hint::black_box;

async fn plain(n: usize) -> Result<usize, Cancelled> {
    let mut sum = 0;
    for i in 0..n {
        sum += tokio::spawn(async move { black_box(i) }).await.unwrap();
    }
    Ok(sum)
}

#[cancellable]
async fn value(n: usize) -> Result<usize, Cancelled> {
    let mut sum = 0;
    for i in 0..n {
        sum += tokio::spawn(async move { black_box(i) }).await.unwrap();
    }
    Ok(sum)
}

#[cancellable]
async fn unit(n: usize) -> Result<usize, Cancelled> {
    let mut sum = 0;
    for i in 0..n {
        tokio::spawn(async move {
            black_box(i);
        })
        .await
        .unwrap();
        sum += i;
    }
    Ok(sum)
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let name = args.next().unwrap_or_else(|| "value".into());
    let n: usize = args
        .next()
        .map_or(100_000, |n| n.parse().expect("a spawn count"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = Ctx::new();
    let sum = rt.block_on(ctx.scope(async move {
        match name.as_str() {
            "plain" => plain(n).await,
            "value" => value(n).await,
            "unit" => unit(n).await,
            other => panic!("workloads: plain, value, unit; not {other}"),
        }
    }));
    black_box(sum.unwrap());
}
