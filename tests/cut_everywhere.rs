//! `autocancel::testing`: a test body cut at every cancellation point in turn, with the user's
//! invariants checked after each run. Needs `--features testing`.

use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel::testing::{self, CutTest};
use autocancel::{cancellable, Cancelled, Ctx, Group};

fn line(location: &'static Location<'static>) -> u32 {
    assert_eq!(location.file(), file!());
    location.line()
}

#[cancellable]
async fn three_steps(log: &Mutex<Vec<u32>>) -> Result<(), Cancelled> {
    for step in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        log.lock().unwrap().push(step);
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn each_run_cuts_one_point_further_until_a_run_completes() {
    let report = testing::cut_everywhere(
        || async {
            let log = Mutex::new(Vec::new());
            let result = three_steps(&log).await;
            (result, log.into_inner().unwrap())
        },
        |(result, log)| {
            // Cut at point k, the body has done the steps before it, and says so.
            assert_eq!(result.is_ok(), log.len() == 3);
        },
    )
    .await;
    report.assert_ok();
    // Each iteration: the loop's checkpoint, then the sleep's `.await`; then a run uncancelled.
    let lines: Vec<u32> = report.points().map(|p| line(p.location)).collect();
    assert_eq!(lines, [19, 20, 19, 20, 19, 20]);
    let ordinals: Vec<usize> = report.points().map(|p| p.ordinal).collect();
    assert_eq!(ordinals, [1, 2, 3, 4, 5, 6]);
    assert_eq!(report.runs().len(), 7);
    assert!(report.runs().last().unwrap().cut.is_none());
    assert!(report.is_complete());
}

#[tokio::test(start_paused = true)]
async fn the_same_body_gives_the_same_points_every_time() {
    let body = || async {
        let log = Mutex::new(Vec::new());
        let _ = three_steps(&log).await;
    };
    let first = testing::cut_everywhere(body, |()| {}).await;
    let second = testing::cut_everywhere(body, |()| {}).await;
    assert_eq!(
        first.points().collect::<Vec<_>>(),
        second.points().collect::<Vec<_>>()
    );
}

/// The cut is a real cancellation: the cause says so, and what the body does after it sees a
/// cancelled context.
#[tokio::test(start_paused = true)]
async fn a_cut_is_a_cancellation_of_the_ambient_context() {
    let mut causes = Vec::new();
    let report = testing::cut_everywhere(
        || async {
            let log = Mutex::new(Vec::new());
            let result = three_steps(&log).await;
            (result, Ctx::current().is_cancelled())
        },
        |(result, cancelled)| causes.push((result.map_err(|e| e.to_string()), cancelled)),
    )
    .await;
    assert_eq!(report.runs().len(), 7);
    assert_eq!(
        causes[1],
        (
            Err("cancelled: autocancel::testing cut at cancellation point #2".to_owned()),
            true
        )
    );
    assert_eq!(causes[6], (Ok(()), false));
}

#[cancellable]
fn count_to(n: u32, counted: &AtomicUsize) -> Result<(), Cancelled> {
    for _ in 0..n {
        counted.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

#[test]
fn blocking_bodies_are_cut_at_their_loop_checkpoints() {
    let report = testing::cut_everywhere_blocking(
        || {
            let counted = AtomicUsize::new(0);
            let result = count_to(4, &counted);
            (result.is_ok(), counted.into_inner())
        },
        |(ok, counted)| assert!(ok || counted < 4),
    );
    report.assert_ok();
    assert_eq!(report.points().count(), 4); // one per iteration
    assert!(report.points().all(|p| line(p.location) == 92));
}

#[cancellable]
fn move_records(from: &Mutex<Vec<u32>>, to: &Mutex<Vec<u32>>) -> Result<(), Cancelled> {
    loop {
        let Some(record) = from.lock().unwrap().pop() else {
            return Ok(());
        };
        // A blocking "write": a cancellation point between the take and the put.
        std::thread::sleep(Duration::from_millis(1));
        to.lock().unwrap().push(record);
    }
}

#[test]
fn a_broken_invariant_names_the_run_and_the_line() {
    let report = testing::cut_everywhere_blocking(
        || {
            let from = Mutex::new(vec![1, 2]);
            let to = Mutex::new(vec![]);
            let _ = move_records(&from, &to);
            (from.into_inner().unwrap(), to.into_inner().unwrap())
        },
        |(from, to)| assert_eq!(from.len() + to.len(), 2, "a record was lost"),
    );
    assert!(!report.is_ok());
    let broken: Vec<u32> = report
        .broken()
        .map(|run| line(run.cut.unwrap().location))
        .collect();
    assert_eq!(broken, [120, 120], "{report}");
    let text = report.to_string();
    assert!(
        text.starts_with("6 runs, cut at 5 cancellation points, 2 broken"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "run 2: cut at {}:120:9 (point #2): BROKEN: assertion",
            file!()
        )),
        "{text}"
    );
    let panic = std::panic::catch_unwind(|| report.assert_ok()).unwrap_err();
    assert!(panic
        .downcast_ref::<String>()
        .unwrap()
        .contains("cancellation test failed"));
}

#[cancellable]
fn move_records_shielded(from: &Mutex<Vec<u32>>, to: &Mutex<Vec<u32>>) -> Result<(), Cancelled> {
    loop {
        #[shield]
        {
            let Some(record) = from.lock().unwrap().pop() else {
                return Ok(());
            };
            std::thread::sleep(Duration::from_millis(1));
            to.lock().unwrap().push(record);
        }
    }
}

#[test]
fn shielded_code_has_no_cancellation_points() {
    let report = testing::cut_everywhere_blocking(
        || {
            let from = Mutex::new(vec![1, 2]);
            let to = Mutex::new(vec![]);
            let _ = move_records_shielded(&from, &to);
            (from.into_inner().unwrap(), to.into_inner().unwrap())
        },
        |(from, to)| assert_eq!(from.len() + to.len(), 2, "a record was lost"),
    );
    report.assert_ok();
    assert_eq!(report.points().count(), 3); // the loop's checkpoint only
}

#[test]
fn a_panicking_body_is_a_broken_run_and_the_test_goes_on() {
    let report = testing::cut_everywhere_blocking(
        || {
            let counted = AtomicUsize::new(0);
            count_to(2, &counted).unwrap(); // panics when cut
        },
        |()| {},
    );
    assert_eq!(report.runs().len(), 3);
    assert_eq!(report.broken().count(), 2);
    assert!(report.broken().all(|run| run
        .broken
        .as_deref()
        .unwrap()
        .starts_with("the body panicked: called `Result::unwrap()` on an `Err` value")));
}

#[test]
fn a_body_that_never_finishes_stops_at_the_run_limit() {
    #[cancellable]
    fn forever() -> Result<(), Cancelled> {
        loop {}
    }
    let report = CutTest::new().max_runs(5).run_blocking(
        || {
            // Ignores the cancellation and goes on: no run ever completes uncancelled.
            for _ in 0..10 {
                let _ = Ctx::current().check();
            }
            let _ = forever();
        },
        |()| {},
    );
    assert_eq!(report.runs().len(), 5);
    assert!(!report.is_complete());
    assert!(report.to_string().contains("incomplete"));
}

#[cancellable]
async fn worker(id: u32, done: Arc<Mutex<Vec<u32>>>) -> Result<(), Cancelled> {
    tokio::time::sleep(Duration::from_secs(u64::from(id))).await;
    done.lock().unwrap().push(id);
    Ok(())
}

/// Contexts and groups made inside the body belong to the test too: their tasks' points count.
#[tokio::test(start_paused = true)]
async fn groups_inside_the_body_are_cut_too() {
    let report = testing::cut_everywhere(
        || async {
            let done = Arc::new(Mutex::new(Vec::new()));
            let mut group = Group::new();
            group.spawn(worker(1, done.clone()));
            group.spawn(worker(2, done.clone()));
            let result = group.wait().await;
            let done = done.lock().unwrap().clone();
            (result, done)
        },
        |(result, done)| assert_eq!(result.is_ok(), done == [1, 2]),
    );
    let report = report.await;
    report.assert_ok();
    assert_eq!(report.points().count(), 2); // one `.await` per task
    assert!(report.points().all(|p| line(p.location) == 231), "{report}");
}

#[cancellable]
async fn spins_in_a_poll_fn(log: &Mutex<Vec<u32>>) -> Result<(), Cancelled> {
    let mut step = 0;
    std::future::poll_fn(|_| {
        while step < 3 {
            log.lock().unwrap().push(step);
            step += 1;
        }
        std::task::Poll::Ready(())
    })
    .await;
    Ok(())
}

/// A cut at a loop checkpoint inside an awaited `poll_fn`'s closure ends the function there
/// (the checkpoint returns `Pending`, the race around the `.await` finds the cut's cancellation),
/// and never leaves the task waiting.
#[tokio::test(start_paused = true)]
async fn a_cut_in_a_poll_fn_loop_ends_the_function() {
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        testing::cut_everywhere(
            || async {
                let log = Mutex::new(Vec::new());
                let result = spins_in_a_poll_fn(&log).await;
                (result, log.into_inner().unwrap())
            },
            |(result, log)| assert_eq!(result.is_ok(), log.len() == 3),
        ),
    )
    .await
    .expect("no run waits for good");
    report.assert_ok();
    // The `.await`, then the loop's checkpoint at each of its three iterations.
    assert_eq!(report.points().count(), 4);
    assert!(report.is_complete());
}
