use autocancel::cancellable;

#[cancellable]
pub trait Task {
    fn run(&self) -> Option<()> {
        loop {}
    }
}

fn main() {}
