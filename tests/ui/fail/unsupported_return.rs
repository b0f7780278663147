use autocancel::cancellable;

#[cancellable]
async fn count(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        total += i;
    }
    total
}

#[cancellable]
fn wrong_error() -> Result<(), String> {
    loop {}
}

fn main() {}
