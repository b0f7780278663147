//! Spawn `n` trivial tasks and wait for all of them, once per way of doing it. Shared by the
//! criterion bench (`benches/spawn_cost.rs`) and the instruction-count driver
//! (`benches/spawn_cost_once.rs`), so that both measure the same code.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::time::Duration;

use autocancel::{Group, ScopedGroup};
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::task::JoinSet;

/// A deadline far enough never to fire: what it costs to have one.
pub const HOUR: Duration = Duration::from_secs(3600);

/// The baseline `Group` is measured against in `benches/group.rs`: outputs in completion order.
pub async fn joinset(n: usize) {
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(async move { i });
    }
    while let Some(joined) = set.join_next().await {
        black_box(joined.unwrap());
    }
}

/// The fairer baseline: a `JoinSet` that also hands back outputs in spawn order, as `wait` does.
pub async fn joinset_ordered(n: usize) -> Vec<usize> {
    let mut set = JoinSet::new();
    for i in 0..n {
        set.spawn(async move { (i, i) });
    }
    let mut outputs: Vec<Option<usize>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (index, output) = joined.unwrap();
        outputs[index] = Some(output);
    }
    in_order(outputs)
}

pub async fn group(n: usize, timeout: Option<Duration>) -> Vec<usize> {
    let mut group: Group<usize> = match timeout {
        None => Group::new(),
        Some(timeout) => Group::with_timeout(timeout),
    };
    for i in 0..n {
        group.spawn(async move { Ok(i) });
    }
    group.wait().await.unwrap()
}

/// A task of the `FuturesUnordered` baseline: its index and output.
type BoxedTask = Pin<Box<dyn Future<Output = (usize, usize)> + Send>>;

/// The scoped baseline: boxed futures (each task its own type, as with a scoped group) in a
/// `FuturesUnordered`, outputs put back in spawn order.
pub async fn futures_unordered(n: usize) -> Vec<usize> {
    let mut set: FuturesUnordered<BoxedTask> = FuturesUnordered::new();
    for i in 0..n {
        set.push(Box::pin(async move { (i, i) }));
    }
    let mut outputs: Vec<Option<usize>> = (0..n).map(|_| None).collect();
    while let Some((index, output)) = set.next().await {
        outputs[index] = Some(output);
    }
    in_order(outputs)
}

pub async fn scoped(n: usize, timeout: Option<Duration>) -> Vec<usize> {
    let mut group: ScopedGroup<'_, usize> = match timeout {
        None => ScopedGroup::new(),
        Some(timeout) => ScopedGroup::with_timeout(timeout),
    };
    for i in 0..n {
        group.spawn(async move { Ok(i) });
    }
    group.wait().await.unwrap()
}

/// Runs the workload called `name` once with `n` tasks.
pub async fn run(name: &str, n: usize) {
    match name {
        "joinset" => joinset(n).await,
        "joinset_ordered" => drop(black_box(joinset_ordered(n).await)),
        "group" => drop(black_box(group(n, None).await)),
        "group_deadline" => drop(black_box(group(n, Some(HOUR)).await)),
        "futures_unordered" => drop(black_box(futures_unordered(n).await)),
        "scoped" => drop(black_box(scoped(n, None).await)),
        "scoped_deadline" => drop(black_box(scoped(n, Some(HOUR)).await)),
        other => panic!("no workload {other:?}"),
    }
}

/// Every workload, baselines first.
pub const ALL: [&str; 7] = [
    "joinset",
    "joinset_ordered",
    "group",
    "group_deadline",
    "futures_unordered",
    "scoped",
    "scoped_deadline",
];

/// The outputs in spawn order, as `Report::into_result` builds them (sized up front).
fn in_order(outputs: Vec<Option<usize>>) -> Vec<usize> {
    let mut ordered = Vec::with_capacity(outputs.len());
    ordered.extend(outputs.into_iter().flatten());
    ordered
}
