//! `crate = path`: generated code reaches the runtime through a re-export.
mod rt {
    pub use autocancel::*;
}

mod app {
    use crate::rt::{cancellable, Cancelled};

    #[cancellable(crate = crate::rt)]
    pub async fn path_form() -> Result<(), Cancelled> {
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    #[cancellable(crate = "crate::rt")]
    pub fn string_form() -> Option<u32> {
        let mut i = 0;
        while i < 2 {
            i += 1;
        }
        Some(i)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    app::path_form().await.unwrap();
    assert_eq!(app::string_form(), Some(2));
}
