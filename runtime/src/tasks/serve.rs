//! [`TaskSet::serve`]: an accept loop, then the set's graceful shutdown, whichever way the loop
//! ends.

use super::{ShutdownReport, TaskSet};

impl TaskSet {
    /// Runs `accept` (a server's accept loop, given the set to spawn its connections into) with
    /// the set's context ambient, then [`shutdown`](TaskSet::shutdown)s the set, whichever way
    /// the loop ended: the connections get their grace period, and the report names the
    /// stragglers.
    ///
    /// Written as a `#[cancellable]` function without a context parameter, the accept loop
    /// stops at its next `.await` once the set's context is cancelled (its parent, the server's
    /// context, shut down), with an error; it may also return `Ok` to stop. Both are a shutdown:
    /// `serve` returns `Ok(report)`. An error while the set's context is not cancelled (the
    /// listener failed) is returned once the connections have been shut down gracefully (their
    /// stragglers, if any, logged as `tracing` warnings).
    ///
    /// Without it, an annotated accept loop that owns its `TaskSet` returns at the
    /// cancellation through its `?`, and dropping the set aborts the connections at once, with
    /// no grace period and no report.
    ///
    /// ```
    /// use autocancel::{cancellable, Ctx, TaskSet};
    /// use std::{io, time::Duration};
    /// use tokio::net::TcpListener;
    ///
    /// #[cancellable]
    /// async fn accept(listener: &TcpListener, connections: &TaskSet) -> io::Result<()> {
    ///     loop {
    ///         let (stream, _peer) = listener.accept().await?; // returns at the shutdown
    ///         connections.spawn(async move {
    ///             let _stream = stream;
    ///             autocancel::sleep(Duration::from_secs(3600)).await?;
    ///             Ok::<_, io::Error>(())
    ///         });
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> io::Result<()> {
    /// let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let server = Ctx::new();
    /// let serving = tokio::spawn({
    ///     let connections = TaskSet::with_parent(&server);
    ///     async move { connections.serve(async |set| accept(&listener, set).await).await }
    /// });
    /// let _client = tokio::net::TcpStream::connect(addr).await?;
    /// server.cancel_with_reason("shutdown");
    /// let report = serving.await.unwrap()?; // the accept loop's cancellation is no error
    /// assert!(report.is_clean());
    /// # Ok(()) }
    /// ```
    pub async fn serve<E>(
        self,
        accept: impl AsyncFnOnce(&TaskSet) -> Result<(), E>,
    ) -> Result<ShutdownReport, E> {
        let accepted = self.ctx().clone().scope(accept(&self)).await;
        let shut_down = self.ctx().is_cancelled();
        let report = self.shutdown().await;
        match accepted {
            Err(error) if !shut_down => Err(error),
            _ => Ok(report),
        }
    }
}
