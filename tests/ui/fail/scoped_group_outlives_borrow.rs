// A scoped group's task cannot outlive what it borrows: the borrow checker refuses to drop the
// data while the group (and so the task) is still alive.
use autocancel::{Cancelled, ScopedGroup};

async fn run() {
    let mut group: ScopedGroup<'_, usize> = ScopedGroup::new();
    {
        let words = vec![String::from("gone")];
        group.spawn(async { Ok::<_, Cancelled>(words.len()) });
    }
    let _ = group.wait().await;
}

fn main() {
    let _ = run();
}
