fn blocking_task(id: u32, steps: u32) -> Result<u32, Cancelled> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        for step in 1..=steps {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            {
                let _ = thread::sleep;
                if let ::core::result::Result::Err(c) = __cancellable
                    .sleep_blocking(Duration::from_millis(100))
                {
                    return ::autocancel::__private::exit(c);
                }
            };
            println!("task {id}: step {step}/{steps}");
        }
    }
    if let ::core::result::Result::Err(c) = __cancellable
        .sleep_blocking(Duration::from_millis(1))
    {
        return ::autocancel::__private::exit(c);
    }
    Ok(steps)
}
