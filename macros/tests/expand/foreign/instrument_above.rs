// `#[tracing::instrument]` written above `#[cancellable]`: async and blocking, plain and with
// `err`/`ret`.
#[tracing::instrument(skip_all)]
#[doc = "@cancellable"]
async fn plain(ctx: &Ctx) -> Result<(), Cancelled> {
    loop {
        step().await;
    }
}

#[tracing::instrument(skip(ctx), err, ret)]
#[doc = "@cancellable"]
async fn err_ret(ctx: &Ctx, n: u32) -> Result<u32, Cancelled> {
    for _ in 0..n {
        step().await;
    }
    Ok(n)
}

#[tracing::instrument(skip_all, err)]
#[doc = "@cancellable"]
fn blocking(n: u32) -> Result<u32, Cancelled> {
    let mut i = 0;
    while i < n {
        i += 1;
    }
    Ok(i)
}

#[tracing::instrument]
#[doc = "@cancellable"]
fn blocking_plain(n: u32) -> Option<u32> {
    let mut i = 0;
    while i < n {
        i += 1;
    }
    Some(i)
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
