//! Waiting on several channel operations at once: [`Select`], and the [`select!`] and
//! [`select_biased!`] macros over it (in `select_macro.rs`).
//!
//! # How a selection waits
//!
//! A selection tries its operations one after the other (in a fresh random order each time,
//! or in the order they were added for a biased one) and completes the first that can go on
//! without blocking: a receive takes its value (or finds the channel disconnected) there and
//! then; a send only finds room, and sends when [`SelectedOperation::send`] gives it the
//! value. If none can, it retries while spinning and yielding, as a waiting `recv` does,
//! then waits without polling: it leaves one waker, which unparks the selecting thread, in
//! the event count of every operation's channel (`not_empty` for a receive, `not_full` for a
//! send), through the task slots the async ends use, re-checks every operation and parks.
//! The registration is the event count's own Dekker handshake, so a value that arrives
//! between the re-check and the park still unparks it (no lost wake-up), and a channel
//! nobody selects on pays nothing: a selection is one more waiter in the count every notify
//! already reads.
//!
//! When the selection completes one operation, it leaves the other event counts, and a
//! notification one of them gave it is passed on to another waiter there (as a dropped
//! future's is), so a selection never strands a thread waiting on a channel it did not pick.
//!
//! # Where this differs from crossbeam-channel
//!
//! - A send is found ready but not reserved: if another sender fills the room between the
//!   selection and [`SelectedOperation::send`], that send waits for room, as
//!   [`Sender::send`] does.
//! - On a rendezvous channel a send is ready while a receiver waits inside a receive, and a
//!   receive while a sender waits inside a send. A selection does not wait as a sender or
//!   receiver itself, so two selections on the two ends of one rendezvous channel never meet.
//! - Channels whose [`WaitStrategy`](crate::WaitStrategy) never parks (`Spin`, `SpinYield`)
//!   send no notifications; a selection over one of them keeps polling (spinning, then
//!   yielding) instead of parking.
//! - [`SelectedOperation::send`] and [`SelectedOperation::recv`] accept any handle of the
//!   selected channel, not only the one that was added.
//! - A [`Select`] is neither `Send` nor `Sync`: build it on the thread that selects.
//! - Over channels that never notify (the spinning strategies), `try_select`'s "none ready"
//!   is two passes, not one instant.

use std::fmt;
use std::marker::PhantomData;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::{
    Chan, ReadyTimeoutError, Receiver, RecvError, SelectTimeoutError, SendError, Sender,
    TryReadyError, TrySelectError,
};
use crate::event_count::TaskSlot;
use crate::loom::{current, park, park_timeout, spin_loop, yield_now, Thread};
use crate::{EventCount, Queue, SPIN_ROUNDS, YIELD_ROUNDS};

/// A received value, its type erased while it waits in a [`SelectedOperation`]; only ever
/// dropped, or turned back into its own type by [`SelectedOperation::recv`].
trait Erased {}
impl<T> Erased for T {}

/// What one attempt of an operation found.
enum Outcome<'a> {
    /// A send can go on, or (`ready`) an operation would not block.
    Ready,
    /// A receive took this value.
    Received(Box<dyn Erased + 'a>),
    /// A receive found the channel empty and disconnected.
    Disconnected,
}

/// One end of one channel, as a selection sees it: implemented by [`Receiver`] (a receive)
/// and [`Sender`] (a send).
trait Handle {
    /// The channel's address: the identity `SelectedOperation` checks.
    fn id(&self) -> *const ();
    fn is_send(&self) -> bool;
    /// Does the operation, if it can go on without blocking (a send only finds room).
    fn attempt(&self) -> Option<Outcome<'_>>;
    /// Whether the operation would go on without blocking; does nothing.
    fn is_ready(&self) -> bool;
    /// Where progress of the operation is notified.
    fn event_count(&self) -> &EventCount;
    /// Whether progress is notified at all (the channel's strategy parks).
    fn parks(&self) -> bool;
    /// When a timer channel's next message is due.
    fn due(&self) -> Option<Instant>;
}

impl<T, Q: Queue<T>> Chan<T, Q> {
    fn id(&self) -> *const () {
        (self as *const Self).cast()
    }

