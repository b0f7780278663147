// A loop in an array length runs at compile time: it is no checkpoint of the function, which
// then has none at all (issue 20: this compiled, silently uncancellable).
use autocancel::{cancellable, Cancelled};

#[cancellable]
async fn f(xs: Vec<u8>) -> Result<(), Cancelled> {
    let _a = [0u8; {
        while false {}
        4
    }];
    xs.iter().for_each(|_| loop {});
    Ok(())
}

fn main() {}
