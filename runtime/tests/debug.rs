//! `Debug` output is for people: no clock internals.

use std::time::Duration;

use autocancel_runtime::{Ctx, Deadline};

#[tokio::test(start_paused = true)]
async fn cancelled_by_a_deadline_prints_durations() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(7));
    let err = ctx.cancelled().await;
    tokio::time::advance(Duration::from_millis(2)).await;
    assert_eq!(
        format!("{err:?}"),
        "Cancelled(DeadlineExceeded { deadline: Deadline(2ms ago), budget: 7s, idle: false, propagated: false })"
    );
}

#[tokio::test(start_paused = true)]
async fn deadline_prints_time_left() {
    let deadline = Deadline::after(Duration::from_millis(6500));
    assert_eq!(format!("{deadline:?}"), "Deadline(in 6.5s)");
    let ctx = Ctx::new().with_deadline(deadline);
    let printed = format!("{ctx:?}");
    assert!(printed.contains("Deadline(in 6.5s)"), "{printed}");
    assert!(!printed.contains("tv_sec"), "{printed}");
}
