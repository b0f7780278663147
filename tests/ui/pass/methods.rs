//! Inherent methods (`self`, `&self`, `&mut self`), trait impls, `async fn` in a trait impl,
//! and generic functions with where-clauses.
use autocancel::{cancellable, Cancelled};
use std::fmt::Debug;

struct Counter {
    n: u32,
}

impl Counter {
    #[cancellable]
    async fn by_ref(&self) -> Result<u32, Cancelled> {
        for _ in 0..2 {
            tokio::task::yield_now().await;
        }
        Ok(self.n)
    }

    #[cancellable]
    async fn by_mut(&mut self) -> Result<(), Cancelled> {
        while self.n < 5 {
            self.n += 1;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    #[cancellable]
    fn by_value(self) -> Option<u32> {
        let mut n = self.n;
        loop {
            if n == 0 {
                return Some(self.n);
            }
            n -= 1;
        }
    }

    #[cancellable]
    pub fn blocking_mut(&mut self) {
        for _ in 0..3 {
            self.n += 1;
        }
    }
}

trait Job {
    fn run(&self) -> Result<u32, Cancelled>;
    #[allow(async_fn_in_trait)]
    async fn run_async(&mut self) -> Result<u32, Cancelled>;
}

impl Job for Counter {
    #[cancellable]
    fn run(&self) -> Result<u32, Cancelled> {
        let mut sum = 0;
        for i in 0..self.n {
            sum += i;
        }
        Ok(sum)
    }

    #[cancellable]
    async fn run_async(&mut self) -> Result<u32, Cancelled> {
        for _ in 0..3 {
            tokio::task::yield_now().await;
            self.n += 1;
        }
        Ok(self.n)
    }
}

#[cancellable]
async fn generic<T, I>(items: I) -> Result<Vec<T>, Cancelled>
where
    T: Debug + Send,
    I: IntoIterator<Item = T>,
{
    let mut out = Vec::new();
    for item in items {
        tokio::task::yield_now().await;
        out.push(item);
    }
    Ok(out)
}

#[cancellable]
fn generic_blocking<'a, T: Clone + 'a>(items: &'a [T]) -> Option<Vec<T>> {
    let mut out = Vec::new();
    for item in items {
        out.push(item.clone());
    }
    Some(out)
}

#[tokio::main]
async fn main() {
    let mut c = Counter { n: 1 };
    assert_eq!(c.by_ref().await.unwrap(), 1);
    c.by_mut().await.unwrap();
    c.blocking_mut();
    assert_eq!(c.run().unwrap(), 28);
    assert_eq!(c.run_async().await.unwrap(), 11);
    assert_eq!(c.by_value(), Some(11));
    assert_eq!(generic(vec![1, 2]).await.unwrap(), vec![1, 2]);
    assert_eq!(generic_blocking(&["a"]), Some(vec!["a"]));
}