    /// Whether a receive would not block: a value (an offer, a due tick) or the disconnect.
    pub(super) fn recv_ready(&self) -> bool {
        if let Some(z) = self.queue.__rendezvous() {
            return z.has_offer() || self.is_disconnected();
        }
        if let Some(t) = self.queue.__timer() {
            return t.is_due();
        }
        !self.queue.is_empty() || self.is_disconnected()
    }

    /// Whether a send would not block: room (a waiting receiver, on a rendezvous channel)
    /// or the disconnect.
    pub(super) fn send_ready(&self) -> bool {
        if self.is_disconnected() {
            return true;
        }
        if let Some(z) = self.queue.__rendezvous() {
            return z.has_taker();
        }
        self.queue
            .capacity()
            .map_or(true, |cap| self.queue.len() < cap)
    }
}

impl<T, Q: Queue<T>> Handle for Receiver<T, Q> {
    fn id(&self) -> *const () {
        self.chan.id()
    }
    fn is_send(&self) -> bool {
        false
    }
    fn attempt(&self) -> Option<Outcome<'_>> {
        match self.chan.recv_attempt()? {
            Ok(value) => Some(Outcome::Received(Box::new(value))),
            Err(RecvError) => Some(Outcome::Disconnected),
        }
    }
    fn is_ready(&self) -> bool {
        self.chan.recv_ready()
    }
    fn event_count(&self) -> &EventCount {
        &self.chan.not_empty
    }
    fn parks(&self) -> bool {
        self.chan.strategy.parks()
    }
    fn due(&self) -> Option<Instant> {
        self.chan.queue.__timer().and_then(|t| t.due())
    }
}

impl<T, Q: Queue<T>> Handle for Sender<T, Q> {
    fn id(&self) -> *const () {
        self.chan.id()
    }
    fn is_send(&self) -> bool {
        true
    }
    fn attempt(&self) -> Option<Outcome<'_>> {
        self.chan.send_ready().then_some(Outcome::Ready)
    }
    fn is_ready(&self) -> bool {
        self.chan.send_ready()
    }
    fn event_count(&self) -> &EventCount {
        &self.chan.not_full
    }
    fn parks(&self) -> bool {
        self.chan.strategy.parks()
    }
    fn due(&self) -> Option<Instant> {
        None
    }
}

/// What a selection is after.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Do an operation (`select`): a receive takes its value.
    Complete,
    /// Find an operation that would not block, and do nothing (`ready`).
    Ready,
}

