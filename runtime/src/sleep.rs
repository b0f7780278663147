//! Sleeps that end early, with the cancellation, when the ambient context is cancelled.

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use crate::ctx::Waiter;
use crate::observe::observed;
use crate::{Cancelled, Ctx};

/// Sleeps for `duration`, or until the ambient context ([`Ctx::current`]) is cancelled, which
/// it returns as the error. Inside `#[cancellable]` functions a plain
/// `tokio::time::sleep(..).await` does the same.
///
/// ```
/// use autocancel::{sleep, Group};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let mut group: Group = Group::with_timeout(Duration::from_secs(2));
/// group.spawn(async {
///     sleep(Duration::from_secs(60)).await?; // ends at 2 s
///     Ok(())
/// });
/// assert!(group.wait().await.unwrap_err().is_deadline_exceeded());
/// # }
/// ```
pub async fn sleep(duration: Duration) -> Result<(), Cancelled> {
    let ctx = Ctx::current();
    tokio::select! {
        biased;
        cancelled = ctx.cancelled() => Err(cancelled),
        () = tokio::time::sleep(duration) => Ok(()),
    }
}

/// Blocks the thread for `duration`, or until the ambient context ([`Ctx::current`]) is
/// cancelled or its deadline passes, which it returns as the error. For blocking code (threads,
/// [`Group::spawn_blocking`](crate::Group::spawn_blocking)); inside a `#[cancellable]` blocking
/// `fn`, `std::thread::sleep` is rewritten into this.
///
/// ```
/// use autocancel::{sleep_blocking, Ctx};
/// use std::time::{Duration, Instant};
///
/// let ctx = Ctx::new().with_timeout(Duration::from_millis(20));
/// let _ambient = ctx.enter();
/// let start = Instant::now();
/// let err = sleep_blocking(Duration::from_secs(60)).unwrap_err();
/// assert!(err.is_deadline_exceeded());
/// assert!(start.elapsed() < Duration::from_secs(5));
/// ```
#[track_caller]
pub fn sleep_blocking(duration: Duration) -> Result<(), Cancelled> {
    sleep_blocking_in(&Ctx::current(), duration, std::panic::Location::caller())
}

/// [`sleep_blocking`] on a given context, the error located at `at`.
pub(crate) fn sleep_blocking_in(
    ctx: &Ctx,
    duration: Duration,
    at: &'static std::panic::Location<'static>,
) -> Result<(), Cancelled> {
    ctx.check_at(at)?; // a cancellation point
    sleep_until_cancelled(ctx, duration).map_err(|cancelled| observed(cancelled, at))
}

fn sleep_until_cancelled(ctx: &Ctx, duration: Duration) -> Result<(), Cancelled> {
    let mut waiter = std::pin::pin!(Waiter::new(ctx));
    let unpark = Waker::from(Arc::new(Unpark(thread::current())));
    if !waiter.as_mut().register(&unpark) {
        return Err(ctx.cancelled_error());
    }
    let end = std::time::Instant::now().checked_add(duration);
    // The waiter unregisters as it goes out of scope.
    loop {
        if ctx.flagged() {
            return Err(ctx.cancelled_error());
        }
        let now = std::time::Instant::now();
        let mut nap = match end {
            Some(end) if now >= end => return Ok(()),
            Some(end) => end - now,
            None => Duration::MAX,
        };
        if let Some(deadline) = ctx.deadline() {
            let left = deadline.remaining();
            if left.is_zero() {
                ctx.expire_if_due(deadline.instant());
                continue;
            }
            nap = nap.min(left);
        }
        thread::park_timeout(nap);
    }
}

/// Wakes a thread parked in [`sleep_blocking`].
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
