//! `Ctx::with_propagated_timeout`: a deadline from the caller says so in its cause, and an
//! earlier local deadline keeps its own origin.

use std::time::Duration;

use autocancel_runtime::{Cause, Ctx};

const MS: Duration = Duration::from_millis(1);

#[tokio::test(start_paused = true)]
async fn the_callers_deadline_is_marked_propagated() {
    let ctx = Ctx::new().with_propagated_timeout(300 * MS);
    let child = ctx.child();
    let err = child.cancelled().await;
    assert!(err.is_deadline_exceeded());
    assert!(err.cause().is_propagated_deadline());
    assert!(matches!(
        ctx.cause(),
        Some(Cause::DeadlineExceeded {
            propagated: true,
            ..
        })
    ));
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "deadline exceeded (after 300ms, set by the caller)"
    );
}

#[tokio::test(start_paused = true)]
async fn an_earlier_local_deadline_is_local() {
    let request = Ctx::new().with_propagated_timeout(300 * MS);
    let local = request.with_timeout(100 * MS);
    let err = local.cancelled().await;
    assert!(err.is_deadline_exceeded());
    assert!(!err.cause().is_propagated_deadline());
    assert_eq!(err.to_string(), "deadline exceeded (after 100ms)");
}

#[tokio::test(start_paused = true)]
async fn a_later_local_deadline_inherits_the_callers() {
    let request = Ctx::new().with_propagated_timeout(300 * MS);
    let local = request.with_timeout(Duration::from_secs(5));
    let err = local.cancelled().await;
    assert!(err.cause().is_propagated_deadline());
}
