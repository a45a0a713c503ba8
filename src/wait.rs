//! How blocked operations of the blocking layers (channels, broadcast) wait: one loop,
//! shared by every layer, over an [`EventCount`].

use std::task::{Context, Poll};
use std::time::Instant;

use crate::event_count::TaskSlot;
use crate::loom::{spin_loop, yield_now};
use crate::{EventCount, SPIN_ROUNDS, YIELD_ROUNDS};

/// How a blocked operation (a channel's `send` or `recv`, a broadcast `publish` or `recv`)
/// waits.
///
/// # Examples
///
/// ```
/// use wharf::channel::with_queue_and_strategy;
/// use wharf::{ArrayQueue, WaitStrategy};
///
/// let (tx, rx) = with_queue_and_strategy(ArrayQueue::new(16), WaitStrategy::SpinYield);
/// tx.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WaitStrategy {
    /// Busy-spin with a `spin_loop` hint. The lowest wake-up latency when every thread has a
    /// core of its own; collapses when threads outnumber cores. Nobody ever sleeps, so the
    /// other side skips its wake-up check (no fence).
    Spin,
    /// Spin briefly, then `yield_now` between retries. Never sleeps in the kernel; costs a
    /// core while waiting, but gives it up to runnable threads. Like `Spin`, spares the other
    /// side its wake-up check.
    SpinYield,
    /// Spin, yield, then sleep until notified (the default). The right choice unless you
    /// have dedicated cores: idle waiters cost nothing, and an operation with nobody waiting
    /// pays one load (a fence and a load over a capacity-1 ring or a queue of your own) to
    /// find that out. On a broadcast ring (64-bit Linux, x86_64 and aarch64) a publish or
    /// release with nobody waiting pays one load and no fence; instead a thread about to
    /// sleep, or a task at each `Pending` that registers, pays a `membarrier` system call,
    /// which briefly interrupts every CPU running a thread of the process.
    ///
    /// An async task's version of the spin: a future that finds nothing to do returns
    /// `Pending` having woken its own waker, up to 4 times, before it leaves its waker and
    /// waits to be notified; each such poll costs an attempt and a trip through the
    /// executor, never a blocked thread.
    #[default]
    SpinPark,
}

/// Spins of `SpinYield` before it starts yielding.
const SPINS_BEFORE_YIELD: u32 = 100;

/// How many times an unregistered task asks to be polled again before it registers (under
/// `SpinPark`; see `poll_for`). None under loom, whose models need the registration.
const ASYNC_YIELDS: u8 = if cfg!(loom) { 0 } else { 4 };

impl WaitStrategy {
    /// Whether waiters may sleep on the event count, so that progress must be notified.
    #[inline(always)]
    pub(crate) fn parks(self) -> bool {
        self == WaitStrategy::SpinPark
    }

    /// Retries `attempt` until it gives an answer, waiting on `ec` between tries as the
    /// strategy says. Returns `None` if `deadline` passes first (after one last attempt, so
    /// that what arrived with the deadline is still taken).
    pub(crate) fn wait_for<R>(
        self,
        ec: &EventCount,
        deadline: Option<Instant>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let mut spins = 0u32;
        loop {
            if let Some(answer) = attempt() {
                return Some(answer);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return attempt();
            }
            match self {
                WaitStrategy::Spin => spin_loop(),
                WaitStrategy::SpinYield if spins < SPINS_BEFORE_YIELD => {
                    spins += 1;
                    spin_loop();
                }
                WaitStrategy::SpinYield => yield_now(),
                // Poll the condition itself before registering: an unregistered waiter costs
                // the other side nothing (its notify finds no waiter), while a registered one
                // sends every notify down the slow path. Registering at the first miss made
                // the default strategy 2-3x slower than `SpinYield` on busy channels.
                WaitStrategy::SpinPark if spins < SPIN_ROUNDS => {
                    spins += 1;
                    spin_loop();
                }
                WaitStrategy::SpinPark if spins < SPIN_ROUNDS + YIELD_ROUNDS => {
                    spins += 1;
                    yield_now();
                }
                WaitStrategy::SpinPark => {
                    let key = ec.prepare_wait();
                    if let Some(answer) = attempt() {
                        key.cancel();
                        return Some(answer);
                    }
                    match deadline {
                        None => key.wait(),
                        Some(deadline) => {
                            if !key.wait_deadline(deadline) {
                                return attempt();
                            }
                        }
                    }
                }
            }
        }
    }

    /// The async counterpart of [`wait_for`](Self::wait_for): one poll of a future whose
    /// task waits on `ec` through `slot` (see the protocol in `event_count/tasks.rs`).
    ///
    /// A task never spins or blocks its executor's thread. Under `SpinPark` an unregistered
    /// task first asks to be polled again, `ASYNC_YIELDS` times, and then registers its
    /// waker: a message that arrives meanwhile costs neither side the registration, the
    /// notifier's slow path and a wake-up (the async ping-pong's round trip fell from 366 to
    /// 276 ns with 4, `bash benches/ab.sh`), and a task that shares its worker with the one
    /// it waits for lets it run first. Under `Spin` and `SpinYield` nobody notifies (the
    /// other side skips its wake-up check), so the task asks to be polled again every time:
    /// it busy-polls through its executor, which is what those strategies ask for.
    ///
    /// A future that has not registered (its first poll, or every poll of one that never
    /// waited) takes the fast path in line: one attempt, as the blocking calls make, with
    /// nothing to finish. The rest is out of line, so that the fast path stays small.
    #[inline(always)]
    pub(crate) fn poll_for<R>(
        self,
        ec: &EventCount,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut() -> Option<R>,
        still_ready: impl FnOnce() -> bool,
    ) -> Poll<R> {
        let tried = !slot.is_registered();
        if tried {
            // An empty slot holds no notification, so there is nothing to finish or pass on.
            if let Some(answer) = attempt() {
                slot.yields = 0;
                return Poll::Ready(answer);
            }
        }
        self.poll_wait(ec, slot, cx, tried, attempt, still_ready)
    }

    /// The rest of [`poll_for`](Self::poll_for): an attempt if the fast path made none
    /// (`tried` false: the slot is registered), then the registration and its re-check.
    #[inline(never)]
    fn poll_wait<R>(
        self,
        ec: &EventCount,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
        tried: bool,
        mut attempt: impl FnMut() -> Option<R>,
        still_ready: impl FnOnce() -> bool,
    ) -> Poll<R> {
        if !tried {
            if let Some(answer) = attempt() {
                // Passes on a notification it took if `still_ready` (see `finish_task`).
                slot.yields = 0;
                ec.finish_task(slot, false, still_ready);
                return Poll::Ready(answer);
            }
        }
        if !self.parks() || (tried && slot.yields < ASYNC_YIELDS) {
            slot.yields = slot.yields.saturating_add(1);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        ec.register_task(slot, cx.waker());
        if let Some(answer) = attempt() {
            // Passes on a notification it took if `still_ready` (see `finish_task`).
            slot.yields = 0;
            ec.finish_task(slot, false, still_ready);
            return Poll::Ready(answer);
        }
        Poll::Pending
    }
}
