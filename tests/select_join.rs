//! `tokio::select!` and `join!` inside `#[cancellable]` functions: each is a checkpoint that ends
//! at the cancellation even when none of its futures ever completes, and keeps the user's
//! `biased;`, `else`, `if` preconditions and patterns meaning what they meant.
//!
//! Every test that waits bounds its wait with a `timeout` far past the deadline: without the
//! rewrite the `select!`/`join!` would wait forever, and the test fails instead of hanging.

use autocancel::{cancellable, Cancelled, Ctx, Group};
use std::future::{pending, ready};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

const SEC: Duration = Duration::from_secs(1);
/// Far past every deadline below: reaching it means the task ignored its cancellation.
const NEVER: Duration = Duration::from_secs(3600);

/// Runs `task` in a group with a 1 s deadline; returns how long `wait` took.
async fn stops_at_the_deadline<F>(task: F) -> Duration
where
    F: std::future::Future<Output = Result<&'static str, Cancelled>> + Send + 'static,
{
    let start = Instant::now();
    let mut group = Group::with_timeout(SEC);
    group.spawn(task);
    let err = timeout(NEVER, group.wait())
        .await
        .expect("the task ignored the deadline")
        .unwrap_err();
    assert!(err.is_deadline_exceeded(), "{err}");
    start.elapsed()
}

// The shape of most servers' main loop: the loop checkpoint exists, but the `select!` inside
// waits forever (a channel whose sender is alive, a timer far away).
#[cancellable]
async fn main_loop(
    mut rx: mpsc::Receiver<u32>,
    handled: Arc<AtomicU32>,
) -> Result<&'static str, Cancelled> {
    loop {
        tokio::select! {
            Some(_) = rx.recv() => { handled.fetch_add(1, SeqCst); }
            _ = tokio::time::sleep(NEVER) => return Ok("timer"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn select_that_would_wait_forever_stops_at_the_deadline() {
    let (tx, rx) = mpsc::channel(1);
    let handled = Arc::new(AtomicU32::new(0));
    tx.send(1).await.unwrap();
    assert_eq!(
        stops_at_the_deadline(main_loop(rx, handled.clone())).await,
        SEC
    );
    assert_eq!(
        handled.load(SeqCst),
        1,
        "the branches still work before the deadline"
    );
    drop(tx);
}

#[cancellable]
async fn biased_select() -> Result<&'static str, Cancelled> {
    tokio::select! {
        biased;
        () = pending() => Ok("pending"),
        _ = tokio::time::sleep(NEVER) => Ok("timer"),
    }
}

#[tokio::test(start_paused = true)]
async fn biased_select_stops_at_the_deadline() {
    assert_eq!(stops_at_the_deadline(biased_select()).await, SEC);
}

#[cancellable]
async fn select_with_else_and_preconditions(open: bool) -> Result<&'static str, Cancelled> {
    let (_tx, mut rx) = mpsc::channel::<u32>(1);
    tokio::select! {
        Some(_) = rx.recv(), if open => Ok("message"),
        () = pending(), if !open => Ok("pending"),
        else => Ok("else"),
    }
}

#[tokio::test(start_paused = true)]
async fn select_with_else_and_preconditions_stops_at_the_deadline() {
    assert_eq!(
        stops_at_the_deadline(select_with_else_and_preconditions(true)).await,
        SEC
    );
    assert_eq!(
        stops_at_the_deadline(select_with_else_and_preconditions(false)).await,
        SEC
    );
}

/// Every branch disabled: tokio runs `else`, with or without the cancellation branch.
#[cancellable]
async fn all_disabled(ctx: &Ctx, biased: bool) -> Result<&'static str, Cancelled> {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    drop(tx);
    if biased {
        tokio::select! {
            biased;
            Some(_) = rx.recv() => Ok("message"),
            () = pending(), if false => Ok("pending"),
            else => Ok("else"),
        }
    } else {
        tokio::select! {
            Some(_) = rx.recv() => Ok("message"),
            () = pending(), if false => Ok("pending"),
            else => Ok("else"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn else_still_runs_when_every_branch_is_disabled() {
    let ctx = Ctx::new();
    for biased in [false, true] {
        let out = timeout(NEVER, all_disabled(&ctx, biased)).await;
        assert_eq!(
            out.expect("waited instead of running else").unwrap(),
            "else"
        );
    }
}

/// Both branches ready, and the context already cancelled.
#[cancellable]
async fn ties(ctx: &Ctx, ran: &AtomicU32) -> Result<(), Cancelled> {
    tokio::select! {
        () = ready(()) => { ran.fetch_add(1, SeqCst); }
        () = ready(()) => { ran.fetch_add(1, SeqCst); }
    }
    tokio::select! {
        biased;
        () = ready(()) => { ran.fetch_add(1, SeqCst); }
        () = ready(()) => { ran.fetch_add(1, SeqCst); }
    }
    Ok(())
}

#[tokio::test]
async fn cancellation_wins_ties_with_and_without_biased() {
    let ctx = Ctx::new();
    ctx.cancel();
    let ran = AtomicU32::new(0);
    for _ in 0..50 {
        assert!(ties(&ctx, &ran).await.is_err());
    }
    assert_eq!(
        ran.load(SeqCst),
        0,
        "no user branch runs once cancelled, whatever the random start"
    );
}

/// A handler is the function's own control flow: its awaits are raced too.
#[cancellable]
async fn waits_in_a_handler() -> Result<&'static str, Cancelled> {
    tokio::select! {
        () = ready(()) => {
            tokio::time::sleep(NEVER).await;
            Ok("slept")
        }
    }
}

#[tokio::test(start_paused = true)]
async fn awaits_in_select_handlers_are_raced() {
    assert_eq!(stops_at_the_deadline(waits_in_a_handler()).await, SEC);
}

/// A bare `select!`, from `use tokio::select;`, in expression position.
mod bare {
    use super::*;
    use tokio::select;

    #[cancellable]
    pub async fn value() -> Result<&'static str, Cancelled> {
        let v = select! {
            () = pending() => "pending",
        };
        Ok(v)
    }
}

#[tokio::test(start_paused = true)]
async fn bare_select_is_tokios() {
    assert_eq!(stops_at_the_deadline(bare::value()).await, SEC);
}

#[cancellable]
async fn join_never_ready() -> Result<&'static str, Cancelled> {
    let ((), _) = tokio::join!(pending::<()>(), tokio::time::sleep(NEVER));
    Ok("joined")
}

#[cancellable]
async fn try_join_never_ready() -> Result<&'static str, Cancelled> {
    let ((), ()) = tokio::try_join!(pending::<Result<(), Cancelled>>(), async {
        tokio::time::sleep(NEVER).await;
        Ok(())
    })?;
    Ok("joined")
}