/// Waits on a set of channel operations, then does one of them: crossbeam-channel's
/// `Select`, over any wharf channel.
///
/// Add receive and send operations with [`recv`](Select::recv) and [`send`](Select::send);
/// each call returns the operation's index. Then [`select`](Select::select) blocks until one
/// of them can go on and returns it as a [`SelectedOperation`], which must be completed with
/// [`SelectedOperation::recv`] or [`SelectedOperation::send`] on the same channel.
/// [`ready`](Select::ready) instead only says which operation would not block, leaving it
/// to the caller.
///
/// An operation is ready when it would not block: a receive when the channel has a value or
/// is disconnected (empty or not), a send when it has room or is disconnected (the send
/// then fails). When several are ready, one is chosen at random, each as likely as the
/// others; [`Select::new_biased`] chooses the first added instead.
///
/// How a selection waits (without polling, and without stranding other waiters), and where it
/// differs from crossbeam-channel's, is in the [`channel`](super) module's source docs and on
/// [`SelectedOperation::send`]: in short, a ready send is not reserved, and on a rendezvous
/// channel a selection pairs only with a sender or receiver that is waiting in `send` or
/// `recv`.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use wharf::channel::{unbounded, Select};
///
/// let (tx1, rx1) = unbounded();
/// let (tx2, rx2) = unbounded();
/// thread::spawn(move || tx1.send(10).unwrap());
/// thread::spawn(move || tx2.send(20).unwrap());
///
/// let mut sel = Select::new();
/// let op1 = sel.recv(&rx1);
/// let op2 = sel.recv(&rx2);
/// // Whichever arrives first:
/// let oper = sel.select();
/// match oper.index() {
///     i if i == op1 => assert_eq!(oper.recv(&rx1), Ok(10)),
///     i if i == op2 => assert_eq!(oper.recv(&rx2), Ok(20)),
///     _ => unreachable!(),
/// }
/// ```
#[must_use]
#[derive(Clone)]
pub struct Select<'a> {
    /// The operations and their indices. A fair selection shuffles them in place before
    /// each attempt; a biased one keeps them in the order they were added.
    ops: Vec<(&'a dyn Handle, usize)>,
    next_index: usize,
    biased: bool,
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("operations", &self.ops.len())
            .field("biased", &self.biased)
            .finish()
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Select<'a> {
    /// An empty selection that picks among ready operations at random.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// let oper = sel.select();
    /// assert_eq!(oper.index(), op);
    /// assert_eq!(oper.recv(&rx), Ok(1));
    /// ```
    pub fn new() -> Self {
        Self {
            ops: Vec::new(),
            next_index: 0,
            biased: false,
        }
    }

    /// An empty selection that picks the first ready operation in the order they were added.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx1, rx1) = unbounded();
    /// let (tx2, rx2) = unbounded();
    /// tx1.send(1).unwrap();
    /// tx2.send(2).unwrap();
    /// let mut sel = Select::new_biased();
    /// let first = sel.recv(&rx1);
    /// sel.recv(&rx2);
    /// assert_eq!(sel.ready(), first); // both are ready; the first added wins
    /// ```
    pub fn new_biased() -> Self {
        Self {
            biased: true,
            ..Self::new()
        }
    }

    /// Adds a send on `s`'s channel; returns its index.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{bounded, Select};
    /// let (tx, rx) = bounded(1);
    /// let mut sel = Select::new();
    /// let op = sel.send(&tx);
    /// let oper = sel.select();
    /// assert_eq!(oper.index(), op);
    /// oper.send(&tx, 7).unwrap();
    /// assert_eq!(rx.recv(), Ok(7));
    /// ```
    pub fn send<T, Q: Queue<T>>(&mut self, s: &'a Sender<T, Q>) -> usize {
        self.add(s)
    }

    /// Adds a receive on `r`'s channel; returns its index.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded::<i32>();
    /// drop(tx);
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// // A disconnected channel is ready: its receive fails at once.
    /// assert!(sel.select().recv(&rx).is_err());
    /// ```
    pub fn recv<T, Q: Queue<T>>(&mut self, r: &'a Receiver<T, Q>) -> usize {
        self.add(r)
    }

    fn add(&mut self, handle: &'a dyn Handle) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.ops.push((handle, index));
        index
    }

    /// Removes the operation of `index` from the selection. Indices are not reused.
    ///
    /// # Panics
    ///
    /// Panics if no operation has that index (never added, or already removed).
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx1, rx1) = unbounded();
    /// let (_tx2, rx2) = unbounded::<i32>();
    /// tx1.send(1).unwrap();
    /// let mut sel = Select::new();
    /// let op1 = sel.recv(&rx1);
    /// let op2 = sel.recv(&rx2);
    /// sel.remove(op1);
    /// assert!(sel.try_select().is_err()); // only the empty rx2 is left
    /// # let _ = op2;
    /// ```
    pub fn remove(&mut self, index: usize) {
        let at = self
            .ops
            .iter()
            .position(|&(_, i)| i == index)
            .unwrap_or_else(|| panic!("wharf::channel::Select::remove: no operation {index}"));
        // `Vec::remove` keeps the order a biased selection goes by.
        self.ops.remove(at);
    }

    /// Does one ready operation, if there is one now.
    ///
    /// The answer is as of one instant, as crossbeam-channel's is: a first pass that finds
    /// nothing is confirmed by a pass made while registered with every channel, and repeated
    /// if a value arrived meanwhile, so "none ready" is not the product of checking one
    /// channel before a value came and another after one left.
    ///
    /// # Errors
    ///
    /// [`TrySelectError`] if no operation is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err());
    /// tx.send(3).unwrap();
    /// assert_eq!(sel.try_select().unwrap().recv(&rx), Ok(3));
    /// ```
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        self.pick(Want::Complete, None, false)
            .map(|(at, outcome)| self.selected(at, outcome))
            .ok_or(TrySelectError)
    }

    /// Blocks until an operation is ready, and does it.
    ///
    /// # Panics
    ///
    /// Panics if the selection has no operations (it would block for ever).
    ///
    /// # Examples
    ///
    /// See [`Select`].
    pub fn select(&mut self) -> SelectedOperation<'a> {
        assert!(
            !self.ops.is_empty(),
            "wharf::channel::Select::select: no operations to select from"
        );
        let (at, outcome) = self
            .pick(Want::Complete, None, true)
            .expect("a selection without a deadline waits until it has an operation");
        self.selected(at, outcome)
    }

    /// Blocks until an operation is ready or `timeout` has passed. A `timeout` too large for
    /// an `Instant` (such as `Duration::MAX`) waits for ever.
    ///
    /// # Errors
    ///
    /// [`SelectTimeoutError`] if no operation was ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wharf::channel::{unbounded, Select};
    /// let (_tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select_timeout(Duration::from_millis(10)).is_err());
    /// ```
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.select_deadline(deadline),
            None => Ok(self.select()),
        }
    }

    /// Blocks until an operation is ready or `deadline` has come.
    ///
    /// # Errors
    ///
    /// [`SelectTimeoutError`] if no operation was ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let oper = sel.select_deadline(Instant::now() + Duration::from_secs(1)).unwrap();
    /// assert_eq!(oper.recv(&rx), Ok(1));
    /// ```
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.pick(Want::Complete, Some(deadline), true)
            .map(|(at, outcome)| self.selected(at, outcome))
            .ok_or(SelectTimeoutError)
    }

    /// The index of an operation that is ready now, if there is one; does not do it.
    ///
    /// A ready operation may stop being ready before the caller does it (another thread may
    /// take the value or the room), so do it with `try_recv` or `try_send` and be ready for
    /// them to fail.
    ///
    /// # Errors
    ///
    /// [`TryReadyError`] if no operation is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// assert!(sel.try_ready().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_ready(), Ok(op));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        self.pick(Want::Ready, None, false)
            .map(|(at, _)| self.ops[at].1)
            .ok_or(TryReadyError)
    }

    /// Blocks until an operation is ready; returns its index and does not do it (see
    /// [`try_ready`](Select::try_ready)).
    ///
    /// # Panics
    ///
    /// Panics if the selection has no operations (it would block for ever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// thread::spawn(move || tx.send(1).unwrap());
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// assert_eq!(sel.ready(), op);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn ready(&mut self) -> usize {
        assert!(
            !self.ops.is_empty(),
            "wharf::channel::Select::ready: no operations to select from"
        );
        let (at, _) = self
            .pick(Want::Ready, None, true)
            .expect("a selection without a deadline waits until it has an operation");
        self.ops[at].1
    }

    /// Blocks until an operation is ready or `timeout` has passed; returns its index (see
    /// [`try_ready`](Select::try_ready)). A `timeout` too large for an `Instant` waits for
    /// ever.
    ///
    /// # Errors
    ///
    /// [`ReadyTimeoutError`] if no operation was ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use wharf::channel::{bounded, Select};
    /// let (tx, _rx) = bounded(1);
    /// tx.send(1).unwrap();
    /// let mut sel = Select::new();
    /// sel.send(&tx);
    /// assert!(sel.ready_timeout(Duration::from_millis(10)).is_err()); // full
    /// ```
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.ready_deadline(deadline),
            None => Ok(self.ready()),
        }
    }

    /// Blocks until an operation is ready or `deadline` has come; returns its index (see
    /// [`try_ready`](Select::try_ready)).
    ///
    /// # Errors
    ///
    /// [`ReadyTimeoutError`] if no operation was ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, _rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// let op = sel.send(&tx);
    /// assert_eq!(sel.ready_deadline(Instant::now() + Duration::from_secs(1)), Ok(op));
    /// ```
    pub fn ready_deadline(&mut self, deadline: Instant) -> Result<usize, ReadyTimeoutError> {
        self.pick(Want::Ready, Some(deadline), true)
            .map(|(at, _)| self.ops[at].1)
            .ok_or(ReadyTimeoutError)
    }

    fn selected(&self, at: usize, outcome: Outcome<'a>) -> SelectedOperation<'a> {
        let (handle, index) = self.ops[at];
        SelectedOperation {
            index,
            id: handle.id(),
            send: handle.is_send(),
            outcome: Some(outcome),
            _borrow: PhantomData,
        }
    }

    /// The selection: the position in `ops` of the operation it picked, and what it found.
    /// Without `wait`, one pass; else until `deadline` (`None`: for ever).
    fn pick(
        &mut self,
        want: Want,
        deadline: Option<Instant>,
        wait: bool,
    ) -> Option<(usize, Outcome<'a>)> {
        if !self.biased {
            shuffle(&mut self.ops);
        }
        if let Some(found) = self.attempt(want) {
            return Some(found);
        }
        if !wait {
            return self.confirm(want);
        }
        // Spin, then yield, as a waiting `recv` does: a value that comes within microseconds
        // costs its sender no notify. Without a parking channel (nobody notifies), go on
        // yielding until the deadline.
        let parks = self.ops.iter().all(|(h, _)| h.parks());
        let mut rounds = 0u32;
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return self.attempt(want);
            }
            if rounds < SPIN_ROUNDS {
                spin_loop();
            } else if rounds < SPIN_ROUNDS + YIELD_ROUNDS || !parks {
                yield_now();
            } else {
                return self.park_until(want, deadline);
            }
            rounds = rounds.saturating_add(1);
            if let Some(found) = self.attempt(want) {
                return Some(found);
            }
        }
    }

    /// One pass over the operations, in their current order.
    fn attempt(&self, want: Want) -> Option<(usize, Outcome<'a>)> {
        self.ops.iter().enumerate().find_map(|(at, &(h, _))| {
            let found = match want {
                Want::Complete => h.attempt(),
                Want::Ready => h.is_ready().then_some(Outcome::Ready),
            };
            found.map(|o| (at, o))
        })
    }

    /// A pass that found nothing ready, made to count as one instant (as crossbeam-channel's
    /// is): the operations were checked one after the other, and a value may have arrived
    /// on one already checked while another was taken. So register with every event count,
    /// pass again, and answer "none" only if no notify came in between (a value that arrives
    /// after the registration notifies); otherwise pass again, a few times at most.
    fn confirm(&self, want: Want) -> Option<(usize, Outcome<'a>)> {
        self.registered(want, None, false)
    }

    /// The parking phase of `pick`: registered with every operation's event count, re-check,
    /// park; until an operation goes on or the deadline comes. Timer channels notify nobody,
    /// so the park also ends when the next of their messages is due.
    fn park_until(&self, want: Want, deadline: Option<Instant>) -> Option<(usize, Outcome<'a>)> {
        self.registered(want, deadline, true)
    }

    /// Passes while registered with every operation's event count: parking between passes
    /// until `deadline` (`parks`), or, for `confirm`, passing again only while notifies come.
    fn registered(
        &self,
        want: Want,
        deadline: Option<Instant>,
        parks: bool,
    ) -> Option<(usize, Outcome<'a>)> {
        /// Passes a try makes while notifies keep coming, before it answers "none".
        const CONFIRM_PASSES: u32 = 4;
        let unpark = std::sync::Arc::new(Unpark {
            thread: current(),
            woken: std::sync::atomic::AtomicBool::new(false),
        });
        let waker = Waker::from(unpark.clone());
        let mut passes = 0;
        let mut registered = Registered {
            ops: &self.ops,
            slots: self.ops.iter().map(|_| TaskSlot::default()).collect(),
            owed: vec![false; self.ops.len()],
        };
        let found = loop {
            for ((&(h, _), slot), owed) in self
                .ops
                .iter()
                .zip(&mut registered.slots)
                .zip(&mut registered.owed)
            {
                // Refreshes a registration no notify has taken; renews one a notify took,
                // and then owes that channel its notification unless it is the one picked.
                *owed |= h.event_count().register_task(slot, &waker);
            }
            // The re-check after registering (see `EventCount::register_task`).
            if let Some(found) = self.attempt(want) {
                break Some(found);
            }
            if !parks {
                passes += 1;
                // SeqCst: read after the pass, in the single order with the notifies' wakes.
                let woken = unpark
                    .woken
                    .swap(false, std::sync::atomic::Ordering::SeqCst);
                if !woken || passes == CONFIRM_PASSES {
                    break None;
                }
                continue;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break None;
            }
            let due = self.ops.iter().filter_map(|(h, _)| h.due()).min();
            match deadline.into_iter().chain(due).min() {
                None => park(),
                Some(wake_at) => park_timeout(wake_at.saturating_duration_since(now)),
            }
        };
        if let Some((at, _)) = found {
            let (h, _) = self.ops[at];
            // A notification this operation took (or owes) may have announced another value
            // than the one it got: `finish_task` passes it on if the operation is still ready.
            let owed = std::mem::take(&mut registered.owed[at]);
            h.event_count()
                .finish_task(&mut registered.slots[at], owed, || h.is_ready());
        }
        // `registered` drops: every other registration is cancelled, passing on what it was
        // notified of.
        found
    }
}

