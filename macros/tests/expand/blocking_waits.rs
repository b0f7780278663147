// Blocking waits in a blocking fn end at the cancellation, as `std::thread::sleep` does.
#[cancellable]
fn consume(rx: std::sync::mpsc::Receiver<u32>, mut trx: Receiver<u32>, m: &Mutex<u8>, cv: &Condvar, state: &StdMutex<bool>) -> Result<(), Cancelled> {
    let v = rx.recv();
    let w = rx.recv_timeout(Duration::from_secs(1));
    let t = trx.blocking_recv();
    tx.blocking_send(5).unwrap();
    let g = m.blocking_lock();
    let mut ready = state.lock().unwrap();
    while !*ready {
        ready = cv.wait(ready).unwrap();
    }
    std::thread::park();
    let out = worker.join();
    // Left as written: not a wait's spelling, or shielded.
    let s = parts.join(",");
    #[shield]
    let kept = rx.recv();
    Ok(())
}

// Blocking closures handed to spawn_blocking get the same rewrite, on the thread's ambient context.
#[cancellable]
async fn start(rx: std::sync::mpsc::Receiver<u32>) -> Result<(), Cancelled> {
    let h = tokio::task::spawn_blocking(move || loop {
        let job = rx.recv();
        std::thread::sleep(Duration::from_millis(10));
    });
    h.await;
    Ok(())
}
