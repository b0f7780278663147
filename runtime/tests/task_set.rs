//! `TaskSet`: failures stay with their task, finished tasks are forgotten, shutdown waits,
//! aborts and names stragglers, and nothing outlives it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel_runtime::{shield, Cancelled, Ctx, TaskSet};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_is_reported_and_cancels_nobody() {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let tasks = TaskSet::new().on_failure({
        let failures = failures.clone();
        move |failure| failures.lock().unwrap().push(failure.to_string())
    });
    tasks.spawn_named("reset by peer", async {
        Err::<(), _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    });
    tasks.spawn_named("panics", async {
        if true {
            panic!("boom");
        }
        Ok::<(), Cancelled>(())
    });
    let survivor_done = Arc::new(AtomicBool::new(false));
    tasks.spawn({
        let done = survivor_done.clone();
        async move {
            autocancel_runtime::sleep(5 * SEC).await?;
            done.store(true, Ordering::SeqCst);
            Ok::<_, Cancelled>(())
        }
    });
    tokio::time::sleep(6 * SEC).await;
    assert!(
        survivor_done.load(Ordering::SeqCst),
        "a sibling's failure cancelled it"
    );
    assert!(!tasks.ctx().is_cancelled());
    let mut failures = failures.lock().unwrap().clone();
    failures.sort();
    assert_eq!(
        failures,
        [
            "task `panics` panicked: boom",
            "task `reset by peer` failed: connection reset"
        ]
    );
    let counts = tasks.counts();
    assert_eq!(
        (
            counts.spawned,
            counts.succeeded,
            counts.failed,
            counts.panicked,
            counts.stopped
        ),
        (3, 1, 1, 1, 0)
    );
    assert!(tasks.is_empty());
}

#[tokio::test(start_paused = true)]
async fn finished_tasks_are_forgotten() {
    let tasks = TaskSet::new();
    for _ in 0..10_000 {
        tasks.spawn(async { Ok::<_, Cancelled>(()) });
    }
    assert_eq!(tasks.len(), 10_000);
    tokio::task::yield_now().await;
    while !tasks.is_empty() {
        tokio::task::yield_now().await;
    }
    assert_eq!(tasks.counts().succeeded, 10_000);
    assert_eq!(tasks.counts().running(), 0);
}

