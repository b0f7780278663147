use autocancel::cancellable;

#[cancellable]
async fn task() {
    #[shield(always)]
    {
        println!("critical");
    }
}

fn main() {}
