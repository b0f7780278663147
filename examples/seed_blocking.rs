//! The seed's scenario on blocking threads: each task runs in `spawn_blocking` and sleeps with
//! `std::thread::sleep`. In a `#[cancellable]` blocking function those sleeps wake up at the
//! cancellation, so the program stops at the 7 s deadline itself, not at the end of a step.
//!
//! ```text
//! cargo run --example seed_blocking
//! ```

use autocancel::{cancellable, Cancelled, Group};
use std::thread;
use std::time::{Duration, Instant};

#[cancellable]
fn task(id: u32, steps: u32, start: Instant) -> Result<(), Cancelled> {
    for step in 1..=steps {
        thread::sleep(Duration::from_secs(1));
        println!("[{}] task {id}: step {step}/{steps}", since(start));
    }
    println!("[{}] task {id}: done", since(start));
    Ok(())
}

/// Runs `task`, and says when it was stopped (the function itself returns at the cancellation).
fn report(id: u32, steps: u32, start: Instant) -> Result<(), Cancelled> {
    let result = task(id, steps, start);
    if let Err(err) = &result {
        println!("[{}] task {id}: stopped ({err})", since(start));
    }
    result
}

fn since(start: Instant) -> String {
    format!("{:.2}s", start.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let start = Instant::now();
    let mut group = Group::with_timeout(Duration::from_secs(7));
    group.spawn_blocking(move || report(1, 5, start));
    group.spawn_blocking(move || report(2, 10, start));
    match group.wait().await {
        Ok(_) => println!("[{}] all tasks finished", since(start)),
        Err(err) => println!("[{}] group stopped: {err}", since(start)),
    }
}
