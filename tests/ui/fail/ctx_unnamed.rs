use autocancel::{cancellable, Ctx};

#[cancellable]
async fn task(_: Ctx) {}

fn main() {}
