//! tokio-util's `CancellationToken` <-> `Ctx` (feature `tokio-util`): cancellation crosses both
//! ways, and nothing stays registered once either side is dropped. Run alone with
//! `cargo test -p autocancel-runtime --features tokio-util --test token`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use autocancel_runtime::{Cause, Ctx};
use tokio_util::sync::CancellationToken;

/// Counts the bytes live on each thread: what a test allocates and frees on its own thread,
/// however many tests run at once.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const-initialised `Cell` with no
// destructor, so touching it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|live| live.set(live.get() + layout.size() as isize));
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|live| live.set(live.get() - layout.size() as isize));
        // SAFETY: `ptr` came from `alloc` above with this `layout`, which is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

#[test]
fn a_context_from_a_token_is_cancelled_with_it() {
    let token = CancellationToken::new();
    let ctx = Ctx::from_token(token.clone());
    let child = ctx.child();
    assert!(!ctx.is_cancelled());
    token.cancel();
    assert!(ctx.is_cancelled());
    assert!(child.is_cancelled());
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "cancelled: CancellationToken cancelled"
    );
}

#[test]
fn a_context_from_a_cancelled_token_is_cancelled() {
    let token = CancellationToken::new();
    token.cancel();
    assert!(Ctx::from(token).is_cancelled());
}

#[test]
fn cancelling_the_context_leaves_the_token_alone() {
    let token = CancellationToken::new();
    let ctx = Ctx::from_token(token.clone());
    ctx.cancel();
    assert!(!token.is_cancelled());
    let ctx = Ctx::new();
    ctx.token().cancel();
    assert!(!ctx.is_cancelled());
}

#[test]
fn a_token_from_a_context_is_cancelled_with_it() {
    let parent = Ctx::new();
    let ctx = parent.child();
    let token = ctx.token();
    let child_token = token.child_token();
    assert!(!token.is_cancelled());
    parent.cancel();
    assert!(token.is_cancelled());
    assert!(child_token.is_cancelled());
}

#[test]
fn a_token_from_a_cancelled_context_is_cancelled() {
    let ctx = Ctx::new();
    ctx.cancel_with(Cause::cancelled(Some("done")));
    assert!(ctx.token().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn a_token_from_a_context_is_cancelled_at_its_deadline() {
    let ctx = Ctx::new().with_timeout(std::time::Duration::from_secs(2));
    let token = ctx.token();
    let start = tokio::time::Instant::now();
    token.cancelled().await;
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(2));
}

#[test]
fn contexts_from_a_long_lived_token_leave_nothing_behind() {
    let token = CancellationToken::new();
    // Warm-up: first-use allocations (thread-locals, the root context) are not leaks.
    drop(Ctx::from_token(token.clone()).child());
    let before = live();
    for _ in 0..1000 {
        let ctx = Ctx::from_token(token.clone());
        let _child = ctx.child();
    }
    assert_eq!(
        live(),
        before,
        "a registration or a context outlived its drop"
    );
    token.cancel();
}

#[test]
fn tokens_from_a_long_lived_context_leave_nothing_behind() {
    let ctx = Ctx::new();
    drop(ctx.token());
    drop(ctx.child().token()); // and the list of children's first allocation
    let before = live();
    for _ in 0..1000 {
        let token = ctx.token(); // the same token each time: no registration per call
        let _child = token.child_token();
    }
    assert_eq!(live(), before, "asking for a token left something behind");
    for _ in 0..1000 {
        let child = ctx.child();
        let _token = child.token(); // one registration per child, gone with it
    }
    assert_eq!(live(), before, "a child's token outlived the child");
}

#[test]
fn dropping_both_sides_frees_everything() {
    let before = live();
    for _ in 0..1000 {
        let token = CancellationToken::new();
        let ctx = Ctx::from_token(token.clone());
        let back = ctx.token();
        drop(token);
        drop(ctx);
        drop(back);
    }
    assert_eq!(live(), before);
}