#[tokio::test(start_paused = true)]
async fn join_of_never_ready_futures_stops_at_the_deadline() {
    assert_eq!(stops_at_the_deadline(join_never_ready()).await, SEC);
    assert_eq!(stops_at_the_deadline(try_join_never_ready()).await, SEC);
}

#[cancellable]
async fn join_ready() -> Result<(u32, u32), Cancelled> {
    let (a, b) = tokio::join!(ready(1), async { 2 });
    Ok((a, b))
}

#[tokio::test]
async fn join_of_ready_futures_returns_their_outputs() {
    assert_eq!(join_ready().await.unwrap(), (1, 2));
}

/// A branch timer due at the deadline's instant: the deadline wins the tie, with or without
/// `biased;`, whichever of the two timers the runtime fires first.
#[cancellable]
async fn timer_at_the_deadline(ctx: &Ctx, biased: bool) -> Result<&'static str, Cancelled> {
    if biased {
        tokio::select! {
            biased;
            _ = tokio::time::sleep(SEC) => Ok("timer"),
            () = pending() => Ok("pending"),
        }
    } else {
        tokio::select! {
            _ = tokio::time::sleep(SEC) => Ok("timer"),
            () = pending() => Ok("pending"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn deadline_wins_a_tie_with_a_branch_due_at_the_same_instant() {
    for biased in [false, true] {
        for _ in 0..10 {
            let ctx = Ctx::new().with_timeout(SEC);
            let out = timer_at_the_deadline(&ctx, biased).await;
            assert!(out.unwrap_err().is_deadline_exceeded(), "biased: {biased}");
        }
    }
}
