use cancellable::cancellable;

#[cancellable(timeout = 7, retry)]
async fn task() -> Result<(), cancellable::Cancelled> {
    Ok(())
}

fn main() {}
