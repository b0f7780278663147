//! What a [`TaskSet`](crate::TaskSet)'s task keeps of the set: one word ([`LiveEntry`]).
//!
//! tokio stores a spawned future in a task cell aligned to 128 bytes, so a cell is 128 or 256
//! bytes; a future of up to 24 bytes gets the small one. tokio-util's `TaskTracker` wraps a
//! future in one pointer (its tracker), so that a small future (an `async` block holding a
//! number) keeps the small cell. Every byte a set's task adds to the user's future is moved as
//! tokio spawns it and every line of the cell is written, so the task adds the same one word:
//! a tagged pointer to
//!
//! - its [`Site`], shared by the set's tasks of one spawn location (`TaskSet::spawn`'s
//!   `#[track_caller]`, [`Sites`](super::sites::Sites)): the set, and the task's name but for
//!   its tokio task id, read when a report needs it; or
//! - its [`Extra`], allocated for the few tasks that need more: a task that takes an index in
//!   the set (it parks, enters a shielded section, or an annotated call reports where it waits),
//!   or that was given a name (`TaskSet::spawn_named`).
//!
//! The pointer's low bits hold the task's flags ([`PARKED`], [`COUNTED`], [`DONE`]) and which
//! of the two it points to ([`EXTRA`]): a [`Site`] is aligned to 128 bytes (its reference
//! count, which every spawn and end writes, on its own line, apart from what every poll
//! reads), an [`Extra`] to 16.
//!
//! When a task that took an index ends, its [`Extra`]'s allocation goes back to the shard it
//! took the index from ([`Spare`]), for the next task that takes one there: in a steady stream
//! of tasks, taking an index allocates nothing.
//!
//! Invariants (what makes the `unsafe` below sound): the word, without its flags, is always
//! `Arc::into_raw` of an `Arc<Site>` when [`EXTRA`] is clear, and `Box::into_raw` of a
//! `Box<Extra>` when it is set; the entry owns it (dropped with the entry); once set, [`EXTRA`]
//! is cleared only as the task ends ([`LiveEntry::leave_index`]); and the [`Site`] a task points
//! to never changes (a task that takes an index moves its `Arc<Site>` into its new [`Extra`], and
//! back as it ends; the site itself stays where it is), so that a `&Site` borrowed from the
//! entry stays valid for as long as the entry is borrowed.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::panic::Location;
use std::sync::Arc;

use super::Shared;
use crate::ambient::TaskName;

/// The set's tasks spawned at one place: what their entries point to, shared.
#[repr(align(128))]
pub(super) struct Site {
    pub(super) shared: Arc<Shared>,
    /// Where its tasks were spawned; `None` for the site of the set's named tasks, whose names
    /// are their own ([`Extra::name`]).
    pub(super) at: Option<&'static Location<'static>>,
}

/// What a task keeps once it needs more than its [`Site`]: see the module's comment. Aligned
/// to 16 (as `malloc` gives anyway) for the word's four flags.
#[repr(align(16))]
struct Extra {
    site: Arc<Site>,
    /// The name given to `TaskSet::spawn_named`.
    name: Option<Arc<str>>,
    /// Its index in the set plus one, once taken (0: none taken yet).
    index: Cell<usize>,
}

/// The allocation of an [`Extra`] whose task has ended, kept by a shard for the next task that
/// takes an index there ([`Shards::take`](super::shards::Shards::take)).
pub(super) struct Spare(Box<MaybeUninit<Extra>>);

/// In the entry's word: its waker is registered with the set (at its first `Pending`).
pub(super) const PARKED: usize = 1;
/// In the entry's word: its outcome is counted (a task dropped before that was aborted).
pub(super) const COUNTED: usize = 2;
/// In the entry's word: it points to an [`Extra`], not to a [`Site`].
const EXTRA: usize = 4;
/// In the entry's word: the task's future has been dropped (`task.rs`).
pub(super) const DONE: usize = 8;
const FLAGS: usize = PARKED | COUNTED | EXTRA | DONE;
const _: () = assert!(align_of::<Site>() > FLAGS && align_of::<Extra>() > FLAGS);

