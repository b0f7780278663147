//! Closures, async blocks with a value, nested items, macros and const contexts are left as
//! written (`()`-shaped async blocks are rewritten: see async_blocks.rs), beside the function's
//! own `.await` (without one, the function would get no checkpoint at all, which is a compile
//! error: see `tests/ui/fail/unreached_*.rs`).
use autocancel::{cancellable, Cancelled};

#[cancellable]
async fn untouched(tx: tokio::sync::mpsc::Sender<u32>) -> Result<u32, Cancelled> {
    // A closure returning `u32`: a generated `return exit(c)` would not type-check in it.
    let sum = |xs: &[u32]| -> u32 {
        let mut s = 0;
        for x in xs {
            s += x;
        }
        s
    };
    // An async block returning a `Result`, with a loop and an await.
    let fut = async move {
        for i in 0..2 {
            tx.send(i).await?;
        }
        Ok::<(), tokio::sync::mpsc::error::SendError<u32>>(())
    };
    fn helper() -> u32 {
        let mut i = 0;
        loop {
            i += 1;
            if i > 2 {
                return i;
            }
        }
    }
    tokio::select! {
        r = fut => r.unwrap(),
    }
    const N: usize = {
        let mut n = 0;
        while n < 4 {
            n += 1;
        }
        n
    };
    let arr = [0u32; N];
    let arr2 = [1u32; {
        let mut n = 0;
        loop {
            n += 1;
            if n == 2 {
                break n;
            }
        }
    }];
    std::thread::spawn(|| std::thread::sleep(std::time::Duration::ZERO))
        .join()
        .unwrap();
    tokio::task::yield_now().await;
    Ok(sum(&[1, 2]) + helper() + arr.len() as u32 + arr2.len() as u32)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (tx, _rx) = tokio::sync::mpsc::channel(4);
    assert_eq!(untouched(tx).await.unwrap(), 3 + 3 + 4 + 2);
}
