//! The only wait is an `.await` inside a user's macro's arguments, which #[cancellable] does not
//! enter (std's and tracing's argument-list macros it does: see `macros/impl/src/sites/macro_args.rs`).
use autocancel::{cancellable, Cancelled};

async fn fetch() -> u32 {
    1
}

macro_rules! show {
    ($e:expr) => {
        println!("{}", $e)
    };
}

#[cancellable]
async fn report() -> Result<(), Cancelled> {
    show!(fetch().await);
    Ok(())
}

fn main() {}
