//! `#[async_trait]` (also `?Send`, and tonic's re-export) with `#[cancellable]` methods, alone
//! and with `#[tracing::instrument]` in both orders.
use async_trait::async_trait;
use autocancel::{cancellable, Cancelled, Ctx};

#[async_trait]
pub trait Store: Send + Sync {
    #[cancellable]
    async fn scan(&self, ctx: &Ctx, keys: Vec<String>) -> Result<usize, Cancelled> {
        let mut n = 0;
        for _ in keys {
            tokio::task::yield_now().await;
            n += 1;
        }
        Ok(n)
    }

    async fn put(&self, key: String) -> Result<(), Cancelled>;
    async fn get(&self, key: &str) -> Option<String>;
    async fn flush(&mut self);
}

pub struct Mem {
    ctx: Ctx,
}

impl AsRef<Ctx> for Mem {
    fn as_ref(&self) -> &Ctx {
        &self.ctx
    }
}

#[async_trait]
impl Store for Mem {
    #[tracing::instrument(skip(self), err)]
    #[cancellable(ctx = self)]
    async fn put(&self, key: String) -> Result<(), Cancelled> {
        while key.is_empty() {
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    #[cancellable]
    #[tracing::instrument(skip(self))]
    async fn get(&self, key: &str) -> Option<String> {
        loop {
            tokio::task::yield_now().await;
            return Some(key.to_owned());
        }
    }

    #[cancellable]
    async fn flush(&mut self) {
        loop {
            tokio::task::yield_now().await;
        }
    }
}

#[async_trait(?Send)]
pub trait LocalJob {
    #[cancellable]
    async fn run(&self, ctx: Ctx) -> Result<(), Cancelled> {
        loop {
            tokio::task::yield_now().await;
            ctx.check()?;
        }
    }
}

#[tonic::async_trait]
pub trait Greeter: Send + Sync + 'static {
    async fn hello(&self, name: String) -> Result<String, Cancelled>;
}

#[tonic::async_trait]
impl Greeter for Mem {
    #[cancellable]
    async fn hello(&self, name: String) -> Result<String, Cancelled> {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        Ok(name)
    }
}

fn main() {}
