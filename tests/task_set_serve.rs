//! `TaskSet::serve`: an annotated accept loop over real TCP on 127.0.0.1 returns at the
//! shutdown through its `?`, and the connections still get their grace period and a report
//! (issue 21, item 5).

use std::io;
use std::time::Duration;

use autocancel::{cancellable, Ctx, TaskSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The natural accept loop: annotated, no context parameter (the set's is ambient), `?` on the
/// accept.
#[cancellable]
async fn accept(listener: &TcpListener, connections: &TaskSet) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        connections.spawn_named(peer.to_string(), connection(stream));
    }
}

/// Says hello, then: "polite" connections wait for the shutdown and say goodbye in a shield
/// (the grace period lets them); a "deaf" one sleeps through it, not annotated.
async fn connection(mut stream: TcpStream) -> io::Result<()> {
    let mut kind = [0; 5];
    stream.read_exact(&mut kind).await?;
    stream.write_all(b"hello").await?;
    if &kind == b"deaf!" {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    let stopped = autocancel::Ctx::current().cancelled().await;
    autocancel::shield(stream.write_all(b"bye")).await?;
    Err(stopped.into())
}

async fn client(addr: std::net::SocketAddr, kind: &[u8; 5]) -> TcpStream {
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(kind).await.unwrap();
    let mut hello = [0; 5];
    client.read_exact(&mut hello).await.unwrap();
    assert_eq!(&hello, b"hello");
    client
}

#[tokio::test(flavor = "current_thread")]
async fn an_annotated_accept_loop_shuts_down_gracefully() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Ctx::new();
    let serving = tokio::spawn({
        let connections = TaskSet::with_parent(&server).grace(Duration::from_millis(200));
        async move {
            connections
                .serve(async |set| accept(&listener, set).await)
                .await
        }
    });
    let mut polite = client(addr, b"nice!").await;
    let deaf = client(addr, b"deaf!").await;
    let deaf_name = deaf.local_addr().unwrap().to_string();

    server.cancel_with_reason("shutdown");
    let report = serving
        .await
        .unwrap()
        .expect("the accept loop's cancellation is no error");
    // The polite connection had its grace period: it said goodbye before closing.
    let mut rest = Vec::new();
    polite.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"bye");
    // The deaf one was aborted after it, and is named.
    let [straggler] = &report.stragglers[..] else {
        panic!("one straggler: {report}")
    };
    assert_eq!(&*straggler.name, deaf_name);
    assert!(straggler.aborted);
    assert!(straggler.overdue >= Duration::from_millis(200));
    let c = report.counts;
    assert_eq!((c.spawned, c.stopped, c.failed), (2, 2, 0), "{report}");
    tokio::task::yield_now().await;
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_alive_tasks(), 0, "a connection outlived serve");
}

/// The loop's own error (not the shutdown's) is returned, once the connections have been shut
/// down gracefully.
#[tokio::test(start_paused = true)]
async fn an_accept_loop_error_is_returned_after_the_shutdown() {
    let connections = TaskSet::new().grace(Duration::from_secs(1));
    let ctx = connections.ctx().clone();
    let served = connections
        .serve(async |set| {
            set.spawn(async {
                autocancel::sleep(Duration::from_secs(3600)).await?;
                Ok::<_, io::Error>(())
            });
            tokio::task::yield_now().await;
            Err::<(), _>(io::Error::other("too many open files"))
        })
        .await;
    assert_eq!(served.unwrap_err().to_string(), "too many open files");
    assert!(ctx.is_cancelled(), "the set was shut down");
    assert_eq!(
        ctx.cause().unwrap().to_string(),
        "cancelled: shutdown",
        "gracefully (not dropped)"
    );
}

/// An accept loop that returns `Ok` ends the same way: a graceful shutdown, `Ok(report)`.
#[tokio::test(start_paused = true)]
async fn an_accept_loop_that_returns_ok_shuts_the_set_down() {
    let report = TaskSet::new()
        .serve(async |set| {
            set.spawn(async {
                autocancel::sleep(Duration::from_secs(3600)).await?;
                Ok::<_, io::Error>(())
            });
            Ok::<_, io::Error>(())
        })
        .await
        .unwrap();
    assert!(report.is_clean());
    assert_eq!((report.counts.spawned, report.counts.stopped), (1, 1));
}
