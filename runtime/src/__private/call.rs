//! [`Call`]: the per-call state of a `#[cancellable]` function.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::task::Waker;
use std::time::Duration;

use crate::ambient;
use crate::ctx::{thread_pacer, Registration, UNPACED};
use crate::observe::observed_by;
use crate::testing::cuts_of;
use crate::{Cancelled, Ctx};

/// One per call of a `#[cancellable]` function: where its context comes from, its countdown to
/// the next clock read, and its one registration with the context's waiters (made the first
/// time an `.await` would block, reused by every later `.await` of the same call).
///
/// Entering a call writes nothing another worker writes: a call on the ambient context reads
/// it at every check from the task being polled (borrowed for the check), and a call with a
/// `&Ctx` parameter borrows it. A reference count is taken only when the call first waits (its
/// registration must keep the context alive until it unlinks), where the registration takes a
/// lock anyway. Nor does it read the clock: a context with a deadline paces its checks with
/// the thread's pacer (`ctx/pacer.rs`), whose countdown the call copies.
///
/// Generated code pins it (`let mut __cancellable = pin!(Call::ambient());`): the registration
/// links the call's node into the context's waiter list, so the call must not move while it
/// may be linked. `!Unpin`; everything that registers takes `Pin<&mut Call>`.
///
/// Small on purpose: it is part of every annotated function's future, which its caller moves
/// (a `memcpy` per call once the future is larger than the compiler copies inline).
pub struct Call<'a> {
    source: Source<'a>,
    /// Structurally pinned: never moved out of a pinned call (the methods below only reach
    /// `seed`, `owed`, `lent`, `cleanup` and `parked` mutably, and this by projection). Released
    /// by hand when the call ends (`cleanup`), so that dropping a call that never waited runs
    /// no drop glue: one test (the glue was a call of ~19 instructions per annotated call).
    registration: ManuallyDrop<Registration>,
    /// The countdown the call last took from the thread's pacer (at most `MAX_PERIOD`), which
    /// its loop nests count down from (see [`Pace`]). Zero: the context has no deadline.
    seed: u16,
    /// What the call gives back to the thread's pacer when it ends, if a loop nest took its
    /// countdown (`lent`): the whole first copy (nests do not write their count back, see
    /// [`Pace`]), or nothing once the call has read the clock itself (the thread's countdown
    /// then started again from that read). Counting the first copy whole makes the thread's
    /// next read come sooner, never later; not counting what follows a read lets it come at most
    /// one period later, so two reads are never more than two periods of checks apart.
    owed: u16,
    /// Whether a loop nest took the countdown ([`Call::pace`]).
    lent: bool,
    /// Whether `source` holds a handle of its own, dropped with the call.
    owned: bool,
    /// Whether dropping the call has anything to do: set once any of an owned handle, a
    /// deadline's countdown to give back, a registration or a parked report may need it.
    cleanup: bool,
    /// The `.await` this call last reported blocking at (see [`Call::parked_at`]).
    parked: Option<&'static Location<'static>>,
}

/// Where a call's context comes from: `None`, the ambient context of the task (or thread)
/// running the call, read at each check; or `Some`, the call's context, either a handle of its
/// own (`Call::owned`: a context parameter by value, or any other `AsRef<Ctx>`, since the
/// function may move its parameter away), or a bitwise copy of a borrowed handle that owns no
/// reference count (a `&Ctx` parameter, or the never-cancelled context when there was no
/// ambient context at entry or the call entered a shielded section). One representation for
/// both, so that a loop checkpoint reaches the context's flag in one load, as it did when every
/// call held a handle (a `&Ctx` behind an enum made it 3x slower: 0.7 -> 2.2 ns/iteration).
struct Source<'a> {
    ctx: Option<ManuallyDrop<Ctx>>,
    _borrowed: PhantomData<&'a Ctx>,
}

