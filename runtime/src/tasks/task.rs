//! One task of a [`TaskSet`](crate::TaskSet): the user's future with the set's context ambient,
//! its panic caught, its outcome counted and reported, and its slot in the set released when its
//! future is dropped (finished or aborted), so that a finished task costs the set nothing.

use std::any::Any;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::report::{Counters, FailureKind, TaskFailure};
use super::Shared;
use crate::ambient::{self, Here};
use crate::group::TaskName;
use crate::Cancelled;

pin_project_lite::pin_project! {
    /// The future spawned for a task. Drops in order: the user's future first (closing its
    /// socket), with its ambient set, then its name, then the slot (which holds the set's
    /// ambient), so that once the set is empty every task's resources are gone.
    pub(super) struct SetTask<F> {
        // `None` once done: dropped with the ambient set, as soon as it is.
        #[pin]
        fut: Option<F>,
        name: TaskName,
        slot: LiveEntry,
    }

    impl<F> PinnedDrop for SetTask<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Aborted, or it panicked: dropped with its ambient set, as it would be polled.
                ambient::set(&here(this.slot, this.name), || fut.set(None));
            }
        }
    }
}

/// A task's place in the set's live list, given back on drop.
pub(super) struct LiveEntry {
    pub(super) shared: Arc<Shared>,
    pub(super) key: usize,
    /// Set once the outcome is counted: a task dropped before that was aborted.
    pub(super) counted: bool,
}

impl Drop for LiveEntry {
    fn drop(&mut self) {
        if !self.counted {
            Counters::add(&self.shared.counts.stopped);
        }
        self.shared.release(self.key);
    }
}

impl<F: Future> SetTask<F> {
    pub(super) fn new(slot: LiveEntry, name: TaskName, fut: F) -> SetTask<F> {
        SetTask {
            fut: Some(fut),
            name,
            slot,
        }
    }
}

impl<F, T, E> Future for SetTask<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let mut fut = this.fut;
        crate::ctx::reset_pacer();
        let polled = ambient::set(&here(this.slot, this.name), || {
            // Also catches a panic in the `Drop` of the finished future, dropped right away with
            // its ambient set: that is the task's panic too.
            panic::catch_unwind(AssertUnwindSafe(|| {
                let Some(running) = fut.as_mut().as_pin_mut() else {
                    panic!("a task set's task polled after completion");
                };
                let output = std::task::ready!(running.poll(cx));
                fut.set(None);
                Poll::Ready(output)
            }))
        });
        let outcome = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(_))) => Ok(()),
            Ok(Poll::Ready(Err(error))) => Err(FailureKind::Error(error.into())),
            Err(payload) => Err(FailureKind::Panicked(panic_message(&*payload).into())),
        };
        let slot = this.slot;
        slot.counted = true;
        let shared = &slot.shared;
        let task = || this.name.render();
        match outcome {
            Ok(()) => Counters::add(&shared.counts.succeeded),
            Err(FailureKind::Error(error)) => match Cancelled::find(&*error) {
                Some(cancelled) if cancelled.is_shutdown() => Counters::add(&shared.counts.stopped),
                Some(cancelled) if cancelled.is_deadline_exceeded() => {
                    Counters::add(&shared.counts.timed_out);
                    tracing::debug!(task = %task(), %cancelled, "task ran out of time");
                }
                _ => {
                    Counters::add(&shared.counts.failed);
                    shared.report(TaskFailure {
                        task: task(),
                        error: FailureKind::Error(error),
                    });
                }
            },
            Err(error) => {
                Counters::add(&shared.counts.panicked);
                shared.report(TaskFailure {
                    task: task(),
                    error,
                });
            }
        }
        Poll::Ready(())
    }
}

/// What the task in `slot`, named `name`, sees while it is polled: the set's ambient, with its own
/// key and name.
#[inline]
fn here<'a>(slot: &'a LiveEntry, name: &'a TaskName) -> Here<'a> {
    Here {
        ambient: &slot.shared.ambient,
        index: slot.key,
        name,
    }
}

/// The message of a panic payload, as `std` prints it.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
