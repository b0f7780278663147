// Spawns in closures and adapters follow their creator; tokio's method spawns where the
// receiver says what it is; groups keep their own context.
#[cancellable]
async fn fan_out(n: u32, set: &mut JoinSet<u32>, group: &mut Group) -> Result<(), Cancelled> {
    let hs: Vec<_> = (0..n).map(|i| tokio::spawn(worker(i))).collect();
    let blocking: Vec<_> = (0..n).map(move |i| task::spawn_blocking(move || crunch(i))).collect();
    let mut local = JoinSet::new();
    local.spawn(worker(0));
    set.spawn_blocking(move || crunch(1));
    Handle::current().spawn(worker(2));
    tokio::task::Builder::new().name("w").spawn(worker(3))?;
    (0..n).for_each(|i| {
        tokio::spawn(async move {
            loop {
                tick(i).await;
            }
        });
    });
    group.spawn(worker(4));
    other.spawn(worker(5));
    for h in hs {
        h.await;
    }
    Ok(())
}
