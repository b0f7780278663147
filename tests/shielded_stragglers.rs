//! A task inside a shielded section when the grace period runs out is waited for, not aborted —
//! and reported as a straggler once it ends, named, with how long after the cancellation it
//! ended (`TaskSet::shutdown`, `Group::wait_report`, `ScopedGroup::wait_report`).

use std::time::Duration;

use autocancel::{cancellable, Cancelled, Group, ScopedGroup, TaskKind, TaskSet};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

/// The reproduction of issue 21, bug 2.
#[cancellable]
async fn step() -> Result<(), Cancelled> {
    #[shield]
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn task_set_shutdown_reports_a_shielded_straggler() {
    let set = TaskSet::new().grace(100 * MS);
    set.spawn_named("step", step());
    tokio::time::sleep(50 * MS).await;
    let start = Instant::now();
    let r = set.shutdown().await;
    assert_eq!(start.elapsed(), 450 * MS, "waited for the shield");
    let [straggler] = &r.stragglers[..] else {
        panic!("one straggler: {r}")
    };
    assert_eq!(&*straggler.name, "step");
    assert!(!straggler.aborted, "waited for, not aborted");
    assert_eq!(straggler.overdue, 450 * MS);
    assert_eq!(straggler.kind, TaskKind::Async);
    assert!(!r.is_clean());
    assert!(
        r.to_string()
            .contains("task `step` ignored cancellation: ended 450ms after it"),
        "{r}"
    );
}

/// A shielded straggler and an aborted one: both reported, in the order they ended.
#[tokio::test(start_paused = true)]
async fn task_set_reports_aborted_and_shielded_stragglers_in_order() {
    let set = TaskSet::new().grace(100 * MS);
    set.spawn_named("step", step());
    set.spawn_named("deaf", async {
        tokio::time::sleep(Duration::from_secs(60)).await; // no checkpoint
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    let r = set.shutdown().await;
    let seen: Vec<_> = r
        .stragglers
        .iter()
        .map(|s| (&*s.name, s.aborted, s.overdue))
        .collect();
    assert_eq!(seen, [("deaf", true, 100 * MS), ("step", false, 500 * MS)]);
}

#[tokio::test(start_paused = true)]
async fn group_wait_report_reports_a_shielded_straggler() {
    let mut group: Group = Group::new().grace(100 * MS);
    group.spawn_named("step", step());
    tokio::time::sleep(50 * MS).await;
    group.ctx().cancel();
    let start = Instant::now();
    let report = group.wait_report().await;
    assert_eq!(start.elapsed(), 450 * MS);
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {:?}", report.stragglers)
    };
    assert_eq!(&*straggler.name, "step");
    assert!(!straggler.aborted);
    assert_eq!(straggler.overdue, 450 * MS);
    assert_eq!(straggler.kind, TaskKind::Async);
    assert_eq!(report.outputs.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn scoped_group_wait_report_reports_a_shielded_straggler() {
    let mut group: ScopedGroup<'_> = ScopedGroup::with_timeout(50 * MS).grace(100 * MS);
    group.spawn_named("step", step());
    let report = group.wait_report().await;
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {:?}", report.stragglers)
    };
    assert_eq!(&*straggler.name, "step");
    assert!(!straggler.aborted);
    assert_eq!(straggler.overdue, 450 * MS);
}

/// A task that leaves its shield within the grace period is no straggler.
#[tokio::test(start_paused = true)]
async fn a_shield_left_within_the_grace_period_is_clean() {
    let set = TaskSet::new().grace(Duration::from_secs(1));
    set.spawn(step());
    tokio::task::yield_now().await;
    assert!(set.shutdown().await.is_clean());
    let mut group: Group = Group::with_timeout(10 * MS).grace(Duration::from_secs(1));
    group.spawn(step());
    assert!(group.wait_report().await.stragglers.is_empty());
}
