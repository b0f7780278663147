//! Free functions, async and blocking, with every loop form and await position.
use autocancel::{cancellable, Cancelled};
use std::time::Duration;

#[cancellable]
async fn seed_task(steps: u32) -> Result<u32, Cancelled> {
    let mut done = 0;
    for _ in 0..steps {
        tokio::time::sleep(Duration::from_millis(1)).await;
        done += 1;
    }
    Ok(done)
}

async fn number(n: u32) -> u32 {
    n
}

async fn fallible(n: u32) -> Result<u32, Cancelled> {
    Ok(n)
}

#[cancellable]
pub(crate) async fn await_positions(
    mut rx: tokio::sync::mpsc::Receiver<u32>,
) -> Result<u32, Cancelled> {
    let mut total = 0;
    while let Some(x) = rx.recv().await {
        total += x;
    }
    // nested, before `?`, at the start of a statement, in a binary operation, as a method receiver
    total += number(number(1).await).await;
    total += fallible(2).await?;
    number(3).await.to_string();
    #[allow(unused_must_use)]
    {
        number(4).await + total;
    }
    let _ = fallible(5).await?.checked_add(1);
    if number(6).await > 0 {
        total += match fallible(7).await {
            Ok(n) => n,
            Err(e) => return Err(e),
        };
    }
    let mut i = 0;
    'outer: loop {
        while i < 3 {
            i += 1;
            if i == 2 {
                break 'outer;
            }
            continue 'outer;
        }
    }
    Ok(total)
}

#[cancellable]
fn blocking(steps: u32) -> Result<u32, Cancelled> {
    let mut i = 0;
    loop {
        if i == steps {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
        i += 1;
    }
    let x = ::std::thread::sleep(Duration::ZERO);
    let () = x;
    Ok(i)
}

#[cancellable]
async fn nothing_to_rewrite() -> u32 {
    1
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(seed_task(2).await.unwrap(), 2);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(1).await.unwrap();
    drop(tx);
    assert!(await_positions(rx).await.is_ok());
    assert_eq!(
        tokio::task::spawn_blocking(|| blocking(2))
            .await
            .unwrap()
            .unwrap(),
        2
    );
    assert_eq!(nothing_to_rewrite().await, 1);
}
