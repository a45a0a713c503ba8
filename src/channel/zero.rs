//! Rendezvous channels ([`bounded`](super::bounded)`(0)`): no buffer; a value passes from a
//! sender to a receiver directly.
//!
//! # How a hand-off works
//!
//! The state behind one lock is a line of *offers*, oldest first, and the number of *takers*:
//! receivers inside a waiting receive that found no offer and now wait for one.
//!
//! - A waiting `send` that finds more takers than offers *gives* its value (an offer nobody
//!   waits on) and returns at once: one of those takers will take it. Otherwise it offers its
//!   value with a ticket and waits until the offer is taken; on a timeout or a disconnect it
//!   takes the offer back (*retracts* it) if it still can, else it was received in time.
//! - `try_send` gives, or fails with `Full`: it never waits for a take.
//! - A receive takes the oldest offer, given or waiting. A waiting receive that finds none
//!   joins the takers and waits; it leaves them only by taking an offer or, with none in
//!   line, on its timeout or the disconnect.
//!
//! Why no given value is stranded: a value is given only while the takers outnumber the
//! offers, so the `k`-th offer in line, when given, has at least `k` takers. Every take is
//! of the oldest offer, and a taker leaves without taking only when no offer is in line, so
//! "the offers up to a given one number no more than the takers" holds until it is taken.
//! (The one exception: an async receive's future dropped while it is a taker; its given
//! value stays in line for the next receive, and is dropped with the channel if none
//! comes.)
//!
//! Waiting goes through the channel's event counts, as for any other queue: receivers on
//! `not_empty` for an offer, senders on `not_full` for a take or a taker. A take or a new
//! taker wakes every waiting sender (`notify_all`), since only one of them, unknown to the
//! notifier, owns the offer that was taken.
//!
//! Three mirrors of the state, written under the lock, let the spinning phase of a wait
//! check without taking it: the ticket at the front of the line, its length and the number
//! of takers. They are hints, exact for the one question each answers (see their uses).

use std::collections::VecDeque;
use std::fmt;

use std::time::Instant;

use super::{Chan, RecvError, RecvTimeoutError, SendTimeoutError};
use crate::loom::{AtomicU64, AtomicUsize, DataMutex, Ordering};
use crate::Queue;

/// The ticket the front mirror holds when no offer is in line.
const NO_OFFER: u64 = u64::MAX;

/// The hand-off state of a rendezvous channel, the queue of [`Flavor::Zero`](super::Flavor).
///
/// [`bounded`](super::bounded)`(0)` makes one; [`Rendezvous::new`] makes one for
/// [`with_queue_and_strategy`](super::with_queue_and_strategy). Used as a bare [`Queue`], it
/// holds nothing: `try_push` succeeds only while a receiver is waiting for a
/// value, and `try_pop` only while a sender is waiting with one; `len` is always 0, and
/// `capacity` is `Some(0)`.
///
/// # Examples
///
/// ```
/// use std::thread;
///
/// let (tx, rx) = wharf::channel::bounded(0);
/// assert!(tx.try_send(1).unwrap_err().is_full()); // nobody is receiving
/// let t = thread::spawn(move || tx.send(2)); // waits until received
/// assert_eq!(rx.recv(), Ok(2));
/// t.join().unwrap().unwrap();
/// ```
pub struct Rendezvous<T> {
    state: DataMutex<State<T>>,
    /// Mirror of the front offer's ticket (`NO_OFFER` for none).
    front: AtomicU64,
    /// Mirror of the number of offers in line.
    offered: AtomicUsize,
    /// Mirror of the number of takers.
    takers: AtomicUsize,
}

struct State<T> {
    /// Offers, oldest first; tickets increase along the line.
    offers: VecDeque<Offer<T>>,
    next_ticket: u64,
    takers: usize,
}

struct Offer<T> {
    ticket: u64,
    value: T,
    /// A sender waits for this offer to be taken (it was not given).
    waited: bool,
}

/// What [`Rendezvous::offer`] did with a value.
pub(super) enum Offered {
    /// Given to a waiting receiver: the send is done.
    Given,
    /// In line with this ticket: wait for [`Rendezvous::is_taken`].
    Waiting(u64),
}

impl<T> Default for Rendezvous<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Rendezvous<T> {
    /// A rendezvous channel's state, for [`with_queue`](super::with_queue) or
    /// [`with_queue_and_strategy`](super::with_queue_and_strategy), which turn it into a
    /// rendezvous channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{with_queue_and_strategy, Rendezvous, WaitStrategy};
    ///
    /// let (tx, rx) = with_queue_and_strategy(Rendezvous::new(), WaitStrategy::SpinYield);
    /// let t = std::thread::spawn(move || tx.send(1));
    /// assert_eq!(rx.recv(), Ok(1));
    /// t.join().unwrap().unwrap();
    /// ```
    pub fn new() -> Self {
        Self {
            state: DataMutex::new(State {
                offers: VecDeque::new(),
                next_ticket: 0,
                takers: 0,
            }),
            front: AtomicU64::new(NO_OFFER),
            offered: AtomicUsize::new(0),
            takers: AtomicUsize::new(0),
        }
    }

