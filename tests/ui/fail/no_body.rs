use autocancel::cancellable;

trait Task {
    #[cancellable]
    fn run(&self) -> Option<()>;
}

fn main() {}
