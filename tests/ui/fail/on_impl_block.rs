use autocancel::cancellable;

struct Worker;

#[cancellable]
impl Worker {
    async fn run(&self) -> Option<()> {
        loop {
            tokio::task::yield_now().await;
        }
    }
}

fn main() {}
