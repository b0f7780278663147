//! The only loop is in a `fn` declared inside the annotated one: a function of its own.
use autocancel::{cancellable, Cancelled};

#[cancellable]
fn outer(n: u64) -> Result<u64, Cancelled> {
    fn count(n: u64) -> u64 {
        let mut i = 0;
        while i < n {
            i += 1;
        }
        i
    }
    Ok(count(n))
}

fn main() {}
