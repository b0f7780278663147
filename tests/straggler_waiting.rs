//! A straggler's report says where it waits: the `.await` of a `#[cancellable]` function it is
//! blocked at, and for how long.

use std::time::Duration;

use autocancel::{cancellable, Cancelled, Ctx, Group};

/// Given a context the group does not cancel: its awaits do not stop when the group does.
#[cancellable]
async fn stuck(ctx: Ctx) -> Result<(), Cancelled> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    tokio::time::sleep(Duration::from_secs(60)).await; // line 12: where it waits
    Ok(())
}

#[cancellable]
async fn calls_stuck(ctx: Ctx) -> Result<(), Cancelled> {
    stuck(ctx.clone()).await // line 18
}

#[tokio::test(start_paused = true)]
async fn an_aborted_straggler_says_which_await_it_waits_at_and_since_when() {
    let mut group: Group = Group::with_timeout(Duration::from_secs(1));
    group.spawn_named("stuck", async {
        tokio::time::sleep(Duration::from_millis(240)).await;
        stuck(Ctx::new()).await
    });
    let report = group.wait_report().await;
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {:?}", report.stragglers)
    };
    let waiting = straggler.waiting.expect("where it waits");
    assert_eq!(
        (waiting.location.file(), waiting.location.line()),
        (file!(), 12)
    );
    // Parked at 0.25 s, aborted at the deadline plus the grace period, 1.1 s.
    assert_eq!(waiting.duration, Duration::from_millis(850));
    let text = straggler.to_string();
    assert!(
        text.ends_with(&format!(
            "aborted 100ms after it, waiting at {} for 850ms",
            waiting.location
        )),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn nested_calls_report_an_await_on_the_parked_path() {
    let mut group: Group = Group::with_timeout(Duration::from_secs(1));
    group.spawn(calls_stuck(Ctx::new()));
    let report = group.wait_report().await;
    let waiting = report.stragglers[0].waiting.expect("where it waits");
    // The inner call moved to its second await after the outer one blocked: the last to block
    // at a new place is the inner one.
    assert_eq!(waiting.location.line(), 12);
}

#[tokio::test(start_paused = true)]
async fn a_task_waiting_outside_any_annotated_await_reports_no_place() {
    let mut group: Group = Group::with_timeout(Duration::from_secs(1));
    group.spawn(async {
        stuck_briefly().await?; // blocked here once, then returned: no longer where it waits
        tokio::time::sleep(Duration::from_secs(60)).await; // a plain await: not tracked
        Ok(())
    });
    let report = group.wait_report().await;
    assert!(
        report.stragglers[0].waiting.is_none(),
        "{:?}",
        report.stragglers
    );
}

#[cancellable]
async fn stuck_briefly() -> Result<(), Cancelled> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}

/// A `TaskSet` task takes its index in the set when it first needs one (here: when its call
/// reports where it waits, in its first poll or a later one): each task's place is its own.
#[tokio::test(start_paused = true)]
async fn task_set_stragglers_each_say_where_they_wait() {
    let tasks = autocancel::TaskSet::new().grace(Duration::from_secs(1));
    tasks.spawn_named("first", stuck(Ctx::new()));
    tasks.spawn_named("second", async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stuck_briefly().await?;
        stuck(Ctx::new()).await
    });
    tasks.spawn_named("quick", async { Ok::<_, Cancelled>(()) });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = tasks.shutdown().await;
    assert_eq!(report.counts.succeeded, 1);
    assert_eq!(report.stragglers.len(), 2, "{:?}", report.stragglers);
    for (name, parked_at_ms) in [("first", 10), ("second", 120)] {
        let straggler = report
            .stragglers
            .iter()
            .find(|straggler| &*straggler.name == name)
            .expect("named straggler");
        assert!(straggler.aborted);
        let waiting = straggler.waiting.expect("where it waits");
        assert_eq!(waiting.location.line(), 12);
        // Aborted at the shutdown (0.5 s) plus the grace period (1 s).
        assert_eq!(
            waiting.duration,
            Duration::from_millis(1500 - parked_at_ms),
            "{name}"
        );
    }
}
