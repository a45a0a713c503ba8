//! Blocking multi-producer multi-consumer channels over any wharf [`Queue`].
//!
//! - [`bounded`]`(cap)`: over an [`ArrayQueue`]; `send` blocks while the channel is full.
//!   `bounded(0)` is a rendezvous channel: a `send` waits until a receiver has its value.
//! - [`unbounded`]`()`: over a [`LinkedQueue`]; `send` never blocks.
//! - [`with_queue`]`(queue)`: over any type implementing [`Queue`].
//! - [`never()`], [`after`], [`at`] and [`tick`]: receivers of messages from the clock.
//!
//! [`Sender`] and [`Receiver`] are both cloneable. The method names, meanings and error types
//! follow crossbeam-channel (and `std::sync::mpsc`), so a user of either finds nothing
//! surprising:
//!
//! - When every [`Sender`] is gone, receivers drain what is left and then get
//!   `Disconnected`.
//! - When every [`Receiver`] is gone, `send` fails and hands the value back, and the values
//!   still queued are dropped at once (by the thread that drops the last receiver, or by a
//!   sender whose send raced with that drop, whose `send` still returns `Ok`), not when the
//!   last sender goes. A destructor that panics there unwinds out of that drop or send, once
//!   every other value has been dropped too.
//! - Every value is dropped exactly once: by its receiver, by that drain, or with the last
//!   handle.
//!
//! # Waiting
//!
//! A blocked operation waits on an [`EventCount`]: a send or receive with
//! nobody waiting pays one load for the wake-up check, and no system call. (The queue's own
//! `SeqCst` compare-and-swap stands in for the fence the check would otherwise need; over a
//! capacity-1 ring or a queue of your own, the check is a fence and a load.) A waiter spins
//! briefly, then sleeps; see [`WaitStrategy`] for the alternatives (with them, nobody sleeps,
//! so the check is skipped).
//!
//! # Examples
//!
//! The program of the article wharf grew from, done right: no message is lost and each
//! arrives in order.
//!
//! ```
//! use std::thread;
//!
//! let (tx, rx) = wharf::channel::unbounded();
//! let producer = thread::spawn(move || {
//!     for i in 0..10 {
//!         tx.send(format!("Message {i}")).unwrap();
//!     }
//! });
//! for i in 0..10 {
//!     assert_eq!(rx.recv().unwrap(), format!("Message {i}"));
//! }
//! producer.join().unwrap();
//! ```

mod batch;
mod error;
mod futures;
mod receiver;
mod select;
mod select_macro;
mod sender;
mod timer;
mod zero;

use std::time::Instant;

#[doc(inline)]
pub use crate::{select, select_biased};
pub use error::{
    ReadyTimeoutError, RecvError, RecvTimeoutError, SelectTimeoutError, SendError,
    SendTimeoutError, TryReadyError, TryRecvError, TrySelectError, TrySendError,
};
pub use futures::{RecvFut, RecvStream, SendFut, SendSink};
pub use receiver::{IntoIter, Iter, Receiver, TryIter};
#[doc(hidden)]
pub use select::__select_order;
pub use select::{Select, SelectedOperation};
pub use sender::Sender;
pub use timer::{after, at, never, tick, Timer};
pub use zero::Rendezvous;

use crate::loom::{fence, Arc, AtomicBool, AtomicUsize, Ordering};
pub use crate::WaitStrategy;
use crate::{ArrayQueue, EventCount, LinkedQueue, Queue};

/// The queue behind [`bounded`] and [`unbounded`] channels, so that all of them have the one
/// type `Sender<T>` (as in crossbeam-channel).
#[derive(Debug)]
pub enum Flavor<T> {
    /// A [`bounded`] channel's ring.
    Bounded(ArrayQueue<T>),
    /// An [`unbounded`] channel's list.
    Unbounded(LinkedQueue<T>),
    /// A rendezvous channel's hand-off state ([`bounded`]`(0)`).
    Zero(Rendezvous<T>),
    /// A timer channel's clock ([`never()`], [`after`], [`at`], [`tick`]).
    Timer(Timer<T>),
}

impl<T> Flavor<T> {
    /// `try_push` of the rendezvous and timer flavors, out of line: one call in the match of
    /// the default channels' fast path, which then stays small enough to inline.
    #[cold]
    #[inline(never)]
    fn special_push(&self, value: T) -> Result<(), T> {
        match self {
            Self::Zero(q) => Queue::try_push(q, value),
            Self::Timer(q) => Queue::try_push(q, value),
            Self::Bounded(_) | Self::Unbounded(_) => unreachable!("not a special flavor"),
        }
    }

