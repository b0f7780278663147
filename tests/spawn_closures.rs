//! Spawns inside closures and iterator adapters, and tokio's method spawns, follow their creator
//! (`macros/impl/src/sites/foreign_spawns.rs`, `macros/impl/src/sites/method_spawn.rs`): workers started by an
//! annotated function stop at its group's deadline. Each worker loops forever, so a worker that
//! did not get the context would still be running (its handle not finished) after the deadline.

use autocancel::{cancellable, Cancelled, Group};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};

type Handles = Arc<Mutex<Vec<JoinHandle<Result<(), Cancelled>>>>>;

#[cancellable]
async fn worker(_i: u32) -> Result<(), Cancelled> {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The fan-out most code starts with: spawns in a `map` closure.
#[cancellable]
async fn fan_out(n: u32, handles: Handles) -> Result<(), Cancelled> {
    let hs: Vec<_> = (0..n).map(|i| tokio::spawn(worker(i))).collect();
    handles.lock().unwrap().extend(hs);
    std::future::pending::<()>().await;
    Ok(())
}

/// A closure that spawns an inline `async` block with a loop.
#[cancellable]
async fn fan_out_blocks(n: u32, handles: Handles) -> Result<(), Cancelled> {
    (0..n).for_each(|_| {
        let h: JoinHandle<Result<(), Cancelled>> = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        handles.lock().unwrap().push(h);
    });
    std::future::pending::<()>().await;
    Ok(())
}

/// `JoinSet::spawn` and `Handle::current().spawn`.
#[cancellable]
async fn methods(handles: Handles, results: Arc<Mutex<Vec<bool>>>) -> Result<(), Cancelled> {
    let mut set = JoinSet::new();
    set.spawn(worker(0));
    set.spawn(worker(1));
    let h = tokio::runtime::Handle::current().spawn(worker(2));
    handles.lock().unwrap().push(h);
    #[shield]
    while let Some(res) = set.join_next().await {
        results.lock().unwrap().push(res.unwrap().is_err());
    }
    Ok(())
}

async fn deadline_stops(
    task: impl std::future::Future<Output = Result<(), Cancelled>> + Send + 'static,
) {
    let mut group = Group::<(), Cancelled>::with_timeout(Duration::from_secs(1));
    group.spawn(task);
    let err = group.wait().await.unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
}

async fn all_stopped(handles: &Handles, expected: usize) {
    let hs: Vec<_> = handles.lock().unwrap().drain(..).collect();
    assert_eq!(hs.len(), expected);
    for h in hs {
        let out = tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .expect("the worker ends with its caller")
            .unwrap();
        assert!(out.unwrap_err().is_deadline_exceeded());
    }
}

#[tokio::test(start_paused = true)]
async fn workers_spawned_in_a_map_closure_stop_with_their_caller() {
    let handles = Handles::default();
    deadline_stops(fan_out(3, handles.clone())).await;
    all_stopped(&handles, 3).await;
}

#[tokio::test(start_paused = true)]
async fn async_blocks_spawned_in_a_closure_stop_with_their_caller() {
    let handles = Handles::default();
    deadline_stops(fan_out_blocks(2, handles.clone())).await;
    all_stopped(&handles, 2).await;
}

#[tokio::test(start_paused = true)]
async fn joinset_and_handle_spawns_stop_with_their_caller() {
    let handles = Handles::default();
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut group = Group::<(), Cancelled>::with_timeout(Duration::from_secs(1));
    group.spawn(methods(handles.clone(), results.clone()));
    // The shielded join loop outlives the deadline until the JoinSet's workers end.
    let _ = group.wait().await;
    all_stopped(&handles, 1).await;
    assert_eq!(*results.lock().unwrap(), [true, true]);
}
