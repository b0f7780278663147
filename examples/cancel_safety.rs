//! Cancellation safety, tested: a job archives records — take one from the inbox, await the
//! journal write, put it in the archive. Cancelled between the take and the put, the record is in
//! neither store. `autocancel::testing` cuts the job at every cancellation point in turn, checks
//! that no record was lost after each run, and names the line where a cut loses one;
//! `#[shield]` on the take–write–put makes every run pass.
//!
//! `cargo run --example cancel_safety --features testing`

use std::sync::Mutex;
use std::time::Duration;

use autocancel::testing::{self, CutReport};
use autocancel::{cancellable, Cancelled};

/// Two stores, and the journal every move is written to first.
#[derive(Debug)]
struct Stores {
    inbox: Mutex<Vec<u32>>,
    archive: Mutex<Vec<u32>>,
}

impl Stores {
    fn with(records: u32) -> Stores {
        Stores {
            inbox: Mutex::new((1..=records).collect()),
            archive: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<u32> {
        self.inbox.lock().unwrap().pop()
    }

    fn put(&self, record: u32) {
        self.archive.lock().unwrap().push(record);
    }

    /// The invariant: every record is in one store or the other.
    fn check_none_lost(&self, records: u32) {
        let inbox = self.inbox.lock().unwrap().len();
        let archive = self.archive.lock().unwrap().len();
        assert!(
            inbox + archive == records as usize,
            "a record was lost: {inbox} in the inbox, {archive} archived"
        );
    }
}

/// The journal write between the take and the put (a network or disk round trip).
async fn journal(record: u32) {
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = record;
}

/// The bug: a cancellation at the journal's `.await` drops the record. So does one at the
/// `while`: its checkpoint starts the iteration's body, after the condition has taken the record
/// (the test finds this one too).
#[cancellable]
async fn archive_all(stores: &Stores) -> Result<(), Cancelled> {
    while let Some(record) = stores.take() {
        journal(record).await;
        stores.put(record);
    }
    Ok(())
}

/// The fix: the take, the write and the put are one shielded step; the cancellation lands
/// between two records, never inside one.
#[cancellable]
async fn archive_all_shielded(stores: &Stores) -> Result<(), Cancelled> {
    loop {
        #[shield]
        {
            let Some(record) = stores.take() else {
                return Ok(());
            };
            journal(record).await;
            stores.put(record);
        }
    }
}

const RECORDS: u32 = 3;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let buggy: CutReport = testing::cut_everywhere(
        || async {
            let stores = Stores::with(RECORDS);
            let _ = archive_all(&stores).await; // cut or not, the stores must add up
            stores
        },
        |stores| stores.check_none_lost(RECORDS),
    )
    .await;
    println!("archive_all:\n{buggy}\n");
    let lines: Vec<u32> = buggy
        .broken()
        .filter_map(|run| run.cut)
        .map(|cut| cut.location.line())
        .collect();
    // Every cut loses a record: at the `while` (after its `take()`) and at the journal's `.await`.
    assert_eq!(lines, [60, 61, 60, 61, 60, 61]);

    let fixed = testing::cut_everywhere(
        || async {
            let stores = Stores::with(RECORDS);
            let _ = archive_all_shielded(&stores).await;
            stores
        },
        |stores| stores.check_none_lost(RECORDS),
    )
    .await;
    println!("archive_all_shielded:\n{fixed}");
    fixed.assert_ok();
}
