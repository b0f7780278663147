use autocancel::cancellable;

#[cancellable(crate)]
async fn missing_value() {}

#[cancellable(ctx = "parent")]
async fn not_an_ident() {}

#[cancellable(crate = ::cancellable ctx = c)]
async fn missing_comma() {}

fn main() {}
