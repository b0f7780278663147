//! How a `TaskSet` names its tasks in reports: a task spawned with `spawn` by its spawn location
//! and, as a straggler, its tokio task id (what `tokio::task::id()` returns inside it), so that
//! the tasks one line spawns are told apart; one spawned with `spawn_named` by its name.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel::{cancellable, Cancelled, TaskSet};

const MS: Duration = Duration::from_millis(1);

/// Ignores cancellation for a minute, shielded.
#[cancellable]
async fn shielded() -> Result<(), Cancelled> {
    #[shield]
    {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn stragglers_of_one_line_are_told_apart_by_their_tokio_task_ids() {
    let set = TaskSet::new().grace(100 * MS);
    let ids = Arc::new(Mutex::new(Vec::new()));
    let line = line!() + 4;
    for deaf in [true, false, true] {
        let ids = ids.clone();
        // Each records its tokio task id; the deaf ones sleep without a checkpoint.
        set.spawn(async move {
            ids.lock().unwrap().push(tokio::task::id());
            if deaf {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            } else {
                shielded().await
            }
        });
    }
    set.spawn_named("named", async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, Cancelled>(())
    });
    tokio::task::yield_now().await;
    let report = set.shutdown().await;
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 3);
    let at = format!("{}:{line}:13", file!());
    let mut names: Vec<String> = report
        .stragglers
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = ids
        .iter()
        .map(|id| format!("{at} (task id {id})"))
        .chain(["named".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(names, expected, "{report}");
    let aborted = report.stragglers.iter().filter(|s| s.aborted).count();
    assert_eq!(
        aborted, 3,
        "the two deaf ones and the named one; the shielded one waited for"
    );
}

#[tokio::test]
async fn a_failure_report_names_the_spawn_location() {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let seen = failures.clone();
    let set = TaskSet::new().on_failure(move |failure| seen.lock().unwrap().push(failure.task));
    let line = line!() + 1;
    set.spawn(async { Err::<(), _>(std::io::Error::other("refused")) });
    set.spawn_named("peer", async {
        Err::<(), _>(std::io::Error::other("reset"))
    });
    let report = set.shutdown().await;
    assert_eq!(report.counts.failed, 2);
    let mut tasks: Vec<String> = failures
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect();
    tasks.sort();
    assert_eq!(tasks, ["peer".to_owned(), format!("{}:{line}:9", file!())]);
}
