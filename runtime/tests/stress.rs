//! Property tests: random trees of nested groups under tokio's paused clock.
//!
//! Each case is a plan: a root group (always with a deadline, so that every case ends), up to
//! 50 tasks per group, groups nested up to 4 deep, random timeouts, limits and grace periods, and
//! task behaviours: succeed, fail, panic, never finish, ignore cancellation, cancel the group,
//! blocking tasks, and nested groups whose result is propagated or swallowed.
//!
//! A small discrete-event model (`sim`) derives from the plan alone what must happen: when each
//! group's `wait` returns, what it returns, which outputs it reports and which tasks it aborts.
//! The rules it encodes are the runtime's documented ones; where two events fall on the same
//! instant and the documentation leaves the order to the scheduler, the model rejects the case
//! rather than guess. Ties with a deadline are not rejected: the deadline wins them, by design.
//!
//! After every case: the observed and modelled outcomes agree for every group whose `wait`
//! completed, no tokio task is left alive (`num_alive_tasks()` back to zero), and no task body,
//! async or blocking, is still running.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};
use std::time::Duration;

use autocancel_runtime::{sleep, Cancelled, Cause, Ctx, Deadline, Group, Report};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Plans

#[derive(Clone, Debug)]
struct GroupPlan {
    id: u32,
    /// Milliseconds from the group's creation; the root always has one.
    timeout: Option<u64>,
    limit: Option<usize>,
    /// Milliseconds, at least 1.
    grace: u64,
    tasks: Vec<TaskPlan>,
}

#[derive(Clone, Debug)]
struct TaskPlan {
    id: u32,
    what: What,
}

/// Durations in milliseconds (tokio's timer resolution), at least 1.
#[derive(Clone, Debug)]
enum What {
    /// `sleep(d).await?; Ok(id)`
    Ok(u64),
    /// `sleep(d).await?; Err(Failed(id))`
    Fail(u64),
    /// `sleep(d).await?; panic!`
    Panic(u64),
    /// `sleep(Duration::MAX).await?`: ends only by cancellation.
    Never,
    /// `tokio::time::sleep(d).await; Ok(id)`: ignores cancellation.
    Ignore(u64),
    /// `tokio::time::sleep(d).await; Err(Failed(id))`: fails, ignoring cancellation.
    IgnoreFail(u64),
    /// `sleep(d).await?; Ctx::current().cancel_with_reason(..); Ok(id)`
    CancelGroup(u64),
    BlockOk,
    BlockFail,
    BlockPanic,
    /// A blocking task that takes a little real time (none on the paused clock).
    BlockSlow,
    /// `sleep(delay).await?`, then a child group, waited for; its error returned if `propagate`.
    Nested {
        delay: u64,
        propagate: bool,
        group: GroupPlan,
    },
}

impl What {
    fn is_blocking(&self) -> bool {
        matches!(
            self,
            What::BlockOk | What::BlockFail | What::BlockPanic | What::BlockSlow
        )
    }
}

/// Relative weights of the leaf behaviours, and of a nested group.
#[derive(Clone, Copy, Debug)]
struct Weights {
    ok: u32,
    fail: u32,
    panic: u32,
    never: u32,
    ignore: u32,
    ignore_fail: u32,
    cancel: u32,
    block: u32,
    block_fail: u32,
    nested: u32,
    max_ms: u64,
}

const TREE: Weights = Weights {
    ok: 60,
    fail: 8,
    panic: 3,
    never: 12,
    ignore: 12,
    ignore_fail: 4,
    cancel: 2,
    block: 6,
    block_fail: 1,
    nested: 10,
    max_ms: 2_000,
};

/// A duration in milliseconds, a fifth of the time a multiple of 100 ms so that events fall on
/// the same instant (deadline ties are deterministic and kept; other ties are rejected).
fn millis(max: u64) -> BoxedStrategy<u64> {
    prop_oneof![4 => 1..=max, 1 => (1..=max.div_ceil(100)).prop_map(|k| k * 100)].boxed()
}

