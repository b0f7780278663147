//! [`WithAmbient`]: a future with an ambient context of its own, set for the length of each of
//! its polls and of its drop ([`Ctx::scope`](crate::Ctx::scope), spawned work that inherits
//! its creator's context, detached work).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{scoped, Ambient, Here};

pin_project_lite::pin_project! {
    /// A future with an ambient context: while it is polled, and when it is dropped, its
    /// `ambient` is the task's.
    pub(crate) struct WithAmbient<F> {
        ambient: Ambient,
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for WithAmbient<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let mut fut = this.fut;
            if fut.is_some() {
                // Dropped with its ambient set, as it would be polled.
                scoped::set(&Here::of(this.ambient), || fut.set(None));
            }
        }
    }
}

impl<F> WithAmbient<F> {
    /// Runs `fut` with `ambient` as its task's ambient context.
    pub(crate) fn new(ambient: Ambient, fut: F) -> WithAmbient<F> {
        WithAmbient {
            ambient,
            fut: Some(fut),
        }
    }
}

impl<F: Future> Future for WithAmbient<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut fut = this.fut;
        scoped::set(&Here::of(this.ambient), || {
            let Some(inner) = fut.as_mut().as_pin_mut() else {
                panic!("`WithAmbient` polled after completion");
            };
            let output = inner.poll(cx);
            if output.is_ready() {
                fut.set(None); // dropped with its ambient set
            }
            output
        })
    }
}
