// Spawned work inherits the caller's context.
#[cancellable]
async fn fan_out(jobs: Vec<Job>) -> Result<(), Cancelled> {
    for job in jobs {
        tokio::spawn(run(job));
    }
    let local = tokio::task::spawn_local(async move { tick().await });
    let blocking = task::spawn_blocking(move || crunch());
    // Detached on purpose, and other calls named `spawn`: left as written.
    tokio::spawn(autocancel::detached(flush()));
    std::thread::spawn(|| ());
    set.spawn(run(Job::default()));
    #[shield]
    tokio::spawn(cleanup());
    local.await.unwrap();
    blocking.await.unwrap();
    Ok(())
}

// Blocking functions carry their context into the tasks they start, too.
#[cancellable]
fn start(handle: &Handle, ctx: &Ctx) {
    let _enter = handle.enter();
    tokio::spawn(run(Job::default()));
}
