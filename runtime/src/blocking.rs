//! Blocking waits that end at the cancellation, as [`sleep_blocking`](crate::sleep_blocking)
//! does for `std::thread::sleep`: for threads and [`Group::spawn_blocking`](crate::Group::spawn_blocking)
//! tasks. Each waits on the ambient context ([`Ctx::current`]), returns `Err(Cancelled)` as soon
//! as it is cancelled or its deadline passes, and otherwise returns what the wait it stands for
//! returns. Inside a `#[cancellable]` blocking `fn`, the calls they stand for are rewritten into
//! them (see the attribute's documentation).
//!
//! - [`block_on`]: any future, on this thread (tokio's `blocking_recv`, `blocking_send`,
//!   `blocking_lock`, `blocking_read`, `blocking_write` are `block_on` of their async
//!   counterparts); the cancellation wakes the thread at once;
//! - [`park`]: `std::thread::park`, woken by an unpark or by the cancellation;
//! - [`recv`], [`recv_timeout`]: `std::sync::mpsc::Receiver`'s, and [`join`]:
//!   `std::thread::JoinHandle::join`, and [`wait`]: `Condvar::wait`. std offers no way to wake
//!   these from outside, so they wait in slices of [`SLICE`] and look at the context between
//!   two: the cancellation ends them within a slice.
//!
//! ```
//! use autocancel::{blocking, Ctx};
//! use std::time::Duration;
//!
//! let ctx = Ctx::new().with_timeout(Duration::from_millis(20));
//! let _ambient = ctx.enter();
//! let (_tx, rx) = std::sync::mpsc::channel::<u32>();
//! // No message ever comes: the wait ends at the deadline.
//! let err = blocking::recv(&rx).unwrap_err();
//! assert!(err.is_deadline_exceeded());
//! ```

use std::future::Future;
use std::sync::mpsc::{Receiver, RecvError, RecvTimeoutError};
use std::sync::{Arc, Condvar, LockResult, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::ctx::Waiter;
use crate::{Cancelled, Ctx};

/// How long the waits that std cannot wake from outside ([`recv`], [`recv_timeout`], [`join`],
/// [`wait`]) wait before they look at the context again.
pub const SLICE: Duration = Duration::from_millis(10);

/// Runs `fut` to completion on this thread, or until the ambient context is cancelled.
///
/// ```
/// use autocancel::{blocking, Ctx};
/// use std::time::Duration;
///
/// let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
/// tx.try_send(7).unwrap();
/// assert_eq!(blocking::block_on(rx.recv()).unwrap(), Some(7));
/// let ctx = Ctx::new().with_timeout(Duration::from_millis(20));
/// let _ambient = ctx.enter();
/// assert!(blocking::block_on(rx.recv()).unwrap_err().is_deadline_exceeded());
/// ```
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, Cancelled> {
    block_on_in(&Ctx::current(), fut)
}

/// `std::thread::park`, or until the ambient context is cancelled. Like `park`, it may return
/// without an unpark (spuriously).
pub fn park() -> Result<(), Cancelled> {
    park_in(&Ctx::current())
}

/// `rx.recv()`, or until the ambient context is cancelled.
pub fn recv<T>(rx: &Receiver<T>) -> Result<Result<T, RecvError>, Cancelled> {
    recv_in(&Ctx::current(), rx)
}

/// `rx.recv_timeout(timeout)`, or until the ambient context is cancelled.
pub fn recv_timeout<T>(
    rx: &Receiver<T>,
    timeout: Duration,
) -> Result<Result<T, RecvTimeoutError>, Cancelled> {
    recv_timeout_in(&Ctx::current(), rx, timeout)
}

/// `handle.join()`, or until the ambient context is cancelled (the thread is then detached:
/// the handle is dropped).
pub fn join<T>(handle: JoinHandle<T>) -> Result<thread::Result<T>, Cancelled> {
    join_in(&Ctx::current(), handle)
}

/// `condvar.wait(guard)`, or until the ambient context is cancelled (the guard is then
/// dropped). Wakes at least once a [`SLICE`], as a spurious wakeup: wait in a loop that checks
/// your condition, as with `Condvar::wait`.
pub fn wait<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
) -> Result<LockResult<MutexGuard<'a, T>>, Cancelled> {
    wait_in(&Ctx::current(), condvar, guard)
}

/// Wakes a parked thread: the waker of [`block_on`]'s future and of the context's waiter.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// The time left before `ctx`'s deadline, if it has one; `Err` if it has passed (and the
/// context is now expired) or the context is cancelled.
fn left(ctx: &Ctx) -> Result<Option<Duration>, Cancelled> {
    if ctx.flagged() {
        return Err(ctx.cancelled_error());
    }
    match ctx.deadline() {
        None => Ok(None),
        Some(deadline) => {
            let left = deadline.remaining();
            if left.is_zero() {
                ctx.expire_if_due(deadline.instant());
                return Err(ctx.cancelled_error());
            }
            Ok(Some(left))
        }
    }
}