impl<'a> Source<'a> {
    #[inline(always)]
    fn ambient() -> Source<'a> {
        Source {
            ctx: None,
            _borrowed: PhantomData,
        }
    }

    /// A handle that must not be dropped: the call's `owned` is false.
    #[inline(always)]
    fn borrowed(ctx: &'a Ctx) -> Source<'a> {
        // SAFETY: a bitwise copy of `ctx` that is never dropped (the call's `owned` is false)
        // and is only read through shared references for at most `'a` (`Source<'a>`), during
        // which `ctx`, and so the allocation and the reference count the copy points to, are
        // alive. Cloning it takes a count from that allocation, as cloning `ctx` would.
        let copy = unsafe { std::ptr::read(ctx) };
        Source {
            ctx: Some(ManuallyDrop::new(copy)),
            _borrowed: PhantomData,
        }
    }

    /// A handle that the call drops: its `owned` is true.
    #[inline(always)]
    fn owned(ctx: Ctx) -> Source<'a> {
        Source {
            ctx: Some(ManuallyDrop::new(ctx)),
            _borrowed: PhantomData,
        }
    }

    #[inline(always)]
    fn get(&self) -> CtxRef<'_> {
        match &self.ctx {
            None => CtxRef::Ambient,
            Some(ctx) => CtxRef::Given(ctx),
        }
    }
}

/// A call's context, for the length of one check.
#[derive(Clone, Copy)]
pub(super) enum CtxRef<'a> {
    Ambient,
    Given(&'a Ctx),
}

impl CtxRef<'_> {
    /// Calls `f` with the context (`None`: never cancelled, no ambient context), borrowed for the
    /// call.
    #[inline(always)]
    pub(super) fn with<R>(self, f: impl FnOnce(Option<&Ctx>) -> R) -> R {
        match self {
            CtxRef::Given(ctx) => f(Some(ctx)),
            CtxRef::Ambient => ambient::with(|here| f(here.map(|here| here.ctx()))),
        }
    }

    /// Whether the context's bits are set (cancelled, or not linked to its parent yet): one
    /// load, the fast path of an `.await`; then [`CtxRef::recheck`] tells.
    #[inline(always)]
    pub(super) fn unsettled(self) -> bool {
        match self {
            CtxRef::Given(ctx) => ctx.unsettled(),
            // The task's copy of its context's flag word: one load from its `Here`.
            CtxRef::Ambient => {
                ambient::with(|here| here.is_some_and(|here| here.flags.unsettled()))
            }
        }
    }

    /// Whether the context is cancelled: the flag, and after a wake-up (`woken`) the clock
    /// against its deadline (a deadline due on the same instant as the timer that woke the
    /// task then wins). For an `.await` ([`Call::recheck`]) and a `select!`.
    #[inline]
    pub(super) fn is_cancelled(self, woken: bool) -> bool {
        self.with(|ctx| {
            ctx.is_some_and(|ctx| {
                ctx.flagged()
                    || (woken && ctx.has_deadline() && ctx.expire_if_due(crate::sync::now()))
            })
        })
    }

    /// The context, as a handle of its own: for waits that run other code meanwhile (a blocking
    /// wait polls a future or parks), during which no borrow of the ambient is held. A reference
    /// count, worth it only where the wait costs more.
    pub(super) fn handle(self) -> Ctx {
        self.with(|ctx| ctx.unwrap_or(ambient::root_ref()).clone())
    }

    /// The recorded cancellation: call only once a check said cancelled.
    #[cold]
    pub(super) fn cancelled_error(self) -> Cancelled {
        self.with(|ctx| ctx.unwrap_or(ambient::root_ref()).cancelled_error())
    }

    /// Makes sure `waker` is woken on cancellation, through `registration`; `false` if already
    /// cancelled.
    #[inline]
    fn register(self, mut registration: Pin<&mut Registration>, waker: &Waker) -> bool {
        self.with(|ctx| {
            let Some(ctx) = ctx else {
                return true; // never cancelled: nothing will wake it, nothing to store
            };
            match registration.as_mut().register(ctx, waker) {
                Some(waiting) => waiting,
                None => {
                    // The call now runs on another context than the one it registered with (its
                    // future moved to another task): unlink, and register afresh.
                    registration.as_mut().release();
                    registration.register(ctx, waker).unwrap_or(true)
                }
            }
        })
    }
}

