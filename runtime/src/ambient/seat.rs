//! [`Seat`]: all that a [`Group`](crate::Group) task carries of its group, in one word.
//!
//! Why one word: tokio allocates a task in steps of 128 bytes (its task cells are aligned to
//! 128), and the first step leaves 24 bytes for the future. A trivial task (a captured value and
//! a state byte: 16 bytes) fits only if what wraps it adds at most one word; each step up costs
//! a spawned task about a sixth of its time (more memory to write, copy and free). A task's
//! group, its index, its name and whether it has started and finished are therefore reached
//! through one tagged pointer, not carried.
//!
//! A group hands out seats from rows of [`ROW`], allocated as it spawns. A row holds what its
//! seats share: the group's ambient (one reference count per row, not per task), the index of
//! its first seat, and the name of each seat's task. A seat is the address of its row (rows are
//! aligned to 256 bytes, so its low 8 bits are free), its place in the row in bits 2..8, and two
//! bits of its task's own state in bits 0 and 1 ([`STARTED`], [`DONE`]).
//!
//! # Invariants
//!
//! - `names[i]` is written once, by the group ([`Seats::take`]), before seat `i` exists, and
//!   never again until the row is freed; `filled` counts the names written (only the group
//!   stores it). After that a name is only read, so shared references to it are sound from any
//!   thread: a task receives its seat through tokio's spawn, which orders the write before it.
//! - `refs` counts the row's seats not yet dropped, handed out or not, plus one for the group
//!   ([`Seats`]). A row is made with `ROW + 1`, so handing a seat out costs no atomic operation;
//!   the group gives back its own and the seats it never handed out when it is dropped. Whoever
//!   brings `refs` to zero frees the row (after an acquire fence, as `Arc` does).
//! - A seat's row is alive while the seat is: the seat holds one of `refs`.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;
use std::ptr::{self, NonNull};
use std::sync::atomic::{self, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Ambient, TaskName};

/// Seats per row.
pub(crate) const ROW: usize = 64;
/// A seat's task has been polled once.
const STARTED: usize = 1;
/// A seat's task has finished with its future (dropped it).
const DONE: usize = 2;
/// The task-state bits of a seat.
const FLAGS: usize = STARTED | DONE;
/// Where the place in the row starts.
const PLACE_SHIFT: usize = 2;
/// The place bits of a seat.
const PLACE: usize = (ROW - 1) << PLACE_SHIFT;
/// The row-address bits of a seat (rows are aligned to 256).
const ADDRESS: usize = !0xff;

/// What a row of seats shares; see the module's invariants.
#[repr(C, align(256))]
struct Row {
    group: Arc<Ambient>,
    /// The index, in its group, of the row's first seat.
    first: usize,
    refs: AtomicUsize,
    /// Names written, from the first.
    filled: AtomicUsize,
    names: [UnsafeCell<MaybeUninit<TaskName>>; ROW],
}

// SAFETY: the names are written only before the seats that read them exist, by the one thread
// that owns the group (see the invariants); after that the row is only read, and its counters are
// atomics.
unsafe impl Sync for Row {}
// SAFETY: as above; what it holds (`Arc<Ambient>`, `TaskName`s) is `Send`.
unsafe impl Send for Row {}

impl Drop for Row {
    fn drop(&mut self) {
        let filled = *self.filled.get_mut();
        for name in &mut self.names[..filled] {
            // SAFETY: the first `filled` names were written (invariants), and are dropped once,
            // here, when the last reference to the row is gone.
            unsafe { name.get_mut().assume_init_drop() }
        }
    }
}

/// Gives back `n` of a row's references; frees the row with the last.
///
/// # Safety
///
/// The caller holds `n` of the row's references, and does not use the row afterwards.
unsafe fn release(row: NonNull<Row>, n: usize) {
    // SAFETY: the caller holds references, so the row is alive.
    let refs = unsafe { &row.as_ref().refs };
    if refs.fetch_sub(n, Ordering::Release) != n {
        return;
    }
    // Every other holder's use of the row happens before its release: see them all before freeing.
    atomic::fence(Ordering::Acquire);
    // SAFETY: the row was allocated by `Box` (`Seats::take`) and this was its last reference.
    drop(unsafe { Box::from_raw(row.as_ptr()) });
}

/// A task's seat in its group: its group's ambient, its index and its name, and whether it has
/// started and finished, in one word. Dropping it gives back its row's reference.
pub(crate) struct Seat(NonZeroUsize);

// SAFETY: a seat is a counted reference to a `Row`, which is `Send` and `Sync`.
unsafe impl Send for Seat {}
// SAFETY: as above; `&Seat` only reads.
unsafe impl Sync for Seat {}

impl Seat {
    #[inline]
    fn row(&self) -> &Row {
        // SAFETY: the seat holds a reference to its row, which is alive while it is.
        unsafe { &*((self.0.get() & ADDRESS) as *const Row) }
    }

