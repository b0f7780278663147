// Generated code reaches the runtime through a re-export.
#[cancellable(crate = my_app::rt)]
async fn through_reexport() -> Result<(), Cancelled> {
    loop {
        tick().await;
    }
}
