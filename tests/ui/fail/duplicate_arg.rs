use autocancel::{cancellable, Ctx};

#[cancellable(ctx = a, ctx = b)]
async fn task(a: Ctx, b: Ctx) {
    drop((a, b));
}

#[cancellable(crate = ::cancellable, crate = ::cancellable)]
fn blocking() {}

fn main() {}
