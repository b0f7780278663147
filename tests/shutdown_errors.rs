//! Telling a clean shutdown from a failure, wherever the cancellation ended up: an `io::Error`,
//! an `anyhow::Error` (with context), a boxed error.

use std::io::Read;
use std::time::Duration;

use autocancel::{cancellable, is_shutdown, Cancelled, Ctx};

fn shutdown() -> Cancelled {
    let ctx = Ctx::new();
    ctx.cancel_with_reason("shutdown");
    ctx.check().unwrap_err()
}

#[cancellable]
async fn accept_loop(ctx: &Ctx) -> std::io::Result<()> {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn an_accept_loop_stopped_by_shutdown_reads_as_shutdown() {
    let server = Ctx::new();
    let stopper = {
        let server = server.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            server.cancel_with_reason("SIGTERM");
        })
    };
    let err = accept_loop(&server).await.unwrap_err();
    assert!(is_shutdown(&err));
    assert_ne!(
        err.kind(),
        std::io::ErrorKind::Interrupted,
        "EINTR is retried by std"
    );
    stopper.await.unwrap();
}

#[test]
fn shutdown_is_found_in_io_anyhow_and_boxed_errors() {
    let io: std::io::Error = shutdown().into();
    assert!(is_shutdown(&io));

    let any: anyhow::Error = anyhow::Error::from(shutdown()).context("serving 127.0.0.1:8080");
    assert!(is_shutdown(&*any));
    let io_in_anyhow = anyhow::Error::from(std::io::Error::from(shutdown())).context("reading");
    assert!(is_shutdown(&*io_in_anyhow));

    let boxed: Box<dyn std::error::Error + Send + Sync> = shutdown().into();
    assert!(is_shutdown(&*boxed));
    assert!(Cancelled::find(&*boxed).is_some());
}

#[tokio::test(start_paused = true)]
async fn deadlines_failures_and_other_errors_are_not_shutdowns() {
    let timed_out = Ctx::new().with_timeout(Duration::ZERO).check().unwrap_err();
    assert!(!timed_out.is_shutdown());
    assert!(!is_shutdown(&std::io::Error::from(timed_out.clone())));
    assert_eq!(
        std::io::Error::from(timed_out).kind(),
        std::io::ErrorKind::TimedOut
    );
    let sibling = Cancelled::new(autocancel::Cause::task_failed("t", "boom"));
    assert!(!sibling.is_shutdown());
    assert!(!is_shutdown(&std::io::Error::from(
        std::io::ErrorKind::ConnectionReset
    )));
    assert!(!is_shutdown(&*anyhow::anyhow!("plain")));

    // A parent's shutdown is a shutdown of its children too.
    let parent = Ctx::new();
    let child = parent.with_timeout(Duration::from_secs(9));
    parent.cancel();
    assert!(child.check().unwrap_err().is_shutdown());
}

/// A reader that returns the cancellation once, then end of file.
struct CancelledOnce(bool);

impl Read for CancelledOnce {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            Ok(0)
        } else {
            Err(shutdown().into())
        }
    }
}

#[test]
fn read_exact_does_not_retry_a_cancellation() {
    // With kind `Interrupted`, `read_exact` would retry, and report end of file instead.
    let err = CancelledOnce(false).read_exact(&mut [0; 4]).unwrap_err();
    assert!(is_shutdown(&err), "{err:?}");
}
