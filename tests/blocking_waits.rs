//! Blocking waits in annotated blocking functions end at the cancellation, as
//! `std::thread::sleep` does (`macros/impl/src/sites/blocking_wait.rs`, `autocancel::blocking`). Each task
//! waits on something that never comes: without the rewrite it would block its thread for good,
//! and `group.wait()` with it (the 60 s guard then fails the test instead of hanging it).

use autocancel::{cancellable, Cancelled, Group};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

/// issue 20's "silent forever": a blocking worker on `blocking_recv`.
#[cancellable]
fn tokio_worker(mut rx: tokio::sync::mpsc::Receiver<u32>) -> Result<u32, Cancelled> {
    Ok(rx.blocking_recv().unwrap_or(0))
}

#[cancellable]
fn tokio_lock(m: Arc<tokio::sync::Mutex<u32>>) -> Result<u32, Cancelled> {
    let guard = m.blocking_lock();
    Ok(*guard)
}

#[cancellable]
fn std_worker(rx: mpsc::Receiver<u32>) -> Result<u32, Cancelled> {
    Ok(rx.recv().unwrap_or(0))
}

#[cancellable]
fn condvar_worker(pair: Arc<(Mutex<bool>, Condvar)>) -> Result<u32, Cancelled> {
    let (lock, cv) = &*pair;
    let mut ready = lock.lock().unwrap();
    while !*ready {
        ready = cv.wait(ready).unwrap();
    }
    Ok(1)
}

#[cancellable]
fn parked() -> Result<u32, Cancelled> {
    std::thread::park();
    // A spurious wakeup: park again, as callers of `park` do.
    std::thread::park();
    Ok(1)
}

#[cancellable]
fn joiner() -> Result<u32, Cancelled> {
    let (_keep, rx) = mpsc::channel::<()>();
    let never = std::thread::spawn(move || {
        let _ = rx.recv();
    });
    let _ = never.join();
    Ok(1)
}

async fn ends_at_the_deadline(f: impl FnOnce() -> Result<u32, Cancelled> + Send + 'static) {
    let mut group = Group::with_timeout(Duration::from_millis(50));
    group.spawn_blocking(f);
    let out = tokio::time::timeout(Duration::from_secs(60), group.wait())
        .await
        .expect("the blocking wait ends at the deadline");
    assert!(out.unwrap_err().is_deadline_exceeded());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_recv_ends_at_the_deadline() {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    ends_at_the_deadline(move || tokio_worker(rx)).await;
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_lock_ends_at_the_deadline() {
    let m = Arc::new(tokio::sync::Mutex::new(1));
    let held = m.clone().lock_owned().await;
    ends_at_the_deadline(move || tokio_lock(m)).await;
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn std_recv_ends_at_the_deadline() {
    let (tx, rx) = mpsc::channel();
    ends_at_the_deadline(move || std_worker(rx)).await;
    drop(tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condvar_wait_ends_at_the_deadline() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    ends_at_the_deadline(move || condvar_worker(pair)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn park_ends_at_the_deadline() {
    ends_at_the_deadline(parked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_ends_at_the_deadline() {
    ends_at_the_deadline(joiner).await;
}

/// A blocking closure handed to `spawn_blocking` inside an annotated function gets the same
/// rewrite, on the caller's context.
#[cancellable]
async fn starts_a_blocking_loop(rx: mpsc::Receiver<u32>) -> Result<(), Cancelled> {
    let h = tokio::task::spawn_blocking(move || loop {
        let _ = rx.recv();
    });
    #[shield]
    let _ = h.await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawn_blocking_closure_ends_with_its_caller() {
    let (tx, rx) = mpsc::channel();
    let mut group = Group::<(), Cancelled>::with_timeout(Duration::from_millis(50));
    group.spawn(starts_a_blocking_loop(rx));
    let out = tokio::time::timeout(Duration::from_secs(60), group.wait())
        .await
        .expect("the closure's loop ends at the deadline");
    assert!(out.unwrap_err().is_deadline_exceeded());
    drop(tx);
}
