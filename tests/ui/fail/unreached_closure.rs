//! The only loop is in a closure: #[cancellable] would add no checkpoint at all.
use autocancel::{cancellable, Cancelled};

#[cancellable]
fn sum(rows: &[Vec<u64>]) -> Result<u64, Cancelled> {
    Ok(rows
        .iter()
        .map(|row| {
            let mut total = 0;
            for x in row {
                total += x;
            }
            total
        })
        .sum())
}

fn main() {}
