//! Child contexts are linked to their parent lazily (`runtime/src/ctx/state/link.rs`): a loop
//! checked against a child that nothing waits on still stops when an ancestor is cancelled,
//! before and after the child has linked itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Cause, Ctx};

#[cancellable]
fn spin(ctx: &Ctx, turns: &AtomicU64) -> Result<(), Cancelled> {
    loop {
        turns.fetch_add(1, Ordering::Relaxed);
    }
}

fn stops_after(turns_before_cancel: u64) {
    let server = Ctx::new();
    let request = server.with_timeout(Duration::from_secs(3600));
    let call = request.child();
    let turns = AtomicU64::new(0);
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            while turns.load(Ordering::Relaxed) < turns_before_cancel {
                std::hint::spin_loop();
            }
            server.cancel_with_reason("shutdown");
        });
        spin(&call, &turns).unwrap_err()
    });
    assert!(matches!(err.cause(), Cause::ParentCancelled(_)), "{err}");
    assert_eq!(err.cause().root().to_string(), "cancelled: shutdown");
}

#[test]
fn a_loop_on_an_unlinked_grandchild_stops_at_its_first_checks() {
    stops_after(0);
    stops_after(2);
}

#[test]
fn a_loop_that_has_linked_its_context_stops_too() {
    stops_after(10_000);
}
