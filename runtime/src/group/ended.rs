//! [`Ended`]: what a `Group` task hands back to `wait` through tokio, in as few bytes as it can.
//!
//! tokio keeps a task's output where its future was (in the same enum), so the output counts
//! towards the task's size as much as the future does (see `group/seat.rs` for why that size
//! matters). The common endings travel as the index, a flag, what happened and the output if
//! any: `Ok(output)`; an error returned once the group was already cancelled (what every task of
//! a cancelled group returns), which cannot become the group's error and is dropped by its task
//! instead; a task that never started. The rare ones (the error that cancelled the group, a
//! panic) travel boxed, in the same place. With a word-sized output that is 16 bytes, where the
//! decoded [`Finished`] is 40. A plain enum: the compiler keeps which variant it is and drops
//! what it holds.

use super::task::{Finished, Outcome};

/// A [`Finished`], packed: the index and the flag are repeated in each variant, so that they
/// share the word with the variant's tag instead of taking one of their own (a struct holding
/// them beside an enum of the outcomes is a word larger). Same size as the `union` it replaced
/// (`the_safe_enum_is_as_small_as_the_union_was`), without `unsafe`.
pub(super) enum Ended<T, E> {
    /// The task returned `Ok(output)`.
    Ok {
        index: u32,
        after_cancel: bool,
        output: T,
    },
    /// [`Outcome::Lost`].
    Lost { index: u32, after_cancel: bool },
    /// [`Outcome::NotStarted`].
    NotStarted { index: u32, after_cancel: bool },
    /// The rare outcomes (the error that cancelled the group, a panic), boxed.
    Boxed {
        index: u32,
        after_cancel: bool,
        outcome: Box<Outcome<T, E>>,
    },
}

/// A task index as [`Ended`] carries it. Every index is a seat's, and `Seats::take` refuses a
/// seat past `u32::MAX - 1`: checking it again here, for every task that ends, would be a twin.
#[inline]
pub(super) fn index(index: usize) -> u32 {
    debug_assert!(index < u32::MAX as usize, "indices come from seats");
    index as u32
}

impl<T, E> Ended<T, E> {
    /// Task `index` returned `Ok(output)`.
    #[inline]
    pub(super) fn ok(index: u32, output: T, after_cancel: bool) -> Ended<T, E> {
        Ended::Ok {
            index,
            after_cancel,
            output,
        }
    }

    /// Packs `finished`. An error that did not cancel the group is dropped here, by its task
    /// (`wait` would only drop it): a panic in its `Drop` is then the task's panic, which tokio
    /// hands to `wait` as its `JoinError`.
    pub(super) fn pack(finished: Finished<T, E>) -> Ended<T, E> {
        let (index, after_cancel) = (index(finished.index), finished.after_cancel);
        match finished.outcome {
            Outcome::Ok(output) => Ended::ok(index, output, after_cancel),
            Outcome::Err { error, won: false } => {
                drop(error);
                Ended::Lost {
                    index,
                    after_cancel,
                }
            }
            Outcome::Lost => Ended::Lost {
                index,
                after_cancel,
            },
            Outcome::NotStarted => Ended::NotStarted {
                index,
                after_cancel,
            },
            other => Ended::Boxed {
                index,
                after_cancel,
                outcome: Box::new(other),
            },
        }
    }

    /// Unpacks it.
    #[inline]
    pub(super) fn unpack(self) -> Finished<T, E> {
        let (index, outcome, after_cancel) = match self {
            Ended::Ok {
                index,
                after_cancel,
                output,
            } => (index, Outcome::Ok(output), after_cancel),
            Ended::Lost {
                index,
                after_cancel,
            } => (index, Outcome::Lost, after_cancel),
            Ended::NotStarted {
                index,
                after_cancel,
            } => (index, Outcome::NotStarted, after_cancel),
            Ended::Boxed {
                index,
                after_cancel,
                outcome,
            } => (index, *outcome, after_cancel),
        };
        Finished {
            index: index as usize,
            outcome,
            after_cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Cancelled;

    #[test]
    fn a_word_sized_output_travels_in_two_words() {
        assert_eq!(std::mem::size_of::<Ended<usize, Cancelled>>(), 16);
        assert_eq!(std::mem::size_of::<Ended<(), std::io::Error>>(), 16);
    }

    /// The sizes the `union` (index, flag, kind byte, then the output or a box) had, measured
    /// before it was replaced: the tag and the flag sit in the index's word, as its kind did.
    #[test]
    fn the_safe_enum_is_as_small_as_the_union_was() {
        assert_eq!(std::mem::size_of::<Ended<usize, String>>(), 16);
        assert_eq!(std::mem::size_of::<Ended<(), String>>(), 16);
        assert_eq!(std::mem::size_of::<Ended<[u8; 3], String>>(), 16);
        assert_eq!(std::mem::size_of::<Ended<u128, String>>(), 32);
    }

    #[test]
    fn every_outcome_comes_back_as_it_went() {
        let ok: Ended<usize, String> = Ended::pack(Finished {
            index: 7,
            outcome: Outcome::Ok(70),
            after_cancel: true,
        });
        let Finished {
            index: 7,
            outcome: Outcome::Ok(70),
            after_cancel: true,
        } = ok.unpack()
        else {
            panic!("not as packed")
        };
        let err: Ended<usize, String> = Ended::pack(Finished {
            index: 3,
            outcome: Outcome::Err {
                error: "e".into(),
                won: true,
            },
            after_cancel: false,
        });
        let Finished {
            index: 3,
            outcome: Outcome::Err { error, won: true },
            after_cancel: false,
        } = err.unpack()
        else {
            panic!("not as packed")
        };
        assert_eq!(error, "e");
        let not_started: Ended<usize, String> = Ended::pack(Finished {
            index: 1,
            outcome: Outcome::NotStarted,
            after_cancel: true,
        });
        assert!(matches!(not_started.unpack().outcome, Outcome::NotStarted));
    }

    /// What every task of a cancelled group returns travels without an allocation: its error,
    /// which can no longer become the group's, is dropped when it is packed.
    #[test]
    fn an_error_that_lost_is_dropped_by_its_task() {
        let error = Arc::new(());
        let lost: Ended<(), Arc<()>> = Ended::pack(Finished {
            index: 4,
            outcome: Outcome::Err {
                error: error.clone(),
                won: false,
            },
            after_cancel: true,
        });
        assert_eq!(Arc::strong_count(&error), 1, "dropped when packed");
        assert!(matches!(lost, Ended::Lost { .. }));
        let Finished {
            index: 4,
            outcome: Outcome::Lost,
            after_cancel: true,
        } = lost.unpack()
        else {
            panic!("not as packed")
        };
    }

    /// What it holds is dropped once, whichever field holds it.
    #[test]
    fn dropped_unread_it_drops_what_it_holds() {
        let output = Arc::new(());
        let ok: Ended<Arc<()>, String> = Ended::ok(0, output.clone(), false);
        assert_eq!(Arc::strong_count(&output), 2);
        drop(ok);
        assert_eq!(Arc::strong_count(&output), 1);
        let error = Arc::new(());
        let err: Ended<(), Arc<()>> = Ended::pack(Finished {
            index: 0,
            outcome: Outcome::Err {
                error: error.clone(),
                won: true,
            },
            after_cancel: false,
        });
        assert_eq!(Arc::strong_count(&error), 2);
        drop(err);
        assert_eq!(Arc::strong_count(&error), 1);
    }
}
