//! The context from a parameter: by value, by reference, named explicitly, or `self`.
use autocancel::{cancellable, Cancelled, Ctx};

#[cancellable]
async fn by_value(ctx: Ctx, n: u32) -> Result<u32, Cancelled> {
    let mut i = 0;
    while i < n {
        tokio::task::yield_now().await;
        i += 1;
    }
    drop(ctx); // still the caller's to use: the scope holds its own clone
    Ok(i)
}

#[cancellable]
fn by_ref(n: u32, ctx: &autocancel::Ctx) -> Result<u32, Cancelled> {
    let mut i = 0;
    for _ in 0..n {
        i += 1;
    }
    ctx.check()?;
    Ok(i)
}

#[cancellable]
async fn by_mut_ref(ctx: &mut Ctx) -> Result<(), Cancelled> {
    loop {
        tokio::task::yield_now().await;
        return ctx.check();
    }
}

struct Worker {
    ctx: Ctx,
}

impl AsRef<Ctx> for Worker {
    fn as_ref(&self) -> &Ctx {
        &self.ctx
    }
}

impl Worker {
    #[cancellable(ctx = self)]
    async fn run(&self) -> Result<(), Cancelled> {
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        Ok(())
    }
}

#[cancellable(ctx = parent)]
fn named(parent: &Worker, n: u32) -> Option<u32> {
    let mut i = 0;
    loop {
        if i == n {
            return Some(i);
        }
        i += 1;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let ctx = Ctx::new();
    assert_eq!(by_value(ctx.clone(), 2).await.unwrap(), 2);
    assert_eq!(by_ref(2, &ctx).unwrap(), 2);
    by_mut_ref(&mut ctx.clone()).await.unwrap();
    let worker = Worker { ctx };
    worker.run().await.unwrap();
    assert_eq!(named(&worker, 3), Some(3));
}
