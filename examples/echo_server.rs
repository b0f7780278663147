//! A TCP echo server on 127.0.0.1: one task per connection in a [`TaskSet`], an idle timeout per
//! connection (reset on every read), a graceful shutdown on Ctrl-C or after a set time, and a
//! report of the connections that did not stop in time.
//!
//! ```text
//! cargo run --example echo_server                # until Ctrl-C
//! cargo run --example echo_server -- 10          # or 10 s
//! nc 127.0.0.1 7007                              # type lines; 5 s of silence closes it
//! ```
//!
//! `tests/echo_server.rs` drives [`serve`] with real clients.

use std::net::SocketAddr; // for `main`

// From here to the end of `echo`: the README's "Servers" code, word for word
// (`tests/echo_server.rs` checks it).

use autocancel::{cancellable, Ctx, ShutdownReport, TaskSet};
use std::{io, time::Duration};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server treats its connections.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// A connection silent this long is closed.
    pub idle: Duration,
    /// How long connections get to stop at shutdown before they are aborted and reported.
    pub grace: Duration,
}

/// Serves on `listener` until `server` is cancelled, then shuts the connections down: they stop
/// at their next `.await` (each is `#[cancellable]`), those that do not within `config.grace` are
/// aborted, and the report names them. A shutdown is not an error: this returns `Ok`.
pub async fn serve(
    listener: TcpListener,
    server: &Ctx,
    config: Config,
) -> io::Result<ShutdownReport> {
    // On failure: "task `127.0.0.1:49928` failed: …", the error with its source chain.
    let connections = TaskSet::with_parent(server)
        .grace(config.grace)
        .on_failure(|failure| eprintln!("{failure}"));
    // The accept loop, then the graceful shutdown, however the loop ends.
    connections
        .serve(async |connections| accept(&listener, connections, config.idle).await)
        .await
}

/// Accepts until the server shuts down: the `.await` then returns the cancellation (the
/// connections' context, a child of the server's, is the ambient one here).
#[cancellable]
async fn accept(listener: &TcpListener, connections: &TaskSet, idle: Duration) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let conn = connections.ctx().with_idle_timeout(idle);
        connections.spawn_named(peer.to_string(), echo(stream, conn));
    }
}

/// One connection, until the client closes it, it stays idle too long (counted `timed_out`,
/// not failed), or the server shuts down (counted `stopped`).
#[cancellable]
async fn echo(mut stream: TcpStream, conn: Ctx) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?; // raced against the idle deadline and the shutdown
        if n == 0 {
            return Ok(()); // the client closed
        }
        conn.reset_idle_timeout(); // a clock read and an atomic store
        stream.write_all(&buf[..n]).await?;
    }
}

#[allow(dead_code)] // `tests/echo_server.rs` includes this file for `serve` alone.
#[tokio::main]
async fn main() -> io::Result<()> {
    let seconds: Option<u64> = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 7007))).await?;
    println!("echo server on {}", listener.local_addr()?);
    let server = Ctx::new();
    {
        let server = server.clone();
        tokio::spawn(async move {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => tokio::signal::ctrl_c().await.unwrap_or(()),
            }
            server.cancel_with_reason("shutdown requested");
        });
    }
    let config = Config {
        idle: Duration::from_secs(5),
        grace: Duration::from_secs(1),
    };
    let report = serve(listener, &server, config).await?;
    println!("stopped: {report}");
    Ok(())
}
