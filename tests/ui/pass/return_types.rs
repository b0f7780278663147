//! Every return type the runtime's `Exit` trait supports, through aliases too.
use autocancel::{cancellable, Cancelled};
use std::error::Error;
use std::io;

type MyResult<T> = Result<T, Cancelled>;

#[cancellable]
async fn io_result() -> io::Result<u32> {
    loop {
        tokio::task::yield_now().await;
        return Ok(1);
    }
}

#[cancellable]
async fn anyhow_result() -> anyhow::Result<u32> {
    for i in 0..1 {
        tokio::task::yield_now().await;
        anyhow::ensure!(i == 0, "unexpected");
    }
    Ok(2)
}

#[cancellable]
fn boxed_error() -> Result<u32, Box<dyn Error + Send + Sync>> {
    let mut i = 0;
    while i < 3 {
        i += "1".parse::<u32>()?;
    }
    Ok(i)
}

#[cancellable]
async fn option() -> Option<u32> {
    for _ in 0..2 {
        tokio::task::yield_now().await;
    }
    Some(4)
}

#[cancellable]
async fn unit() {
    for _ in 0..2 {
        tokio::task::yield_now().await;
    }
}

#[cancellable]
fn unit_blocking() {
    for _ in 0..2 {
        std::thread::sleep(std::time::Duration::ZERO);
    }
}

#[cancellable]
fn alias() -> MyResult<u32> {
    loop {
        break Ok(5);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(io_result().await.unwrap(), 1);
    assert_eq!(anyhow_result().await.unwrap(), 2);
    assert_eq!(boxed_error().unwrap(), 3);
    assert_eq!(option().await, Some(4));
    unit().await;
    unit_blocking();
    assert_eq!(alias().unwrap(), 5);
}