/// The countdown to the next clock read of a nest of loops: the checkpoints of a loop and of the
/// loops inside it count down one local, which the outermost loop takes from its call when it
/// starts ([`Call::pace`]) and the slow path of a checkpoint hands back renewed.
///
/// A local rather than a field of the call, because the call is pinned and its address is
/// passed to code out of line (the checkpoint's slow path, every `.await`): a field is then
/// loaded, decremented and stored at every iteration, a chain through memory from one iteration
/// to the next. With the context-source test that `Call::checkpoint_in` removes, a `&Ctx` loop
/// took 0.84 ns per iteration, 0.41 after (plain: 0.28; `benches/RESULTS.md`, "A loop's
/// countdown in a register"). A local that only goes to the slow path by value stays in a
/// register.
///
/// Not written back when the nest ends (a loop can be left by `break`, `return`, `?` or a
/// labelled `continue` of an outer loop): the call gives the thread's pacer an estimate instead
/// (see `Call::owed`).
#[derive(Clone, Copy, Debug)]
pub struct Pace(u32);

impl Call<'static> {
    /// The state of a call of a function without a context parameter: on the ambient context.
    /// Always inline: out of line, the call and its result's copy were a quarter of its cost.
    #[inline(always)]
    pub fn ambient() -> Call<'static> {
        ambient::with(|here| match here {
            Some(here) if !here.is_shielded() => {
                Call::with(Source::ambient(), false, paced(here.ctx()))
            }
            _ => Call::with(Source::borrowed(ambient::root_ref()), false, false),
        })
    }

    /// [`Call::ambient`] when `exits`, else a call on the never-cancelled root: for an `async`
    /// block spelled `Result<_, E>` whose `E` has no `From<Cancelled>` (see `exit_err.rs`),
    /// whose checks must then never fail.
    #[inline(always)]
    pub fn ambient_if(exits: bool) -> Call<'static> {
        if exits {
            Call::ambient()
        } else {
            Call::with(Source::borrowed(ambient::root_ref()), false, false)
        }
    }

    /// The state of a call of a function with a context parameter that is not a shared
    /// reference (`ctx: Ctx`, or any `AsRef<Ctx>`): a handle of its own, so that the function
    /// can move its parameter.
    #[inline]
    pub fn new<C: AsRef<Ctx>>(ctx: &C) -> Call<'static> {
        let ctx = ctx.as_ref().clone();
        let paced = paced(&ctx);
        Call::with(Source::owned(ctx), true, paced)
    }
}

