//! `select!`, `join!` and spawns in every recognised spelling compile once rewritten: patterns,
//! `biased;`, `else`, `if` preconditions and handlers of every shape are kept; below
//! `#[tokio::main]`, where the return type is spelled out for `exit`, too.
use autocancel::{cancellable, detached, detached_blocking, Cancelled, Ctx};
use std::time::Duration;
use tokio::sync::mpsc;

#[cancellable]
async fn selects(mut rx: mpsc::Receiver<u32>, open: bool) -> Result<u32, Cancelled> {
    use tokio::select;
    let mut total = 0;
    loop {
        tokio::select! {
            biased;
            Some(v) = rx.recv(), if open => total += v,
            _ = tokio::time::sleep(Duration::from_millis(1)) => {
                tokio::task::yield_now().await;
            }
            else => break,
        }
        let r: Result<u32, u32> = Ok(1);
        let v = ::tokio::select! {
            Ok(v) | Err(v) = async { r } => v,
            () = std::future::pending() => { 0 }
        };
        total += v;
        select! {
            _ = async {} => return Ok(total)
        }
    }
    Ok(total)
}

#[cancellable]
async fn joins() -> Result<(u32, u32), Cancelled> {
    use tokio::join;
    let (a, b) = tokio::join!(async { 1 }, async { 2 });
    let (c,) = join!(async { 3 });
    let (d, e) = tokio::try_join!(async { Ok::<_, Cancelled>(4) }, async { Ok(5) })?;
    Ok((a + c + d, b + e))
}

#[cancellable]
async fn spawns(ctx: &Ctx) -> Result<(), Cancelled> {
    use tokio::task;
    let a = tokio::spawn(async { 1 });
    let b = ::tokio::task::spawn(async { 2 });
    let c = task::spawn_blocking(|| 3);
    let d = tokio::spawn(detached(async { 4 }));
    let e = tokio::task::spawn_blocking(detached_blocking(|| 5));
    let _ = (a.await, b.await, c.await, d.await, e.await);
    ctx.check()
}

#[tokio::main]
#[cancellable]
async fn main() {
    let (tx, rx) = mpsc::channel(1);
    drop(tx);
    tokio::select! {
        _ = selects(rx, true) => {}
        _ = joins() => {}
    }
    let ctx = Ctx::new();
    let _ = tokio::join!(spawns(&ctx));
}