    #[inline]
    fn place(&self) -> usize {
        (self.0.get() & PLACE) >> PLACE_SHIFT
    }

    /// The group's ambient: its context, identity and shield depths.
    #[inline]
    pub(crate) fn group(&self) -> &Ambient {
        &self.row().group
    }

    /// The task's index in its group.
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.row().first + self.place()
    }

    /// The task's name.
    pub(crate) fn name(&self) -> &TaskName {
        row_name(self.row(), self.place())
    }

    #[inline]
    pub(crate) fn started(&self) -> bool {
        self.0.get() & STARTED != 0
    }

    #[inline]
    pub(crate) fn set_started(&mut self) {
        self.0 |= STARTED;
    }

    #[inline]
    pub(crate) fn done(&self) -> bool {
        self.0.get() & DONE != 0
    }

    #[inline]
    pub(crate) fn set_done(&mut self) {
        self.0 |= DONE;
    }

    /// The word the ambient holds while this seat's task is polled: the seat without its task's
    /// state, tagged as a seat ([`super::task_local`] tells it from an `Ambient`'s address).
    #[inline]
    pub(super) fn ambient_word(&self) -> usize {
        (self.0.get() & !FLAGS) | super::task_local::SEAT_TAG
    }
}

impl Drop for Seat {
    #[inline]
    fn drop(&mut self) {
        let row = NonNull::from(self.row());
        // SAFETY: the seat holds one reference, given back here, and is not used afterwards.
        unsafe { release(row, 1) }
    }
}

impl std::fmt::Debug for Seat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seat")
            .field("index", &self.index())
            .finish()
    }
}

/// What [`Seat::ambient_word`] stands for: the group's ambient, the task's index and name.
///
/// # Safety
///
/// `word` is the ambient word of a seat that is alive for `'a`.
#[inline]
pub(super) unsafe fn decode<'a>(word: usize) -> (&'a Ambient, usize, &'a TaskName) {
    // SAFETY: the seat the word came from is alive, so is its row (caller's contract).
    let row = unsafe { &*((word & ADDRESS) as *const Row) };
    let place = (word & PLACE) >> PLACE_SHIFT;
    (&row.group, row.first + place, row_name(row, place))
}

fn row_name(row: &Row, place: usize) -> &TaskName {
    // SAFETY: a seat, or the group, asks only for a name that was written before it existed
    // (invariants), and names are not written again while the row lives.
    unsafe { (*row.names[place].get()).assume_init_ref() }
}

/// The group's side: hands out seats in index order, and keeps every row (for the names of the
/// tasks, in reports) until the group is dropped.
pub(crate) struct Seats {
    group: Arc<Ambient>,
    rows: Vec<NonNull<Row>>,
    /// Seats handed out.
    len: usize,
}

// SAFETY: the rows are `Send` and `Sync`; `Seats` writes a row only through `&mut self`.
unsafe impl Send for Seats {}
// SAFETY: `&Seats` only reads names already written.
unsafe impl Sync for Seats {}

impl Seats {
    /// Seats for the tasks of the group whose ambient is `group`.
    pub(crate) fn new(group: Arc<Ambient>) -> Seats {
        Seats {
            group,
            rows: Vec::new(),
            len: 0,
        }
    }

    /// The seat of the next task (index [`Seats::len`]), named `name`.
    pub(crate) fn take(&mut self, name: TaskName) -> Seat {
        let place = self.len % ROW;
        if place == 0 {
            self.rows.push(self.new_row());
        }
        let row = *self.rows.last().expect("a row was just pushed");
        // SAFETY: the row is alive (the group holds a reference); seat `place` does not exist
        // yet, so nothing reads its name, and `&mut self` makes this the only writer.
        unsafe {
            let row = row.as_ref();
            (*row.names[place].get()).write(name);
            row.filled.store(place + 1, Ordering::Relaxed);
        }
        self.len += 1;
        let word = row.as_ptr() as usize | place << PLACE_SHIFT;
        // The reference the seat holds was counted when the row was made.
        Seat(NonZeroUsize::new(word).expect("a row's address is not null"))
    }

    /// The name of task `index`.
    ///
    /// # Panics
    ///
    /// If no seat `index` was handed out.
    pub(crate) fn name(&self, index: usize) -> &TaskName {
        assert!(index < self.len, "no task {index} in this group");
        // SAFETY: the group holds a reference to each of its rows; the name was written.
        row_name(unsafe { self.rows[index / ROW].as_ref() }, index % ROW)
    }

