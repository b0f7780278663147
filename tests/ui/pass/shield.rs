//! `#[shield]` on `let` statements, blocks, expressions, match arms and macro statements.
use autocancel::{cancellable, Cancelled};

async fn step(n: u32) -> Result<u32, Cancelled> {
    Ok(n)
}

#[cancellable]
async fn shielded(items: Vec<u32>) -> Result<u32, Cancelled> {
    #[shield]
    let first = step(1).await?;
    let mut total = first;
    #[shield]
    {
        for i in &items {
            total += step(*i).await?;
        }
    }
    let second = #[shield]
    step(2).await?;
    total += match second {
        0 => step(0).await?,
        #[shield]
        n => step(n).await?,
    };
    #[shield]
    println!("{total}");
    let v = {
        #[shield]
        vec![total]
    };
    Ok(v[0])
}

#[cancellable]
fn shielded_blocking() -> Option<()> {
    #[shield]
    std::thread::sleep(std::time::Duration::ZERO);
    #[shield]
    for _ in 0..2 {}
    Some(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(shielded(vec![3]).await.unwrap(), 6);
    assert_eq!(shielded_blocking(), Some(()));
}
