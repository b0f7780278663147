//! Model check of the context state machine (`src/ctx/state.rs`) with loom: every interleaving
//! (up to a preemption bound) of cancel, deadline expiry (fixed and idle), child creation and
//! drop, cause recording, and waiter registration and unregistration.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p autocancel-runtime --test loom --release
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` (default here: 4) bounds the search. The context's flag, lock,
//! once-recorded cause and wakers are loom's under `--cfg loom` (`src/sync.rs`), and so is the
//! clock deadlines are checked against (`__private::loom_clock`): tokio's timers and tasks are
//! outside the model, so deadlines here pass by the model setting the clock, and are noticed
//! by the checks that read it (`cause()`, `cancelled()`, child creation, `cancel`).

#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use autocancel_runtime::__private::{loom_clock, loom_lease, loom_over, loom_seats};
use autocancel_runtime::{Cause, Ctx, Deadline};
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    builder.check(move || {
        loom_clock::set(Duration::ZERO);
        f()
    });
}

fn reason(ctx: &Ctx) -> Option<String> {
    ctx.cause().map(|c| c.to_string())
}

/// A waiter registered before, during or after a cancellation is woken (loom reports a
/// deadlock if `block_on` is never woken), and sees the cause.
#[test]
fn cancel_wakes_every_waiter() {
    model(|| {
        let ctx = Ctx::new();
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel_with_reason("a"))
        };
        let waiter = {
            let ctx = ctx.clone();
            thread::spawn(move || loom::future::block_on(ctx.cancelled()).to_string())
        };
        let seen = loom::future::block_on(ctx.cancelled());
        assert_eq!(seen.to_string(), "cancelled: a");
        assert_eq!(waiter.join().unwrap(), "cancelled: a");
        canceller.join().unwrap();
    });
}

/// Two cancellations race: one cause is recorded, and everyone, at any time after either
/// `cancel` returned, sees that one.
#[test]
fn first_cause_wins_and_is_seen_by_all() {
    model(|| {
        let ctx = Ctx::new();
        let threads: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|r| {
                let ctx = ctx.clone();
                thread::spawn(move || {
                    ctx.cancel_with_reason(r);
                    // Never a flag without its cause.
                    assert!(ctx.is_cancelled());
                    reason(&ctx).expect("a cause once cancel returned")
                })
            })
            .collect();
        let seen: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(seen[0], seen[1]);
        assert_eq!(reason(&ctx).unwrap(), seen[0]);
        // `cancel_with` tells the one that won: here, nobody else.
        let cause = ctx.cause().unwrap();
        assert!(!ctx.cancel_with(cause));
    });
}

/// A child created while its parent is being cancelled is cancelled too, with the parent's
/// cause, and its waiters are woken; whether it was registered with the parent in time or not.
#[test]
fn child_created_during_cancel_is_cancelled() {
    model(|| {
        let parent = Ctx::new();
        let canceller = {
            let parent = parent.clone();
            thread::spawn(move || parent.cancel_with_reason("stop"))
        };
        let child = parent.child();
        let grandchild = child.child();
        let seen = loom::future::block_on(grandchild.cancelled());
        assert!(matches!(seen.cause(), Cause::ParentCancelled(_)));
        assert_eq!(seen.cause().root().to_string(), "cancelled: stop");
        assert!(child.is_cancelled());
        canceller.join().unwrap();
    });
}

/// Children dropped (unregistering from the parent) while the parent cancels (taking and
/// walking its list of children): no lost update, no use of a dropped child.
#[test]
fn child_dropped_during_cancel() {
    model(|| {
        let parent = Ctx::new();
        let keep = parent.child();
        let dropper = {
            let parent = parent.clone();
            thread::spawn(move || {
                let child = parent.child();
                drop(child);
                let child = parent.child();
                child.is_cancelled()
            })
        };
        parent.cancel();
        let _ = dropper.join().unwrap();
        assert!(keep.is_cancelled());
        assert!(parent.child().is_cancelled());
    });
}

/// A child's allocation kept for the next context made on its thread (`src/ctx/state/recycle.rs`)
/// while its parent cancels: the last drop of a child (linked to its parent, or not) and the
/// next child, of another parent, made from the spare, race the parent taking and walking its
/// child list. Whatever the order, the new context starts blank (no cause, not cancelled), and
/// the first parent never reaches it. Fails with `--cfg autocancel_loom_broken="recycle_cancelled"`
/// (a cancelled child kept: the next context starts with its cause).
#[test]
fn a_child_is_recycled_while_its_parent_cancels() {
    for linked in [true, false] {
        model(move || {
            let parent = Ctx::new();
            let child = parent.child();
            if linked {
                // Checked in a loop, a child links itself (`src/ctx/state/link.rs`).
                for _ in 0..6 {
                    assert!(!child.is_cancelled());
                }
            }
            let other = Ctx::new();
            let dropper = {
                let other = other.clone();
                thread::spawn(move || {
                    let _ = child.is_cancelled();
                    drop(child);
                    let next = other.child();
                    let blank = next.cause().is_none() && !next.is_cancelled();
                    (blank, next)
                })
            };
            parent.cancel_with_reason("stop");
            let (blank, next) = dropper.join().unwrap();
            assert!(blank, "the next context starts blank");
            assert!(!next.is_cancelled(), "the first parent does not reach it");
            other.cancel_with_reason("other");
            assert_eq!(
                reason(&next).unwrap(),
                "cancelled: parent context: cancelled: other"
            );
        });
    }
}

/// A waiter that registers and then gives up (drops its future) while the context is cancelled:
/// unregistering races with the cancel taking the waiter list. The remaining waiter is still
/// woken; the dropped one's stale registration does no harm.
#[test]
fn waiter_unregistering_during_cancel() {
    model(|| {
        let ctx = Ctx::new();
        let quitter = {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let mut wait = pin!(ctx.cancelled());
                let polled = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
                // Dropped here, registered or not.
                polled.is_ready()
            })
        };
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel())
        };
        let seen = loom::future::block_on(ctx.cancelled());
        assert_eq!(seen.to_string(), "cancelled");
        let _ = quitter.join().unwrap();
        canceller.join().unwrap();
    });
}

/// The deadline passes while someone cancels explicitly and someone creates a child: the
/// deadline is the cause, whoever records it (it wins ties and earlier unnoticed expiries).
#[test]
fn deadline_expiry_vs_cancel_vs_child_creation() {
    model(|| {
        let deadline = Deadline::at(loom_clock::base() + Duration::from_secs(1));
        let ctx = Ctx::new().with_deadline(deadline);
        assert!(ctx.cause().is_none());
        loom_clock::set(Duration::from_secs(1)); // the deadline passes; nothing noticed yet
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel_with_reason("explicit"))
        };
        let creator = {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let child = ctx.child();
                assert!(child.cause().unwrap().is_deadline_exceeded());
            })
        };
        let seen = loom::future::block_on(ctx.cancelled());
        assert!(matches!(seen.cause(), Cause::DeadlineExceeded { .. }));
        assert_eq!(ctx.cancelled_at(), Some(deadline.instant()));
        canceller.join().unwrap();
        creator.join().unwrap();
    });
}

/// A waiter registers while the deadline passes and another thread notices it: the waiter is
/// woken with the deadline (or sees it at once).
#[test]
fn deadline_expiry_vs_waiter_registration() {
    model(|| {
        let deadline = Deadline::at(loom_clock::base() + Duration::from_secs(1));
        let ctx = Ctx::new().with_deadline(deadline);
        let noticer = {
            let ctx = ctx.clone();
            thread::spawn(move || {
                loom_clock::set(Duration::from_secs(1));
                ctx.cause().unwrap()
            })
        };
        let seen = loom::future::block_on(ctx.cancelled());
        assert!(seen.is_deadline_exceeded());
        assert!(noticer.join().unwrap().is_deadline_exceeded());
    });
}

/// A parent cancelled on its child's own deadline instant: the child's cause is its deadline,
/// whichever of the two is recorded first.
#[test]
fn parent_cancel_vs_child_deadline_on_one_instant() {
    model(|| {
        let parent = Ctx::new();
        let child = parent.with_deadline(Deadline::at(loom_clock::base() + Duration::from_secs(1)));
        loom_clock::set(Duration::from_secs(1));
        let canceller = {
            let parent = parent.clone();
            thread::spawn(move || parent.cancel_with_reason("parent"))
        };
        let noticer = {
            let child = child.clone();
            thread::spawn(move || child.cause().unwrap())
        };
        assert!(matches!(
            noticer.join().unwrap(),
            Cause::DeadlineExceeded { .. }
        ));
        canceller.join().unwrap();
        assert!(matches!(
            child.cause().unwrap(),
            Cause::DeadlineExceeded { .. }
        ));
        assert_eq!(reason(&parent).unwrap(), "cancelled: parent");
    });
}

/// An idle deadline reached and not yet noticed, while one thread resets it (too late), another
/// cancels explicitly, and a child's waiter polls: the idle deadline is the cause, recorded at
/// its instant, and the child is woken with it.
#[test]
fn idle_expiry_vs_late_reset_vs_cancel_vs_child_waiter() {
    model(|| {
        let conn = Ctx::new().with_idle_timeout(Duration::from_secs(1));
        let child = conn.child();
        loom_clock::set(Duration::from_secs(1));
        let resetter = {
            let conn = conn.clone();
            thread::spawn(move || conn.reset_idle_timeout())
        };
        let canceller = {
            let conn = conn.clone();
            thread::spawn(move || conn.cancel_with_reason("explicit"))
        };
        let seen = loom::future::block_on(child.cancelled());
        assert!(seen.is_deadline_exceeded(), "{seen}");
        resetter.join().unwrap();
        canceller.join().unwrap();
        assert_eq!(
            conn.cancelled_at(),
            Some(loom_clock::base() + Duration::from_secs(1))
        );
    });
}

/// Polling `cancelled()` concurrently with the cancel: it returns `Pending` only if it is
/// registered to be woken, never misses the cancellation.
#[test]
fn poll_races_cancel_without_lost_wakeup() {
    model(|| {
        let ctx = Ctx::new();
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel())
        };
        let mut wait = pin!(ctx.cancelled());
        let first = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        if first.is_pending() {
            // Registered: the cancellation wakes this future (block_on's waker now).
            let _ = loom::future::block_on(wait);
        }
        canceller.join().unwrap();
        assert!(matches!(first, Poll::Pending | Poll::Ready(_)));
    });
}

/// The waiter list (`src/ctx/wait_list.rs`): a waiter re-registers with another waker (its
/// task's waker changed: the owner writes its node's waker under the lock) while the
/// cancellation reads that waker under the lock and releases the node; and a second waiter is
/// dropped (unlinking itself, or finding itself released) at the same time. The re-registered
/// waiter is woken (loom reports a deadlock otherwise), and loom checks every access to the
/// nodes' cells.
#[test]
fn waker_replaced_and_waiter_dropped_while_cancel_releases_the_list() {
    model(|| {
        let ctx = Ctx::new();
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel_with_reason("a"))
        };
        let quitter = {
            let ctx = ctx.clone();
            thread::spawn(move || {
                let mut wait = pin!(ctx.cancelled());
                let _ = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            })
        };
        let mut wait = pin!(ctx.cancelled());
        let first = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        let seen = match first {
            // Registered with the no-op waker: block_on polls with its own, which replaces it.
            Poll::Pending => loom::future::block_on(wait),
            Poll::Ready(cancelled) => cancelled,
        };
        assert_eq!(seen.to_string(), "cancelled: a");
        quitter.join().unwrap();
        canceller.join().unwrap();
    });
}

/// Two waiters of one context on two threads, registered in either order with the
/// cancellation in between: linking a node next to another that the cancellation is releasing
/// (and unlinking a released one) keeps the list consistent, and both are woken.
#[test]
fn two_waiters_link_while_cancel_releases() {
    model(|| {
        let ctx = Ctx::new();
        let other = {
            let ctx = ctx.clone();
            thread::spawn(move || loom::future::block_on(ctx.cancelled()).to_string())
        };
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel_with_reason("b"))
        };
        assert_eq!(
            loom::future::block_on(ctx.cancelled()).to_string(),
            "cancelled: b"
        );
        assert_eq!(other.join().unwrap(), "cancelled: b");
        canceller.join().unwrap();
    });
}

/// Lazy links (`src/ctx/state/link.rs`): an unlinked child links itself and its unlinked parent
/// (a waiter registers) while the root cancels and another thread checks the child: the waiter
/// is woken, and every view of the cause is the root's.
#[test]
fn lazy_link_races_cancel_and_checks() {
    model(|| {
        let root = Ctx::new();
        // No deadline: `is_cancelled` would pace its clock reads with a thread-local that loom
        // does not model.
        let request = root.child();
        let call = request.child();
        let canceller = {
            let root = root.clone();
            thread::spawn(move || root.cancel_with_reason("stop"))
        };
        let checker = {
            let request = request.clone();
            thread::spawn(move || request.is_cancelled().then(|| reason(&request)))
        };
        let seen = loom::future::block_on(call.cancelled());
        assert_eq!(seen.cause().root().to_string(), "cancelled: stop");
        canceller.join().unwrap();
        if let Some(seen) = checker.join().unwrap() {
            assert_eq!(seen.unwrap(), "cancelled: parent context: cancelled: stop");
        }
        assert_eq!(
            reason(&request).unwrap(),
            "cancelled: parent context: cancelled: stop"
        );
    });
}

/// An unlinked child checked in a loop links itself (after a few checks) while its parent
/// cancels: once the cancel has returned, the child reads cancelled.
#[test]
fn checks_link_a_child_while_its_parent_cancels() {
    model(|| {
        let parent = Ctx::new();
        let child = parent.child();
        let checker = {
            let child = child.clone();
            thread::spawn(move || {
                for _ in 0..6 {
                    if child.is_cancelled() {
                        return true;
                    }
                }
                false
            })
        };
        parent.cancel_with_reason("stop");
        let _ = checker.join().unwrap();
        assert!(child.is_cancelled());
        assert_eq!(
            reason(&child).unwrap(),
            "cancelled: parent context: cancelled: stop"
        );
    });
}

/// Spread child lists (`src/ctx/state/spread.rs`): two children of one parent link at once (a
/// waiter each) while the parent cancels. When one finds the parent's lock held by the other, it
/// makes the parent's spread lists and links there; either way both waiters are woken with the
/// parent's cause (loom reports a deadlock if one never is). Fails with
/// `--cfg autocancel_loom_broken="spread_unclosed"` (a cancellation that leaves the spread lists
/// alone: the child linked there is never woken).
#[test]
fn children_link_into_spread_lists_while_their_parent_cancels() {
    model(|| {
        let parent = Ctx::new();
        let linkers: Vec<_> = (0..2)
            .map(|_| {
                let parent = parent.clone();
                thread::spawn(move || {
                    let child = parent.child();
                    loom::future::block_on(child.cancelled()).to_string()
                })
            })
            .collect();
        parent.cancel_with_reason("stop");
        for linker in linkers {
            assert_eq!(
                linker.join().unwrap(),
                "cancelled: parent context: cancelled: stop"
            );
        }
        assert!(parent.child().is_cancelled());
    });
}

/// Spread waiter lists (`src/ctx/state/spread.rs`): a waiter registered first (in the
/// context's own list), then two waiters registering at once on other threads while the
/// context cancels. When one finds the context's lock held, it makes the spread lists, moving
/// the first waiter there, and registers there; every waiter is woken with the cause (loom
/// reports a deadlock if one never is), wherever it was linked. Fails with
/// `--cfg autocancel_loom_broken="spread_waiters_unwoken"` (a cancellation that closes the
/// spread lists without waking their waiters).
#[test]
fn waiters_register_in_spread_lists_while_their_context_cancels() {
    model(|| {
        let ctx = Ctx::new();
        let mut first = Box::pin(ctx.cancelled());
        let pending = first
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending();
        assert!(pending);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let ctx = ctx.clone();
                thread::spawn(move || loom::future::block_on(ctx.cancelled()).to_string())
            })
            .collect();
        ctx.cancel_with_reason("stop");
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), "cancelled: stop");
        }
        assert_eq!(loom::future::block_on(first).to_string(), "cancelled: stop");
    });
}

/// Two tasks of a group over at once, on two threads, while the group takes the over list and
/// waits (`src/group/over.rs`): each index is taken exactly once, and the group is woken for
/// the ones it has not taken yet (loom reports a deadlock if a wake-up is lost), whichever order
/// the pushes, the group's registration and its takes interleave in.
#[test]
fn over_list_pushes_race_the_group_taking_them() {
    use std::sync::Arc;

    use loom::sync::atomic::AtomicU32;

    model(|| {
        let list = Arc::new(loom_over::List::default());
        let links: Arc<[AtomicU32; 2]> = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let pushers: Vec<_> = (0..2)
            .map(|index| {
                let (list, links) = (list.clone(), links.clone());
                thread::spawn(move || list.push(index, &links[index]))
            })
            .collect();
        let mut seen = Vec::new();
        loom::future::block_on(std::future::poll_fn(|cx| {
            list.register(cx.waker());
            seen.extend(list.take_all(&*links));
            if seen.len() == 2 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        seen.sort_unstable();
        assert_eq!(seen, [0, 1]);
        for pusher in pushers {
            pusher.join().unwrap();
        }
    });
}

/// A group's row of seats is freed once, by whoever gives back its last reference (the group or
/// one of two tasks ending on other threads), and only after every other holder is done with
/// it (`src/group/seat.rs`: the count's `Release` and the `Acquire` fence; loom reports a
/// free not ordered after another thread's last use of the row as a causality violation).
#[test]
fn a_row_of_seats_is_freed_once_after_its_last_holder() {
    model(|| {
        let (mut seats, group) = loom_seats::Seats::new();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let seat = seats.take();
                thread::spawn(move || drop(seat))
            })
            .collect();
        let over_early = seats.take_over();
        drop(seats);
        for task in tasks {
            task.join().unwrap();
        }
        assert!(over_early.len() <= 2);
        assert_eq!(group.handles(), 1, "the row was freed");
    });
}

/// A `#[cancellable]` call's registration (`__private::Call`: the context borrowed, a handle
/// taken only when the call first parks), given up while another thread cancels: the call polls
/// an `.await` that parks (registering), then ends without being woken (a `select!` elsewhere
/// won, say), releasing its registration, while the cancellation takes the waiter list and reads
/// the registered waker. Either the release unlinks the node under the lock, or it finds the
/// node released and drops its waker: loom checks that the cancellation's read of that waker
/// happens before (the owner's `Acquire` of the release). Broken on purpose (a `Relaxed` read,
/// `--cfg autocancel_loom_broken="relaxed_release"`), this model fails.
#[test]
fn a_call_releases_its_registration_during_a_cancel() {
    use autocancel_runtime::__private::{race, Call};

    model(|| {
        let ctx = Ctx::new();
        let canceller = {
            let ctx = ctx.clone();
            thread::spawn(move || ctx.cancel_with_reason("a"))
        };
        {
            let mut call = pin!(Call::borrowed(&ctx));
            let mut wait = pin!(race(std::future::pending::<()>(), call.as_mut()));
            let polled = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            if let Poll::Ready(result) = polled {
                assert_eq!(result.unwrap_err().to_string(), "cancelled: a");
            }
            // The call ends here, parked or not: its registration is released.
        }
        canceller.join().unwrap();
        assert_eq!(reason(&ctx).as_deref(), Some("cancelled: a"));
    });
}

