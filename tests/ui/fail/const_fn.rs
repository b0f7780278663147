use autocancel::cancellable;

#[cancellable]
const fn steps() -> Option<u32> {
    Some(3)
}

fn main() {}