/// A task's hold on its set, its index and its name: one word (see the module's comment).
pub(super) struct LiveEntry {
    word: Cell<*const ()>,
    /// Owns an `Arc<Site>` or a `Box<Extra>`.
    _owns: PhantomData<(Arc<Site>, Box<Extra>)>,
}

// SAFETY: the entry owns an `Arc<Site>` or a `Box<Extra>` (the module's invariants), both `Send`
// (a `Site` is `Send + Sync`, an `Extra` holds only `Send` values); its `Cell`s are reached only
// through the entry, which is not `Sync`, so moving it to another thread moves all of them.
unsafe impl Send for LiveEntry {}

impl LiveEntry {
    /// The entry of a task spawned at `site`.
    pub(super) fn new(site: Arc<Site>) -> LiveEntry {
        LiveEntry {
            word: Cell::new(Arc::into_raw(site).cast()),
            _owns: PhantomData,
        }
    }

    /// The entry of a task named `name` (`site` is the set's site of named tasks).
    pub(super) fn named(site: Arc<Site>, name: Arc<str>) -> LiveEntry {
        let extra = Box::new(Extra {
            site,
            name: Some(name),
            index: Cell::new(0),
        });
        LiveEntry {
            word: Cell::new(Box::into_raw(extra).cast::<()>().map_addr(|a| a | EXTRA)),
            _owns: PhantomData,
        }
    }

    /// Its flags, [`EXTRA`] included.
    #[inline]
    pub(super) fn flags(&self) -> usize {
        self.word.get().addr() & FLAGS
    }

    #[inline]
    pub(super) fn has(&self, flag: usize) -> bool {
        self.flags() & flag != 0
    }

    #[inline]
    pub(super) fn set(&self, flag: usize) {
        debug_assert!(flag & !(PARKED | COUNTED | DONE) == 0);
        self.word.set(self.word.get().map_addr(|a| a | flag));
    }

    /// Whether it has an [`Extra`] (it took an index, or was named).
    #[inline]
    pub(super) fn has_extra(&self) -> bool {
        self.has(EXTRA)
    }

    /// The pointer, without its flags.
    #[inline]
    fn pointer(&self) -> *const () {
        self.word.get().map_addr(|a| a & !FLAGS)
    }

    #[inline]
    fn extra(&self) -> Option<&Extra> {
        if self.has(EXTRA) {
            // SAFETY: with `EXTRA` set, the pointer is the entry's own `Box<Extra>`, alive as
            // long as the entry (the module's invariants); only shared references are made.
            Some(unsafe { &*self.pointer().cast::<Extra>() })
        } else {
            None
        }
    }

    /// Its site (the same for the entry's life).
    #[inline]
    pub(super) fn site(&self) -> &Site {
        match self.extra() {
            Some(extra) => &extra.site,
            // SAFETY: with `EXTRA` clear, the pointer is `Arc::into_raw` of the entry's own
            // `Arc<Site>`, which keeps the site alive as long as the entry.
            None => unsafe { &*self.pointer().cast::<Site>() },
        }
    }

    /// Its set.
    #[inline]
    pub(super) fn shared(&self) -> &Shared {
        &self.site().shared
    }

    /// Its index in the set, if taken.
    #[inline]
    pub(super) fn taken(&self) -> Option<usize> {
        self.extra()?.index.get().checked_sub(1)
    }