    /// `try_pop` of the rendezvous and timer flavors, out of line (see `special_push`).
    #[cold]
    #[inline(never)]
    fn special_pop(&self) -> Option<T> {
        match self {
            Self::Zero(q) => Queue::try_pop(q),
            Self::Timer(q) => Queue::try_pop(q),
            Self::Bounded(_) | Self::Unbounded(_) => unreachable!("not a special flavor"),
        }
    }
}

impl<T> Queue<T> for Flavor<T> {
    #[inline]
    fn try_push(&self, value: T) -> Result<(), T> {
        match self {
            Self::Bounded(q) => Queue::try_push(q, value),
            Self::Unbounded(q) => Queue::try_push(q, value),
            _ => self.special_push(value),
        }
    }
    #[inline]
    fn try_pop(&self) -> Option<T> {
        match self {
            Self::Bounded(q) => Queue::try_pop(q),
            Self::Unbounded(q) => Queue::try_pop(q),
            _ => self.special_pop(),
        }
    }
    fn len(&self) -> usize {
        match self {
            Self::Bounded(q) => Queue::len(q),
            Self::Unbounded(q) => Queue::len(q),
            Self::Zero(q) => Queue::len(q),
            Self::Timer(q) => Queue::len(q),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Self::Bounded(q) => Queue::is_empty(q),
            Self::Unbounded(q) => Queue::is_empty(q),
            Self::Zero(q) => Queue::is_empty(q),
            Self::Timer(q) => Queue::is_empty(q),
        }
    }
    #[inline]
    fn capacity(&self) -> Option<usize> {
        match self {
            Self::Bounded(q) => Queue::capacity(q),
            Self::Unbounded(q) => Queue::capacity(q),
            Self::Zero(q) => Queue::capacity(q),
            Self::Timer(q) => Queue::capacity(q),
        }
    }
    fn try_push_batch(&self, values: &mut Vec<T>) -> usize {
        match self {
            Self::Bounded(q) => Queue::try_push_batch(q, values),
            Self::Unbounded(q) => Queue::try_push_batch(q, values),
            Self::Zero(q) => Queue::try_push_batch(q, values),
            Self::Timer(q) => Queue::try_push_batch(q, values),
        }
    }
    fn try_pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        match self {
            Self::Bounded(q) => Queue::try_pop_batch(q, out, limit),
            Self::Unbounded(q) => Queue::try_pop_batch(q, out, limit),
            Self::Zero(q) => Queue::try_pop_batch(q, out, limit),
            Self::Timer(q) => Queue::try_pop_batch(q, out, limit),
        }
    }
    fn __seqcst_handoff(&self) -> bool {
        match self {
            Self::Bounded(q) => Queue::__seqcst_handoff(q),
            Self::Unbounded(q) => Queue::__seqcst_handoff(q),
            Self::Zero(q) => Queue::__seqcst_handoff(q),
            Self::Timer(q) => Queue::__seqcst_handoff(q),
        }
    }
    #[inline(always)]
    fn __rendezvous(&self) -> Option<&Rendezvous<T>> {
        match self {
            Self::Zero(q) => Some(q),
            _ => None,
        }
    }
    #[inline(always)]
    fn __timer(&self) -> Option<&Timer<T>> {
        match self {
            Self::Timer(q) => Some(q),
            _ => None,
        }
    }
}

/// The state all handles of one channel share.
///
/// Invariants:
/// - `senders` and `receivers` count live handles; when either reaches zero, `disconnected`
///   is set (and never cleared) and both event counts are notified.
/// - A value is in `queue` from a successful push until a successful pop: a receiver's, or one
///   of `drain`'s once every receiver is gone (`Receiver::drop`, or a sender whose push raced
///   with it: see `drain_if_abandoned`), or until the last handle drops the `Chan` (and with
///   it the queue, which drops what is left).
/// - Once every receiver is gone and every send that pushed has returned, the queue is empty.
struct Chan<T, Q> {
    queue: Q,
    /// Live `Sender`s.
    senders: AtomicUsize,
    /// Live `Receiver`s.
    receivers: AtomicUsize,
    /// Set once every sender or every receiver is gone.
    disconnected: AtomicBool,
    /// Receivers wait here for a value or a disconnect.
    not_empty: EventCount,
    /// Senders wait here for room or a disconnect (only a bounded queue makes them wait).
    not_full: EventCount,
    strategy: WaitStrategy,
    /// `queue.capacity().is_some()`, cached: only then can a sender wait for room (or, on a
    /// rendezvous channel, for a take).
    bounded: bool,
    /// `queue.__seqcst_handoff()`, cached: the wake-up checks after a successful push or pop
    /// may then skip their fence (see `EventCount::notify_one_after`).
    handoff: bool,
    _marker: core::marker::PhantomData<fn(T) -> T>,
}

