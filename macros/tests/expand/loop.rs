// The seed's task: one checkpoint per iteration, each await raced.
#[cancellable]
async fn task(id: u32, steps: u32) -> Result<(), Cancelled> {
    for step in 1..=steps {
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("task {id}: step {step}/{steps}");
    }
    Ok(())
}

// Every loop form, labelled and nested; a CPU-bound loop has no await but still a checkpoint.
#[cancellable]
fn crunch(data: &[u64]) -> Option<u64> {
    let mut sum = 0;
    'outer: for chunk in data.chunks(8) {
        let mut i = 0;
        while i < chunk.len() {
            loop {
                sum += chunk[i];
                break;
            }
            if sum > 1_000 {
                continue 'outer;
            }
            i += 1;
        }
    }
    Some(sum)
}