    /// Records `index`, taken now: in its [`Extra`], made now if it has none (its `Arc<Site>`
    /// moved there), in `spare` if its shard had one.
    #[cold]
    pub(super) fn keep_index(&self, index: usize, spare: Option<Spare>) {
        if let Some(extra) = self.extra() {
            extra.index.set(index + 1);
            return;
        }
        let flags = self.flags();
        // SAFETY: with `EXTRA` clear, the pointer is `Arc::into_raw` of the entry's `Arc<Site>`,
        // taken back once here: the word points to the `Extra` that owns it from now on. The
        // site does not move, so a `&Site` borrowed from this entry stays valid.
        let site = unsafe { Arc::from_raw(self.pointer().cast::<Site>()) };
        let extra = Extra {
            site,
            name: None,
            index: Cell::new(index + 1),
        };
        let extra = match spare {
            Some(Spare(mut space)) => {
                space.write(extra);
                Box::into_raw(space).cast::<Extra>()
            }
            None => Box::into_raw(Box::new(extra)),
        };
        self.word
            .set(extra.cast::<()>().map_addr(|a| a | flags | EXTRA));
    }

    /// The task is ending: gives back its index, if it took one, with its [`Extra`]'s
    /// allocation emptied, for its shard to keep ([`Spare`]); its site stays (the word points
    /// to it again). Nothing but [`LiveEntry::shared`] and the drop is called after this.
    #[cold]
    pub(super) fn leave_index(&self) -> Option<(usize, Spare)> {
        let index = self.taken()?;
        let extra = self.pointer().cast::<Extra>().cast_mut();
        // SAFETY: an index was taken, so `EXTRA` is set and the pointer is `Box::into_raw` of
        // the entry's own `Box<Extra>`, taken back once here; its site is moved back into the
        // word (as `Arc::into_raw`, `EXTRA` cleared) before anything else reads the word, and
        // the rest of it (its name) dropped, leaving an allocation of no value.
        let space = unsafe {
            let site = std::ptr::read(&raw const (*extra).site);
            self.word.set(
                Arc::into_raw(site)
                    .cast::<()>()
                    .map_addr(|a| a | (self.flags() & !EXTRA)),
            );
            std::ptr::drop_in_place(&raw mut (*extra).name);
            Box::from_raw(extra.cast::<MaybeUninit<Extra>>())
        };
        Some((index, Spare(space)))
    }

    /// The task's name: the one it was given, or its spawn location with its tokio task id
    /// (read now: this is called while the task is polled).
    pub(super) fn name(&self) -> TaskName {
        if let Some(name) = self.extra().and_then(|extra| extra.name.as_ref()) {
            return TaskName::Given(name.clone());
        }
        match self.site().at {
            Some(at) => TaskName::InSet(at, tokio::task::try_id()),
            None => TaskName::Static("a task set's task"),
        }
    }
}

