//! The only wait is an `.await` inside a macro's arguments, which #[cancellable] does not enter.
use autocancel::{cancellable, Cancelled};

async fn fetch() -> u32 {
    1
}

#[cancellable]
async fn report() -> Result<(), Cancelled> {
    println!("{}", fetch().await);
    Ok(())
}

fn main() {}
