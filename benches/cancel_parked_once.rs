//! Runs the cancel-parked workload of `benches/group.rs` once, for instruction counts:
//!
//! ```sh
//! cargo bench --bench cancel_parked_once --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY group 10000 park
//! valgrind --tool=callgrind BINARY group 10000 cancel
//! ```
//!
//! `park` spawns `n` tasks parked in an `.await` and exits the process at once (nothing
//! dropped); `cancel` then cancels them and waits until all have stopped. The difference between
//! the two, taken at two task counts to remove the constants, divided by the difference in task
//! count, is what the timed part of `cancel_parked_10k` costs per task. Workloads: `group` (a
//! `#[cancellable]` fn in a `Group`) and `joinset` (`JoinSet` + `CancellationToken` + `select!`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use autocancel::{cancellable, Cancelled, Group};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[cancellable]
async fn parked(started: Arc<AtomicUsize>) -> Result<(), Cancelled> {
    started.fetch_add(1, Ordering::Relaxed);
    std::future::pending::<()>().await;
    Ok(())
}

async fn until_parked(started: &AtomicUsize, n: usize) {
    while started.load(Ordering::Relaxed) < n {
        tokio::task::yield_now().await;
    }
    // One more round: every task has run its first poll, up to its `.await`.
    tokio::task::yield_now().await;
}

async fn group(n: usize, cancel: bool) {
    let started = Arc::new(AtomicUsize::new(0));
    let mut group: Group = Group::new();
    for _ in 0..n {
        group.spawn(parked(started.clone()));
    }
    until_parked(&started, n).await;
    if !cancel {
        std::process::exit(0);
    }
    group.ctx().cancel();
    std::hint::black_box(group.wait().await.unwrap_err());
}

async fn joinset(n: usize, cancel: bool) {
    let token = CancellationToken::new();
    let started = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..n {
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
    until_parked(&started, n).await;
    if !cancel {
        std::process::exit(0);
    }
    token.cancel();
    while let Some(joined) = set.join_next().await {
        joined.unwrap().unwrap_err();
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let name = args.next().unwrap_or_else(|| "group".into());
    let n: usize = args
        .next()
        .map_or(10_000, |n| n.parse().expect("a task count"));
    let cancel = match args.next().as_deref() {
        None | Some("cancel") => true,
        Some("park") => false,
        Some(other) => panic!("`park` or `cancel`, not {other}"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        tokio::spawn(async move {
            match name.as_str() {
                "group" => group(n, cancel).await,
                "joinset" => joinset(n, cancel).await,
                other => panic!("workloads: group, joinset; not {other}"),
            }
        })
        .await
        .unwrap()
    });
}