impl<'a> Call<'a> {
    /// The state of a call of a function with a `&Ctx` parameter (or `&C`, `C: AsRef<Ctx>`):
    /// the context borrowed for the call.
    #[inline]
    pub fn borrowed<C: AsRef<Ctx> + ?Sized>(ctx: &'a C) -> Call<'a> {
        let ctx = ctx.as_ref();
        Call::with(Source::borrowed(ctx), false, paced(ctx))
    }

    /// The one place a call is made: from where its context comes, whether the call owns it,
    /// and whether its checks read the clock (then they start from the thread's countdown).
    #[inline(always)]
    fn with(source: Source<'a>, owned: bool, paced: bool) -> Call<'a> {
        let seed = if paced { thread_pacer::seed() } else { 0 };
        Call {
            source,
            registration: ManuallyDrop::new(Registration::new()),
            seed,
            owed: seed,
            lent: false,
            owned,
            cleanup: owned || paced,
            parked: None,
        }
    }

    /// The context this call checks, for the length of a check.
    #[inline(always)]
    pub(super) fn ctx(&self) -> CtxRef<'_> {
        self.source.get()
    }

    /// The countdown for a nest of loops, taken when its outermost loop starts (generated code:
    /// `let mut __cancellable_pace = __cancellable.as_mut().pace();` before the loop). See
    /// [`Pace`] for why it is not kept in the call.
    #[inline(always)]
    pub fn pace(self: Pin<&mut Self>) -> Pace {
        // SAFETY: only `lent` is written: `registration` does not move.
        let this = unsafe { self.get_unchecked_mut() };
        if this.seed == 0 {
            return Pace(UNPACED);
        }
        // Each nest gets the call's last copy whole (see `owed`).
        this.lent = true;
        Pace(u32::from(this.seed))
    }

    /// A loop checkpoint: `Err` once the context is cancelled or its deadline has passed.
    /// Fast path: the nest's countdown, in a register, and one atomic load. The caller's
    /// location (the user's loop keyword: the call is spanned there) only travels to the slow
    /// path.
    #[inline(always)]
    #[track_caller]
    pub fn checkpoint(self: Pin<&mut Self>, pace: &mut Pace) -> Result<(), Cancelled> {
        // SAFETY: only `seed` and `owed` are written (by `checkpoint_slow`): `registration`
        // does not move.
        let this = unsafe { self.get_unchecked_mut() };
        let unsettled = |this: &Self| match &this.source.ctx {
            Some(ctx) => ctx.unsettled(),
            None => CtxRef::Ambient.unsettled(),
        };
        this.check(pace, unsettled, Location::caller())
    }

    /// [`Call::checkpoint`] of a call on a `&Ctx` parameter, given that context again (the
    /// generated code keeps it in a local of its own, `ctx_of`): the test reaches its flag
    /// without asking the call where its context comes from, a load and a branch per iteration
    /// (~0.15-0.25 ns of a tight loop's ~0.3).
    #[inline(always)]
    #[track_caller]
    pub fn checkpoint_in(
        self: Pin<&mut Self>,
        ctx: &Ctx,
        pace: &mut Pace,
    ) -> Result<(), Cancelled> {
        // SAFETY: as in `checkpoint`.
        let this = unsafe { self.get_unchecked_mut() };
        this.check(pace, |_| ctx.unsettled(), Location::caller())
    }

    /// The checkpoint's fast path: two plain tests, the clock countdown and the context's bits
    /// (zero while it runs and is linked: see `Ctx::unsettled`), each branching to the slow path
    /// on its own (one branch on a flag computed from both ran slower, and took more
    /// instructions: 18 per iteration instead of 15).
    #[inline(always)]
    fn check(
        &mut self,
        pace: &mut Pace,
        unsettled: impl FnOnce(&Self) -> bool,
        at: &'static Location<'static>,
    ) -> Result<(), Cancelled> {
        pace.0 -= 1;
        if pace.0 == 0 || unsettled(self) {
            // The countdown goes in and out by value: passed by reference, it would be kept in
            // memory for the whole loop.
            *pace = self.checkpoint_slow(pace.0, at)?;
        }
        Ok(())
    }

    /// A checkpoint whose countdown ran out (`left` is zero: the clock is due) or whose context's
    /// bits are set. `Ok` with the nest's next countdown.
    #[cold]
    #[inline(never)]
    fn checkpoint_slow(
        &mut self,
        left: u32,
        at: &'static Location<'static>,
    ) -> Result<Pace, Cancelled> {
        let tick = left == 0;
        let (source, seed, owed) = (self.source.get(), &mut self.seed, &mut self.owed);
        // Whatever the outcome, a countdown that ran out starts again (never below one: a
        // check after an `Err` must not underflow it); else it goes on.
        let mut next = left;
        let cancelled = source.with(|ctx| {
            let Some(ctx) = ctx else {
                if tick {
                    next = UNPACED;
                }
                return false;
            };
            if let Some(cuts) = cuts_of(ctx) {
                // Every checkpoint comes here (a countdown of 1); one not yet cancelled is a
                // cancellation point of the test.
                (next, *seed, *owed) = (1, 1, 0);
                return ctx.flagged() || cuts.reached(at) || ctx.cancelled_now();
            }
            if ctx.flagged() {
                if tick {
                    next = 1;
                }
                return true;
            }
            if !tick {
                // Unsettled but not cancelled: a context not linked to its parent yet, whose
                // check looked at the parent (and, checked often, links it). No clock read due.
                return false;
            }
            if *seed == 0 {
                // Four billion checks without a deadline: start again.
                next = UNPACED;
                return false;
            }
            // The checks of the copy count for the thread, whose pacer reads the clock and sets
            // the pace from here on; the nest goes on with the new copy (see `owed`).
            thread_pacer::used(*seed);
            let (now, period) = thread_pacer::now();
            (next, *seed, *owed) = (u32::from(period), period, 0);
            ctx.expire_if_due(now)
        });
        if cancelled {
            Err(self.stop_here(at))
        } else {
            Ok(Pace(next))
        }
    }

    /// `std::thread::sleep` in a `#[cancellable]` blocking function: sleeps, or returns the
    /// cancellation as soon as it happens.
    #[track_caller]
    pub fn sleep_blocking(&self, duration: Duration) -> Result<(), Cancelled> {
        let at = Location::caller();
        self.ctx().with(|ctx| match ctx {
            Some(ctx) => crate::sleep::sleep_blocking_in(ctx, duration, at),
            None => {
                std::thread::sleep(duration);
                Ok(())
            }
        })
    }

    /// The context and the registration, apart: a `select!` shares the one among its branches
    /// and lends the other to its cancellation branch.
    #[inline]
    pub(super) fn split(self: Pin<&mut Self>) -> (CtxRef<'_>, Registering<'_>) {
        // SAFETY: `registration` is projected pinned and never moved; `source` is only read.
        let this = unsafe { self.get_unchecked_mut() };
        // Whoever splits may register: the drop must release the registration.
        this.cleanup = true;
        let ctx = this.source.get();
        // SAFETY: a structural projection of a pinned field.
        let registration = unsafe { Pin::new_unchecked(&mut *this.registration) };
        (ctx, Registering { ctx, registration })
    }

    /// The `.await` at `at` has blocked: tells the group where its task waits, if that is not
    /// where this call last said it was (a pointer comparison on the blocking path; the report,
    /// a lock, once per place).
    #[inline]
    pub(super) fn parked_at(self: Pin<&mut Self>, at: &'static Location<'static>) {
        // SAFETY: only `parked` is written: `registration` does not move.
        let this = unsafe { self.get_unchecked_mut() };
        // By address: `Location`'s `==` compares the file names.
        if !this.parked.is_some_and(|parked| std::ptr::eq(parked, at)) {
            this.report_parked(at);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_parked(&mut self, at: &'static Location<'static>) {
        self.parked = Some(at);
        self.cleanup = true;
        let call = std::ptr::from_ref(self) as usize;
        ambient::with_here(|task| task.shields().parked.park(task.index(), call, at));
    }

    /// Whether the context is cancelled: the flag, and after a wake-up (`woken`) the clock
    /// against its deadline. The error, observed at `at` ([`Call::stop`]), if so. Out of line:
    /// the caller's fast path is [`CtxRef::unsettled`].
    #[inline(never)]
    pub(super) fn recheck(
        self: Pin<&mut Self>,
        woken: bool,
        at: &'static Location<'static>,
    ) -> Option<Cancelled> {
        if self.ctx().is_cancelled(woken) {
            Some(self.stop(at))
        } else {
            None
        }
    }

    /// The cancellation this call returns at `at`, observed: where its task stopped goes to the
    /// group, and the report of where it waited, if it made one, is cleared in the same lock (see
    /// `observe::observed_by`): the call returns now, and its drop has nothing left to clear.
    #[cold]
    #[inline(never)]
    pub(super) fn stop(self: Pin<&mut Self>, at: &'static Location<'static>) -> Cancelled {
        // SAFETY: only `parked` is written: `registration` does not move. (Worth its `unsafe`:
        // the lock the call's drop no longer takes is 77 of the ~1,950 instructions a task
        // cancelled while parked costs; benches/RESULTS.md.)
        let this = unsafe { self.get_unchecked_mut() };
        this.stop_here(at)
    }

    /// [`Call::stop`], unpinned (for `checkpoint_slow`, which has the call by `&mut`).
    fn stop_here(&mut self, at: &'static Location<'static>) -> Cancelled {
        let leaving = self
            .parked
            .take()
            .map(|_| std::ptr::from_ref(self) as usize);
        let cancelled = self.source.get().cancelled_error();
        observed_by(cancelled, at, leaving)
    }

    /// The `.await` at `at` has blocked: registers `waker` to be woken on cancellation and
    /// tells the group where the task waits; the cancellation if it came first. Out of line, and
    /// not generic: the `.await`'s fast path (a ready future) stays small enough to inline.
    #[inline(never)]
    pub(super) fn park(
        mut self: Pin<&mut Self>,
        waker: &Waker,
        at: &'static Location<'static>,
    ) -> Option<Cancelled> {
        if self.as_mut().register(waker) {
            self.parked_at(at);
            None
        } else {
            Some(self.stop(at))
        }
    }

    /// Makes sure `waker` is woken on cancellation; `false` if already cancelled.
    #[inline]
    pub(super) fn register(self: Pin<&mut Self>, waker: &Waker) -> bool {
        let (ctx, registering) = self.split();
        ctx.register(registering.registration, waker)
    }
}

/// The context of a `&Ctx` parameter (`&C`, `C: AsRef<Ctx>`), which generated code keeps in a
/// local of its own for [`Call::checkpoint_in`] (the parameter itself may be shadowed).
#[inline(always)]
pub fn ctx_of<C: AsRef<Ctx> + ?Sized>(ctx: &C) -> &Ctx {
    ctx.as_ref()
}

/// Whether a call on `ctx` reads the clock at its checkpoints.
#[inline(always)]
fn paced(ctx: &Ctx) -> bool {
    ctx.has_deadline() || cuts_of(ctx).is_some()
}

/// A [`Call`]'s registration, lent by [`Call::split`] to a `select!`'s cancellation branch.
pub(super) struct Registering<'a> {
    ctx: CtxRef<'a>,
    registration: Pin<&'a mut Registration>,
}

impl Registering<'_> {
    /// See [`Call::register`].
    #[inline]
    pub(super) fn register(&mut self, waker: &Waker) -> bool {
        self.ctx.register(self.registration.as_mut(), waker)
    }
}

impl Drop for Call<'_> {
    // Always inline, one test: most calls own nothing, have no deadline and never wait.
    #[inline(always)]
    fn drop(&mut self) {
        if self.cleanup {
            self.clean_up();
        }
    }
}

