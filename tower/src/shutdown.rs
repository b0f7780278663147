//! [`shutdown_signal`]: a server's context as the future graceful shutdowns wait for.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use autocancel_runtime::{Ctx, WaitForCancellationOwned};

/// The future that hyper's, axum's and tonic's graceful shutdowns take (`Output = ()`,
/// `'static`), ready when `ctx`, the server's context, is cancelled: one context both stops
/// accepting and cancels the requests in flight (children of it, under [`ServerLayer`]), and
/// the server then waits for their answers (`UNAVAILABLE` or 503, or their own).
///
/// ```no_run
/// # async fn run(listener: tokio::net::TcpListener, app: axum::Router) -> std::io::Result<()> {
/// use autocancel::Ctx;
/// use autocancel_tower::{shutdown_signal, ServerLayer};
///
/// let server = Ctx::new(); // `server.cancel()` (on Ctrl-C, say) shuts down
/// let app = app.layer(ServerLayer::new(server.clone()));
/// axum::serve(listener, app)
///     .with_graceful_shutdown(shutdown_signal(&server))
///     .await
/// // tonic: `Server::builder().layer(..).add_service(..).serve_with_shutdown(addr, shutdown_signal(&server))`
/// # }
/// ```
///
/// It is [`Ctx::cancelled_owned`] with the [`Cancelled`](https://docs.rs/autocancel/latest/autocancel/struct.Cancelled.html)
/// dropped; keep that one where the cause matters.
///
/// [`ServerLayer`]: crate::ServerLayer
/// [`Ctx::cancelled_owned`]: https://docs.rs/autocancel/latest/autocancel/struct.Ctx.html#method.cancelled_owned
pub fn shutdown_signal(ctx: &Ctx) -> ShutdownSignal {
    ShutdownSignal {
        cancelled: ctx.clone().cancelled_owned(),
    }
}

pin_project_lite::pin_project! {
    /// The future [`shutdown_signal`] returns.
    #[must_use = "futures do nothing unless polled"]
    pub struct ShutdownSignal {
        #[pin]
        cancelled: WaitForCancellationOwned,
    }
}

impl Future for ShutdownSignal {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().cancelled.poll(cx).map(drop)
    }
}

impl std::fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShutdownSignal")
    }
}