fn what(w: Weights, depth: u32) -> BoxedStrategy<What> {
    let d = millis(w.max_ms);
    let leaf = prop_oneof![
        w.ok => d.clone().prop_map(What::Ok),
        w.fail => d.clone().prop_map(What::Fail),
        w.panic => d.clone().prop_map(What::Panic),
        w.never => Just(What::Never),
        w.ignore => d.clone().prop_map(What::Ignore),
        w.ignore_fail => d.clone().prop_map(What::IgnoreFail),
        w.cancel => d.clone().prop_map(What::CancelGroup),
        w.block => prop_oneof![Just(What::BlockOk), Just(What::BlockSlow)],
        w.block_fail => prop_oneof![Just(What::BlockFail), Just(What::BlockPanic)],
    ];
    if depth >= 4 || w.nested == 0 {
        return leaf.boxed();
    }
    let total = w.ok
        + w.fail
        + w.panic
        + w.never
        + w.ignore
        + w.ignore_fail
        + w.cancel
        + w.block
        + w.block_fail;
    let nested = (
        millis(TREE.max_ms),
        any::<bool>(),
        group(TREE, depth + 1, 0..=50),
    )
        .prop_map(|(delay, propagate, group)| What::Nested {
            delay,
            propagate,
            group,
        });
    prop_oneof![total => leaf, w.nested => nested].boxed()
}

fn group(
    w: Weights,
    depth: u32,
    fan_out: std::ops::RangeInclusive<usize>,
) -> BoxedStrategy<GroupPlan> {
    let timeout = if depth == 1 {
        millis(3 * w.max_ms).prop_map(Some).boxed()
    } else {
        proptest::option::weighted(0.6, millis(3 * TREE.max_ms)).boxed()
    };
    let limit = prop_oneof![
        3 => Just(None),
        2 => (1..=8usize).prop_map(Some),
        1 => Just(Some(usize::MAX)),
    ];
    let grace = prop_oneof![1..=20u64, 21..=500u64];
    let task = what(w, depth).prop_map(|what| TaskPlan { id: 0, what });
    let tasks = if *fan_out.start() == 0 {
        // Small groups half of the time: more of them end without a failure.
        prop_oneof![
            proptest::collection::vec(task.clone(), 0..=6),
            proptest::collection::vec(task, fan_out),
        ]
        .boxed()
    } else {
        proptest::collection::vec(task, fan_out).boxed()
    };
    (timeout, limit, grace, tasks)
        .prop_map(|(timeout, limit, grace, tasks)| GroupPlan {
            id: 0,
            timeout,
            limit,
            grace,
            tasks,
        })
        .boxed()
}

/// Gives every group and task a unique id.
fn number(mut plan: GroupPlan) -> GroupPlan {
    fn walk(plan: &mut GroupPlan, next: &mut u32) {
        plan.id = *next;
        *next += 1;
        for task in &mut plan.tasks {
            task.id = *next;
            *next += 1;
            if let What::Nested { group, .. } = &mut task.what {
                walk(group, next);
            }
        }
    }
    walk(&mut plan, &mut 0);
    plan
}

// ---------------------------------------------------------------------------------------------
// What a group's `wait` returned, as the model and the test compare it