impl<T, Q: Queue<T>> Chan<T, Q> {
    /// A rendezvous channel: a take wakes every waiting sender, and waits follow
    /// `zero.rs`. Not cached in a field: for a queue other than `Flavor` it is a constant,
    /// for `Flavor` one compare of its tag, and a field changed the layout the ring's
    /// capacity-1 ping-pong is sensitive to.
    #[inline(always)]
    fn is_rendezvous(&self) -> bool {
        self.queue.__rendezvous().is_some()
    }

    /// A timer channel: a waiting receive sleeps until the message is due (`timer.rs`).
    #[inline(always)]
    fn is_timer(&self) -> bool {
        self.queue.__timer().is_some()
    }

    /// A rendezvous or timer channel.
    #[inline(always)]
    fn is_special(&self) -> bool {
        self.is_rendezvous() || self.is_timer()
    }

    fn is_disconnected(&self) -> bool {
        // SeqCst: read after `prepare_wait`'s fence, as part of the waiter's re-check; and it
        // synchronises with the store in `disconnect`, making every push before it visible.
        self.disconnected.load(Ordering::SeqCst)
    }

    fn disconnect(&self) {
        // SeqCst: the condition write of the event-count protocol (see `EventCount`).
        self.disconnected.store(true, Ordering::SeqCst);
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }

    /// Every receiver is gone: drops every queued value now, rather than when the last sender
    /// goes. Called after `disconnect` by the last receiver's drop, and by a sender whose push
    /// may have come after that drop's drain (`drain_if_abandoned`); several may run at once,
    /// each value going to one of them.
    #[cold]
    fn drain(&self) {
        // SeqCst fence: after the `SeqCst` store of `disconnected` (ours in `disconnect`, or the
        // one the sender's re-check saw), before the pops: pairs with the sender's re-check
        // (see `drain_if_abandoned`), so a push whose sender saw no disconnect is seen here.
        fence(Ordering::SeqCst);
        if let Some(z) = self.queue.__rendezvous() {
            // Waiting senders take back their own offers; only given values are ours.
            return z.drain_given();
        }
        if self.is_timer() {
            // A timer holds no values, it makes them when taken: popping here would make
            // them for nobody (for ever, from a `tick` of zero period).
            return;
        }
        drop_all(std::iter::from_fn(|| self.queue.try_pop()));
    }

    /// After a successful push: if every receiver went away meanwhile, the last receiver's
    /// drain may have run before the push, so drain here. Either that drain sees our value,
    /// or this re-check sees the disconnect.
    ///
    /// Why: the receiver stores `disconnected` (`SeqCst`), then fences (`drain`), then pops.
    /// If our `SeqCst` load misses the store, it precedes the store in the single total order
    /// `S`. With a `SeqCst` fence between our push and the load (a queue without
    /// `__seqcst_handoff`, and always under loom), the two fences are ordered so that the
    /// receiver's pops see what our push wrote (C++20 [atomics.order] p4), for any queue whose
    /// push and pop meet at a shared location. With a handoff queue our push's `SeqCst`
    /// read-modify-write precedes the load, hence the store and the receiver's fence, in `S`,
    /// and its pops answer "empty" only from loads that `S` orders after that write. `parks`
    /// says whether `notify_one_after` just ran, which fences for a queue without handoff.
    #[inline(always)]
    fn drain_if_abandoned(&self, parks: bool) {
        if (!self.handoff || cfg!(loom)) && !parks {
            // SeqCst fence: the sender's half of the pair described above.
            fence(Ordering::SeqCst);
        }
        // SeqCst: the re-check above; `disconnected` is on a line this send already read.
        if self.disconnected.load(Ordering::SeqCst) {
            self.drain();
        }
    }

    /// Test-only: receivers and senders registered as waiting (see `Sender::__waiters`).
    fn waiters(&self) -> (usize, usize) {
        (self.not_empty.__waiters(), self.not_full.__waiters())
    }