impl Call<'_> {
    /// What dropping the call has to do, out of line.
    #[inline(never)]
    fn clean_up(&mut self) {
        if self.parked.is_some() {
            self.leave_parked();
        }
        // SAFETY: `drop` runs in place: the registration is where it was pinned.
        unsafe { Pin::new_unchecked(&mut *self.registration) }.release();
        if self.lent {
            // The checks this call's loops made count for the thread's next clock read (see
            // `owed`).
            thread_pacer::used(self.owed);
        }
        if self.owned {
            if let Some(ctx) = &mut self.source.ctx {
                // SAFETY: the call's own handle (`owned`), dropped once, here (from `drop`).
                unsafe { ManuallyDrop::drop(ctx) }
            }
        }
    }

    /// Reported where it waited: the call is over, the task waits elsewhere now.
    #[cold]
    #[inline(never)]
    fn leave_parked(&mut self) {
        let call = std::ptr::from_ref(self) as usize;
        ambient::with_here(|task| task.shields().parked.leave(task.index(), call));
    }
}

impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match (&self.source.ctx, self.owned) {
            (None, _) => "ambient",
            (Some(_), false) => "borrowed",
            (Some(_), true) => "owned",
        };
        f.debug_struct("Call")
            .field("ctx", &source)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    /// Generated code may hold a `&Call` across an `.await` of a future that must be `Send`.
    #[test]
    fn a_call_is_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Call<'static>>();
    }

    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake};

    use super::*;
    use crate::__private::race;
    use crate::ambient::{Ambient, Here, Member};

    fn ambient(ctx: &Ctx) -> Ambient {
        Ambient {
            ctx: ctx.clone(),
            member: Member::new("test"),
        }
    }

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(std::sync::atomic::AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn entering_and_checking_takes_no_reference_count() {
        let ctx = Ctx::new().with_timeout(Duration::from_secs(3600));
        let task = ambient(&ctx);
        let before = ctx.handles();
        ambient::set(&Here::of(&task), || {
            let mut call = pin!(Call::ambient());
            let mut pace = call.as_mut().pace();
            for _ in 0..100 {
                call.as_mut().checkpoint(&mut pace).unwrap();
            }
            assert_eq!(ctx.handles(), before, "ambient: borrowed at each check");
        });
        let mut call = pin!(Call::borrowed(&ctx));
        call.as_mut().checkpoint(&mut Pace(1)).unwrap();
        assert_eq!(
            ctx.handles(),
            before,
            "a `&Ctx` parameter: borrowed for the call"
        );
        // Outside any task: the never-cancelled context, borrowed too.
        let root = ambient::root_ref();
        let root_before = root.handles();
        let mut call = pin!(Call::ambient());
        call.as_mut().checkpoint(&mut Pace(1)).unwrap();
        assert_eq!(root.handles(), root_before);
    }

    #[test]
    fn a_parked_call_holds_its_context_until_it_ends() {
        let ctx = Ctx::new();
        let task = ambient(&ctx);
        let before = ctx.handles();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        ambient::set(&Here::of(&task), || {
            let mut call = pin!(Call::ambient());
            {
                let mut pending = pin!(race(std::future::pending::<()>(), call.as_mut()));
                let polled = pending.as_mut().poll(&mut Context::from_waker(&waker));
                assert!(polled.is_pending());
            }
            assert_eq!(ctx.handles(), before + 1, "registered: one handle, held");
            assert_eq!(ctx.waiter_count(), 1);
        });
        assert_eq!(ctx.handles(), before, "given back when the call ends");
        assert_eq!(ctx.waiter_count(), 0);
    }

    #[test]
    fn a_call_polled_by_another_task_follows_that_tasks_context() {
        let (a, b) = (Ctx::new(), Ctx::new());
        let (task_a, task_b) = (ambient(&a), ambient(&b));
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut call = Box::pin(ambient::set(&Here::of(&task_a), Call::ambient));
        let mut poll_in = |task: &Ambient| {
            ambient::set(&Here::of(task), || {
                let mut pending = pin!(race(std::future::pending::<()>(), call.as_mut()));
                pending.as_mut().poll(&mut cx)
            })
        };
        assert!(poll_in(&task_a).is_pending());
        assert_eq!((a.waiter_count(), b.waiter_count()), (1, 0));
        // Its future moved to a task on `b`: it registers there, and leaves `a`'s list.
        assert!(poll_in(&task_b).is_pending());
        assert_eq!((a.waiter_count(), b.waiter_count()), (0, 1));
        a.cancel();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        b.cancel();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        match poll_in(&task_b) {
            Poll::Ready(Err(cancelled)) => assert!(!cancelled.is_deadline_exceeded()),
            other => panic!("expected the cancellation, got {other:?}"),
        }
    }

    #[test]
    fn a_shielded_call_is_on_the_never_cancelled_context() {
        let ctx = Ctx::new();
        ctx.cancel();
        let task = ambient(&ctx);
        ambient::set(&Here::of(&task), || {
            let _shield = crate::ShieldGuard::enter();
            let mut call = pin!(Call::ambient());
            let mut pace = call.as_mut().pace();
            assert!(call.as_mut().checkpoint(&mut pace).is_ok());
        });
        ambient::set(&Here::of(&task), || {
            let mut call = pin!(Call::ambient());
            let mut pace = call.as_mut().pace();
            assert!(call.as_mut().checkpoint(&mut pace).is_err());
        });
    }

    /// Makes the thread's pacer read the clock as rarely as it can: many checks, no time passing.
    fn fast_pace() {
        let far = Ctx::new().with_timeout(Duration::from_secs(3600));
        (0..10_000).for_each(|_| assert!(!far.is_cancelled()));
    }

    /// A loop nest's countdown is not written back to its call (see `Pace`): the call gives the
    /// thread an estimate. Neither way round may it make every call read the clock: short calls
    /// (a loop of 5 each) on a context with a deadline read it about once per period of checks
    /// (at most 1,024), not once per call, before or after one of them read it.
    /// (On the paused clock: the pacer's period follows the time between reads, and under Miri a
    /// check takes long enough in real time that every check would read the clock, rightly.)
    #[tokio::test(start_paused = true)]
    async fn short_calls_read_the_clock_every_so_often_not_every_time() {
        use crate::ctx::pacer::MAX_PERIOD;

        let ctx = Ctx::new().with_timeout(Duration::from_secs(3600));
        fast_pace();
        // Fewer under Miri (~1000x slower): still a few periods of checks.
        let calls = if cfg!(miri) { 2_000 } else { 10_000u64 };
        let before = thread_pacer::reads();
        for _ in 0..calls {
            let mut call = pin!(Call::borrowed(&ctx));
            let mut pace = call.as_mut().pace();
            for _ in 0..5 {
                call.as_mut().checkpoint(&mut pace).unwrap();
            }
        }
        let reads = thread_pacer::reads() - before;
        // Each call counts 8 checks of its copy (its first 8): about one read per 128 calls
        // once the thread's period is full (half that, at least); far fewer than one per call.
        assert!(
            reads >= calls * 8 / u64::from(MAX_PERIOD) / 2,
            "{reads} reads"
        );
        assert!(reads <= calls / 16, "{reads} reads for {calls} calls");
    }

    /// A call does not read the clock when it enters, nor at its first check: it copies the
    /// thread's countdown (capped at `FIRST_READ_WITHIN`). A deadline that passed before the
    /// call, unnoticed, stops it within that many checks; and a stream of short calls uses the
    /// thread's countdown up as one loop would, so it notices too.
    #[tokio::test(start_paused = true)]
    async fn a_call_reads_the_clock_within_its_first_checks_not_at_entry() {
        use crate::ctx::pacer::{FIRST_READ_WITHIN, MAX_PERIOD};

        fast_pace();
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        // The deadline passes; nothing is armed to notice it (no waiter, paused clock).
        tokio::time::advance(Duration::from_secs(2)).await;
        {
            let mut call = pin!(Call::borrowed(&ctx));
            let mut pace = call.as_mut().pace();
            assert!(
                call.as_mut().checkpoint(&mut pace).is_ok(),
                "the first check reads no clock"
            );
            assert!(
                (1..FIRST_READ_WITHIN).any(|_| call.as_mut().checkpoint(&mut pace).is_err()),
                "stopped within the first read's cap"
            );
        }

        // Short calls of two checks each, on a fresh context whose deadline has passed: each
        // copies what the ones before it left, so one of them reads the clock, as a loop would.
        fast_pace();
        let ctx = Ctx::new().with_timeout(Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        let stopped = (0..MAX_PERIOD).position(|_| {
            let mut call = pin!(Call::borrowed(&ctx));
            let mut pace = call.as_mut().pace();
            call.as_mut().checkpoint(&mut pace).is_err()
                || call.as_mut().checkpoint(&mut pace).is_err()
        });
        assert!(
            stopped.is_some_and(|calls| calls > 0),
            "a stream of short calls reads the clock, and the first does not: {stopped:?}"
        );
    }
}
