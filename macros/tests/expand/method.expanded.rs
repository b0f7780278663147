impl Worker {
    pub async fn run(&self) -> io::Result<()> {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            loop {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit(c);
                }
                match ::autocancel::__private::race(self.step(), __cancellable.as_mut())
                    .await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit(c);
                    }
                }?;
            }
        }
    }
    fn drain(&mut self) {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            while let Some(job) = self.queue.pop() {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit(c);
                }
                job.run();
            }
        }
    }
}
impl Task for Worker {
    async fn handle<T>(&self, items: Vec<T>) -> Result<usize, Error>
    where
        T: Item + Send,
    {
        let mut __cancellable = ::core::pin::pin!(
            ::autocancel::__private::Call::ambient()
        );
        {
            let mut __cancellable_pace = __cancellable.as_mut().pace();
            for item in &items {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit(c);
                }
                match ::autocancel::__private::race(
                        item.process(),
                        __cancellable.as_mut(),
                    )
                    .await
                {
                    ::core::result::Result::Ok(v) => v,
                    ::core::result::Result::Err(c) => {
                        return ::autocancel::__private::exit(c);
                    }
                };
            }
        }
        Ok(items.len())
    }
}
