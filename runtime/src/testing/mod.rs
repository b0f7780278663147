//! Cancellation tests: run a test body again and again, cancelling it at its 1st, 2nd, … k-th
//! cancellation point, until a run completes uncancelled, and check your invariants after each
//! run. Behind the `testing` feature (enable it in `[dev-dependencies]` only); without the
//! feature this module does not exist and the checkpoints compile exactly as before.
//!
//! A *cancellation point* is a place where a cancellation can land: a loop iteration or an
//! `.await` of a `#[cancellable]` function (an `.await` counts once, before its future is first
//! polled), a `std::thread::sleep` in a blocking one, or a [`Ctx::check`] call. Shielded code
//! (`#[shield]`, [`shield`](crate::shield)) has none.
//!
//! How: the body runs under a test context (ambient, so every `#[cancellable]` function without a
//! context parameter sees it, and so does every context and group derived from it). That context
//! sends each of its checkpoints to the slow path, where a countdown cancels the context at the
//! k-th point reached (cause [`Cause::Cancelled`](crate::Cause::Cancelled), reason
//! "autocancel::testing cut at cancellation point #k"). Run k cuts at point k. The count is
//! deterministic as long as the body is: under `#[tokio::test(start_paused = true)]` timers
//! fire in a fixed order, and on a current-thread runtime tasks run in a fixed order.
//!
//! ```
//! use autocancel::{testing, Cancelled, Ctx};
//! use std::sync::{Arc, Mutex};
//!
//! // Moves every record from `from` to `to`, with a cancellation point between the take and
//! // the put (as an `.await` of a `#[cancellable]` function would be).
//! fn move_all(from: &Mutex<Vec<u32>>, to: &Mutex<Vec<u32>>) -> Result<(), Cancelled> {
//!     while let Some(record) = from.lock().unwrap().pop() {
//!         Ctx::current().check()?; // cut here: the record is in neither store
//!         to.lock().unwrap().push(record);
//!     }
//!     Ok(())
//! }
//!
//! let report = testing::cut_everywhere_blocking(
//!     || {
//!         let stores = Arc::new((Mutex::new(vec![1, 2, 3]), Mutex::new(vec![])));
//!         let _ = move_all(&stores.0, &stores.1); // cut or not
//!         stores
//!     },
//!     |stores| {
//!         let total = stores.0.lock().unwrap().len() + stores.1.lock().unwrap().len();
//!         assert_eq!(total, 3, "a record was lost");
//!     },
//! );
//! assert_eq!(report.runs().len(), 4); // cut at each of the 3 checks, then one uncancelled run
//! assert_eq!(report.broken().count(), 3);
//! println!("{report}"); // each run: where it was cut, and what broke
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) use crate::ctx::Cuts;

use crate::Ctx;

/// The most runs [`cut_everywhere`] and [`cut_everywhere_blocking`] make before giving up on a
/// body that never completes uncancelled (see [`CutTest::max_runs`]).
pub const DEFAULT_MAX_RUNS: usize = 10_000;

/// [`CutTest::run`] with the default settings.
pub async fn cut_everywhere<B, F, C>(body: B, check: C) -> CutReport
where
    B: FnMut() -> F,
    F: Future,
    C: FnMut(F::Output),
{
    CutTest::new().run(body, check).await
}

/// [`CutTest::run_blocking`] with the default settings.
pub fn cut_everywhere_blocking<B, R, C>(body: B, check: C) -> CutReport
where
    B: FnMut() -> R,
    C: FnMut(R),
{
    CutTest::new().run_blocking(body, check)
}

/// A cancellation test's settings.
#[derive(Clone, Debug)]
pub struct CutTest {
    max_runs: usize,
}

impl Default for CutTest {
    fn default() -> CutTest {
        CutTest::new()
    }
}

impl CutTest {
    /// At most [`DEFAULT_MAX_RUNS`] runs.
    pub fn new() -> CutTest {
        CutTest {
            max_runs: DEFAULT_MAX_RUNS,
        }
    }

    /// Gives up after `runs` runs (at least one): a body that loops until cancelled never
    /// completes uncancelled. The report then says it is [incomplete](CutReport::is_complete).
    pub fn max_runs(mut self, runs: usize) -> CutTest {
        self.max_runs = runs.max(1);
        self
    }

    /// Runs `body()` under a test context cut at its 1st cancellation point, then again cut at
    /// its 2nd, and so on, until a run reaches fewer cancellation points than the one it was to
    /// be cut at: that run completed uncancelled, and is the last. After every run, `check` gets
    /// what the body returned, and asserts your invariants (a panic in `check`, or in the body,
    /// marks the run as broken; the next run goes on).
    ///
    /// Each call of `body` must start from a fresh state (build it inside `body`, and return
    /// what `check` needs to look at).
    pub async fn run<B, F, C>(&self, mut body: B, mut check: C) -> CutReport
    where
        B: FnMut() -> F,
        F: Future,
        C: FnMut(F::Output),
    {
        let mut report = CutReport::default();
        for target in 1..=self.max_runs {
            let ctx = Cuts::root(target);
            let output = CatchUnwind {
                fut: Some(ctx.scope(body())),
            }
            .await;
            if report.record(&ctx, target, output, &mut check) {
                break;
            }
        }
        report
    }

