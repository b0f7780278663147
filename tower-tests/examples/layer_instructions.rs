//! The layers' cost per request in instructions, repeatable under load: `N` in-process calls of
//! a service that answers at once, bare or through `ServerLayer` / `ClientLayer` (as in
//! `benches/layers.rs`'s `layer_alone`), on a current-thread runtime. Run it under callgrind
//! twice and divide the difference by the difference in calls:
//!
//! ```sh
//! cargo build --release -p autocancel-tower-tests --example layer_instructions
//! for layer in none server client; do for n in 1000 11000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/layer_instructions $layer $n 2>&1 | grep refs
//! done; done
//! ```

use std::convert::Infallible;
use std::time::Duration;

use autocancel::Ctx;
use autocancel_tower::{ClientLayer, ServerLayer};
use tower::{Layer, Service, ServiceExt};

fn request() -> http::Request<()> {
    http::Request::post("/hops.Hop/Call")
        .header("content-type", "application/grpc")
        .header("grpc-timeout", "9999000u")
        .body(())
        .expect("a valid request")
}

async fn calls<S>(mut service: S, n: usize)
where
    S: Service<http::Request<()>> + Clone,
    S::Error: std::fmt::Debug,
{
    for _ in 0..n {
        service
            .ready()
            .await
            .unwrap()
            .call(request())
            .await
            .unwrap();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let layer = args.next().unwrap_or_else(|| "none".to_owned());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let answer = tower::service_fn(|_: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(
            http_body_util::Empty::<bytes::Bytes>::new(),
        ))
    });
    let ambient = Ctx::new().with_timeout(Duration::from_secs(10_000));
    rt.block_on(ambient.scope(async move {
        match layer.as_str() {
            "server" => calls(ServerLayer::new(Ctx::new()).layer(answer), n).await,
            "client" => calls(ClientLayer::new().layer(answer), n).await,
            _ => calls(answer, n).await,
        }
    }));
}
