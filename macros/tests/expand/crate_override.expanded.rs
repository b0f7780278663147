async fn through_reexport() -> Result<(), Cancelled> {
    let mut __cancellable = ::core::pin::pin!(my_app::rt::__private::Call::ambient());
    {
        let mut __cancellable_pace = __cancellable.as_mut().pace();
        loop {
            if let ::core::result::Result::Err(c) = __cancellable
                .as_mut()
                .checkpoint(&mut __cancellable_pace)
            {
                return my_app::rt::__private::exit(c);
            }
            match my_app::rt::__private::race(tick(), __cancellable.as_mut()).await {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return my_app::rt::__private::exit(c),
            };
        }
    }
}