impl Drop for LiveEntry {
    fn drop(&mut self) {
        let pointer = self.pointer();
        if self.has(EXTRA) {
            // SAFETY: with `EXTRA` set, the pointer is `Box::into_raw` of the entry's own
            // `Box<Extra>`, given back once, here.
            drop(unsafe { Box::from_raw(pointer.cast::<Extra>().cast_mut()) });
        } else {
            // SAFETY: with `EXTRA` clear, the pointer is `Arc::into_raw` of the entry's own
            // `Arc<Site>`, given back once, here.
            drop(unsafe { Arc::from_raw(pointer.cast::<Site>()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::sites::Sites;
    use crate::tasks::task::SetTask;
    use crate::Ctx;

    fn sites() -> Sites {
        Sites::new(&Arc::new(Shared::new(Ctx::new())))
    }

    #[test]
    fn a_task_adds_one_word_to_its_future() {
        let n = 7u64;
        let fut = async move {
            std::hint::black_box(n);
            Ok::<(), crate::Cancelled>(())
        };
        assert_eq!(size_of_val(&fut), 16);
        // tokio-util's `TaskTracker` adds one pointer too: the same 128-byte tokio task cell.
        let entry = LiveEntry::new(sites().at(Location::caller()));
        assert_eq!(
            size_of_val(&SetTask::new(entry, fut)),
            16 + size_of::<usize>()
        );
    }

    #[test]
    fn a_spawned_task_keeps_its_flags_and_site_as_it_takes_an_index() {
        let sites = sites();
        let at = Location::caller();
        let entry = LiveEntry::new(sites.at(at));
        let site: *const Site = entry.site();
        assert_eq!((entry.flags(), entry.taken()), (0, None));
        entry.set(PARKED);
        entry.keep_index(41, None);
        assert_eq!(entry.taken(), Some(41));
        assert!(entry.has(PARKED) && !entry.has(COUNTED));
        assert!(std::ptr::eq(site, entry.site()), "the site does not move");
        entry.set(COUNTED);
        entry.keep_index(3, None);
        assert_eq!(entry.taken(), Some(3));
        assert_eq!(entry.flags() & (PARKED | COUNTED), PARKED | COUNTED);
        assert!(matches!(entry.name(), TaskName::InSet(known, None) if std::ptr::eq(known, at)));
        let counted = Arc::strong_count(&sites.at(at));
        drop(entry);
        assert_eq!(
            Arc::strong_count(&sites.at(at)),
            counted - 1,
            "its site let go"
        );
    }

    #[test]
    fn a_named_task_keeps_its_name() {
        let sites = sites();
        let entry = LiveEntry::named(sites.named(), "peer".into());
        assert_eq!(entry.taken(), None);
        assert!(entry.site().at.is_none());
        entry.set(COUNTED);
        entry.keep_index(0, None);
        assert_eq!(entry.taken(), Some(0));
        assert!(matches!(entry.name(), TaskName::Given(name) if &*name == "peer"));
        assert!(entry.has(COUNTED) && !entry.has(PARKED));
    }

    #[test]
    fn an_ending_task_leaves_its_allocation_for_the_next() {
        let sites = sites();
        let at = Location::caller();
        let first = LiveEntry::named(sites.named(), "first".into());
        assert!(first.leave_index().is_none(), "no index taken");
        first.keep_index(5, None);
        first.set(PARKED | COUNTED | DONE);
        let (index, spare) = first.leave_index().expect("its index");
        assert_eq!(index, 5);
        assert_eq!(first.flags(), PARKED | COUNTED | DONE, "back on its site");
        assert!(first.site().at.is_none() && first.taken().is_none());
        assert!(first.leave_index().is_none(), "given back once");
        drop(first);
        let second = LiveEntry::new(sites.at(at));
        second.keep_index(7, Some(spare));
        assert_eq!(second.taken(), Some(7));
        assert!(matches!(second.name(), TaskName::InSet(..)));
        let (_, spare) = second.leave_index().unwrap();
        drop(spare);
        drop(second);
        assert_eq!(
            Arc::strong_count(&sites.at(at)),
            2,
            "the table's and this one"
        );
    }

    #[test]
    fn a_shard_keeps_the_allocations_for_tasks_that_have_none() {
        let shards = crate::tasks::shards::Shards::new();
        let sites = sites();
        let entry = LiveEntry::new(sites.at(Location::caller()));
        let (index, none) = shards.take(0, None, true);
        assert!(none.is_none(), "none kept yet");
        entry.keep_index(index, None);
        let (index, spare) = entry.leave_index().unwrap();
        shards.give_back(index, spare);
        let (_, kept) = shards.take(0, None, false);
        assert!(kept.is_none(), "a task with an allocation leaves it");
        let (_, spare) = shards.take(0, None, true);
        assert!(spare.is_some(), "the next one without gets it");
    }

    #[tokio::test]
    async fn a_task_is_named_by_its_tokio_id_while_polled() {
        let sites = sites();
        let at = Location::caller();
        let entry = LiveEntry::new(sites.at(at));
        let id = tokio::spawn(async move {
            let TaskName::InSet(_, Some(id)) = entry.name() else {
                panic!("no id")
            };
            assert_eq!(id, tokio::task::id());
            id
        });
        let task = id.id();
        assert_eq!(id.await.unwrap(), task);
    }
}
