//! What `#[cancellable]` makes of the blocking waits of a blocking `fn` (see
//! [`crate::blocking`]): the same waits, on the function's own context. The std ones go by a
//! method's name (`.recv()`, `.join()`, `.wait(guard)`), which other types share: for those the
//! trait bound below fails with a message that says what to do.

use std::future::Future;
use std::sync::mpsc::{Receiver, RecvError, RecvTimeoutError};
use std::sync::{Condvar, LockResult, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::Call;
use crate::blocking as wait;
use crate::Cancelled;

/// `fut` on this thread (tokio's `blocking_*` methods), ending at the call's cancellation.
#[inline]
pub fn block_on<F: Future>(call: &Call<'_>, fut: F) -> Result<F::Output, Cancelled> {
    wait::block_on_in(&call.ctx().handle(), fut)
}

/// `std::thread::park()`.
#[inline]
pub fn park(call: &Call<'_>) -> Result<(), Cancelled> {
    wait::park_in(&call.ctx().handle())
}

/// A receiver whose `.recv()` the rewrite may replace: std's.
#[diagnostic::on_unimplemented(
    message = "`#[cancellable]` rewrites `.recv()`/`.recv_timeout(..)` in a blocking `fn` as `std::sync::mpsc::Receiver`'s, and `{Self}` is not one",
    label = "this receiver",
    note = "mark the statement `#[shield]` to keep the call as written (it will not end at the cancellation), or wait in a loop of `recv_timeout`s, which gets a checkpoint"
)]
pub trait StdReceiver<T> {
    /// The receiver.
    fn receiver(&self) -> &Receiver<T>;
}

impl<T> StdReceiver<T> for Receiver<T> {
    fn receiver(&self) -> &Receiver<T> {
        self
    }
}

impl<T, R: StdReceiver<T> + ?Sized> StdReceiver<T> for &R {
    fn receiver(&self) -> &Receiver<T> {
        (**self).receiver()
    }
}

/// `rx.recv()`.
#[inline]
pub fn recv<T, R: StdReceiver<T> + ?Sized>(
    call: &Call<'_>,
    rx: &R,
) -> Result<Result<T, RecvError>, Cancelled> {
    wait::recv_in(&call.ctx().handle(), rx.receiver())
}

/// `rx.recv_timeout(timeout)`.
#[inline]
pub fn recv_timeout<T, R: StdReceiver<T> + ?Sized>(
    call: &Call<'_>,
    rx: &R,
    timeout: Duration,
) -> Result<Result<T, RecvTimeoutError>, Cancelled> {
    wait::recv_timeout_in(&call.ctx().handle(), rx.receiver(), timeout)
}

/// A handle whose `.join()` the rewrite may replace: std's `JoinHandle`.
#[diagnostic::on_unimplemented(
    message = "`#[cancellable]` rewrites `.join()` in a blocking `fn` as `std::thread::JoinHandle::join`, and `{Self}` is not one",
    label = "this handle",
    note = "mark the statement `#[shield]` to keep the call as written (it will not end at the cancellation)"
)]
pub trait StdJoinHandle {
    /// The thread's result.
    type Output;
    /// The handle.
    fn handle(self) -> JoinHandle<Self::Output>;
}

impl<T> StdJoinHandle for JoinHandle<T> {
    type Output = T;
    fn handle(self) -> JoinHandle<T> {
        self
    }
}

/// `handle.join()`.
#[inline]
pub fn join<H: StdJoinHandle>(
    call: &Call<'_>,
    handle: H,
) -> Result<thread::Result<H::Output>, Cancelled> {
    wait::join_in(&call.ctx().handle(), handle.handle())
}

/// A condition variable whose `.wait(guard)` the rewrite may replace: std's `Condvar`.
#[diagnostic::on_unimplemented(
    message = "`#[cancellable]` rewrites `.wait(guard)` in a blocking `fn` as `std::sync::Condvar::wait`, and `{Self}` is not one",
    label = "this condition variable",
    note = "mark the statement `#[shield]` to keep the call as written (it will not end at the cancellation)"
)]
pub trait StdCondvar {
    /// The condition variable.
    fn condvar(&self) -> &Condvar;
}

impl StdCondvar for Condvar {
    fn condvar(&self) -> &Condvar {
        self
    }
}

impl<C: StdCondvar + ?Sized> StdCondvar for &C {
    fn condvar(&self) -> &Condvar {
        (**self).condvar()
    }
}

/// `condvar.wait(guard)`.
#[inline]
pub fn wait<'a, T, C: StdCondvar + ?Sized>(
    call: &Call<'_>,
    condvar: &C,
    guard: MutexGuard<'a, T>,
) -> Result<LockResult<MutexGuard<'a, T>>, Cancelled> {
    wait::wait_in(&call.ctx().handle(), condvar.condvar(), guard)
}

/// The future tokio's `blocking_recv` blocks on, for each of its receivers: called by method
/// syntax, so that the receiver is taken as tokio's method takes it (`&mut self`, or `self` for
/// a `oneshot`).
pub trait RecvFuture {
    /// What `blocking_recv` returns.
    type Output;
    /// The `recv()` future (or the `oneshot` receiver itself).
    fn __autocancel_recv(self) -> impl Future<Output = Self::Output>;
}

impl<T> RecvFuture for &mut tokio::sync::mpsc::Receiver<T> {
    type Output = Option<T>;
    fn __autocancel_recv(self) -> impl Future<Output = Option<T>> {
        self.recv()
    }
}

impl<T> RecvFuture for &mut tokio::sync::mpsc::UnboundedReceiver<T> {
    type Output = Option<T>;
    fn __autocancel_recv(self) -> impl Future<Output = Option<T>> {
        self.recv()
    }
}

impl<T: Clone> RecvFuture for &mut tokio::sync::broadcast::Receiver<T> {
    type Output = Result<T, tokio::sync::broadcast::error::RecvError>;
    fn __autocancel_recv(self) -> impl Future<Output = Self::Output> {
        self.recv()
    }
}

impl<T> RecvFuture for tokio::sync::oneshot::Receiver<T> {
    type Output = Result<T, tokio::sync::oneshot::error::RecvError>;
    fn __autocancel_recv(self) -> impl Future<Output = Self::Output> {
        self
    }
}
