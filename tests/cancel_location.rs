//! `Cancelled::location`: the user's loop keyword or `.await` that observed the cancellation,
//! through the spans `#[cancellable]` gives its generated calls.

use std::panic::Location;
use std::time::Duration;

use autocancel::{cancellable, Cancelled, Ctx};

fn at(location: Option<&'static Location<'static>>) -> (&'static str, u32, u32) {
    let location = location.expect("a location");
    (location.file(), location.line(), location.column())
}

#[cancellable]
fn blocking_loop(ctx: &Ctx) -> Result<(), Cancelled> {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n + 1);
    }
}

#[test]
fn loop_checkpoint_reports_the_loop_keyword() {
    let ctx = Ctx::new();
    ctx.cancel();
    let err = blocking_loop(&ctx).unwrap_err();
    assert_eq!(at(err.location()), (file!(), 17, 5));
}

#[cancellable]
async fn awaits(ctx: Ctx) -> Result<(), Cancelled> {
    std::future::ready(()).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn await_reports_the_dot_await() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let err = awaits(ctx).await.unwrap_err();
    assert!(err.is_deadline_exceeded());
    assert_eq!(at(err.location()), (file!(), 33, 49));
}

#[cancellable]
fn sleeper(ctx: &Ctx) -> Result<(), Cancelled> {
    std::thread::sleep(Duration::from_secs(60));
    Ok(())
}

#[test]
fn blocking_sleep_reports_the_sleep_call() {
    let ctx = Ctx::new();
    ctx.cancel();
    let err = sleeper(&ctx).unwrap_err();
    assert_eq!(at(err.location()), (file!(), 47, 5));
}

#[tokio::test(start_paused = true)]
async fn debug_shows_the_location_display_does_not() {
    let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
    let err = awaits(ctx).await.unwrap_err();
    assert_eq!(err.to_string(), "deadline exceeded (after 1s)");
    let debug = format!("{err:?}");
    assert!(
        debug.ends_with(&format!(", at {}:33:49)", file!())),
        "{debug}"
    );
}
