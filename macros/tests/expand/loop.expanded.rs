async fn task(id: u32, steps: u32) -> Result<(), Cancelled> {
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
            match ::autocancel::__private::race(
                    tokio::time::sleep(Duration::from_secs(1)),
                    __cancellable.as_mut(),
                )
                .await
            {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return ::autocancel::__private::exit(c),
            };
            println!("task {id}: step {step}/{steps}");
        }
    }
    Ok(())
}
fn crunch(data: &[u64]) -> Option<u64> {
    let mut __cancellable = ::core::pin::pin!(::autocancel::__private::Call::ambient());
    let mut sum = 0;
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        'outer: for chunk in data.chunks(8) {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return ::autocancel::__private::exit(c);
            }
            let mut i = 0;
            while i < chunk.len() {
                if let ::core::result::Result::Err(c) = __cancellable
                    .as_mut()
                    .checkpoint(&mut __cancellable_pace)
                {
                    return ::autocancel::__private::exit(c);
                }
                loop {
                    if let ::core::result::Result::Err(c) = __cancellable
                        .as_mut()
                        .checkpoint(&mut __cancellable_pace)
                    {
                        return ::autocancel::__private::exit(c);
                    }
                    sum += chunk[i];
                    break;
                }
                if sum > 1_000 {
                    continue 'outer;
                }
                i += 1;
            }
        }
    }
    Some(sum)
}
