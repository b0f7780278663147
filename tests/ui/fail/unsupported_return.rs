use autocancel::cancellable;

// One error per function, at the return type, however many checkpoints and awaits it has.
#[cancellable]
async fn count(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        total += i;
        tokio::task::yield_now().await;
    }
    while total > 10 {
        total -= 1;
    }
    total
}

#[cancellable]
fn wrong_error() -> Result<(), String> {
    loop {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn main() {}
