impl Worker {
    // `&self` async method: the ambient context.
    #[cancellable]
    pub async fn run(&self) -> io::Result<()> {
        loop {
            self.step().await?;
        }
    }

    // `&mut self` blocking method returning `()`.
    #[cancellable]
    fn drain(&mut self) {
        while let Some(job) = self.queue.pop() {
            job.run();
        }
    }
}

impl Task for Worker {
    // async fn in a trait impl, generic with a where-clause.
    #[cancellable]
    async fn handle<T>(&self, items: Vec<T>) -> Result<usize, Error>
    where
        T: Item + Send,
    {
        for item in &items {
            item.process().await;
        }
        Ok(items.len())
    }
}