/// The root of a cancellation's cause.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Root {
    Deadline,
    /// `cancel_with_reason("explicit {id}")` by task `id`.
    Explicit(u32),
    /// A task failed; `Some(id)` when its error was `Failed(id)`, `None` for a propagated
    /// cancellation.
    TaskFailed(Option<u32>),
    Panicked(String),
    /// Anything else: always a bug here.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Class {
    Ok(Vec<u32>),
    Failed(u32),
    Cancelled(Root),
    Panicked(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Summary {
    /// Milliseconds since the case started, when `wait` returned.
    end: u64,
    class: Class,
    /// Per task, its output if it returned `Ok` (not compared for a panicked group).
    outputs: Vec<Option<u32>>,
    /// Tasks aborted after the grace period.
    aborted: BTreeSet<u32>,
}

// ---------------------------------------------------------------------------------------------
// The model

mod sim {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    pub const INF: u64 = u64::MAX;

    /// How many task events fell on their group's deadline (for the statistics).
    pub static DEADLINE_TIES: AtomicUsize = AtomicUsize::new(0);

    pub type Records = BTreeMap<u32, Summary>;

    /// What a case cannot predict: two events on one instant, ordered by the scheduler.
    #[derive(Debug)]
    pub struct Tie(pub String);

    type R<T> = Result<T, Tie>;

    #[derive(Clone, Debug)]
    pub enum Err {
        Failed(u32),
        Cancelled(Root),
    }

    impl Err {
        fn class(&self) -> Class {
            match self {
                Err::Failed(id) => Class::Failed(*id),
                Err::Cancelled(root) => Class::Cancelled(root.clone()),
            }
        }
    }

    /// How a task would end if nothing cancelled it.
    #[derive(Clone, Debug)]
    enum Nat {
        Ok,
        Err(Err),
        Panic(String),
        Cancel(u32),
        Forever,
    }

    #[derive(Clone, Debug, PartialEq)]
    enum Why {
        Deadline,
        Ext(Root),
        Winner(usize),
    }

    #[derive(Debug)]
    enum Act {
        Ok { end: u64, late: bool },
        Err { end: u64, won: Option<Err> },
        Panic { end: u64, message: String },
        Aborted { at: u64 },
        NotStarted { end: u64 },
    }

    impl Act {
        fn end(&self) -> u64 {
            match self {
                Act::Ok { end, .. }
                | Act::Err { end, .. }
                | Act::Panic { end, .. }
                | Act::NotStarted { end } => *end,
                Act::Aborted { at } => *at,
            }
        }
    }

    pub struct Run {
        pub end: u64,
        pub class: Class,
    }

    fn child_outcome(class: &Class, propagate: bool) -> Nat {
        match class {
            Class::Ok(_) => Nat::Ok,
            Class::Panicked(m) => Nat::Panic(m.clone()),
            Class::Failed(id) if propagate => Nat::Err(Err::Failed(*id)),
            Class::Cancelled(root) if propagate => Nat::Err(Err::Cancelled(root.clone())),
            _ => Nat::Ok,
        }
    }

    /// Simulates `plan` created at `s`, under a parent whose effective deadline is `parent_ed`,
    /// cancelled from outside at `ext` (instant and root cause), dropped (its task aborted) at
    /// `abandon`. Records the summary of every group whose `wait` completes.
    pub fn group(
        plan: &GroupPlan,
        s: u64,
        parent_ed: u64,
        ext: Option<(u64, Root)>,
        abandon: u64,
        out: &mut Records,
    ) -> R<Run> {
        let ed = match plan.timeout {
            Some(t) => (s + t).min(parent_ed),
            None => parent_ed,
        };
        assert!(ed < INF, "every group has a deadline, its own or inherited");
        let (xat, xroot) = ext.unwrap_or((INF, Root::Deadline));

        // Natural schedule: start and end of every task if nothing were cancelled. Exact up to
        // the group's cancellation, which is all it is used for.
        let cap = plan
            .limit
            .filter(|&n| n <= tokio::sync::Semaphore::MAX_PERMITS);
        // Free slots: when, and which task's end freed it.
        let mut slots: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
        let mut timing: Vec<(u64, u64, Nat)> = Vec::new();
        let mut freed_by: Vec<Option<usize>> = Vec::new();
        for (k, task) in plan.tasks.iter().enumerate() {
            let (st, by) = match cap {
                Some(n) if k >= n => {
                    let Reverse((at, by)) = slots.pop().expect("n slots");
                    (at, Some(by))
                }
                _ => (s, None),
            };
            freed_by.push(by);
            let (ne, nat) = if st == INF {
                (INF, Nat::Forever)
            } else {
                natural(task, st, ed)?
            };
            if cap.is_some() {
                slots.push(Reverse((ne, k)));
            }
            timing.push((st, ne, nat));
        }

        // The group's cancellation: its deadline, its parent's, or the first failure.
        let failures: Vec<(u64, usize)> = timing
            .iter()
            .enumerate()
            .filter(|(_, (_, ne, nat))| {
                *ne < INF && matches!(nat, Nat::Err(_) | Nat::Panic(_) | Nat::Cancel(_))
            })
            .map(|(k, (_, ne, _))| (*ne, k))
            .collect();
        let fmin = failures.iter().map(|f| f.0).min().unwrap_or(INF);
        let (c, why) = if ed <= xat && ed <= fmin {
            (ed, Why::Deadline)
        } else if xat < fmin {
            (xat, Why::Ext(xroot.clone()))
        } else if fmin < xat {
            let at_fmin: Vec<usize> = failures
                .iter()
                .filter(|f| f.0 == fmin)
                .map(|f| f.1)
                .collect();
            // Blocking tasks that start with the group run one after the other, in spawn order
            // (see `Gate`): among them the first to fail wins.
            let batch = |k: &usize| plan.tasks[*k].what.is_blocking() && timing[*k].0 == s;
            if at_fmin.len() > 1 && !at_fmin.iter().all(batch) {
                return Err(Tie(format!("group {}: failures tie at {fmin}", plan.id)));
            }
            (fmin, Why::Winner(at_fmin[0]))
        } else {
            return Err(Tie(format!(
                "group {}: failure at its parent's cancellation ({fmin})",
                plan.id
            )));
        };
        let root = match &why {
            Why::Deadline => Root::Deadline,
            Why::Ext(root) => root.clone(),
            Why::Winner(k) => match &timing[*k].2 {
                Nat::Err(Err::Failed(id)) => Root::TaskFailed(Some(*id)),
                Nat::Err(Err::Cancelled(_)) => Root::TaskFailed(None),
                Nat::Panic(m) => Root::Panicked(m.clone()),
                Nat::Cancel(id) => Root::Explicit(*id),
                other => unreachable!("{other:?}"),
            },
        };
        let at_deadline = why == Why::Deadline;
        let tie = |what: &str, id: u32| Err(Tie(format!("task {id}: {what} at {c}")));
        let kill = c.saturating_add(plan.grace);
        let child_abandon = abandon.min(kill);

        let mut acts = Vec::new();
        for (k, (task, (st, ne, nat))) in plan.tasks.iter().zip(&timing).enumerate() {
            let (st, ne) = (*st, *ne);
            let id = task.id;
            if why == Why::Winner(k) {
                let act = match (&task.what, nat) {
                    (What::Nested { group, .. }, nat) => {
                        let sc = st + delay_of(&task.what);
                        let run = super::sim::group(group, sc, ed, None, child_abandon, out)?;
                        assert_eq!(run.end, c);
                        match nat {
                            Nat::Panic(m) => Act::Panic {
                                end: c,
                                message: m.clone(),
                            },
                            Nat::Err(e) => Act::Err {
                                end: c,
                                won: Some(e.clone()),
                            },
                            other => unreachable!("{other:?}"),
                        }
                    }
                    (_, Nat::Err(e)) => Act::Err {
                        end: c,
                        won: Some(e.clone()),
                    },
                    (_, Nat::Panic(m)) => Act::Panic {
                        end: c,
                        message: m.clone(),
                    },
                    (_, Nat::Cancel(_)) => Act::Ok { end: c, late: true },
                    (_, other) => unreachable!("{other:?}"),
                };
                acts.push((id, act));
                continue;
            }
            // A blocking task failing as the group starts: every async task of that first batch
            // has started (see `Gate`), the blocking ones before it ran, the ones after do not.
            let batch_winner = match why {
                Why::Winner(w) if plan.tasks[w].what.is_blocking() && timing[w].0 == s => Some(w),
                _ => None,
            };
            if let (Some(w), true) = (batch_winner, st == s && freed_by[k].is_none()) {
                if task.what.is_blocking() {
                    let act = if k < w {
                        Act::Ok {
                            end: s,
                            late: false,
                        }
                    } else {
                        Act::NotStarted { end: s }
                    };
                    acts.push((id, act));
                    continue;
                }
            } else if st >= c {
                // Never started: its slot came too late (the task that failed frees its slot
                // after it cancelled the group), or the group was cancelled as it started (then
                // a cancellable async task ends at once either way).
                if st == c
                    && !at_deadline
                    && why != Why::Winner(freed_by[k].unwrap_or(usize::MAX))
                    && (task.what.is_blocking()
                        || matches!(task.what, What::Ignore(_) | What::IgnoreFail(_)))
                {
                    return tie("start", id);
                }
                acts.push((id, Act::NotStarted { end: c }));
                continue;
            }
            let cancelled = Act::Err { end: c, won: None };
            if at_deadline && (ne == c || st + delay_of(&task.what) == c) {
                DEADLINE_TIES.fetch_add(1, Ordering::Relaxed);
            }
            let act = match &task.what {
                What::Ok(_) | What::Fail(_) | What::Panic(_) | What::CancelGroup(_) => {
                    if ne < c {
                        assert!(matches!(nat, Nat::Ok));
                        Act::Ok {
                            end: ne,
                            late: false,
                        }
                    } else if ne == c && !at_deadline {
                        return tie("end", id);
                    } else {
                        cancelled
                    }
                }
                What::Never => cancelled,
                What::Ignore(_) => {
                    if ne < c {
                        Act::Ok {
                            end: ne,
                            late: false,
                        }
                    } else if ne == c && !at_deadline {
                        return tie("end", id);
                    } else if ne < kill {
                        Act::Ok {
                            end: ne,
                            late: true,
                        }
                    } else if ne == kill {
                        return tie("end at the abort", id);
                    } else {
                        Act::Aborted { at: kill }
                    }
                }
                What::IgnoreFail(_) => {
                    // Failures are at or after `c`; at `c` only if the deadline won the tie.
                    if ne == c && !at_deadline {
                        return tie("end", id);
                    } else if ne < kill {
                        Act::Err { end: ne, won: None }
                    } else if ne == kill {
                        return tie("end at the abort", id);
                    } else {
                        Act::Aborted { at: kill }
                    }
                }
                What::BlockOk | What::BlockSlow => Act::Ok {
                    end: st,
                    late: false,
                },
                What::BlockFail | What::BlockPanic => unreachable!("failures are at or after c"),
                What::Nested {
                    delay,
                    propagate,
                    group,
                } => {
                    let sc = st + delay;
                    if sc > c || (sc == c && at_deadline) {
                        cancelled
                    } else if sc == c {
                        return tie("child group created", id);
                    } else {
                        let ext = (ne >= c).then(|| (c, root.clone()));
                        let run = super::sim::group(group, sc, ed, ext, child_abandon, out)?;
                        let e = run.end;
                        if ne == c && !at_deadline {
                            return tie("child group ended", id);
                        }
                        if e == kill {
                            return tie("child group ended at the abort", id);
                        }
                        if e > kill {
                            Act::Aborted { at: kill }
                        } else {
                            let late = e >= c;
                            match child_outcome(&run.class, *propagate) {
                                Nat::Ok => Act::Ok { end: e, late },
                                Nat::Panic(message) => Act::Panic { end: e, message },
                                Nat::Err(_) => {
                                    assert!(late, "an earlier failure would have won");
                                    Act::Err { end: e, won: None }
                                }
                                other => unreachable!("{other:?}"),
                            }
                        }
                    }
                }
            };
            acts.push((id, act));
        }

        let end = acts.iter().map(|(_, a)| a.end()).max().unwrap_or(s);
        let mut panics: Vec<(u64, &String)> = acts
            .iter()
            .filter_map(|(_, a)| match a {
                Act::Panic { end, message } => Some((*end, message)),
                _ => None,
            })
            .collect();
        panics.sort();
        if panics.len() > 1 && panics[0].0 == panics[1].0 {
            return Err(Tie(format!("group {}: panics tie", plan.id)));
        }
        let won = acts.iter().find_map(|(_, a)| match a {
            Act::Err { won: Some(e), .. } => Some(e.clone()),
            _ => None,
        });
        let cut_short = acts
            .iter()
            .any(|(_, a)| !matches!(a, Act::Ok { late: false, .. }));
        let outputs: Vec<Option<u32>> = acts
            .iter()
            .map(|(id, a)| matches!(a, Act::Ok { .. }).then_some(*id))
            .collect();
        let class = if let Some((_, message)) = panics.first() {
            Class::Panicked((*message).clone())
        } else if let Some(e) = won {
            e.class()
        } else if cut_short {
            Class::Cancelled(root)
        } else {
            Class::Ok(outputs.iter().flatten().copied().collect())
        };
        let aborted = acts
            .iter()
            .filter(|(_, a)| matches!(a, Act::Aborted { .. }))
            .map(|(id, _)| *id)
            .collect();
        if end == abandon {
            return Err(Tie(format!("group {}: ends as it is dropped", plan.id)));
        }
        if end < abandon {
            // A panicking `wait` hands back no report.
            let (outputs, aborted) = if matches!(class, Class::Panicked(_)) {
                (Vec::new(), BTreeSet::new())
            } else {
                (outputs, aborted)
            };
            out.insert(
                plan.id,
                Summary {
                    end,
                    class: class.clone(),
                    outputs,
                    aborted,
                },
            );
        }
        Ok(Run { end, class })
    }

    fn delay_of(what: &What) -> u64 {
        match what {
            What::Nested { delay, .. } => *delay,
            _ => 0,
        }
    }

    fn natural(task: &TaskPlan, st: u64, ed: u64) -> R<(u64, Nat)> {
        let id = task.id;
        Ok(match &task.what {
            What::Ok(d) | What::Ignore(d) => (st + d, Nat::Ok),
            What::Fail(d) | What::IgnoreFail(d) => (st + d, Nat::Err(Err::Failed(id))),
            What::Panic(d) => (st + d, Nat::Panic(format!("panic {id}"))),
            What::CancelGroup(d) => (st + d, Nat::Cancel(id)),
            What::Never => (INF, Nat::Forever),
            What::BlockOk | What::BlockSlow => (st, Nat::Ok),
            What::BlockFail => (st, Nat::Err(Err::Failed(id))),
            What::BlockPanic => (st, Nat::Panic(format!("panic {id}"))),
            What::Nested {
                delay,
                propagate,
                group,
            } => {
                let sc = st + delay;
                if sc >= ed {
                    (INF, Nat::Forever)
                } else {
                    let run = super::sim::group(group, sc, ed, None, INF, &mut Records::new())?;
                    (run.end, child_outcome(&run.class, *propagate))
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Running a plan

#[derive(Debug)]
enum TestError {
    Failed(u32),
    Cancelled(Cancelled),
}

impl From<Cancelled> for TestError {
    fn from(c: Cancelled) -> Self {
        TestError::Cancelled(c)
    }
}

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestError::Failed(id) => write!(f, "failed {id}"),
            TestError::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

fn root_of(c: &Cancelled) -> Root {
    match c.cause().root() {
        Cause::DeadlineExceeded { .. } => Root::Deadline,
        Cause::Cancelled {
            reason: Some(reason),
            ..
        } if reason.starts_with("explicit ") => Root::Explicit(reason[9..].parse().unwrap()),
        Cause::TaskFailed { error, .. } => {
            Root::TaskFailed(error.strip_prefix("failed ").and_then(|id| id.parse().ok()))
        }
        Cause::Panicked { message, .. } => Root::Panicked(message.to_string()),
        other => Root::Other(other.to_string()),
    }
}

fn class_of(error: &TestError) -> Class {
    match error {
        TestError::Failed(id) => Class::Failed(*id),
        TestError::Cancelled(c) => Class::Cancelled(root_of(c)),
    }
}

/// Counts task bodies running, and collects what every group's `wait` returned.
#[derive(Default)]
struct Probe {
    async_bodies: AtomicUsize,
    blocking_bodies: AtomicUsize,
    records: Mutex<sim::Records>,
    start: Mutex<Option<Instant>>,
}

struct Alive<'a>(&'a AtomicUsize);

impl<'a> Alive<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Alive(counter)
    }
}

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Probe {
    fn elapsed_ms(&self) -> u64 {
        let start = self.start.lock().unwrap().expect("started");
        let elapsed = start.elapsed();
        assert_eq!(elapsed.subsec_nanos() % 1_000_000, 0, "{elapsed:?}");
        elapsed.as_millis() as u64
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Body = Pin<Box<dyn Future<Output = Result<u32, TestError>> + Send>>;

/// Makes a group's start deterministic when a blocking task fails right away: blocking bodies
/// wait until every async task that can start has started (the spawner opens the gate), and then
/// run one at a time in spawn order. One that is still waiting when the group is cancelled
/// returns the cancellation (as if it had not started).
#[derive(Default)]
struct Gate {
    /// `None` until open; then the ordinal of the blocking task whose turn it is.
    turn: Mutex<Option<usize>>,
    changed: std::sync::Condvar,
    /// Async tasks that have started.
    started: AtomicUsize,
}

impl Gate {
    fn open(&self) {
        *self.turn.lock().unwrap() = Some(0);
        self.changed.notify_all();
    }

    /// Waits for turn `ordinal`; false if the group is cancelled first.
    fn wait_turn(&self, ordinal: usize) -> bool {
        let ctx = Ctx::current();
        let mut turn = self.turn.lock().unwrap();
        loop {
            if *turn == Some(ordinal) {
                return true;
            }
            if ctx.is_cancelled() {
                return false;
            }
            turn = self.changed.wait_timeout(turn, ms(1)).unwrap().0;
        }
    }

    fn next(&self, ordinal: usize) {
        let mut turn = self.turn.lock().unwrap();
        if *turn == Some(ordinal) {
            *turn = Some(ordinal + 1);
        }
        self.changed.notify_all();
    }
}

fn body(task: TaskPlan, probe: Arc<Probe>, gate: Arc<Gate>) -> Body {
    Box::pin(async move {
        let _alive = Alive::enter(&probe.async_bodies);
        gate.started.fetch_add(1, Ordering::SeqCst);
        let id = task.id;
        match task.what {
            What::Ok(d) => {
                sleep(ms(d)).await?;
                Ok(id)
            }
            What::Fail(d) => {
                sleep(ms(d)).await?;
                Err(TestError::Failed(id))
            }
            What::Panic(d) => {
                sleep(ms(d)).await?;
                panic::panic_any(format!("panic {id}"))
            }
            What::Never => {
                sleep(Duration::MAX).await?;
                unreachable!("slept forever")
            }
            What::Ignore(d) => {
                tokio::time::sleep(ms(d)).await;
                Ok(id)
            }
            What::IgnoreFail(d) => {
                tokio::time::sleep(ms(d)).await;
                Err(TestError::Failed(id))
            }
            What::CancelGroup(d) => {
                sleep(ms(d)).await?;
                Ctx::current().cancel_with_reason(format!("explicit {id}"));
                Ok(id)
            }
            What::Nested {
                delay,
                propagate,
                group,
            } => {
                sleep(ms(delay)).await?;
                let report = run_group(group.clone(), probe.clone()).await;
                record(&probe, &group, &report);
                match report {
                    Err(payload) => panic::resume_unwind(payload),
                    Ok(report) => match report.error {
                        Some(error) if propagate => Err(error),
                        _ => Ok(id),
                    },
                }
            }
            blocking => unreachable!("{blocking:?}"),
        }
    })
}

fn blocking_body(
    task: TaskPlan,
    probe: Arc<Probe>,
    gate: Arc<Gate>,
    ordinal: usize,
) -> impl FnOnce() -> Result<u32, TestError> {
    move || {
        let _alive = Alive::enter(&probe.blocking_bodies);
        if !gate.wait_turn(ordinal) {
            return Err(Ctx::current().check().unwrap_err().into());
        }
        let id = task.id;
        // A failing task does not pass the turn on: the next one waits for the cancellation its
        // failure causes once returned.
        match task.what {
            What::BlockOk => {
                gate.next(ordinal);
                Ok(id)
            }
            What::BlockSlow => {
                std::thread::sleep(ms(2));
                gate.next(ordinal);
                Ok(id)
            }
            What::BlockFail => Err(TestError::Failed(id)),
            What::BlockPanic => panic::panic_any(format!("panic {id}")),
            other => unreachable!("{other:?}"),
        }
    }
}

type Waited = Result<Report<u32, TestError>, Box<dyn Any + Send>>;

fn run_group(plan: GroupPlan, probe: Arc<Probe>) -> Pin<Box<dyn Future<Output = Waited> + Send>> {
    Box::pin(async move {
        // Every way of making a group, in turn.
        let mut group: Group<u32, TestError> = match (plan.timeout, plan.id % 3, plan.limit) {
            (None, 0, None) => Group::new(),
            (None, _, None) => Group::with_parent(&Ctx::current()),
            (Some(t), 0, None) => Group::with_deadline(Deadline::at(Instant::now() + ms(t))),
            (Some(t), 1, None) => Group::with_deadline(Deadline::after(ms(t))),
            (Some(t), _, None) => Group::with_timeout(ms(t)),
            (timeout, id, Some(n)) => {
                let builder = Group::builder().limit(n);
                let builder = match timeout {
                    None if id == 0 => builder,
                    None => builder.parent(&Ctx::current()),
                    Some(t) if id == 1 => builder.deadline(Deadline::after(ms(t))),
                    Some(t) => builder.timeout(ms(t)),
                };
                builder.build()
            }
        };
        group = group.grace(ms(plan.grace));
        let gate = Arc::new(Gate::default());
        let startable = plan
            .tasks
            .iter()
            .take(plan.limit.unwrap_or(usize::MAX))
            .filter(|t| !t.what.is_blocking())
            .count();
        let mut ordinal = 0;
        for task in plan.tasks {
            if task.what.is_blocking() {
                group.spawn_blocking(blocking_body(task, probe.clone(), gate.clone(), ordinal));
                ordinal += 1;
            } else {
                group.spawn_named(task.id.to_string(), body(task, probe.clone(), gate.clone()));
            }
        }
        while gate.started.load(Ordering::SeqCst) < startable && !group.ctx().is_cancelled() {
            tokio::task::yield_now().await;
        }
        gate.open();
        CatchUnwind(Box::pin(group.wait_report())).await
    })
}

fn summarize(probe: &Probe, waited: &Waited) -> Summary {
    let end = probe.elapsed_ms();
    match waited {
        Err(payload) => Summary {
            end,
            class: Class::Panicked(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "?".into()),
            ),
            outputs: Vec::new(),
            aborted: BTreeSet::new(),
        },
        Ok(report) => Summary {
            end,
            class: match &report.error {
                None => Class::Ok(report.outputs.iter().flatten().copied().collect()),
                Some(error) => class_of(error),
            },
            outputs: report.outputs.clone(),
            aborted: report
                .stragglers
                .iter()
                .map(|s| {
                    assert!(s.aborted, "only async stragglers here: {s}");
                    s.name.parse().expect("named by id")
                })
                .collect(),
        },
    }
}

fn record(probe: &Probe, plan: &GroupPlan, waited: &Waited) {
    let summary = summarize(probe, waited);
    let previous = probe.records.lock().unwrap().insert(plan.id, summary);
    assert!(previous.is_none(), "group {} waited twice", plan.id);
}

/// `catch_unwind` for a future (what `futures::FutureExt::catch_unwind` does).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// Silences the panics the plans ask for; others print as usual.
fn quiet_planned_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let planned = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("panic "));
            if !planned {
                default(info);
            }
        }));
    });
}

