// `#[cancellable]` on `#[async_trait]` methods: an impl method with a `&Ctx` parameter, one
// reading the context from `self`, a `()` method, and a trait default method.
#[async_trait::async_trait]
trait Service: Send + Sync {
    async fn handle(&self, ctx: &Ctx, n: u32) -> Result<u32, Cancelled>;
    async fn own(&self) -> Result<(), Cancelled>;
    async fn unit(&mut self, ctx: Ctx);
    #[doc = "@cancellable"]
    async fn default_method(&self, ctx: Ctx) -> Option<u32> {
        loop {
            step().await;
        }
    }
}

#[async_trait::async_trait]
impl Service for Svc {
    #[doc = "@cancellable"]
    async fn handle(&self, ctx: &Ctx, n: u32) -> Result<u32, Cancelled> {
        for _ in 0..n {
            self.step().await;
        }
        Ok(n)
    }

    #[doc = "@cancellable(ctx = self)"]
    async fn own(&self) -> Result<(), Cancelled> {
        loop {
            self.step().await;
        }
    }

    #[doc = "@cancellable"]
    async fn unit(&mut self, ctx: Ctx) {
        while self.busy() {}
    }
}

const __STUBS: () = ();
pub struct Ctx;
pub struct Cancelled;
impl std::fmt::Display for Cancelled {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}
impl std::fmt::Debug for Cancelled {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}
async fn step() {}
pub struct Svc;
impl Svc {
    async fn step(&self) {}
    fn busy(&self) -> bool {
        false
    }
}