    /// [`CutTest::run`] for a blocking body, run on this thread with the test context ambient
    /// (as [`Group::spawn_blocking`](crate::Group::spawn_blocking) would).
    pub fn run_blocking<B, R, C>(&self, mut body: B, mut check: C) -> CutReport
    where
        B: FnMut() -> R,
        C: FnMut(R),
    {
        let mut report = CutReport::default();
        for target in 1..=self.max_runs {
            let ctx = Cuts::root(target);
            let output = {
                let _ambient = ctx.enter();
                panic::catch_unwind(AssertUnwindSafe(&mut body))
            };
            if report.record(&ctx, target, output, &mut check) {
                break;
            }
        }
        report
    }
}

/// What a cancellation test found: one [`CutRun`] per run, in order.
#[derive(Clone, Debug, Default)]
pub struct CutReport {
    runs: Vec<CutRun>,
    complete: bool,
}

/// One run of a cancellation test.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CutRun {
    /// Where this run was cut, or `None` for the last run, which completed uncancelled.
    pub cut: Option<CutPoint>,
    /// The panic message if the body or `check` panicked in this run: an invariant broken by a
    /// cancellation at `cut`.
    pub broken: Option<String>,
}

/// A cancellation point, as a cancellation test reached it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CutPoint {
    /// Its rank in the run: the body reached it `ordinal`-th (from 1).
    pub ordinal: usize,
    /// The loop keyword, `.await`, sleep or `check()` call in your code.
    pub location: &'static Location<'static>,
}

impl CutReport {
    /// Every run, in order: run k was cut at cancellation point k, the last one (if the report
    /// [is complete](CutReport::is_complete)) was not cut.
    pub fn runs(&self) -> &[CutRun] {
        &self.runs
    }

    /// Every cancellation point exercised, in the order the body reaches them.
    pub fn points(&self) -> impl Iterator<Item = CutPoint> + '_ {
        self.runs.iter().filter_map(|run| run.cut)
    }

    /// The runs that broke an invariant.
    pub fn broken(&self) -> impl Iterator<Item = &CutRun> + '_ {
        self.runs.iter().filter(|run| run.broken.is_some())
    }

    /// Whether a run completed uncancelled (else the test stopped at its run limit).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether every run kept the invariants and a run completed uncancelled.
    pub fn is_ok(&self) -> bool {
        self.complete && self.broken().next().is_none()
    }

    /// Panics, printing the report, unless [`is_ok`](CutReport::is_ok).
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "cancellation test failed:\n{self}");
    }

    /// Records one run; true if it was the last (it completed uncancelled).
    fn record<R, C: FnMut(R)>(
        &mut self,
        ctx: &Ctx,
        target: usize,
        output: Result<R, Box<dyn Any + Send>>,
        check: &mut C,
    ) -> bool {
        let points = cuts_of(ctx).map_or_else(Vec::new, Cuts::points);
        let cut = points.get(target - 1).map(|&location| CutPoint {
            ordinal: target,
            location,
        });
        let broken = match output {
            Err(payload) => Some(format!("the body panicked: {}", message(&*payload))),
            Ok(output) => panic::catch_unwind(AssertUnwindSafe(|| check(output)))
                .err()
                .map(|payload| message(&*payload).to_owned()),
        };
        self.runs.push(CutRun { cut, broken });
        self.complete = cut.is_none();
        self.complete
    }
}

impl fmt::Display for CutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let broken = self.broken().count();
        write!(
            f,
            "{} runs, cut at {} cancellation points, {broken} broken",
            self.runs.len(),
            self.points().count()
        )?;
        if !self.complete {
            write!(f, " (incomplete: no run finished uncancelled)")?;
        }
        for (i, run) in self.runs.iter().enumerate() {
            write!(f, "\n  run {}: ", i + 1)?;
            match run.cut {
                Some(cut) => write!(f, "cut at {} (point #{})", cut.location, cut.ordinal)?,
                None => write!(f, "not cut")?,
            }
            match &run.broken {
                Some(why) => write!(f, ": BROKEN: {}", why.replace('\n', "\n      "))?,
                None => write!(f, ": ok")?,
            }
        }
        Ok(())
    }
}

/// The cancellation test this context belongs to, if any.
#[inline(always)]
pub(crate) fn cuts_of(ctx: &Ctx) -> Option<&Cuts> {
    ctx.cuts()
}

/// The message of a panic payload, as `std` prints it.
fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

pin_project_lite::pin_project! {
    /// Catches a panic of the body's `poll`, so that one broken run does not end the test.
    struct CatchUnwind<F> {
        #[pin]
        fut: Option<F>,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.project().fut;
        let Some(fut) = slot.as_mut().as_pin_mut() else {
            return Poll::Pending; // polled after completion: never (awaited once, above)
        };
        match panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => {
                slot.set(None);
                Poll::Ready(Err(payload))
            }
        }
    }
}