    /// Runs `f` under the lock, then refreshes the mirrors.
    fn locked<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        // No code of the user's runs under the lock (values are only moved), so it is never
        // poisoned by a panic of theirs; should an allocation fail, the state is still whole.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut state);
        // SeqCst, all three: a waiter's re-check after `prepare_wait`'s fence may read them
        // instead of the state, so they take part in the event counts' protocol as the
        // condition writes (the notify after the unlock fences before its waiter check).
        let front = state.offers.front().map_or(NO_OFFER, |o| o.ticket);
        self.front.store(front, Ordering::SeqCst);
        self.offered.store(state.offers.len(), Ordering::SeqCst);
        self.takers.store(state.takers, Ordering::SeqCst);
        r
    }

    /// Gives `value` if a receiver waits for one that no earlier offer will satisfy.
    pub(super) fn give(&self, value: T) -> Result<(), T> {
        // SeqCst: a hint read as the waiter's re-check (see `locked`). A stale "no" only
        // answers `Full` for a receiver that started waiting during the call.
        if self.takers.load(Ordering::SeqCst) <= self.offered.load(Ordering::SeqCst) {
            return Err(value);
        }
        self.locked(|s| {
            if s.takers > s.offers.len() {
                s.push(value, false);
                Ok(())
            } else {
                Err(value)
            }
        })
    }

    /// Gives `value` as [`give`](Self::give) does, or else puts it in line for a sender that
    /// will wait.
    pub(super) fn offer(&self, value: T) -> Offered {
        self.locked(|s| {
            if s.takers > s.offers.len() {
                s.push(value, false);
                Offered::Given
            } else {
                Offered::Waiting(s.push(value, true))
            }
        })
    }

    /// Whether the offer of `ticket` has been taken (its sender has not retracted it).
    pub(super) fn is_taken(&self, ticket: u64) -> bool {
        // SeqCst: a hint read as the waiter's re-check (see `locked`). Exact: offers are
        // taken from the front and tickets increase along the line, so the offer is still
        // in line if and only if the front's ticket is not above it.
        self.front.load(Ordering::SeqCst) > ticket
    }

    /// Whether a receive would find an offer now (a hint, as the mirrors are; for
    /// `Select`'s readiness checks).
    pub(super) fn has_offer(&self) -> bool {
        // SeqCst: a hint read as the waiter's re-check (see `locked`).
        self.offered.load(Ordering::SeqCst) > 0
    }

    /// Whether a send would find a receiver to give to now (a hint, as `has_offer`).
    pub(super) fn has_taker(&self) -> bool {
        // SeqCst: as in `give`.
        self.takers.load(Ordering::SeqCst) > self.offered.load(Ordering::SeqCst)
    }

    /// Takes back the offer of `ticket`: its value, or `None` if it was taken.
    pub(super) fn retract(&self, ticket: u64) -> Option<T> {
        self.locked(|s| {
            let i = s.offers.iter().position(|o| o.ticket == ticket)?;
            s.offers.remove(i).map(|o| o.value)
        })
    }

    /// Takes the oldest offer, as any receiver may.
    pub(super) fn take(&self) -> Option<T> {
        // SeqCst: a hint read as the waiter's re-check (see `locked`); a stale 0 answers
        // "empty" for an offer made during the call.
        if self.offered.load(Ordering::SeqCst) == 0 {
            return None;
        }
        self.locked(|s| s.offers.pop_front().map(|o| o.value))
    }

    /// For a waiting receive: takes the oldest offer, or else joins the takers.
    pub(super) fn take_or_join(&self) -> Option<T> {
        self.locked(|s| match s.offers.pop_front() {
            Some(o) => Some(o.value),
            None => {
                s.takers += 1;
                None
            }
        })
    }

    /// For a taker: takes the oldest offer and leaves the takers.
    pub(super) fn take_as_taker(&self) -> Option<T> {
        // SeqCst: as in `take`.
        if self.offered.load(Ordering::SeqCst) == 0 {
            return None;
        }
        self.locked(|s| {
            let o = s.offers.pop_front()?;
            s.takers -= 1;
            Some(o.value)
        })
    }

    /// For a taker that stops waiting: leaves the takers, taking the oldest offer if there is
    /// one and `take` allows it (a timed-out or disconnected receive does; a dropped future
    /// cannot).
    pub(super) fn leave(&self, take: bool) -> Option<T> {
        self.locked(|s| {
            s.takers -= 1;
            if take {
                s.offers.pop_front().map(|o| o.value)
            } else {
                None
            }
        })
    }

    /// Every receiver is gone: drops the given values (their senders are done); waiting
    /// senders take back their own offers.
    pub(super) fn drain_given(&self) {
        // The values leave the lock before they are dropped: a panicking `Drop` unwinds out
        // of this call (the last receiver's drop) with the state whole.
        let given: Vec<T> = self.locked(|s| {
            let mut given = Vec::new();
            let mut kept = VecDeque::with_capacity(s.offers.len());
            for o in s.offers.drain(..) {
                if o.waited {
                    kept.push_back(o);
                } else {
                    given.push(o.value);
                }
            }
            s.offers = kept;
            given
        });
        super::drop_all(given.into_iter());
    }
}

