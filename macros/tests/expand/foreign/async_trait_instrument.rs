// `#[tracing::instrument]` and `#[cancellable]` on an `#[async_trait]` method, in both orders.
// Above: tracing instruments inside async-trait's `Box::pin(async move ..)` first. Below: the
// macro sees async-trait's output with `#[tracing::instrument]` still to expand.
#[async_trait::async_trait]
impl Service for Svc {
    #[tracing::instrument(skip(self, ctx), err)]
    #[doc = "@cancellable"]
    async fn above(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        loop {
            self.step().await;
        }
    }

    #[doc = "@cancellable"]
    #[doc = "@tracing::instrument(skip_all)"]
    async fn below(&self, ctx: &Ctx) -> Result<u32, Cancelled> {
        loop {
            self.step().await;
        }
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
#[async_trait::async_trait]
trait Service {
    async fn above(&self, ctx: &Ctx) -> Result<u32, Cancelled>;
    async fn below(&self, ctx: &Ctx) -> Result<u32, Cancelled>;
}
