//! A `TaskSet` task's failure, as `on_failure` and the default warning print it: the error
//! with its whole source chain, as anyhow's `{:#}` prints it (issue 21, item 4).

use std::io;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use autocancel::TaskSet;

fn collected(tasks: TaskSet) -> (TaskSet, Arc<Mutex<Vec<String>>>) {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let tasks = tasks.on_failure({
        let failures = failures.clone();
        move |failure| failures.lock().unwrap().push(failure.to_string())
    });
    (tasks, failures)
}

async fn read_request() -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::ConnectionReset))
}

#[tokio::test]
async fn an_anyhow_context_keeps_its_cause() {
    let (tasks, failures) = collected(TaskSet::new());
    tasks.spawn_named("conn", async {
        read_request()
            .await
            .context("reading the request")
            .context("connection from 127.0.0.1:49928")
    });
    tasks.shutdown().await;
    let failures = failures.lock().unwrap();
    assert_eq!(
        failures[..],
        ["task `conn` failed: connection from 127.0.0.1:49928: reading the request: connection reset"]
    );
    // The same as anyhow prints it.
    let error = anyhow::Error::from(io::Error::from(io::ErrorKind::ConnectionReset))
        .context("reading the request")
        .context("connection from 127.0.0.1:49928");
    assert!(failures[0].ends_with(&format!("{error:#}")));
}

/// An error wrapped in an `io::Error` (as `io::Error::other` or `?` makes one) is looked into:
/// `io::Error::source` would skip it.
#[tokio::test]
async fn an_io_error_made_from_another_error_keeps_it() {
    #[derive(Debug)]
    struct Handshake(io::Error);
    impl std::fmt::Display for Handshake {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("TLS handshake")
        }
    }
    impl std::error::Error for Handshake {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let (tasks, failures) = collected(TaskSet::new());
    tasks.spawn_named("tls", async {
        let refused = io::Error::from(io::ErrorKind::UnexpectedEof);
        Err::<(), _>(io::Error::other(Handshake(refused)))
    });
    // An error whose message already ends with its source's is not printed twice.
    #[derive(Debug)]
    struct SaysItsSource(io::Error);
    impl std::fmt::Display for SaysItsSource {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "writing the reply: {}", self.0)
        }
    }
    impl std::error::Error for SaysItsSource {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    tasks.spawn_named("dup", async {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        Err::<(), _>(SaysItsSource(reset))
    });
    tasks.shutdown().await;
    let mut failures = failures.lock().unwrap().clone();
    failures.sort();
    assert_eq!(
        failures,
        [
            "task `dup` failed: writing the reply: connection reset",
            "task `tls` failed: TLS handshake: unexpected end of file",
        ]
    );
}
