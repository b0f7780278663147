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

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Ctx, ShutdownReport, TaskSet};
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
    let connections = TaskSet::with_parent(server)
        .grace(config.grace)
        .on_failure(|failure| {
            eprintln!("{failure}");
        });
    loop {
        // `run`: the accept, or the shutdown, whichever comes first.
        let (stream, peer) = match server.run(listener.accept()).await {
            Ok(accepted) => accepted?,
            Err(_shutdown) => break,
        };
        let conn = connections.ctx().with_idle_timeout(config.idle);
        connections.spawn_named(peer.to_string(), connection(stream, conn));
    }
    Ok(connections.shutdown().await)
}

/// One connection: echoes until the client closes it, it stays idle too long, or the server
/// shuts down (which the task set counts as stopped, not failed).
async fn connection(mut stream: TcpStream, conn: Ctx) -> io::Result<()> {
    match echo(&mut stream, &conn).await {
        // An idle timeout is how a quiet connection normally ends, not a failure.
        Err(err) if Cancelled::find(&err).is_some_and(Cancelled::is_deadline_exceeded) => Ok(()),
        other => other,
    }
}

/// Every `.await` here is raced against `conn`: its idle deadline, and the server's shutdown.
#[cancellable]
async fn echo(stream: &mut TcpStream, conn: &Ctx) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client closed
        }
        conn.reset_idle_timeout(); // one clock read and an atomic store
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
