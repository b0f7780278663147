//! The seed's scenario, in Rust: two tasks in a group with a 7 s deadline, one doing five
//! one-second steps, the other ten. In the Go original the program ran for 10 s; here every
//! `.await` of a `#[cancellable]` function is raced against the group's deadline, so it stops at
//! 7.00 s and says why.
//!
//! ```text
//! cargo run --example seed
//! ```

use autocancel::{cancellable, Cancelled, Group};
use std::time::Duration;
use tokio::time::Instant;

#[cancellable]
async fn task(id: u32, steps: u32, start: Instant) -> Result<(), Cancelled> {
    for step in 1..=steps {
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("[{}] task {id}: step {step}/{steps}", since(start));
    }
    println!("[{}] task {id}: done", since(start));
    Ok(())
}

/// Runs `task`, and says when it was stopped (the function itself returns at the cancellation).
async fn report(id: u32, steps: u32, start: Instant) -> Result<(), Cancelled> {
    let result = task(id, steps, start).await;
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
    group.spawn(report(1, 5, start));
    group.spawn(report(2, 10, start));
    match group.wait().await {
        Ok(_) => println!("[{}] all tasks finished", since(start)),
        Err(err) => println!("[{}] group stopped: {err}", since(start)),
    }
}