impl<T> State<T> {
    /// Puts `value` at the back of the line; its ticket.
    fn push(&mut self, value: T, waited: bool) -> u64 {
        let ticket = self.next_ticket;
        // 2⁶⁴ offers do not happen; `NO_OFFER` stays above every real ticket.
        self.next_ticket += 1;
        self.offers.push_back(Offer {
            ticket,
            value,
            waited,
        });
        ticket
    }
}

impl<T> Queue<T> for Rendezvous<T> {
    // Cold and out of line: the channels' match over `Flavor` keeps the ring's and the
    // list's arms tight.
    #[cold]
    #[inline(never)]
    fn try_push(&self, value: T) -> Result<(), T> {
        self.give(value)
    }
    #[cold]
    #[inline(never)]
    fn try_pop(&self) -> Option<T> {
        self.take()
    }
    /// Always 0: a rendezvous channel holds no values.
    #[cold]
    fn len(&self) -> usize {
        0
    }
    #[cold]
    fn is_empty(&self) -> bool {
        true
    }
    fn capacity(&self) -> Option<usize> {
        Some(0)
    }
    fn __rendezvous(&self) -> Option<&Rendezvous<T>> {
        Some(self)
    }
}

impl<T> fmt::Debug for Rendezvous<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendezvous")
            // Relaxed, both: a snapshot for display.
            .field("offers", &self.offered.load(Ordering::Relaxed))
            .field("takers", &self.takers.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T, Q: Queue<T>> Chan<T, Q> {
    /// The rendezvous state; only called where `is_rendezvous` holds.
    fn zero(&self) -> &Rendezvous<T> {
        self.queue
            .__rendezvous()
            .expect("only a rendezvous channel takes this path")
    }

    /// A waiting send on a rendezvous channel whose first `try_send` found nobody waiting:
    /// offers the value and waits until it is taken, or until `deadline` or the disconnect,
    /// when it takes the offer back unless it was taken first.
    #[cold]
    #[inline(never)]
    pub(super) fn send_rendezvous(
        &self,
        value: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        if self.is_disconnected() {
            return Err(SendTimeoutError::Disconnected(value));
        }
        let z = self.zero();
        let offered = z.offer(value);
        // Wakes a receiver: a value was given or offered.
        self.pushed(1);
        let Offered::Waiting(ticket) = offered else {
            return Ok(());
        };
        let done = self.strategy.wait_for(&self.not_full, deadline, || {
            if z.is_taken(ticket) {
                return Some(Ok(()));
            }
            // Every receiver is gone (we are a sender, so not every sender).
            if self.is_disconnected() {
                return Some(z.retract(ticket).map_or(Ok(()), Err));
            }
            None
        });
        match done {
            Some(Ok(())) => Ok(()),
            Some(Err(value)) => Err(SendTimeoutError::Disconnected(value)),
            None => z
                .retract(ticket)
                .map_or(Ok(()), |value| Err(SendTimeoutError::Timeout(value))),
        }
    }

    /// A waiting receive on a rendezvous channel: takes an offer, or joins the takers and
    /// waits for one until `deadline` or the disconnect.
    pub(super) fn recv_rendezvous(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        if let Some(done) = self.recv_attempt() {
            return done.map_err(|RecvError| RecvTimeoutError::Disconnected);
        }
        if let Some(value) = self.join_takers() {
            return Ok(value);
        }
        let attempt = || {
            self.taker_attempt()
                .map(|r| r.map_err(|RecvError| RecvTimeoutError::Disconnected))
        };
        match self.strategy.wait_for(&self.not_empty, deadline, attempt) {
            Some(done) => done,
            None => self.leave_takers(true).ok_or(RecvTimeoutError::Timeout),
        }
    }

    /// Takes an offer, or else joins the takers and wakes the senders that wait for one
    /// (a `send_async` or `send_batch` gives only to a taker).
    pub(super) fn join_takers(&self) -> Option<T> {
        if let Some(value) = self.zero().take_or_join() {
            self.popped(1);
            return Some(value);
        }
        if self.strategy.parks() {
            self.not_full.notify_all();
        }
        None
    }

    /// One attempt of a taker: a value (it has left the takers), the disconnect (likewise),
    /// or `None` while it waits on.
    pub(super) fn taker_attempt(&self) -> Option<Result<T, RecvError>> {
        let z = self.zero();
        if let Some(value) = z.take_as_taker() {
            self.popped(1);
            return Some(Ok(value));
        }
        if self.is_disconnected() {
            // Every sender is gone; what they gave before is still taken.
            return Some(self.leave_takers(true).ok_or(RecvError));
        }
        None
    }

    /// A taker stops waiting; see [`Rendezvous::leave`].
    pub(super) fn leave_takers(&self, take: bool) -> Option<T> {
        let value = self.zero().leave(take);
        if value.is_some() {
            self.popped(1);
        }
        value
    }
}
