//! What a checkpoint does when it returns a cancellation: the error's location, and the debug
//! event (target `autocancel`) a `tracing` subscriber receives. On the happy path, no event.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autocancel_runtime::{Cancelled, Ctx, Group};

/// Everything a `tracing_subscriber::fmt` subscriber writes, at debug level, while `f` runs.
fn captured(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_cancelled_check_emits_one_debug_event_with_cause_location_and_task() {
    let ctx = Ctx::new();
    let mut line = 0;
    let out = captured(|| {
        assert!(ctx.check().is_ok());
        ctx.cancel_with_reason("shutting down");
        let _guard = ctx.enter();
        line = line!() + 1;
        let err = ctx.check().unwrap_err();
        assert_eq!(err.location().unwrap().line(), line);
    });
    let events: Vec<&str> = out.lines().collect();
    assert_eq!(events.len(), 1, "{out}");
    let event = events[0];
    assert!(
        event.starts_with("DEBUG autocancel: cancelled at a checkpoint"),
        "{event}"
    );
    assert!(event.contains("cause=cancelled: shutting down"), "{event}");
    assert!(
        event.contains(&format!("location={}:{line}:", file!())),
        "{event}"
    );
    assert!(event.contains("task=\"Ctx::enter\""), "{event}");
}

#[test]
fn a_group_task_is_named_in_the_event() {
    let out = captured(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut group: Group = Group::with_timeout(Duration::from_secs(1));
            group.spawn_named("mover", async {
                loop {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Ctx::current().check()?;
                }
            });
            let err: Cancelled = group.wait().await.unwrap_err();
            assert!(err.is_deadline_exceeded());
        });
    });
    assert!(out.contains("task=\"mover\""), "{out}");
    assert!(out.contains("cause=deadline exceeded (after 1s)"), "{out}");
}

#[test]
fn no_event_without_a_cancellation() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(3600));
    let out = captured(|| {
        for _ in 0..1000 {
            ctx.check().unwrap();
        }
    });
    assert_eq!(out, "");
}

#[test]
fn cancelled_wait_has_no_location_and_display_is_the_cause_alone() {
    let ctx = Ctx::new();
    ctx.cancel_with_reason("stop");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt.block_on(ctx.cancelled());
    assert_eq!(err.location(), None);
    assert_eq!(err.to_string(), "cancelled: stop");
    assert!(!format!("{err:?}").contains(" at "));
    let checked = ctx.check().unwrap_err();
    assert_eq!(checked.to_string(), "cancelled: stop");
    assert!(format!("{checked:?}").contains(&format!(", at {}:", file!())));
}
