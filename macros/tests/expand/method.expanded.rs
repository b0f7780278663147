impl Worker {
    pub async fn run(&self) -> io::Result<()> {
        let mut __cancellable = ::autocancel::__private::Call::ambient();
        loop {
            if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
                return ::autocancel::__private::exit(c);
            }
            match ::autocancel::__private::race(self.step(), &mut __cancellable).await {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            }?;
        }
    }
    fn drain(&mut self) {
        let mut __cancellable = ::autocancel::__private::Call::ambient();
        while let Some(job) = self.queue.pop() {
            if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
                return ::autocancel::__private::exit(c);
            }
            job.run();
        }
    }
}
impl Task for Worker {
    async fn handle<T>(&self, items: Vec<T>) -> Result<usize, Error>
    where
        T: Item + Send,
    {
        let mut __cancellable = ::autocancel::__private::Call::ambient();
        for item in &items {
            if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
                return ::autocancel::__private::exit(c);
            }
            match ::autocancel::__private::race(item.process(), &mut __cancellable).await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            };
        }
        Ok(items.len())
    }
}
