//! Deadline timers: a context with a deadline costs no task until someone waits on it; idle
//! deadlines move with every reset and are enforced at the instant they reach; `Ctx::run`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use autocancel_runtime::{Cause, Ctx};
use tokio::time::Instant;

const SEC: Duration = Duration::from_secs(1);

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(start_paused = true)]
async fn a_deadline_spawns_no_timer_until_someone_waits() {
    let parent = Ctx::new();
    let children: Vec<Ctx> = (0..100).map(|_| parent.with_timeout(SEC)).collect();
    assert_eq!(
        alive_tasks(),
        0,
        "creating a context with a deadline spawned a task"
    );

    let start = Instant::now();
    let err = children[0].cancelled().await;
    assert_eq!(start.elapsed(), SEC);
    assert!(err.is_deadline_exceeded());
    // Those nobody waited on are cancelled when checked, at the same instant.
    assert!(children[99].is_cancelled());
    assert_eq!(children[99].cancelled_at(), Some(start + SEC));
}

#[tokio::test(start_paused = true)]
async fn idle_deadline_moves_with_every_reset() {
    let start = Instant::now();
    let conn = Ctx::new().with_idle_timeout(5 * SEC);
    assert_eq!(conn.deadline().unwrap().instant(), start + 5 * SEC);
    let activity = {
        let conn = conn.clone();
        tokio::spawn(async move {
            for _ in 0..3 {
                tokio::time::sleep(4 * SEC).await;
                conn.reset_idle_timeout();
            }
        })
    };
    // The waiter arms the timer at 5 s; it wakes at 5, 9 and 13 s to find the deadline pushed
    // back, and cancels at 17 s: 5 s after the last reset.
    let err = conn.cancelled().await;
    assert_eq!(start.elapsed(), 17 * SEC);
    assert_eq!(err.to_string(), "deadline exceeded (idle for 5s)");
    assert!(matches!(
        err.cause(),
        Cause::DeadlineExceeded { idle: true, budget, .. } if *budget == 5 * SEC
    ));
    assert_eq!(conn.cancelled_at(), Some(start + 17 * SEC));
    activity.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn idle_deadline_is_noticed_by_checks_without_a_timer() {
    let conn = Ctx::new().with_idle_timeout(5 * SEC);
    tokio::time::advance(4 * SEC).await;
    conn.reset_idle_timeout();
    tokio::time::advance(4 * SEC).await;
    assert!(!conn.is_cancelled() && conn.cause().is_none());
    tokio::time::advance(SEC).await;
    assert!(conn.check().unwrap_err().is_deadline_exceeded());
    assert_eq!(alive_tasks(), 0);
}

#[tokio::test(start_paused = true)]
async fn reset_after_expiry_does_not_revive() {
    let conn = Ctx::new().with_idle_timeout(SEC);
    tokio::time::advance(2 * SEC).await;
    conn.reset_idle_timeout(); // too late: the deadline passed, unnoticed
    assert!(conn.cause().unwrap().is_deadline_exceeded());
}

#[tokio::test(start_paused = true)]
async fn children_follow_the_moving_idle_deadline() {
    let start = Instant::now();
    let conn = Ctx::new().with_idle_timeout(5 * SEC);
    let request = conn.child();
    let short = conn.with_timeout(2 * SEC);
    tokio::time::advance(4 * SEC).await;
    // Resetting through a child resets the nearest idle deadline above it.
    request.reset_idle_timeout();
    assert!(short.is_cancelled(), "its own 2 s deadline");
    tokio::time::advance(4 * SEC).await; // 8 s: past the first idle deadline, not the second
    assert!(!request.is_cancelled() && request.cause().is_none());
    assert_eq!(request.deadline().unwrap().instant(), start + 9 * SEC);
    let err = request.cancelled().await;
    assert_eq!(start.elapsed(), 9 * SEC);
    assert!(matches!(err.cause(), Cause::ParentCancelled(_)));
    assert!(err.is_deadline_exceeded());
    assert_eq!(
        err.to_string(),
        "cancelled: parent context: deadline exceeded (idle for 5s)"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_deadline_is_capped_by_the_parents_deadline() {
    let start = Instant::now();
    let parent = Ctx::new().with_timeout(3 * SEC);
    let conn = parent.with_idle_timeout(5 * SEC);
    assert_eq!(conn.deadline().unwrap().instant(), start + 3 * SEC);
    let err = conn.cancelled().await;
    assert_eq!(start.elapsed(), 3 * SEC);
    assert_eq!(err.to_string(), "deadline exceeded (after 3s)");
}

#[tokio::test(start_paused = true)]
async fn run_returns_the_output_or_the_cancellation() {
    let ctx = Ctx::new();
    assert_eq!(ctx.run(async { 7 }).await.unwrap(), 7);

    let dropped = Arc::new(AtomicBool::new(false));
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let guard = SetOnDrop(dropped.clone());
    let canceller = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(3 * SEC).await;
            ctx.cancel_with_reason("shutdown");
        })
    };
    let err = ctx
        .run(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        })
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cancelled: shutdown");
    assert!(
        dropped.load(Ordering::SeqCst),
        "the losing future is dropped"
    );
    canceller.await.unwrap();

    // Biased: a cancelled context wins over a ready future.
    assert!(ctx.run(async { 7 }).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn run_deadline_wins_a_tie_with_a_timer_on_the_same_instant() {
    let request = Ctx::new().with_timeout(SEC);
    let err = request.run(tokio::time::sleep(SEC)).await.unwrap_err();
    assert!(err.is_deadline_exceeded());

    let conn = Ctx::new().with_idle_timeout(SEC);
    let err = conn.run(tokio::time::sleep(SEC)).await.unwrap_err();
    assert_eq!(err.to_string(), "deadline exceeded (idle for 1s)");
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_per_read_keeps_a_busy_connection_open() {
    // A reader that gets data every 900 ms under a 1 s idle timeout: never idle long enough.
    let (mut tx, mut rx) = tokio::io::duplex(64);
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(900)).await;
            tx.write_all(b"x").await.unwrap();
        }
        tokio::time::sleep(10 * SEC).await; // then silence, connection still open
        drop(tx);
    });
    use tokio::io::AsyncReadExt;
    let start = Instant::now();
    let conn = Ctx::new().with_idle_timeout(SEC);
    let mut buf = [0u8; 8];
    let mut reads = 0;
    let err = loop {
        match conn.run(rx.read(&mut buf)).await {
            Ok(n) => {
                assert_eq!(n.unwrap(), 1);
                reads += 1;
                conn.reset_idle_timeout();
            }
            Err(err) => break err,
        }
    };
    assert_eq!(reads, 10);
    assert_eq!(start.elapsed(), Duration::from_millis(9_000 + 1_000));
    assert!(err.is_deadline_exceeded());
    writer.abort();
}

/// No timer task for any deadline: the thread's timer wheel keeps one `Sleep`, and no task
/// waits on it (`src/ctx/timers.rs`).
#[tokio::test(start_paused = true)]
async fn run_on_a_per_request_deadline_spawns_no_timer_task() {
    let parent = Ctx::new();
    let request = parent.with_timeout(SEC);
    let waiting = tokio::spawn(async move {
        let start = Instant::now();
        let err = request.run(tokio::time::sleep(60 * SEC)).await.unwrap_err();
        (start.elapsed(), err.is_deadline_exceeded())
    });
    tokio::task::yield_now().await;
    assert_eq!(
        alive_tasks(),
        1,
        "only the waiting task: the deadline is its own sleep"
    );
    assert_eq!(waiting.await.unwrap(), (SEC, true));
    // An idle deadline moves: armed again in the wheel when it fires early, still no task.
    let conn = parent.with_idle_timeout(SEC);
    let idle = tokio::spawn(async move { conn.run(std::future::pending::<()>()).await });
    tokio::task::yield_now().await;
    assert_eq!(alive_tasks(), 1, "only the waiting task");
    assert!(idle.await.unwrap().unwrap_err().is_deadline_exceeded());
}
