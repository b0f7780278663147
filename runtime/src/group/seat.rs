//! [`Seat`]: all that a [`Group`](crate::Group) task carries of its group, in one word.
//!
//! Why one word: tokio allocates a task in steps of 128 bytes (its task cells are aligned to
//! 128), and the first step leaves 24 bytes for the future. A trivial task (a captured value and
//! a state byte: 16 bytes) fits only if what wraps it adds at most one word; one step up made a
//! trivial `JoinSet` task 13–20 % slower in a scratch measurement (more memory to write, copy and
//! free). A task's group, its index, its name and whether it has started and finished are
//! therefore reached through one tagged pointer, not carried.
//!
//! A group hands out seats from rows of [`ROW`], allocated as it spawns. A row holds what its
//! seats share: the group's ambient and its list of over tasks (one reference count each per
//! row, not per task), the index of its first seat, the name of each seat's task, and the word
//! that links each seat into the over list when it is given back ([`OverList`]). A seat is the
//! address of its row (rows are aligned to 256 bytes, so its low 8 bits are free), its place in
//! the row in bits 2..8, and two bits of its task's own state in bits 0 and 1 ([`STARTED`],
//! [`DONE`]).
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
//!   brings `refs` to zero frees the row (after an acquire fence, as `Arc` does). The count and
//!   the fence are `crate::sync`'s, so that `tests/loom.rs` model-checks them.
//! - A seat's row is alive while the seat is: the seat holds one of `refs`.
//! - Dropping a seat pushes its index onto the group's over list (then gives back its reference):
//!   a task is over exactly when its seat is gone. The group reads the links of the list it
//!   takes from its rows, which it holds until it is dropped.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::over::OverList;
use crate::ambient::{Ambient, Here, TaskIndex, TaskName};
use crate::sync::{self, AtomicU32};

/// Seats per row.
pub(crate) const ROW: usize = 64;
/// A seat's task has been polled once.
const STARTED: usize = 1;
/// A seat's task has finished with its future (dropped it).
const DONE: usize = 2;
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
    over: Arc<OverList>,
    /// The index, in its group, of the row's first seat.
    first: usize,
    /// `crate::sync`'s: loom checks the count and the fence that free the row (`tests/loom.rs`).
    refs: sync::AtomicUsize,
    /// Names written, from the first.
    filled: AtomicUsize,
    names: [UnsafeCell<MaybeUninit<TaskName>>; ROW],
    /// Each seat's link in the over list, written when the seat is dropped.
    links: [AtomicU32; ROW],
    /// Under loom: stands for the row's memory, read by every holder as it gives its reference
    /// back and written by whoever frees the row, so that the model reports a free that is not
    /// ordered after every other holder's last use (what the fence in [`release`] is for).
    #[cfg(loom)]
    life: loom::cell::UnsafeCell<()>,
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
    let row_ref = unsafe { row.as_ref() };
    #[cfg(loom)]
    row_ref.life.with(|_| ());
    if row_ref.refs.fetch_sub(n, sync::Ordering::Release) != n {
        return;
    }
    // Every other holder's use of the row happens before its release: see them all before freeing.
    sync::fence(sync::Ordering::Acquire);
    #[cfg(loom)]
    row_ref.life.with_mut(|_| ());
    // SAFETY: the row was allocated by `Box` (`Seats::take`) and this was its last reference.
    drop(unsafe { Box::from_raw(row.as_ptr()) });
}

/// A task's seat in its group: its group's ambient, its index and its name, and whether it has
/// started and finished, in one word. Dropping it gives back its row's reference.
///
/// The word is the row's pointer with the place and the flags in its low bits (`map_addr`, so
/// that the pointer keeps the provenance of the row's allocation); it is only dereferenced with
/// them masked off.
pub(crate) struct Seat(NonNull<Row>);

// SAFETY: a seat is a counted reference to a `Row`, which is `Send` and `Sync`.
unsafe impl Send for Seat {}
// SAFETY: as above; `&Seat` only reads.
unsafe impl Sync for Seat {}

impl Seat {
    #[inline]
    fn row_ptr(&self) -> NonNull<Row> {
        // SAFETY: a row's address is not null, and masking the tag bits off leaves it.
        unsafe { NonNull::new_unchecked(self.0.as_ptr().map_addr(|a| a & ADDRESS)) }
    }

    #[inline]
    fn row(&self) -> &Row {
        // SAFETY: the seat holds a reference to its row, which is alive while it is.
        unsafe { self.row_ptr().as_ref() }
    }

    #[inline]
    fn bits(&self) -> usize {
        self.0.as_ptr().addr()
    }

    #[inline]
    fn place(&self) -> usize {
        (self.bits() & PLACE) >> PLACE_SHIFT
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
        self.bits() & STARTED != 0
    }

    #[inline]
    pub(crate) fn set_started(&mut self) {
        self.set(STARTED);
    }

    #[inline]
    pub(crate) fn done(&self) -> bool {
        self.bits() & DONE != 0
    }

    #[inline]
    pub(crate) fn set_done(&mut self) {
        self.set(DONE);
    }

    #[inline]
    fn set(&mut self, flag: usize) {
        // SAFETY: setting a low bit of a non-null address leaves it non-null.
        self.0 = unsafe { NonNull::new_unchecked(self.0.as_ptr().map_addr(|a| a | flag)) };
    }

