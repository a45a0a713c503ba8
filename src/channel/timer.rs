//! Timer channels, as crossbeam-channel's: [`never()`], [`after`], [`at`] and [`tick`] make
//! receivers whose messages come from the clock, not from senders.
//!
//! Behind each is a [`Timer`] queue: the instant the next message is due (nanoseconds after a
//! base instant, in one atomic, so that receivers on several threads take each message once)
//! and what becomes of it once taken: nothing more (`at`, `after`), or a next message one
//! period after the take (`tick`, so that messages nobody took do not pile up). A timer
//! channel has no `Sender` and never disconnects.
//!
//! A waiting receive sleeps on the channel's `not_empty` event count until the message is
//! due (nobody notifies it: the wait's deadline is the due instant). An async receive that
//! finds its message not yet due has a helper thread sleep until then and wake its task.

use std::fmt;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{Chan, Receiver, RecvError, RecvTimeoutError};
use crate::loom::{Arc, AtomicU64, DataMutex, Ordering};
use crate::Queue;

/// The `next` of a timer with no message to come.
const DONE: u64 = u64::MAX;

/// The queue of a timer channel ([`Flavor::Timer`](super::Flavor)), from [`never()`], [`after`],
/// [`at`] or [`tick`]. As a [`Queue`] it holds at most one message, the instant it became
/// due, once that instant has passed; `try_push` always fails (a timer has no senders).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let rx = wharf::channel::after(Duration::from_millis(5));
/// let fired = rx.recv().unwrap();
/// assert!(fired >= start + Duration::from_millis(5));
/// assert!(Instant::now() >= fired);
/// ```
pub struct Timer<T> {
    base: Instant,
    /// When the next message is due, in nanoseconds after `base`; `DONE` for none.
    next: AtomicU64,
    /// The period of a ticker; `None` for a one-shot timer.
    period: Option<Duration>,
    /// Makes the message from its due instant (the identity, for `Instant`).
    make: fn(Instant) -> T,
    /// What `capacity` reports: 1, or 0 for a timer that never had a message to come.
    capacity: usize,
    /// The tasks of async receives waiting for the next message, and the `next` for which a
    /// helper thread sleeps (shared with that thread).
    sleeper: Arc<DataMutex<Sleeper>>,
}

/// See `Timer::sleeper`.
#[derive(Default)]
struct Sleeper {
    /// The `next` a helper thread sleeps until, if one does.
    armed: Option<u64>,
    wakers: Vec<Waker>,
}

impl<T> Timer<T> {
    /// A timer whose first message is due at `first` (`None`: never), then every `period`.
    fn new(first: Option<Instant>, period: Option<Duration>, make: fn(Instant) -> T) -> Self {
        let now = Instant::now();
        let base = first.map_or(now, |f| f.min(now));
        let next = first.map_or(DONE, |f| nanos(f - base).unwrap_or(DONE));
        Self {
            base,
            next: AtomicU64::new(next),
            period,
            make,
            capacity: usize::from(first.is_some()),
            sleeper: Arc::default(),
        }
    }
}

/// `d` in nanoseconds, if it is below `DONE`.
fn nanos(d: Duration) -> Option<u64> {
    u64::try_from(d.as_nanos()).ok().filter(|&n| n < DONE)
}

impl<T> Timer<T> {
    /// Whether this is a [`never()`] timer (it never had a message to come).
    pub(super) fn is_never(&self) -> bool {
        self.capacity == 0
    }

    /// When the next message is due; `None` if none will come.
    pub(super) fn due(&self) -> Option<Instant> {
        // Acquire: pairs with the take's compare-and-swap, as `take` does (only a guess here).
        match self.next.load(Ordering::Acquire) {
            DONE => None,
            n => Some(self.base + Duration::from_nanos(n)),
        }
    }

    /// Takes the message if it is due.
    fn take(&self) -> Option<T> {
        // Acquire: the compare-and-swap below orders nothing else; the loads only read the
        // one word every taker contends on.
        let mut next = self.next.load(Ordering::Acquire);
        loop {
            if next == DONE {
                return None;
            }
            let due = self.base + Duration::from_nanos(next);
            let now = Instant::now();
            if now < due {
                return None;
            }
            // A ticker's next message is one period after this take; a period too long to
            // count (as `Duration::MAX`) ends it.
            let after = self
                .period
                .and_then(|p| nanos((now - self.base).checked_add(p)?))
                .unwrap_or(DONE);
            // AcqRel: one taker per message; the word is all the state there is.
            match self
                .next
                .compare_exchange(next, after, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some((self.make)(due)),
                Err(seen) => next = seen,
            }
        }
    }

    /// Leaves `waker` to be woken once the next message is due, with a helper thread
    /// sleeping until then unless one already does (a `never` timer keeps no waker: nothing
    /// will come).
    fn wake_when_due(&self, waker: &Waker) {
        // Acquire: as in `due`.
        let next = self.next.load(Ordering::Acquire);
        if next == DONE {
            return;
        }
        let mut sleeper = self.sleeper.lock().unwrap_or_else(|e| e.into_inner());
        if !sleeper.wakers.iter().any(|w| w.will_wake(waker)) {
            sleeper.wakers.push(waker.clone());
        }
        if sleeper.armed.is_some_and(|armed| armed <= next) {
            return; // a helper thread wakes everyone no later than this message is due
        }
        sleeper.armed = Some(next);
        drop(sleeper);
        let due = self.base + Duration::from_nanos(next);
        let shared = self.sleeper.clone();
        std::thread::Builder::new()
            .name("wharf-timer".into())
            .spawn(move || {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let wakers = {
                    let mut sleeper = shared.lock().unwrap_or_else(|e| e.into_inner());
                    if sleeper.armed == Some(next) {
                        sleeper.armed = None;
                    }
                    std::mem::take(&mut sleeper.wakers)
                };
                // Outside the lock: a waker is the executor's code.
                wakers.into_iter().for_each(Waker::wake);
            })
            .expect("wharf: could not spawn the thread of an async timer receive");
    }

