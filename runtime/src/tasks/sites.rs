//! [`Sites`]: a set's [`Site`]s, one per spawn location, found by every `TaskSet::spawn` without
//! a lock or a shared write (but the site's reference count, as cloning the set's `Arc` was).
//!
//! A set is spawned into from a few lines (a server's accept loop, a background job), by
//! whichever workers run them. The first [`SLOTS`] locations each get a slot, found by probing
//! from the location's line and column; each slot is set once and only read after that (a
//! `OnceLock`'s acquire load). A set spawned into from more lines keeps the rest under a lock.

use std::panic::Location;
use std::sync::{Arc, Mutex, OnceLock};

use super::entry::Site;
use super::Shared;

/// The slots probed without a lock.
const SLOTS: usize = 8;

/// A set's sites: see the module's comment.
pub(super) struct Sites {
    slots: [OnceLock<Arc<Site>>; SLOTS],
    /// The sites of locations beyond the slots'.
    more: Mutex<Vec<Arc<Site>>>,
    /// The site of the set's named tasks (`TaskSet::spawn_named`).
    named: Arc<Site>,
}

impl Sites {
    pub(super) fn new(shared: &Arc<Shared>) -> Sites {
        Sites {
            slots: Default::default(),
            more: Mutex::default(),
            named: Arc::new(Site {
                shared: shared.clone(),
                at: None,
            }),
        }
    }

    /// The site of tasks spawned `at`, made the first time.
    #[inline]
    pub(super) fn at(&self, at: &'static Location<'static>) -> Arc<Site> {
        let start = first_slot(at);
        // The usual case: the first slot probed holds this very location.
        if let Some(site) = self.slots[start].get() {
            if site.at.is_some_and(|known| std::ptr::eq(known, at)) {
                return site.clone();
            }
        }
        self.find(at, start)
    }

    /// [`Sites::at`] past its first probe.
    #[cold]
    fn find(&self, at: &'static Location<'static>, start: usize) -> Arc<Site> {
        for probe in 0..SLOTS {
            let slot = &self.slots[(start + probe) % SLOTS];
            let site = slot.get_or_init(|| Arc::new(self.site(at)));
            if is(site, at) {
                return site.clone();
            }
        }
        self.beyond(at)
    }

    /// The site of the set's named tasks.
    #[inline]
    pub(super) fn named(&self) -> Arc<Site> {
        self.named.clone()
    }

    #[cold]
    fn beyond(&self, at: &'static Location<'static>) -> Arc<Site> {
        // Nothing panics while holding it.
        let mut more = self.more.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(site) = more.iter().find(|site| is(site, at)) {
            return site.clone();
        }
        let site = Arc::new(self.site(at));
        more.push(site.clone());
        site
    }

    fn site(&self, at: &'static Location<'static>) -> Site {
        Site {
            shared: self.named.shared.clone(),
            at: Some(at),
        }
    }
}

/// Whether `site` is the site of `at`: the same location, at the same address (the usual case)
/// or not (one call site's location may be emitted more than once, in different crates).
#[inline]
fn is(site: &Site, at: &'static Location<'static>) -> bool {
    site.at
        .is_some_and(|known| std::ptr::eq(known, at) || *known == *at)
}

/// The slot to probe first for `at`: Fibonacci hashing of its line and column (not its
/// address, which an equal location elsewhere does not share).
#[inline]
fn first_slot(at: &'static Location<'static>) -> usize {
    let key = (u64::from(at.line()) << 32) | u64::from(at.column());
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ctx;

    fn sites() -> Sites {
        Sites::new(&Arc::new(Shared::new(Ctx::new())))
    }

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn one_site_per_location_beyond_the_slots_too() {
        let sites = sites();
        // Distinct locations (a loop's iterations would all be one).
        let distinct = [
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
            here(),
        ];
        let first: Vec<_> = distinct.iter().map(|at| sites.at(at)).collect();
        for (at, site) in distinct.iter().zip(&first) {
            assert!(std::ptr::eq(site.at.unwrap(), *at));
            assert!(Arc::ptr_eq(site, &sites.at(at)), "found again");
        }
        assert_eq!(sites.more.lock().unwrap().len(), distinct.len() - SLOTS);
        assert!(sites.named().at.is_none());
    }

    #[test]
    fn an_equal_location_elsewhere_is_the_same_site() {
        let sites = sites();
        let at = here();
        static COPY: OnceLock<Location<'static>> = OnceLock::new();
        let copy = COPY.get_or_init(|| *at);
        assert!(!std::ptr::eq(at, copy));
        assert!(Arc::ptr_eq(&sites.at(at), &sites.at(copy)));
    }

    #[test]
    fn threads_find_one_site() {
        let sites = Arc::new(sites());
        let at = here();
        let found: Vec<Arc<Site>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| sites.at(at))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(found.iter().all(|site| Arc::ptr_eq(site, &found[0])));
    }
}