pub(crate) fn block_on_in<F: Future>(ctx: &Ctx, fut: F) -> Result<F::Output, Cancelled> {
    ctx.check()?;
    let mut fut = std::pin::pin!(fut);
    let mut waiter = std::pin::pin!(Waiter::new(ctx));
    let unpark = Waker::from(Arc::new(Unpark(thread::current())));
    if !waiter.as_mut().register(&unpark) {
        return Err(ctx.cancelled_error());
    }
    let mut cx = Context::from_waker(&unpark);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Ok(out);
        }
        match left(ctx)? {
            Some(left) => thread::park_timeout(left),
            None => thread::park(),
        }
    }
}

pub(crate) fn park_in(ctx: &Ctx) -> Result<(), Cancelled> {
    ctx.check()?;
    let mut waiter = std::pin::pin!(Waiter::new(ctx));
    let unpark = Waker::from(Arc::new(Unpark(thread::current())));
    if !waiter.as_mut().register(&unpark) {
        return Err(ctx.cancelled_error());
    }
    match left(ctx)? {
        Some(left) => thread::park_timeout(left),
        None => thread::park(),
    }
    left(ctx).map(drop)
}

/// The next slice to wait: [`SLICE`], or less when the deadline or `end` is nearer.
fn slice(ctx: &Ctx, end: Option<Instant>) -> Result<Duration, Cancelled> {
    let mut nap = SLICE;
    if let Some(left) = left(ctx)? {
        nap = nap.min(left);
    }
    if let Some(end) = end {
        nap = nap.min(end.saturating_duration_since(Instant::now()));
    }
    Ok(nap)
}

pub(crate) fn recv_in<T>(ctx: &Ctx, rx: &Receiver<T>) -> Result<Result<T, RecvError>, Cancelled> {
    ctx.check()?;
    loop {
        match rx.recv_timeout(slice(ctx, None)?) {
            Ok(v) => return Ok(Ok(v)),
            Err(RecvTimeoutError::Disconnected) => return Ok(Err(RecvError)),
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

pub(crate) fn recv_timeout_in<T>(
    ctx: &Ctx,
    rx: &Receiver<T>,
    timeout: Duration,
) -> Result<Result<T, RecvTimeoutError>, Cancelled> {
    ctx.check()?;
    let end = Instant::now().checked_add(timeout);
    loop {
        match rx.recv_timeout(slice(ctx, end)?) {
            Err(RecvTimeoutError::Timeout) if end.is_none_or(|end| Instant::now() < end) => {}
            out => return Ok(out),
        }
    }
}

pub(crate) fn join_in<T>(ctx: &Ctx, handle: JoinHandle<T>) -> Result<thread::Result<T>, Cancelled> {
    ctx.check()?;
    let mut waiter = std::pin::pin!(Waiter::new(ctx));
    let unpark = Waker::from(Arc::new(Unpark(thread::current())));
    if !waiter.as_mut().register(&unpark) {
        return Err(ctx.cancelled_error());
    }
    while !handle.is_finished() {
        thread::park_timeout(slice(ctx, None)?);
    }
    Ok(handle.join())
}

pub(crate) fn wait_in<'a, T>(
    ctx: &Ctx,
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
) -> Result<LockResult<MutexGuard<'a, T>>, Cancelled> {
    ctx.check()?;
    let nap = slice(ctx, None)?;
    let out = match condvar.wait_timeout(guard, nap) {
        Ok((guard, _)) => Ok(guard),
        Err(poisoned) => Err(std::sync::PoisonError::new(poisoned.into_inner().0)),
    };
    left(ctx)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiring() -> Ctx {
        Ctx::new().with_timeout(Duration::from_millis(30))
    }

    #[test]
    fn each_wait_ends_at_the_deadline() {
        let ctx = expiring();
        let _ambient = ctx.enter();
        let (_tx, rx) = std::sync::mpsc::channel::<u8>();
        assert!(recv(&rx).unwrap_err().is_deadline_exceeded());
        assert!(recv_timeout(&rx, Duration::from_secs(60)).is_err());
        let (_t, mut trx) = tokio::sync::mpsc::channel::<u8>(1);
        assert!(block_on(trx.recv()).is_err());
        assert!(park().is_err());
        let pair = std::sync::Mutex::new(());
        let cv = Condvar::new();
        let guard = pair.lock().unwrap();
        assert!(wait(&cv, guard).is_err());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let h = thread::spawn(move || {
            while !s.load(std::sync::atomic::Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        assert!(join(h).is_err());
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    #[test]
    fn a_cancel_wakes_a_parked_block_on() {
        let ctx = Ctx::new();
        let canceller = ctx.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            canceller.cancel();
        });
        let _ambient = ctx.enter();
        let (_tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        assert!(block_on(rx.recv()).is_err());
        t.join().unwrap();
    }

    #[test]
    fn values_pass_through() {
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(3).unwrap();
        assert_eq!(recv(&rx).unwrap().unwrap(), 3);
        drop(tx);
        assert!(recv(&rx).unwrap().is_err());
        let (tx, rx) = std::sync::mpsc::channel::<u8>();
        assert!(matches!(
            recv_timeout(&rx, Duration::from_millis(5)).unwrap(),
            Err(RecvTimeoutError::Timeout)
        ));
        drop(tx);
        assert_eq!(join(thread::spawn(|| 5)).unwrap().unwrap(), 5);
    }
}
