//! `Ctx::on_cancel`: runs once at the cancellation, not after its guard is dropped or stopped,
//! at once on a context already cancelled, at a deadline nobody checks, and survives a panic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autocancel_runtime::{Cancelled, Ctx};

fn counter() -> (Arc<AtomicUsize>, impl Fn() -> usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let read = {
        let count = count.clone();
        move || count.load(Ordering::SeqCst)
    };
    (count, read)
}

fn bump(count: &Arc<AtomicUsize>) -> impl FnOnce(Cancelled) + Send + 'static {
    let count = count.clone();
    move |_| {
        count.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn runs_once_at_the_cancellation_with_its_cause() {
    let ctx = Ctx::new();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let guard = ctx.on_cancel({
        let seen = seen.clone();
        move |cancelled| *seen.lock().unwrap() = Some(cancelled.to_string())
    });
    assert!(seen.lock().unwrap().is_none());
    ctx.cancel_with_reason("bye");
    ctx.cancel_with_reason("again");
    assert_eq!(seen.lock().unwrap().as_deref(), Some("cancelled: bye"));
    assert!(!guard.stop(), "it has run: stop says so");
}

#[test]
fn a_dropped_or_stopped_guard_unregisters() {
    let ctx = Ctx::new();
    let (count, read) = counter();
    drop(ctx.on_cancel(bump(&count)));
    let guard = ctx.on_cancel(bump(&count));
    assert!(guard.stop(), "stopped before it ran");
    ctx.cancel();
    assert_eq!(read(), 0);
}

#[test]
fn a_detached_function_runs_at_the_cancellation() {
    let ctx = Ctx::new();
    let (count, read) = counter();
    ctx.on_cancel(bump(&count)).detach();
    ctx.child().cancel(); // a child's cancellation is not this context's
    assert_eq!(read(), 0);
    ctx.cancel();
    assert_eq!(read(), 1);
}

#[test]
fn runs_at_once_on_a_context_already_cancelled() {
    let ctx = Ctx::new();
    ctx.cancel();
    let (count, read) = counter();
    let guard = ctx.on_cancel(bump(&count));
    assert_eq!(read(), 1);
    assert!(!guard.stop());
}

#[test]
fn runs_when_a_parent_is_cancelled() {
    let parent = Ctx::new();
    let child = parent.child();
    let (count, read) = counter();
    let _guard = child.on_cancel(bump(&count));
    parent.cancel();
    assert_eq!(read(), 1);
}

#[tokio::test(start_paused = true)]
async fn runs_at_a_deadline_nobody_checks() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(3));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _guard = ctx.on_cancel(move |cancelled| {
        let _ = tx.send((tokio::time::Instant::now(), cancelled));
    });
    let start = tokio::time::Instant::now();
    let (at, cancelled) = rx.await.unwrap();
    assert_eq!(at - start, Duration::from_secs(3));
    assert!(cancelled.is_deadline_exceeded());
}

#[test]
fn a_panicking_function_does_not_keep_other_waiters_asleep() {
    let ctx = Ctx::new();
    let (count, read) = counter();
    let _first = ctx.on_cancel(|_| panic!("on purpose"));
    let _second = ctx.on_cancel(bump(&count));
    ctx.cancel();
    assert_eq!(read(), 1);
    assert!(ctx.is_cancelled());
}

#[test]
fn guards_do_not_keep_the_context_alive() {
    let ctx = Ctx::new();
    let (count, read) = counter();
    let holders = Arc::strong_count(&count);
    ctx.on_cancel(bump(&count)).detach();
    let guard = ctx.on_cancel(bump(&count));
    drop(ctx);
    assert!(guard.stop(), "the context is gone: the function never ran");
    assert_eq!(read(), 0);
    assert_eq!(
        Arc::strong_count(&count),
        holders,
        "both functions were dropped"
    );
}