/// Runs one plan on a fresh current-thread runtime with the paused clock, and checks it.
fn check(plan: GroupPlan) -> Result<(), TestCaseError> {
    quiet_planned_panics();
    let mut expected = sim::Records::new();
    let run = sim::group(&plan, 0, sim::INF, None, sim::INF, &mut expected);
    if std::env::var_os("STRESS_STATS").is_some() {
        let what = match &run {
            Err(sim::Tie(why)) => format!(
                "rejected:{}",
                why.split(':').nth(1).unwrap_or("").replace(' ', "_")
            ),
            Ok(run) => format!("{:?}", run.class).chars().take(12).collect(),
        };
        let ties = sim::DEADLINE_TIES.swap(0, Ordering::Relaxed);
        eprintln!("STAT {what} groups={} deadline_ties={ties}", expected.len());
    }
    if let Err(sim::Tie(why)) = run {
        return Err(TestCaseError::reject(why));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let probe = Arc::new(Probe::default());
    let (leftover, yields) = runtime.block_on(async {
        *probe.start.lock().unwrap() = Some(Instant::now());
        let waited = run_group(plan.clone(), probe.clone()).await;
        record(&probe, &plan, &waited);
        // Tasks of groups dropped inside aborted tasks are aborted, and timers of cancelled
        // contexts too: that takes effect when the scheduler next runs them.
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut yields = 0;
        while (metrics.num_alive_tasks() > 0 || probe.async_bodies.load(Ordering::SeqCst) > 0)
            && yields < 10
        {
            tokio::task::yield_now().await;
            yields += 1;
        }
        (metrics.num_alive_tasks(), yields)
    });
    prop_assert_eq!(leftover, 0, "tokio tasks still alive after wait");
    prop_assert!(yields <= 2, "took {} yields to reap aborted tasks", yields);
    prop_assert_eq!(probe.async_bodies.load(Ordering::SeqCst), 0);
    prop_assert_eq!(
        probe.blocking_bodies.load(Ordering::SeqCst),
        0,
        "a blocking task body still runs after wait"
    );
    let observed = probe.records.lock().unwrap().clone();
    for (id, want) in &expected {
        prop_assert_eq!(Some(want), observed.get(id), "group {}", id);
    }
    let extra: Vec<_> = observed
        .keys()
        .filter(|id| !expected.contains_key(id))
        .collect();
    prop_assert!(extra.is_empty(), "unexpected waits: {:?}", extra);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("STRESS_CASES").map_or(192, |n| n.parse().unwrap()),
        max_global_rejects: 4096,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_group_trees(plan in group(TREE, 1, 0..=50).prop_map(number)) {
        check(plan)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3,
        max_global_rejects: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// 10 000 tasks in one group (a few with child groups of their own), durations up to
    /// 1000 s so that instants rarely coincide.
    #[test]
    fn ten_thousand_tasks(plan in group(Weights {
        ok: 6_000, fail: 2, panic: 1, never: 1_500, ignore: 1_500, ignore_fail: 1, cancel: 1,
        block: 8, block_fail: 0, nested: 5, max_ms: 1_000_000,
    }, 1, 10_000..=10_000).prop_map(number)) {
        check(plan)?;
    }
}
