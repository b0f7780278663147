use autocancel::cancellable;

#[cancellable]
pub struct Task {
    steps: u32,
}

fn main() {}