/// The registrations of a parked selection; on drop (also when a panic unwinds through the
/// selection) cancels each one not finished, passing on a notification it had taken, so no
/// event count is left counting a waiter that is gone, and no other waiter is left without
/// the wake-up this selection took and did not use.
struct Registered<'s, 'a> {
    ops: &'s [(&'a dyn Handle, usize)],
    slots: Vec<TaskSlot>,
    /// Per operation: an earlier registration was notified and then renewed (see
    /// `EventCount::register_task`), so a notification is owed to the channel's other
    /// waiters if the selection picks another operation.
    owed: Vec<bool>,
}

impl Drop for Registered<'_, '_> {
    fn drop(&mut self) {
        for ((&(h, _), slot), &owed) in self.ops.iter().zip(&mut self.slots).zip(&self.owed) {
            // Passes on a notification that took the current registration.
            h.event_count().cancel_task(slot);
            if owed {
                h.event_count().notify_one();
            }
        }
    }
}

/// The waker a selection leaves with each event count: notes the wake and unparks its
/// thread.
struct Unpark {
    thread: Thread,
    /// Set by every wake; `confirm` reads and clears it. (A std atomic under loom too: it
    /// only makes a try pass again, and loom need not explore it.)
    woken: std::sync::atomic::AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // SeqCst: pairs with `confirm`'s swap.
        self.woken.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Not part of the public API: `select!`'s first pass over its arms, with their own types.
#[doc(hidden)]
impl<T, Q: Queue<T>> Receiver<T, Q> {
    /// A receive's attempt: the value or the disconnect, or `None` while empty.
    pub fn __select_attempt(&self) -> Option<Result<T, RecvError>> {
        self.chan.recv_attempt()
    }
}

/// Not part of the public API: `select!`'s first pass over its arms, with their own types.
#[doc(hidden)]
impl<T, Q: Queue<T>> Sender<T, Q> {
    /// Whether a send would not block (room, or the disconnect).
    pub fn __select_ready(&self) -> bool {
        self.chan.send_ready()
    }
}

/// Not part of the public API: the order of `select!`'s first pass over its arms, `order`
/// holding the arms' positions: shuffled, unless `biased`.
#[doc(hidden)]
pub fn __select_order(order: &mut [usize], biased: bool) {
    if !biased {
        shuffle(order);
    }
}

/// Puts `ops` in a uniformly random order (Fisher–Yates), so that the first ready operation
/// found is each ready one with equal chance. Under loom, keeps the order: a model must run
/// the same way every time it is replayed.
fn shuffle<T>(ops: &mut [T]) {
    if cfg!(loom) || ops.len() < 2 {
        return;
    }
    for i in (1..ops.len()).rev() {
        let j = (random() % (i as u64 + 1)) as usize;
        ops.swap(i, j);
    }
}

/// A per-thread xorshift64* generator, seeded once from std's per-thread random hash keys:
/// cheap, and good enough to pick an operation.
fn random() -> u64 {
    use std::cell::Cell;
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().build_hasher().finish() | 1);
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// An operation a [`Select`] picked, to be completed with [`send`](SelectedOperation::send)
/// or [`recv`](SelectedOperation::recv) on its channel.
///
/// A selected receive has already taken its value (or found the channel disconnected);
/// `recv` hands it over. A selected send found room; `send` sends.
///
/// # Panics
///
/// Dropping it without completing it panics (unless a panic is already unwinding), as
/// crossbeam-channel's does; the value a receive took is dropped with it.
///
/// # Examples
///
/// ```
/// use wharf::channel::{bounded, Select};
/// let (tx, rx) = bounded(1);
/// let mut sel = Select::new();
/// let send = sel.send(&tx);
/// let recv = sel.recv(&rx);
/// let oper = sel.select(); // only the send is ready: the channel is empty
/// assert_eq!(oper.index(), send);
/// oper.send(&tx, "hello").unwrap();
/// let oper = sel.select(); // only the receive is ready: the channel is full
/// assert_eq!(oper.index(), recv);
/// assert_eq!(oper.recv(&rx), Ok("hello"));
/// ```
#[must_use]
pub struct SelectedOperation<'a> {
    index: usize,
    /// The channel's address, to check the handle `send` or `recv` is given.
    id: *const (),
    send: bool,
    /// What the selection found; `None` once completed.
    outcome: Option<Outcome<'a>>,
    _borrow: PhantomData<&'a ()>,
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation")
            .field("index", &self.index)
            .field("send", &self.send)
            .finish_non_exhaustive()
    }
}