    /// One non-blocking send.
    #[inline]
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        if self.is_disconnected() {
            return Err(TrySendError::Disconnected(value));
        }
        match self.queue.try_push(value) {
            Ok(()) => {
                self.pushed(1);
                Ok(())
            }
            Err(value) => Err(TrySendError::Full(value)),
        }
    }

    /// After `n` values went in (single or batch send): wakes receivers, then re-checks the
    /// disconnect (the send still succeeds: it took effect before the disconnect).
    #[inline(always)]
    fn pushed(&self, n: usize) {
        let parks = self.strategy.parks();
        if parks {
            self.notify_n(&self.not_empty, n);
        }
        self.drain_if_abandoned(parks);
    }

    /// After `n` values came out (single or batch receive): wakes senders waiting for room.
    #[inline(always)]
    fn popped(&self, n: usize) {
        if self.bounded && self.strategy.parks() {
            if self.is_rendezvous() {
                // Only the sender of the offer taken can go on, and we do not know which
                // it is (see `zero.rs`).
                self.not_full.notify_all();
            } else {
                self.notify_n(&self.not_full, n);
            }
        }
    }

    /// Tells waiters on `ec` that `n > 0` values (or slots) arrived: one waiter for one, all
    /// of them for more (each may take one). Only for a parking strategy.
    #[inline(always)]
    fn notify_n(&self, ec: &EventCount, n: usize) {
        if n == 1 {
            ec.notify_one_after(self.handoff);
        } else {
            ec.notify_all();
        }
    }

    /// One attempt of a waiting send of the value in `held`: `None` (the value back in
    /// `held`) while the channel is full, else sent or, with the value, disconnected. Shared
    /// by the blocking and the async send.
    #[inline]
    fn send_attempt(&self, held: &mut Option<T>) -> Option<Result<(), T>> {
        match self.try_send(held.take()?) {
            Ok(()) => Some(Ok(())),
            Err(TrySendError::Disconnected(v)) => Some(Err(v)),
            Err(TrySendError::Full(v)) => {
                *held = Some(v);
                None
            }
        }
    }

    /// Sends, waiting for room until `deadline`: one attempt in line, the wait out of it.
    #[inline]
    fn send_until(&self, value: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        let mut held = Some(value);
        match self.send_attempt(&mut held) {
            Some(Ok(())) => Ok(()),
            Some(Err(v)) => Err(SendTimeoutError::Disconnected(v)),
            None => self.send_wait(held.expect("a refused send keeps its value"), deadline),
        }
    }

    /// The rest of a waiting send whose first attempt found no room (or, on a rendezvous
    /// channel, no receiver waiting): out of line, so that the fast path stays small.
    #[inline(never)]
    fn send_wait(&self, value: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        if self.is_rendezvous() {
            return self.send_rendezvous(value, deadline);
        }
        let mut held = Some(value);
        let sent = self
            .strategy
            .wait_for(&self.not_full, deadline, || self.send_attempt(&mut held));
        match sent {
            Some(Ok(())) => Ok(()),
            Some(Err(v)) => Err(SendTimeoutError::Disconnected(v)),
            None => Err(SendTimeoutError::Timeout(
                held.expect("a timed-out send keeps its value"),
            )),
        }
    }

    /// One non-blocking receive.
    #[inline]
    fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(value) = self.queue.try_pop() {
            self.popped(1);
            return Ok(value);
        }
        if !self.is_disconnected() {
            return Err(TryRecvError::Empty);
        }
        // Every sender is gone, and all their pushes are visible now: drain what is left.
        self.queue.try_pop().ok_or(TryRecvError::Disconnected)
    }

    /// One attempt of a waiting receive: `None` while the channel is empty, else a value or
    /// the disconnect. Shared by the blocking and the async receive.
    #[inline]
    fn recv_attempt(&self) -> Option<Result<T, RecvError>> {
        match self.try_recv() {
            Ok(value) => Some(Ok(value)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
            Err(TryRecvError::Empty) => None,
        }
    }

    /// Receives, waiting for a value until `deadline`: one attempt in line, the wait out of
    /// it.
    #[inline]
    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match self.recv_attempt() {
            Some(done) => done.map_err(|RecvError| RecvTimeoutError::Disconnected),
            None => self.recv_wait(deadline),
        }
    }

    /// The rest of a waiting receive whose first attempt found nothing: out of line, so that
    /// the fast path stays small.
    #[inline(never)]
    fn recv_wait(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        if self.is_rendezvous() {
            return self.recv_rendezvous(deadline);
        }
        if self.is_timer() {
            return self.recv_timer(deadline);
        }
        let attempt = || {
            self.recv_attempt()
                .map(|r| r.map_err(|RecvError| RecvTimeoutError::Disconnected))
        };
        self.strategy
            .wait_for(&self.not_empty, deadline, attempt)
            .unwrap_or(Err(RecvTimeoutError::Timeout))
    }
}

