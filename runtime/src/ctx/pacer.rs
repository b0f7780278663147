//! Amortised clock reading for deadline checks.
//!
//! A checkpoint must notice a passed deadline even when no timer can fire (a CPU-bound loop on
//! a current-thread runtime never lets the timer run), but reading the clock costs ~25 ns, far
//! more than the one atomic load a checkpoint is allowed. So a checkpoint only counts down, and
//! reads the clock when the count reaches zero. The period adapts: it doubles while clock reads
//! come closer than [`TARGET`] apart, and shrinks in proportion when they come further apart, so
//! a tight loop reads the clock about every [`TARGET`] and a slow loop reads it every iteration.

use std::time::Duration;
use tokio::time::Instant;

/// The aimed-for time between two clock reads: how late a passed deadline may be noticed.
const TARGET: Duration = Duration::from_micros(50);
/// The most checkpoints between two clock reads (bounds the lag if iterations suddenly slow).
const MAX_PERIOD: u32 = 1024;

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

    /// A pacer that practically never reads the clock, for contexts without a deadline.
    pub(crate) const fn idle() -> Pacer {
        Pacer {
            countdown: u32::MAX,
            period: u32::MAX,
            last: None,
        }
    }

    /// How many more checkpoints until the next clock read.
    #[inline]
    pub(crate) fn countdown(&self) -> u32 {
        self.countdown
    }

    /// Counts one checkpoint; true when it is time to read the clock (then call [`Pacer::now`]).
    #[inline(always)]
    pub(crate) fn tick(&mut self) -> bool {
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

    #[test]
    fn idle_pacer_reads_the_clock_once_per_four_billion_ticks() {
        let mut pacer = Pacer::idle();
        let ticks = if cfg!(miri) { 10_000 } else { 1_000_000 };
        assert!(!(0..ticks).any(|_| pacer.tick()));
    }
}