impl SelectedOperation<'_> {
    /// The index [`Select::send`] or [`Select::recv`] gave the operation.
    ///
    /// # Examples
    ///
    /// See [`Select`].
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes a selected send with `msg`.
    ///
    /// The selection found room, but does not hold it: if other senders filled the channel
    /// since, this waits for room as [`Sender::send`] does (crossbeam-channel reserves the
    /// room and never waits here).
    ///
    /// # Errors
    ///
    /// [`SendError`] with `msg` if every receiver is gone.
    ///
    /// # Panics
    ///
    /// Panics if the selected operation is not a send on `s`'s channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// sel.send(&tx);
    /// sel.select().send(&tx, 1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send<T, Q: Queue<T>>(mut self, s: &Sender<T, Q>, msg: T) -> Result<(), SendError<T>> {
        assert!(
            self.send && self.id == s.chan.id(),
            "wharf::channel::SelectedOperation::send: not the selected operation's sender"
        );
        self.outcome = None;
        s.send(msg)
    }

    /// Completes a selected receive: the value it took.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the channel was empty and disconnected.
    ///
    /// # Panics
    ///
    /// Panics if the selected operation is not a receive on `r`'s channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::channel::{unbounded, Select};
    /// let (tx, rx) = unbounded();
    /// tx.send(5).unwrap();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.select().recv(&rx), Ok(5));
    /// ```
    pub fn recv<T, Q: Queue<T>>(mut self, r: &Receiver<T, Q>) -> Result<T, RecvError> {
        assert!(
            !self.send && self.id == r.chan.id(),
            "wharf::channel::SelectedOperation::recv: not the selected operation's receiver"
        );
        match self.outcome.take() {
            Some(Outcome::Received(value)) => {
                let raw = Box::into_raw(value).cast::<T>();
                // SAFETY: the value was boxed as a `T` by `Receiver::<T', Q'>::attempt` of the
                // selected operation, whose channel is at `self.id`. That receiver is
                // borrowed for `'a`, so its channel is alive, and so is `r`'s; two live
                // channels have two addresses (a `Chan` is never zero-sized, and nothing
                // else can hold one inline at its own address), so `r`'s channel is that
                // `Chan<T', Q'>`, and `T' = T`. `raw` is the pointer `Box::into_raw` gave,
                // with the metadata cast away.
                Ok(*unsafe { Box::from_raw(raw) })
            }
            Some(Outcome::Disconnected) => Err(RecvError),
            Some(Outcome::Ready) | None => {
                unreachable!("a selected receive has taken a value or found the disconnect")
            }
        }
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if self.outcome.is_some() && !std::thread::panicking() {
            panic!("wharf: a SelectedOperation was dropped without completing its operation");
        }
    }
}
