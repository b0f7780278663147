use autocancel::cancellable;

#[cancellable(timeout = 7, retry)]
async fn task() -> Result<(), autocancel::Cancelled> {
    Ok(())
}

fn main() {}