/// A `TaskSet` task that parks while the set aborts its tasks (a shutdown's grace period ran
/// out; `src/tasks/task.rs`, `LiveEntry::parks`): the task registers its waker in its shard (the
/// first time, taking its index there), then reads the abort; the set stores the abort, then
/// wakes every waker registered in its shards. Either the task sees the abort (and stops now)
/// or its waker is woken (and it stops at its next poll): never neither, which would leave it
/// parked for ever and the shutdown waiting. Broken on purpose (the abort read before the
/// waker is registered: `--cfg autocancel_loom_broken="abort_read_before_park"`), this model
/// fails.
#[test]
fn a_task_parking_while_its_set_aborts_is_woken_or_stops() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    use autocancel_runtime::__private::loom_task_set;

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    model(|| {
        let set = Arc::new(loom_task_set::Set::new());
        let task = set.task();
        let aborter = {
            let set = set.clone();
            thread::spawn(move || set.abort())
        };
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        let stops = task.parks(&Waker::from(woken.clone()));
        aborter.join().unwrap();
        // Read after the join: ordered after the set's wake, if there was one.
        assert!(
            stops || woken.0.load(Ordering::Relaxed),
            "parked, not woken, and did not see the abort"
        );
    });
}

/// A parent's reference count spread over per-thread slots (`src/ctx/state/lease.rs`; with
/// leasing on, a child made on another modelled thread than its parent leases at once): a child
/// is made on another thread from a handle that is then dropped, and dropped while the parent's
/// last handle goes (marking the slots orphaned) and another child (holding an `Arc`) is dropped
/// on a third thread. Whatever the interleaving, the parent is dropped once the last of its
/// handles and children is (its detached hook, which owns a drop flag, goes with it). The
/// handle count is `std`'s atomic, which loom does not see: the model makes the last handle the
/// main thread's by waiting for the other to be dropped. Broken on purpose (the mark read and
/// written in two steps, losing a child's drop in between:
/// `--cfg autocancel_loom_broken="lease_orphan_lost"`), the parent leaks and this model fails.
#[test]
fn a_leased_parent_is_dropped_after_its_last_handle_and_child() {
    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, Ordering};

    struct Dropped(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    model(|| {
        loom_lease::set(true);
        let parent = Ctx::new();
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Dropped(dropped.clone());
        parent.on_cancel(move |_| drop(flag)).detach();
        let kept = parent.child();
        let handed = Arc::new(AtomicBool::new(false));
        let maker = {
            let (parent, handed) = (parent.clone(), handed.clone());
            thread::spawn(move || {
                let child = parent.child();
                assert!(loom_lease::leases_its_parent(&child), "modelled: a lease");
                drop(parent);
                handed.store(true, Ordering::Release);
                assert!(!child.is_cancelled());
                drop(child);
            })
        };
        let dropper = thread::spawn(move || drop(kept));
        while !handed.load(Ordering::Acquire) {
            thread::yield_now();
        }
        drop(parent);
        maker.join().unwrap();
        dropper.join().unwrap();
        // Read after the joins: ordered after every drop.
        assert!(
            dropped.load(std::sync::atomic::Ordering::Relaxed),
            "the parent leaked"
        );
    });
}
