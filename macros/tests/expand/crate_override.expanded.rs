async fn through_reexport() -> Result<(), Cancelled> {
    let mut __cancellable = my_app::rt::__private::Call::ambient();
    loop {
        if let ::core::result::Result::Err(c) = __cancellable.checkpoint() {
            return my_app::rt::__private::exit(c);
        }
        match my_app::rt::__private::race(tick(), &mut __cancellable).await {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(c) => return my_app::rt::__private::exit(c),
        };
    }
}