    pub(super) fn is_due(&self) -> bool {
        self.due().is_some_and(|due| Instant::now() >= due)
    }
}

impl<T> Queue<T> for Timer<T> {
    /// Always fails: a timer channel has no senders.
    // Cold and out of line: the channels' match over `Flavor` keeps the ring's and the
    // list's arms tight.
    #[cold]
    #[inline(never)]
    fn try_push(&self, value: T) -> Result<(), T> {
        Err(value)
    }
    #[cold]
    #[inline(never)]
    fn try_pop(&self) -> Option<T> {
        self.take()
    }
    /// 1 while a message is due and not yet taken, else 0.
    #[cold]
    fn len(&self) -> usize {
        usize::from(self.is_due())
    }
    #[cold]
    fn is_empty(&self) -> bool {
        !self.is_due()
    }
    /// `Some(1)` (`Some(0)` for [`never()`]), as crossbeam-channel's timers.
    fn capacity(&self) -> Option<usize> {
        Some(self.capacity)
    }
    fn __timer(&self) -> Option<&Timer<T>> {
        Some(self)
    }
}

impl<T> fmt::Debug for Timer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("due", &self.due())
            .field("period", &self.period)
            .finish()
    }
}

/// A receiver that never gets a message and is never disconnected: `recv` waits forever,
/// `recv_timeout` times out. For a `select!`-style loop's arm that is switched off, or a
/// timeout that does not apply.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::channel::RecvTimeoutError;
///
/// let rx = wharf::channel::never::<u32>();
/// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// ```
pub fn never<T>() -> Receiver<T> {
    timer_channel(Timer::new(None, None, |_| {
        unreachable!("a never() timer has no message to make")
    }))
}

/// A receiver that gets one message, the instant `duration` from now, once that instant has
/// passed; it is never disconnected. A `duration` too long to add to now (as
/// `Duration::MAX`) makes a [`never()`] receiver.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let timeout = wharf::channel::after(Duration::from_millis(10));
/// assert!(timeout.try_recv().is_err()); // not yet
/// let fired = timeout.recv().unwrap();
/// assert!(fired >= start + Duration::from_millis(10));
/// assert!(timeout.try_recv().is_err()); // one message only
/// ```
pub fn after(duration: Duration) -> Receiver<Instant> {
    match Instant::now().checked_add(duration) {
        Some(when) => at(when),
        None => never(),
    }
}

/// A receiver that gets one message, `when`, once `when` has passed (at once if it already
/// has); it is never disconnected.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let when = Instant::now() + Duration::from_millis(5);
/// assert_eq!(wharf::channel::at(when).recv(), Ok(when));
/// ```
pub fn at(when: Instant) -> Receiver<Instant> {
    timer_channel(Timer::new(Some(when), None, |due| due))
}

/// A receiver that gets a message every `duration`: the first `duration` from now, each next
/// one `duration` after the previous was taken (so ticks nobody takes do not pile up). Each
/// message is the instant it became due. It is never disconnected. A `duration` too long to
/// add to now makes a [`never()`] receiver.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let ticker = wharf::channel::tick(Duration::from_millis(2));
/// let first = ticker.recv().unwrap();
/// let second = ticker.recv().unwrap();
/// assert!(first >= start + Duration::from_millis(2));
/// assert!(second >= first + Duration::from_millis(2));
/// ```
pub fn tick(duration: Duration) -> Receiver<Instant> {
    match Instant::now().checked_add(duration) {
        Some(first) => timer_channel(Timer::new(Some(first), Some(duration), |due| due)),
        None => never(),
    }
}

/// A channel over `timer` with a receiver only; it counts one sender for good, so it never
/// disconnects.
fn timer_channel<T>(timer: Timer<T>) -> Receiver<T> {
    // The sender the new channel counts has no handle: nothing can drop it.
    Receiver::new(super::new_chan(
        super::Flavor::Timer(timer),
        crate::WaitStrategy::SpinPark,
    ))
}

impl<T, Q: Queue<T>> Chan<T, Q> {
    fn timer(&self) -> &Timer<T> {
        self.queue
            .__timer()
            .expect("only a timer channel takes this path")
    }

    /// A waiting receive on a timer channel: takes the message, or sleeps until it is due
    /// or until `deadline`, whichever comes first, and tries again.
    pub(super) fn recv_timer(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let timer = self.timer();
        loop {
            if let Some(value) = self.queue.try_pop() {
                return Ok(value);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return self.queue.try_pop().ok_or(RecvTimeoutError::Timeout);
            }
            let wake = match (timer.due(), deadline) {
                (Some(due), Some(d)) => Some(due.min(d)),
                (due, d) => due.or(d),
            };
            // Nobody notifies a timer's event count: this sleeps until `wake` (for good if
            // there is none: a `never` receiver without a deadline).
            let _ = self.strategy.wait_for(&self.not_empty, wake, || None::<()>);
        }
    }

    /// One poll of an async receive on a timer channel: the message if it is due, else
    /// `Pending` with the task's waker left with the timer, which has a helper thread wake
    /// it when the message is due.
    pub(super) fn poll_recv_timer(&self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let timer = self.timer();
        if let Some(value) = self.queue.try_pop() {
            return Poll::Ready(Ok(value));
        }
        timer.wake_when_due(cx.waker());
        // A message that came due while the waker was being left: take it now.
        match self.queue.try_pop() {
            Some(value) => Poll::Ready(Ok(value)),
            None => Poll::Pending,
        }
    }
}
