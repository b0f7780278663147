// The seed's task on a blocking thread: `thread::sleep` wakes up at the cancellation.
#[cancellable]
fn blocking_task(id: u32, steps: u32) -> Result<u32, Cancelled> {
    for step in 1..=steps {
        thread::sleep(Duration::from_millis(100));
        println!("task {id}: step {step}/{steps}");
    }
    std::thread::sleep(Duration::from_millis(1));
    Ok(steps)
}