    /// What the seat's task sees while it is polled: its group's ambient, its own index and
    /// name (read from the row once per poll, then from the stack).
    #[inline]
    pub(crate) fn here(&self) -> Here<'_> {
        let (row, place) = (self.row(), self.place());
        Here {
            ambient: &row.group,
            flags: row.group.ctx.flags(),
            index: TaskIndex::Known(row.first + place),
            name: row_name(row, place),
        }
    }
}

impl Drop for Seat {
    #[inline]
    fn drop(&mut self) {
        let (row, place) = (self.row(), self.place());
        row.over.push(row.first + place, &row.links[place]);
        // SAFETY: the seat holds one reference, given back here, and is not used afterwards.
        unsafe { release(self.row_ptr(), 1) }
    }
}

impl std::fmt::Debug for Seat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seat")
            .field("index", &self.index())
            .finish()
    }
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
    over: Arc<OverList>,
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
            over: Arc::default(),
            rows: Vec::new(),
            len: 0,
        }
    }

    /// Where the seats go when they are given back.
    pub(crate) fn over(&self) -> &Arc<OverList> {
        &self.over
    }

    /// Appends to `into` the indices of the tasks over since the last call, in the order their
    /// seats were given back.
    pub(crate) fn take_over(&self, into: &mut Vec<usize>) {
        self.over.take_into(into, |index| {
            // SAFETY: the group holds a reference to each of its rows.
            let row = unsafe { self.rows[index / ROW].as_ref() };
            &row.links[index % ROW]
        });
    }

    /// The seat of the next task (index [`Seats::len`]), named `name`.
    ///
    /// # Panics
    ///
    /// Past `u32::MAX - 1` seats (tokio would need 500 GB for their tasks first).
    pub(crate) fn take(&mut self, name: TaskName) -> Seat {
        assert!(
            self.len < u32::MAX as usize - 1,
            "a group holds at most u32::MAX - 1 tasks"
        );
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
        // The reference the seat holds was counted when the row was made.
        // SAFETY: a row's address is not null; the place goes into its low bits, which its
        // alignment leaves clear.
        Seat(unsafe { NonNull::new_unchecked(row.as_ptr().map_addr(|a| a | place << PLACE_SHIFT)) })
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
            ptr::addr_of_mut!((*at).over).write(self.over.clone());
            ptr::addr_of_mut!((*at).links).write(std::array::from_fn(|_| AtomicU32::new(0)));
            ptr::addr_of_mut!((*at).first).write(self.len);
            ptr::addr_of_mut!((*at).refs).write(sync::AtomicUsize::new(ROW + 1));
            #[cfg(loom)]
            ptr::addr_of_mut!((*at).life).write(loom::cell::UnsafeCell::new(()));
            ptr::addr_of_mut!((*at).filled).write(AtomicUsize::new(0));
            row.assume_init()
        };
        // SAFETY: `Box::into_raw` is not null.
        unsafe { NonNull::new_unchecked(Box::into_raw(row)) }
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
    use crate::ambient::Member;
    use crate::Ctx;

    fn group() -> Arc<Ambient> {
        Arc::new(Ambient {
            ctx: Ctx::new(),
            member: Member::new("group"),
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
            let here = seat.here();
            assert!(std::ptr::eq(here.ambient, &*group));
            assert_eq!(
                (here.index(), &*here.name.render()),
                (n, &*format!("task {n}"))
            );
        }
    }

    #[test]
    fn the_task_state_bits_do_not_change_what_a_seat_is() {
        let mut seats = Seats::new(group());
        let _first = seats.take(name(0));
        let mut seat = seats.take(name(1));
        assert!(!seat.started() && !seat.done());
        seat.set_started();
        assert!(seat.started() && !seat.done());
        seat.set_done();
        assert!(seat.started() && seat.done());
        assert_eq!((seat.index(), &*seat.name().render()), (1, "task 1"));
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

    /// A task is over when its seat is given back: the group takes the indices in that order.
    #[test]
    fn dropped_seats_are_over_in_the_order_they_were_dropped() {
        let mut seats = Seats::new(group());
        let mut all: Vec<Option<Seat>> = (0..ROW + 3).map(|n| Some(seats.take(name(n)))).collect();
        let mut over = Vec::new();
        seats.take_over(&mut over);
        assert!(over.is_empty());
        for index in [ROW + 1, 2, 0, ROW] {
            all[index] = None;
        }
        seats.take_over(&mut over);
        assert_eq!(over, [ROW + 1, 2, 0, ROW]);
        all[1] = None;
        seats.take_over(&mut over);
        assert_eq!(over, [ROW + 1, 2, 0, ROW, 1]);
        drop(all);
        over.clear();
        seats.take_over(&mut over);
        over.sort_unstable();
        let rest: Vec<usize> = (3..ROW).chain([ROW + 2]).collect();
        assert_eq!(over, rest);
    }

    #[test]
    fn a_group_that_spawned_nothing_allocates_no_row() {
        let group = group();
        drop(Seats::new(group.clone()));
        assert_eq!(Arc::strong_count(&group), 1);
    }
}