/// `child_of`, the first name of `with_parent`, still makes a child of its argument.
#[test]
#[allow(deprecated)]
fn child_of_is_with_parent_under_its_old_name() {
    let server = Ctx::new();
    let tasks = TaskSet::child_of(&server);
    server.cancel();
    assert!(tasks.ctx().is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn tasks_run_with_the_sets_context_ambient() {
    let server = Ctx::new();
    let tasks = TaskSet::with_parent(&server);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let set_ctx = tasks.ctx().clone();
    tasks.spawn(async move {
        tx.send(Ctx::current().same_as(&set_ctx)).unwrap();
        Ok::<_, Cancelled>(())
    });
    assert!(rx.await.unwrap());
    server.cancel_with_reason("shutdown");
    assert!(
        tasks.ctx().is_cancelled(),
        "the set is a child of the server's context"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_stops_aborts_and_names_stragglers() {
    let tasks = TaskSet::new().grace(2 * SEC);
    // Stops at the cancellation: counted as stopped, not failed.
    for _ in 0..3 {
        tasks.spawn(async {
            autocancel_runtime::sleep(3600 * SEC).await?;
            Ok::<_, Cancelled>(())
        });
    }
    // Ignores it: aborted after the grace period, its future dropped.
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    tasks.spawn_named("deaf", async move {
        let _guard = guard;
        tokio::time::sleep(3600 * SEC).await;
        Ok::<_, Cancelled>(())
    });
    // An idle timeout: neither a shutdown nor a failure.
    let conn = tasks.ctx().with_idle_timeout(SEC);
    tasks.spawn_named("idle", async move {
        conn.run(std::future::pending::<()>()).await?;
        Ok::<_, Cancelled>(())
    });
    tokio::time::sleep(2 * SEC).await;

    let start = Instant::now();
    let report = tasks.shutdown().await;
    assert_eq!(start.elapsed(), 2 * SEC);
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(report.stragglers.len(), 1);
    assert_eq!(&*report.stragglers[0].name, "deaf");
    assert!(report.stragglers[0].aborted);
    assert!(!report.is_clean());
    let c = report.counts;
    assert_eq!(
        (c.spawned, c.succeeded, c.timed_out, c.failed, c.stopped),
        (5, 0, 1, 0, 4)
    );
    assert!(report
        .to_string()
        .contains("task `deaf` ignored cancellation: aborted 2s after it"));
    tokio::task::yield_now().await;
    assert_eq!(alive_tasks(), 0, "a task outlived shutdown");
}

#[tokio::test(start_paused = true)]
async fn a_clean_shutdown_is_clean() {
    let tasks = TaskSet::new();
    tasks.spawn(async {
        autocancel_runtime::sleep(3600 * SEC).await?;
        Ok::<_, std::io::Error>(())
    });
    tokio::task::yield_now().await;
    let report = tasks.shutdown().await;
    assert!(report.is_clean());
    assert_eq!((report.counts.stopped, report.counts.failed), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_shielded_task_is_waited_for_not_aborted() {
    let tasks = TaskSet::new().grace(SEC);
    let finished = Arc::new(AtomicBool::new(false));
    tasks.spawn({
        let finished = finished.clone();
        async move {
            shield(tokio::time::sleep(5 * SEC)).await;
            finished.store(true, Ordering::SeqCst);
            Ok::<_, Cancelled>(())
        }
    });
    tokio::task::yield_now().await;
    let start = Instant::now();
    let report = tasks.shutdown().await;
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(start.elapsed(), 5 * SEC);
    // Reported: it outlived the grace period, by itself.
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {report}")
    };
    assert!(!straggler.aborted);
    assert_eq!(straggler.overdue, 5 * SEC);
    assert!(!report.is_clean());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_set_cancels_and_aborts_its_tasks() {
    let tasks = TaskSet::new();
    let ctx = tasks.ctx().clone();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    tasks.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    drop(tasks);
    tokio::task::yield_now().await;
    assert!(ctx.is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(alive_tasks(), 0);
}

/// A panic payload whose own `Drop` panics: the task is still counted as panicked and reported
/// (the payload is dropped once the task is counted and reported, and that panic is caught).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_whose_payload_panics_when_dropped_is_still_counted_and_reported() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("dropping the payload");
            }
        }
    }
    let reported = Arc::new(Mutex::new(Vec::new()));
    let tasks = TaskSet::new().on_failure({
        let reported = reported.clone();
        move |failure| reported.lock().unwrap().push(failure.to_string())
    });
    for _ in 0..4 {
        tasks.spawn_named("payload", async {
            if true {
                std::panic::panic_any(PanicsOnDrop);
            }
            Ok::<_, Cancelled>(())
        });
    }
    let report = tasks.shutdown().await;
    assert_eq!((report.counts.panicked, report.counts.stopped), (4, 0));
    assert_eq!(
        *reported.lock().unwrap(),
        vec!["task `payload` panicked: Box<dyn Any>"; 4]
    );
}

#[tokio::test(start_paused = true)]
async fn failures_go_to_tracing_by_default_and_panics_do_not_escape() {
    let tasks = TaskSet::new();
    tasks.spawn(async {
        if true {
            panic!("in a connection");
        }
        Ok::<(), Cancelled>(())
    });
    let report = tasks.shutdown().await;
    assert_eq!(report.counts.panicked, 1);
}

// The tasks of a set share its ambient, each setting its own key and name into it: shields,
// names and the context seen by a task's `Drop` are the task's own.
#[tokio::test(start_paused = true)]
async fn each_task_is_shielded_by_its_own_key() {
    let tasks = TaskSet::new().grace(SEC);
    tasks.spawn_named("deaf", async {
        tokio::time::sleep(3600 * SEC).await; // no checkpoint
        Ok::<_, Cancelled>(())
    });
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    tasks.spawn(async move {
        shield(tokio::time::sleep(5 * SEC)).await;
        f.store(true, Ordering::SeqCst);
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    let start = Instant::now();
    let report = tasks.shutdown().await;
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(start.elapsed(), 5 * SEC);
    let aborted: Vec<_> = report
        .stragglers
        .iter()
        .map(|s| (s.aborted, s.overdue))
        .collect();
    assert_eq!(aborted, [(true, SEC), (false, 5 * SEC)]);
    assert_eq!(&*report.stragglers[0].name, "deaf");
}

/// Records, when dropped, whether the ambient context then was `ctx`.
struct SeesOnDrop {
    ctx: Ctx,
    saw: Arc<Mutex<Option<bool>>>,
}

impl Drop for SeesOnDrop {
    fn drop(&mut self) {
        *self.saw.lock().unwrap() = Some(Ctx::current().same_as(&self.ctx));
    }
}

#[tokio::test(start_paused = true)]
async fn an_aborted_task_is_dropped_with_the_sets_context_ambient() {
    let tasks = TaskSet::new().grace(SEC);
    let saw = Arc::new(Mutex::new(None));
    let sees = SeesOnDrop {
        ctx: tasks.ctx().clone(),
        saw: saw.clone(),
    };
    tasks.spawn(async move {
        let _sees = sees;
        tokio::time::sleep(3600 * SEC).await; // ignores cancellation
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    assert_eq!(tasks.shutdown().await.stragglers.len(), 1);
    assert_eq!(*saw.lock().unwrap(), Some(true));
}

/// What a `tracing_subscriber::fmt` subscriber writes, at debug level, while the guard lives
/// (this thread only: a current-thread runtime's tasks run on it).
fn capture_tracing() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    (buffer.0, tracing::subscriber::set_default(subscriber))
}

/// Issue 21, item 3: a connection closed by its own idle deadline, or stopped by the set's
/// shutdown, is no failure: counted (`timed_out`, `stopped`), not reported, not a warning.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_task_ended_by_its_deadline_or_the_shutdown_is_no_failure() {
    let (log, _guard) = capture_tracing();
    let tasks = TaskSet::new(); // the default report: a `tracing` warning
    for n in 1..=2 {
        // Plain `io::Result`, as `?` makes it from the cancellation.
        let conn = tasks.ctx().with_idle_timeout(n * SEC);
        tasks.spawn_named(format!("quiet {n}"), async move {
            conn.run(std::future::pending::<()>()).await?;
            Ok::<_, std::io::Error>(())
        });
    }
    let conn = tasks.ctx().with_timeout(3600 * SEC);
    tasks.spawn_named("busy", async move {
        conn.run(std::future::pending::<()>()).await?;
        Ok::<_, std::io::Error>(())
    });
    tasks.spawn_named("broken", async {
        Err::<(), _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    });
    tokio::time::sleep(3 * SEC).await;
    let c = tasks.counts();
    assert_eq!((c.timed_out, c.failed, c.running()), (2, 1, 1));
    let report = tasks.shutdown().await;
    let c = report.counts;
    assert_eq!(
        (c.succeeded, c.timed_out, c.failed, c.stopped),
        (0, 2, 1, 1)
    );
    assert_eq!(
        report.to_string(),
        "4 tasks: 0 succeeded, 2 timed out, 1 failed, 0 panicked, 1 stopped; 0 stragglers"
    );
    let log = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.trim_start().starts_with("WARN"))
        .collect();
    assert_eq!(warnings.len(), 1, "only the broken one: {log}");
    assert!(
        warnings[0].contains("task `broken` failed: connection reset"),
        "{log}"
    );
    assert!(log.contains("task ran out of time"), "a debug event: {log}");
}

/// The same through `on_failure`: the deadline's end is not given to it.
#[tokio::test(start_paused = true)]
async fn on_failure_is_not_given_a_deadline() {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let tasks = TaskSet::new().on_failure({
        let failures = failures.clone();
        move |failure| failures.lock().unwrap().push(failure.to_string())
    });
    let conn = tasks.ctx().with_idle_timeout(SEC);
    tasks.spawn(async move {
        conn.run(std::future::pending::<()>()).await?;
        Ok::<_, Cancelled>(())
    });
    tokio::time::sleep(2 * SEC).await;
    assert!(failures.lock().unwrap().is_empty());
    assert_eq!(tasks.counts().timed_out, 1);
}

/// Issue 21, item 7: tasks spawned by one line are told apart in the report, numbered by their
/// tokio task ids (which tokio gives in spawn order).
#[tokio::test(start_paused = true)]
async fn unnamed_stragglers_spawned_by_one_line_are_numbered() {
    let tasks = TaskSet::new().grace(SEC);
    let line = line!() + 2;
    for _ in 0..3 {
        tasks.spawn(async {
            tokio::time::sleep(3600 * SEC).await; // no checkpoint
            Ok::<_, Cancelled>(())
        });
    }
    tokio::task::yield_now().await;
    let report = tasks.shutdown().await;
    let mut names: Vec<&str> = report.stragglers.iter().map(|s| &*s.name).collect();
    names.sort();
    let at = format!("{}:{}:", file!(), line);
    assert_eq!(names.len(), 3, "{report}");
    let mut ids = Vec::new();
    for name in &names {
        assert!(name.starts_with(&at), "{name}");
        let id = name
            .split(" (task id ")
            .nth(1)
            .and_then(|id| id.strip_suffix(')'));
        ids.push(id.expect(name).parse::<u64>().expect(name));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "told apart: {names:?}");
}

/// The abort reaches a task parked on a plain future (it is woken, and stops at its next poll),
/// and one that leaves its shielded section after the grace period stops as it parks again:
/// neither waits for anything else.
#[tokio::test(start_paused = true)]
async fn a_task_leaving_its_shield_after_the_grace_period_is_aborted_as_it_parks() {
    let tasks = TaskSet::new().grace(SEC);
    tasks.spawn(async {
        shield(tokio::time::sleep(3 * SEC)).await;
        std::future::pending::<()>().await; // ignores the cancellation
        Ok::<_, Cancelled>(())
    });
    tasks.spawn_named("ignores", async {
        std::future::pending::<()>().await;
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    let start = Instant::now();
    let report = tasks.shutdown().await;
    assert_eq!(start.elapsed(), 3 * SEC);
    let overdue: Vec<_> = report
        .stragglers
        .iter()
        .map(|s| (s.aborted, s.overdue))
        .collect();
    assert_eq!(overdue, [(true, SEC), (true, 3 * SEC)], "{report}");
    assert_eq!(&*report.stragglers[0].name, "ignores");
    assert_eq!(report.counts.stopped, 2);
    assert_eq!(alive_tasks(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_tasks_on_other_workers_are_aborted() {
    let tasks = Arc::new(TaskSet::new().grace(Duration::from_millis(10)));
    let spawners: Vec<_> = (0..4)
        .map(|_| {
            let tasks = tasks.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    tasks.spawn(async {
                        std::future::pending::<()>().await;
                        Ok::<_, Cancelled>(())
                    });
                }
            })
        })
        .collect();
    for spawner in spawners {
        spawner.await.unwrap();
    }
    let tasks = Arc::into_inner(tasks).unwrap();
    assert_eq!(tasks.len(), 200);
    let report = tasks.shutdown().await;
    assert_eq!(report.stragglers.len(), 200);
    assert_eq!((report.counts.spawned, report.counts.stopped), (200, 200));
}
