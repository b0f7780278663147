use autocancel::{cancellable, Ctx};

#[cancellable(ctx = parent)]
async fn task(_ctx: Ctx) {
    loop {}
}

fn main() {}
