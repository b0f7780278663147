//! Amortised clock reading for deadline checks.
//!
//! A checkpoint must notice a passed deadline even when no timer can fire (a CPU-bound loop on
//! a current-thread runtime never lets the timer run), but reading the clock costs ~25 ns, far
//! more than the one atomic load a checkpoint is allowed. So a checkpoint only counts down, and
//! reads the clock when the count reaches zero. The period adapts: it doubles while clock reads
//! come closer than [`TARGET`] apart, and shrinks in proportion when they come further apart, so
//! a tight loop reads the clock about every [`TARGET`] and a slow loop reads it every iteration.
//!
//! One pacer per thread ([`thread`]), shared by every check made on it: [`Ctx::is_cancelled`]
//! and the checkpoints of `#[cancellable]` calls. A call copies the thread's countdown at entry
//! (a thread-local read, no clock read: a short call on a context with a deadline never reads
//! the clock itself), counts down in its own field, and gives back what it used when it reads
//! the clock or ends; so a stream of short calls reads the clock as one loop would. A call's
//! first copy is capped ([`FIRST_READ_WITHIN`]): a loop whose iterations are slow reads the
//! clock within its first few, whatever pace the thread's earlier checks set.
//!
//! [`Ctx::is_cancelled`]: crate::Ctx::is_cancelled

use std::time::Duration;
use tokio::time::Instant;

/// The aimed-for time between two clock reads: how late a passed deadline may be noticed.
const TARGET: Duration = Duration::from_micros(50);
/// The most checkpoints between two clock reads (bounds the lag if iterations suddenly slow).
pub(crate) const MAX_PERIOD: u32 = 1024;
// A call keeps a copy of the countdown in a `u16` (`__private/call.rs`).
const _: () = assert!(MAX_PERIOD <= u16::MAX as u32);

/// The most checks a call makes before its first clock read (see the module's comment): small
/// enough that a loop of slow iterations starting after its deadline stops within a few of them,
/// large enough that a call of a handful of checks (a loop of 4, a few `.await`s) reads none.
pub(crate) const FIRST_READ_WITHIN: u32 = 8;

/// The countdown of a call that never reads the clock (a context without a deadline): it
/// reaches zero once per four billion checks, and then only starts again.
pub(crate) const UNPACED: u32 = u32::MAX;

/// The thread's pacer.
pub(crate) mod thread {
    use std::cell::Cell;

    use tokio::time::Instant;

    use super::{Pacer, FIRST_READ_WITHIN};

    thread_local! {
        /// The thread's pacer: its period and last read.
        static PACER: Cell<Pacer> = const { Cell::new(Pacer::new()) };
        /// `PACER`'s countdown, kept apart so that the fast path reads and writes one `u32`:
        /// copying the whole 24-byte pacer out of the thread-local and back on every call cost
        /// ~6 ns (a store-forwarding stall), more than `CancellationToken::is_cancelled`.
        pub(super) static COUNTDOWN: Cell<u32> = const { Cell::new(1) };
        /// How many times this thread read the clock (tests only).
        #[cfg(test)]
        static READS: Cell<u64> = const { Cell::new(0) };
    }

    /// How many times this thread read the clock so far (tests only).
    #[cfg(test)]
    pub(crate) fn reads() -> u64 {
        READS.with(Cell::get)
    }

    /// Counts one check; true when it is time to read the clock (then call [`now`]).
    #[inline(always)]
    pub(crate) fn tick() -> bool {
        COUNTDOWN.with(|countdown| {
            let left = countdown.get() - 1;
            countdown.set(left);
            left == 0
        })
    }

    /// A call's first countdown: the thread's, capped (see [`FIRST_READ_WITHIN`]); at least 1.
    #[inline(always)]
    pub(crate) fn seed() -> u16 {
        // At most `FIRST_READ_WITHIN`: fits.
        COUNTDOWN.with(Cell::get).clamp(1, FIRST_READ_WITHIN) as u16
    }

