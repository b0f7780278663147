use autocancel::{cancellable, Ctx};

#[cancellable]
async fn task(_parent: &Ctx, _child: Ctx) {}

fn main() {}
