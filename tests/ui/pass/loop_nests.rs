//! Loops in every place a nest's countdown (`__cancellable_pace`, declared before the outermost
//! checkpointed loop) has to reach, or must not: values of `loop`, labelled breaks and
//! continues, `!`-typed loops, loops in match arms, in macro arguments, in `select!` branches,
//! in `async` blocks with a scope of their own, and a `&Ctx` parameter the body shadows.
use autocancel::{cancellable, Cancelled, Ctx};

#[cancellable]
fn values(xs: &[u32]) -> Result<u32, Cancelled> {
    let first_big = 'search: loop {
        for &x in xs {
            if x > 10 {
                break 'search x;
            }
        }
        break 0;
    };
    let mut total = 0;
    'rows: for chunk in xs.chunks(2) {
        let mut i = 0;
        while i < chunk.len() {
            if chunk[i] == 0 {
                continue 'rows;
            }
            total += chunk[i];
            i += 1;
        }
    }
    let label = format!("{}", {
        let mut n = 0;
        while n < 3 {
            n += 1;
        }
        n
    });
    let kind = match total {
        0 => loop {
            break "none";
        },
        _ => "some",
    };
    Ok(first_big + total + label.len() as u32 + kind.len() as u32)
}

#[cancellable]
fn shadowed(ctx: &Ctx, n: u32) -> Result<u32, Cancelled> {
    let ctx = n; // the parameter is shadowed: the checkpoints keep their own copy
    let mut i = 0;
    while i < ctx {
        i += 1;
    }
    Ok(i)
}

#[cancellable]
async fn in_select(mut rx: tokio::sync::mpsc::Receiver<Vec<u32>>) -> Result<u32, Cancelled> {
    let mut sum = 0;
    loop {
        tokio::select! {
            batch = rx.recv() => match batch {
                Some(batch) => for x in batch { sum += x; },
                None => break,
            },
        }
    }
    let worker = async {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
    };
    worker.await;
    Ok(sum)
}

#[cancellable]
async fn forever(mut rx: tokio::sync::mpsc::Receiver<u32>) -> Result<(), Cancelled> {
    loop {
        while let Some(x) = rx.recv().await {
            if x == 0 {
                return Ok(());
            }
        }
    }
}

fn main() {
    let _ = values(&[1, 2, 30]);
    let _ = shadowed(&Ctx::new(), 3);
    let _ = in_select;
    let _ = forever;
}
