async fn subscribe(mut rx: Receiver<Message>) -> Result<Messages, Cancelled> {
    Ok(
        Box::pin(
            async_stream::stream! {
                let mut __cancellable =
                ::core::pin::pin!(::autocancel::__private::Call::ambient()); { let mut
                __cancellable_pace = __cancellable.as_mut().pace(); loop { if let
                ::core::result::Result::Err(c) = __cancellable.as_mut().checkpoint(& mut
                __cancellable_pace) { return ::autocancel::__private::exit_block(c); }
                match match ::autocancel::__private::race(rx.recv(), __cancellable
                .as_mut()). await { ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return
                ::autocancel::__private::exit_block(c), } { Ok(msg) => yield msg,
                Err(RecvError::Lagged(_)) => {} Err(_) => break, } } }
            },
        ),
    )
}
async fn route_chat(mut stream: Streaming<RouteNote>) -> Result<Chat, Status> {
    Ok(
        Box::pin(
            async_stream::try_stream! {
                let mut __cancellable =
                ::core::pin::pin!(::autocancel::__private::Call::ambient()); { let mut
                __cancellable_pace = __cancellable.as_mut().pace(); while let Some(note)
                = match ::autocancel::__private::race(stream.next(), __cancellable
                .as_mut()). await { ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(c) => return
                ::autocancel::__private::exit_block(c), } { if let
                ::core::result::Result::Err(c) = __cancellable.as_mut().checkpoint(& mut
                __cancellable_pace) { return ::autocancel::__private::exit_block(c); }
                let note = note ?; yield note; } }
            },
        ),
    )
}