    /// A call made `used` checks since it last took a countdown: they count for the thread.
    #[inline(always)]
    pub(crate) fn used(used: u16) {
        COUNTDOWN.with(|countdown| {
            countdown.set(countdown.get().saturating_sub(used.into()).max(1));
        });
    }

    /// Reads the clock and sets the thread's next period; returns the time and that period
    /// (the countdown to the next read, for a call to copy: at most `MAX_PERIOD`).
    #[cold]
    pub(crate) fn now() -> (Instant, u16) {
        #[cfg(test)]
        READS.with(|reads| reads.set(reads.get() + 1));
        PACER.with(|cell| {
            let mut pacer = cell.get();
            let now = pacer.now();
            cell.set(pacer);
            COUNTDOWN.with(|countdown| countdown.set(pacer.countdown()));
            // At most `MAX_PERIOD` (1,024): fits.
            (now, pacer.countdown() as u16)
        })
    }

    /// Makes the next check on this thread read the clock: called when a task resumes, since
    /// time may have passed while it was suspended.
    #[inline]
    pub(crate) fn reset() {
        COUNTDOWN.with(|countdown| countdown.set(1));
    }
}

/// Counts checkpoints between clock reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pacer {
    countdown: u32,
    period: u32,
    last: Option<Instant>,
}

impl Pacer {
    /// A pacer whose first tick reads the clock (a fresh call may start long after the deadline).
    pub(crate) const fn new() -> Pacer {
        Pacer {
            countdown: 1,
            period: 1,
            last: None,
        }
    }

    /// How many more checkpoints until the next clock read.
    #[inline]
    pub(crate) fn countdown(&self) -> u32 {
        self.countdown
    }

    /// Counts one checkpoint; true when it is time to read the clock.
    #[cfg(test)]
    fn tick(&mut self) -> bool {
        self.countdown -= 1;
        self.countdown == 0
    }

    /// Reads the clock and sets the next period.
    #[cold]
    pub(crate) fn now(&mut self) -> Instant {
        let now = Instant::now();
        if self.period != u32::MAX {
            if let Some(last) = self.last {
                let gap = now.saturating_duration_since(last);
                self.period = if gap < TARGET {
                    (self.period * 2).min(MAX_PERIOD)
                } else {
                    let scaled = self.period as u128 * TARGET.as_nanos() / gap.as_nanos().max(1);
                    scaled.clamp(1, MAX_PERIOD as u128) as u32
                };
            }
            self.last = Some(now);
        }
        self.countdown = self.period;
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn period_grows_while_reads_are_close_and_collapses_when_far() {
        let mut pacer = Pacer::new();
        assert!(pacer.tick());
        pacer.now();
        for expected in [2, 4, 8, 16] {
            for _ in 1..pacer.period {
                assert!(!pacer.tick());
            }
            assert!(pacer.tick());
            pacer.now();
            assert_eq!(pacer.period, expected);
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        while !pacer.tick() {}
        pacer.now();
        assert_eq!(
            pacer.period, 1,
            "a slow iteration reads the clock every time"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn period_is_capped() {
        let mut pacer = Pacer::new();
        // 2,047 ticks reach the cap; fewer iterations under Miri, which is ~1000× slower.
        for _ in 0..if cfg!(miri) { 5_000 } else { 100_000 } {
            if pacer.tick() {
                pacer.now();
            }
        }
        assert_eq!(pacer.period, MAX_PERIOD);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_copies_the_threads_countdown_capped_and_gives_back_what_it_used() {
        // Close reads: the thread's period doubles to past the cap.
        for _ in 0..6 {
            thread::now();
        }
        assert_eq!(u32::from(thread::seed()), FIRST_READ_WITHIN);
        let before = super::thread::COUNTDOWN.with(std::cell::Cell::get);
        thread::used(3);
        assert_eq!(
            super::thread::COUNTDOWN.with(std::cell::Cell::get),
            before - 3
        );
        thread::used(u16::MAX);
        assert_eq!(
            super::thread::COUNTDOWN.with(std::cell::Cell::get),
            1,
            "used up: the next check reads the clock"
        );
        thread::reset();
        assert_eq!(thread::seed(), 1);
    }
}
