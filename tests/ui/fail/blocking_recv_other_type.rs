//! In a blocking `fn`, `.recv()` is rewritten as std's `mpsc::Receiver::recv`, made to end at
//! the cancellation; another type's `.recv()` is an error that says how to keep it as written.
use autocancel::{cancellable, Cancelled};

struct Chan;

impl Chan {
    fn recv(&self) -> Option<u32> {
        Some(1)
    }
}

#[cancellable]
fn drain(chan: &Chan) -> Result<u32, Cancelled> {
    let mut total = 0;
    while let Some(v) = chan.recv() {
        total += v;
    }
    Ok(total)
}

#[cancellable]
fn kept(chan: &Chan) -> Result<u32, Cancelled> {
    #[shield]
    let v = chan.recv();
    for _ in 0..1 {}
    Ok(v.unwrap_or(0))
}

fn main() {}
