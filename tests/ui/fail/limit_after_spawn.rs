// A concurrency limit is set on the builder, before the group exists: once tasks run, there is
// no way to set one that would not count them.
use autocancel::Group;

#[tokio::main]
async fn main() {
    let mut group: Group = Group::new();
    group.spawn(async { Ok(()) });
    let _limited = group.limit(2);
}