    fn new_row(&self) -> NonNull<Row> {
        let mut row = Box::<Row>::new_uninit();
        let at = row.as_mut_ptr();
        // SAFETY: every field but the names is written here; the names are `MaybeUninit`, an
        // uninitialised array of them is a valid value (nothing is read before it is written).
        let row = unsafe {
            ptr::addr_of_mut!((*at).group).write(self.group.clone());
            ptr::addr_of_mut!((*at).first).write(self.len);
            ptr::addr_of_mut!((*at).refs).write(AtomicUsize::new(ROW + 1));
            ptr::addr_of_mut!((*at).filled).write(AtomicUsize::new(0));
            row.assume_init()
        };
        NonNull::from(Box::leak(row))
    }
}

impl Drop for Seats {
    fn drop(&mut self) {
        let last = self.rows.len().saturating_sub(1);
        for (n, row) in self.rows.drain(..).enumerate() {
            // The last row's seats never handed out are given back with the group's own.
            let unused = if n == last {
                ROW - (self.len - n * ROW)
            } else {
                0
            };
            // SAFETY: the group holds one reference to each row, and one for each seat of it it
            // never handed out (counted when the row was made).
            unsafe { release(row, 1 + unused) }
        }
    }
}

impl std::fmt::Debug for Seats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seats").field("len", &self.len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ambient::{GroupId, Member};
    use crate::Ctx;

    fn group() -> Arc<Ambient> {
        Arc::new(Ambient {
            ctx: Ctx::new(),
            member: Member {
                group: GroupId::new(),
                index: 0,
                shields: Arc::default(),
                name: TaskName::Static("group"),
            },
        })
    }

    fn name(n: usize) -> TaskName {
        TaskName::Given(format!("task {n}").into())
    }

    #[test]
    fn a_seat_is_one_word_and_knows_its_group_index_and_name() {
        assert_eq!(std::mem::size_of::<Seat>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Option<Seat>>(),
            std::mem::size_of::<usize>()
        );
        let group = group();
        let mut seats = Seats::new(group.clone());
        let all: Vec<Seat> = (0..3 * ROW + 5).map(|n| seats.take(name(n))).collect();
        for (n, seat) in all.iter().enumerate() {
            assert_eq!(seat.index(), n);
            assert_eq!(&*seat.name().render(), format!("task {n}"));
            assert_eq!(&*seats.name(n).render(), format!("task {n}"));
            assert!(std::ptr::eq(seat.group(), &*group));
            // SAFETY: `seat` is alive for the loop's body.
            let (ambient, index, named) = unsafe { decode(seat.ambient_word()) };
            assert!(std::ptr::eq(ambient, &*group));
            assert_eq!((index, &*named.render()), (n, &*format!("task {n}")));
        }
    }

    #[test]
    fn the_task_state_bits_do_not_change_what_a_seat_is() {
        let mut seats = Seats::new(group());
        let _first = seats.take(name(0));
        let mut seat = seats.take(name(1));
        let word = seat.ambient_word();
        assert!(!seat.started() && !seat.done());
        seat.set_started();
        assert!(seat.started() && !seat.done());
        seat.set_done();
        assert!(seat.started() && seat.done());
        assert_eq!((seat.index(), seat.ambient_word()), (1, word));
    }

    /// The names and the group's reference count are released once, by whoever is last: the
    /// group, or a task that outlives it.
    #[test]
    fn a_row_is_freed_by_its_last_holder() {
        let group = group();
        let given: Arc<str> = "named".into();
        let mut seats = Seats::new(group.clone());
        let kept = seats.take(TaskName::Given(given.clone()));
        let others: Vec<Seat> = (1..ROW + 2).map(|n| seats.take(name(n))).collect();
        assert_eq!(
            Arc::strong_count(&group),
            1 + 1 + 2,
            "the caller, seats, two rows"
        );
        drop(others);
        drop(seats);
        // The first row is kept by its first seat; the second is gone.
        assert_eq!(Arc::strong_count(&group), 2);
        assert_eq!(Arc::strong_count(&given), 2);
        assert_eq!(&*kept.name().render(), "named");
        drop(kept);
        assert_eq!(Arc::strong_count(&group), 1);
        assert_eq!(Arc::strong_count(&given), 1);
    }

    #[test]
    fn seats_dropped_on_other_threads_free_the_row_once() {
        let group = group();
        let mut seats = Seats::new(group.clone());
        let all: Vec<Seat> = (0..2 * ROW).map(|n| seats.take(name(n))).collect();
        drop(seats);
        std::thread::scope(|scope| {
            let mut all = all.into_iter();
            for _ in 0..4 {
                let chunk: Vec<Seat> = all.by_ref().take(ROW / 2).collect();
                scope.spawn(move || drop(chunk));
            }
        });
        assert_eq!(Arc::strong_count(&group), 1);
    }

    #[test]
    fn a_group_that_spawned_nothing_allocates_no_row() {
        let group = group();
        drop(Seats::new(group.clone()));
        assert_eq!(Arc::strong_count(&group), 1);
    }
}
