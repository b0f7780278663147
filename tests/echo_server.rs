//! The example echo server (`examples/echo_server.rs`) driven by real clients over 127.0.0.1:
//! idle connections are closed, busy ones are kept, and after a shutdown no task is alive, every
//! client saw its connection closed, and the accept loop's result reads as success. And the
//! README's "Servers" code is this example's, word for word.

#[path = "../examples/echo_server.rs"]
mod echo_server;

use std::time::Duration;

use autocancel::Ctx;
use echo_server::{serve, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn echo_once(client: &mut TcpStream, line: &[u8]) {
    client.write_all(line).await.unwrap();
    let mut back = vec![0; line.len()];
    client.read_exact(&mut back).await.unwrap();
    assert_eq!(back, line);
}

/// Reads until the server closes the connection (end of file, or a reset).
async fn closed_by_server(client: &mut TcpStream) -> bool {
    let mut buf = [0; 64];
    let read = tokio::time::timeout(Duration::from_secs(30), client.read(&mut buf)).await;
    matches!(read, Ok(Ok(0)) | Ok(Err(_)))
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_closes_every_connection_and_leaves_no_task() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Ctx::new();
    let config = Config {
        // Long enough that a busy client's 100 ms gaps never reach it, even on a loaded machine.
        idle: Duration::from_secs(2),
        grace: Duration::from_secs(5),
    };
    let serving = {
        let server = server.clone();
        tokio::spawn(async move { serve(listener, &server, config).await })
    };

    // Busy clients: they talk more often than the idle timeout, for longer than it.
    let mut busy = Vec::new();
    for _ in 0..3 {
        busy.push(TcpStream::connect(addr).await.unwrap());
    }
    // A quiet one, closed by its idle timeout; and one that closes by itself.
    let mut quiet = TcpStream::connect(addr).await.unwrap();
    let mut polite = TcpStream::connect(addr).await.unwrap();
    echo_once(&mut polite, b"bye").await;
    drop(polite);
    for round in 0..6u8 {
        for client in &mut busy {
            echo_once(client, &[b'a' + round; 16]).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        closed_by_server(&mut quiet).await,
        "the idle connection is closed"
    );

    server.cancel_with_reason("shutdown");
    let report = serving.await.unwrap().expect("a shutdown is not an error");
    for client in &mut busy {
        assert!(
            closed_by_server(client).await,
            "the server closed it at shutdown"
        );
    }
    assert!(report.is_clean(), "{report}");
    let counts = report.counts;
    assert_eq!(counts.spawned, 5);
    // The polite one succeeded, the quiet one timed out (its idle deadline: not a failure), the
    // busy ones were stopped by the shutdown.
    assert_eq!(
        (
            counts.succeeded,
            counts.timed_out,
            counts.stopped,
            counts.failed
        ),
        (1, 1, 3, 0),
        "{report}"
    );

    // No task of the server is left: not the connections', not a timer's.
    tokio::task::yield_now().await;
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_alive_tasks(), 0);
}

/// The README shows this server: its "Servers" code block is the example's, from `use
/// autocancel::` to the end of `echo`, word for word.
#[test]
fn the_readme_shows_this_server() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/echo_server.rs");
    let section = &readme[readme.find("## Servers").expect("a Servers section")..];
    let start = section.find("```rust\n").expect("a code block") + "```rust\n".len();
    let snippet = &section[start..start + section[start..].find("```").unwrap()];
    assert!(snippet.starts_with("use autocancel::"), "{snippet}");
    assert!(
        example.contains(snippet),
        "the README's Servers code differs from examples/echo_server.rs"
    );
    let after = &example[example.find(snippet).unwrap() + snippet.len()..];
    assert!(
        after.trim_start().starts_with("#[allow(dead_code)]"),
        "the README's Servers code stops before the end of `echo`"
    );
}