/// Drops every value of `values`, even if some destructors panic; then unwinds with the first
/// panic, if there was one. The channel's drains use it: a panic out of the middle of one
/// would leave the rest to the queue's own drop, which may run as that very panic unwinds
/// (the last receiver's `Arc` of the channel), and a second panic there aborts.
fn drop_all<T>(values: impl Iterator<Item = T>) {
    let mut first_panic = None;
    for value in values {
        // AssertUnwindSafe: after a panic nothing is read but the next value, which the
        // panicking destructor could not reach.
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(value))) {
            first_panic.get_or_insert(panic);
        }
    }
    if let Some(panic) = first_panic {
        std::panic::resume_unwind(panic);
    }
}

/// Creates a channel of capacity `cap` over an [`ArrayQueue`], or a rendezvous channel if
/// `cap` is 0.
///
/// A rendezvous channel holds no values: a `send` returns once a receiver has taken its
/// value (or once it was given to a receiver already waiting, which will take it), a
/// `try_send` succeeds only while a receiver waits, and a `try_recv` only while a sender
/// waits. Its `len` is always 0, and it is always empty and full, as crossbeam-channel's
/// `bounded(0)`. Its async ends pair with waiting receivers and senders of either kind,
/// except that a `send_async` waits for a receiver that is waiting itself, so it does not
/// pair with `try_recv`. (See [`Rendezvous`] for the protocol.)
///
/// # Panics
///
/// Panics if `cap` is too large to allocate, as [`ArrayQueue::new`] does.
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::bounded(2);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert!(tx.try_send(3).unwrap_err().is_full());
/// assert_eq!(rx.recv(), Ok(1));
/// ```
///
/// A rendezvous channel:
///
/// ```
/// let (tx, rx) = wharf::channel::bounded(0);
/// let sender = std::thread::spawn(move || tx.send("hi"));
/// assert_eq!(rx.recv(), Ok("hi")); // the send returns once this has its value
/// sender.join().unwrap().unwrap();
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    if cap == 0 {
        return with_queue(Flavor::Zero(Rendezvous::new()));
    }
    with_queue(Flavor::Bounded(ArrayQueue::new(cap)))
}

/// Creates a channel of unlimited capacity over a [`LinkedQueue`].
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap(); // never blocks
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_queue(Flavor::Unbounded(LinkedQueue::new()))
}

/// Creates a channel over `queue`, with the default [`WaitStrategy`].
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::with_queue(wharf::LinkedQueue::new());
/// tx.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub fn with_queue<T, Q: Queue<T>>(queue: Q) -> (Sender<T, Q>, Receiver<T, Q>) {
    with_queue_and_strategy(queue, WaitStrategy::default())
}

/// Creates a channel over `queue` whose blocked operations wait as `strategy` says.
///
/// # Examples
///
/// ```
/// use wharf::channel::{with_queue_and_strategy, WaitStrategy};
/// let (tx, rx) = with_queue_and_strategy(wharf::ArrayQueue::new(4), WaitStrategy::Spin);
/// tx.send(3).unwrap();
/// assert_eq!(rx.recv(), Ok(3));
/// ```
pub fn with_queue_and_strategy<T, Q: Queue<T>>(
    queue: Q,
    strategy: WaitStrategy,
) -> (Sender<T, Q>, Receiver<T, Q>) {
    let chan = new_chan(queue, strategy);
    (Sender::new(chan.clone()), Receiver::new(chan))
}

/// The shared state of a new channel over `queue`, counting one sender and one receiver.
fn new_chan<T, Q: Queue<T>>(queue: Q, strategy: WaitStrategy) -> Arc<Chan<T, Q>> {
    let bounded = queue.capacity().is_some();
    let handoff = queue.__seqcst_handoff();
    Arc::new(Chan {
        queue,
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
        disconnected: AtomicBool::new(false),
        not_empty: EventCount::new(),
        not_full: EventCount::new(),
        strategy,
        bounded,
        handoff,
        _marker: core::marker::PhantomData,
    })
}
