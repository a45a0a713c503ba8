//! The subscribing handle.

use std::fmt;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::ring::{Miss, Ring};
use super::{RecvError, RecvTimeoutError, TryRecvError};
use crate::event_count::TaskSlot;
use crate::loom::Arc;

/// A subscriber: receives every message published after it joined, in order (under the
/// lossy policy, less those it is told it missed).
///
/// Receiving takes `&mut self`: a subscriber is one reader. For several threads to each see
/// every message, give each its own subscriber ([`Publisher::subscribe`](super::Publisher::subscribe)
/// or [`resubscribe`](Subscriber::resubscribe)). Dropping a subscriber releases any
/// backpressure it held.
///
/// # Examples
///
/// ```
/// let (publisher, mut first) = wharf::broadcast::backpressure(8);
/// let mut second = publisher.subscribe();
/// publisher.publish(String::from("tick"));
/// assert_eq!(first.recv().unwrap(), "tick");
/// assert_eq!(second.recv_with(|s| s.len()).unwrap(), 4); // borrowing read: no clone
/// ```
pub struct Subscriber<T> {
    ring: Arc<Ring<T>>,
    /// Where this subscriber is.
    cursor: Cursor,
}

/// A subscriber's position, and (backpressure) how much of it the publishers have been told.
///
/// Backpressure subscribers release what they have read in batches: the registered cursor
/// moves every `Ring::release_batch` messages, and whenever the subscriber catches up (finds
/// nothing to read), so its cache line changes hands, and publishers rescan the registry,
/// once a batch rather than once a message. A publisher never needs a slot that the
/// subscriber has read but not released for long: the subscriber releases it within a batch,
/// or as soon as it runs out of messages.
#[derive(Debug)]
struct Cursor {
    /// The sequence of the next message to receive.
    next: u64,
    /// Backpressure: this subscriber's entry in the ring's registry.
    entry: Option<usize>,
    /// Backpressure: the cursor last stored in the registry (`next` once all is released).
    released: u64,
    /// Single publisher under backpressure: messages below this are published (see `Ring::read`).
    avail: u64,
}

impl<T> Subscriber<T> {
    pub(super) fn join(ring: Arc<Ring<T>>) -> Self {
        let (entry, next) = ring.join();
        Self {
            ring,
            cursor: Cursor {
                next,
                entry,
                released: next,
                avail: next,
            },
        }
    }

    /// One non-blocking receive through `f`; hands `f` back when there is nothing yet.
    fn poll<R, F: FnOnce(&T) -> R>(
        ring: &Ring<T>,
        cursor: &mut Cursor,
        f: F,
    ) -> Result<R, (TryRecvError, Option<F>)> {
        let r = cursor.next;
        let f = match ring.read(r, &mut cursor.avail, f) {
            Ok(out) => return Ok(Self::took(ring, cursor, out)),
            Err((Miss::Overwritten, _)) => return Err((Self::lagged(ring, cursor), None)),
            Err((Miss::NotYet, f)) => f,
        };
        // Caught up: release everything read, so no publisher waits on it while we wait.
        Self::release(ring, cursor);
        if !ring.is_closed() {
            return Err((TryRecvError::Empty, Some(f)));
        }
        // Every publisher is gone, and everything they published is visible now.
        match ring.read(r, &mut cursor.avail, f) {
            Ok(out) => Ok(Self::took(ring, cursor, out)),
            Err((Miss::Overwritten, _)) => Err((Self::lagged(ring, cursor), None)),
            Err((Miss::NotYet, _)) => Err((TryRecvError::Closed, None)),
        }
    }

    #[inline]
    fn took<R>(ring: &Ring<T>, cursor: &mut Cursor, out: R) -> R {
        cursor.next += 1;
        if cursor.next - cursor.released >= ring.release_batch() {
            Self::release(ring, cursor);
        }
        out
    }

    /// Backpressure: tells the publishers everything read so far.
    #[inline]
    fn release(ring: &Ring<T>, cursor: &mut Cursor) {
        if let Some(entry) = cursor.entry {
            if cursor.released != cursor.next {
                cursor.released = cursor.next;
                ring.advance(entry, cursor.next);
            }
        }
    }

    fn lagged(ring: &Ring<T>, cursor: &mut Cursor) -> TryRecvError {
        let resume = ring.oldest_after_lag(cursor.next);
        let missed = resume - cursor.next;
        cursor.next = resume;
        TryRecvError::Lagged(missed)
    }

    /// Receives through `f` (a borrowing read), waiting until `deadline`.
    #[inline]
    fn recv_until<R>(
        &mut self,
        f: impl FnOnce(&T) -> R,
        deadline: Option<Instant>,
    ) -> Result<R, RecvTimeoutError> {
        let Self { ring, cursor } = self;
        // The message is there (the common case when busy): take it without the waiting
        // machinery, which costs a receive several times the read itself. Not for lossy
        // rings: there a faster reader takes the slots' read locks more often, which the
        // publisher must wait out, and the publisher (whose rate is the ring's) ran 0.86x
        // [0.83, 0.90] as fast with this path, delivering the same share (A/B, 30 rounds).
        if ring.overflow == super::Overflow::Lossy {
            return self.wait_until(f, deadline);
        }
        match ring.read(cursor.next, &mut cursor.avail, f) {
            Ok(out) => Ok(Self::took(ring, cursor, out)),
            Err((_, f)) => self.wait_until(f, deadline),
        }
    }

    /// [`recv_until`](Self::recv_until) after a first miss: waits as the strategy says.
    #[inline(never)]
    fn wait_until<R>(
        &mut self,
        f: impl FnOnce(&T) -> R,
        deadline: Option<Instant>,
    ) -> Result<R, RecvTimeoutError> {
        let Self { ring, cursor } = self;
        let mut f = Some(f);
        let mut attempt = Self::attempt(ring, cursor, &mut f);
        ring.strategy
            .wait_for(&ring.published, deadline, || {
                attempt().map(|r| r.map_err(RecvTimeoutError::from))
            })
            .unwrap_or(Err(RecvTimeoutError::Timeout))
    }

    /// One attempt of a waiting receive through the `f` in `f` (handed back while there is
    /// nothing yet): `None` to wait, else the message, a lag or the close.
    fn attempt<'s, R, F: FnOnce(&T) -> R>(
        ring: &'s Ring<T>,
        cursor: &'s mut Cursor,
        f: &'s mut Option<F>,
    ) -> impl FnMut() -> Option<Result<R, RecvError>> + 's {
        move || match Self::poll(ring, cursor, f.take()?) {
            Ok(out) => Some(Ok(out)),
            Err((TryRecvError::Empty, back)) => {
                *f = back;
                None
            }
            Err((TryRecvError::Lagged(n), _)) => Some(Err(RecvError::Lagged(n))),
            Err((TryRecvError::Closed, _)) => Some(Err(RecvError::Closed)),
        }
    }

    /// One poll of an async receive through `f`: the message, a lag or the close, or
    /// `Pending` with the task registered on `published` through `slot`. The cursor moves
    /// only when a message is taken, within this call, so a dropped future loses nothing.
    pub(super) fn poll_recv_with<R>(
        &mut self,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
        f: impl FnOnce(&T) -> R,
    ) -> Poll<Result<R, RecvError>> {
        let Self { ring, cursor } = self;
        let mut f = Some(f);
        let attempt = Self::attempt(ring, cursor, &mut f);
        // `published` is notified with `notify_all` only: nobody to pass a wake-up on to.
        ring.strategy
            .poll_for(&ring.published, slot, cx, attempt, || false)
    }

    /// The next message if it is there now, cloned; `None` at a miss (not published yet, or
    /// overwritten: the lag is left for the next receive to report).
    pub(super) fn take_present(&mut self) -> Option<T>
    where
        T: Clone,
    {
        let Self { ring, cursor } = self;
        match ring.read(cursor.next, &mut cursor.avail, T::clone) {
            Ok(value) => Some(Self::took(ring, cursor, value)),
            Err((Miss::NotYet, _)) => {
                // Caught up: release what was read, as `poll` does.
                Self::release(ring, cursor);
                None
            }
            Err((Miss::Overwritten, _)) => None,
        }
    }

    /// The event count an async receive of this subscriber waits on.
    pub(super) fn published(&self) -> &crate::EventCount {
        &self.ring.published
    }

    /// Calls `f` on the next message without cloning it, waiting for one to be published.
    ///
    /// Under the lossy policy, `f` runs while the message's slot is read-locked: a publisher
    /// about to overwrite that one slot waits for `f` to return, so keep `f` short.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] (lossy) or [`RecvError::Closed`]; `f` is not called.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::lossy(4);
    /// publisher.publish(vec![1, 2, 3]);
    /// assert_eq!(subscriber.recv_with(|v| v.iter().sum::<i32>()), Ok(6));
    /// ```
    pub fn recv_with<R>(&mut self, f: impl FnOnce(&T) -> R) -> Result<R, RecvError> {
        self.recv_until(f, None).map_err(|e| match e {
            RecvTimeoutError::Lagged(n) => RecvError::Lagged(n),
            _ => RecvError::Closed,
        })
    }

    /// Calls `f` on the next message if one is there now, without cloning it.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] (lossy) or [`TryRecvError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(4);
    /// assert!(subscriber.try_recv_with(|v: &u8| *v).is_err());
    /// publisher.publish(5u8);
    /// assert_eq!(subscriber.try_recv_with(|v| *v * 2), Ok(10));
    /// ```
    pub fn try_recv_with<R>(&mut self, f: impl FnOnce(&T) -> R) -> Result<R, TryRecvError> {
        Self::poll(&self.ring, &mut self.cursor, f).map_err(|(e, _)| e)
    }

    /// How many messages have been published (or claimed) that this subscriber has not read
    /// yet, as far as it can tell now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, subscriber) = wharf::broadcast::backpressure(4);
    /// publisher.publish(1);
    /// assert_eq!(subscriber.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        (self.ring.tail().saturating_sub(self.cursor.next)) as usize
    }

    /// Whether there is nothing new for this subscriber now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_publisher, subscriber) = wharf::broadcast::backpressure::<u8>(4);
    /// assert!(subscriber.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new subscriber of the same ring, which starts with the next message published (not
    /// at this subscriber's position).
    ///
    /// # Panics
    ///
    /// As [`Publisher::subscribe`](super::Publisher::subscribe).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, first) = wharf::broadcast::lossy(4);
    /// let mut second = first.resubscribe();
    /// publisher.publish(1);
    /// assert_eq!(second.recv(), Ok(1));
    /// ```
    pub fn resubscribe(&self) -> Self {
        Self::join(self.ring.clone())
    }

    /// Test-only: `(subscribers, publishers)` registered as waiting on this ring now (only
    /// [`WaitStrategy::SpinPark`](crate::WaitStrategy) registers). Tests poll it to know that
    /// the other side is blocked; not part of the API, and racy by nature.
    #[doc(hidden)]
    pub fn __waiters(&self) -> (usize, usize) {
        self.ring.waiters()
    }
}

impl<T: Clone> Subscriber<T> {
    /// Receives a clone of the next message, waiting for one to be published.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] (lossy: that many messages were overwritten before this
    /// subscriber read them; the next call returns the oldest still there), or
    /// [`RecvError::Closed`] once every publisher is gone and everything was received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(4);
    /// std::thread::spawn(move || publisher.publish(1));
    /// assert_eq!(subscriber.recv(), Ok(1));
    /// assert_eq!(subscriber.recv(), Err(wharf::broadcast::RecvError::Closed));
    /// ```
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.recv_with(T::clone)
    }

    /// Receives a clone of the next message if one is there now.
    ///
    /// # Errors
    ///
    /// As [`try_recv_with`](Self::try_recv_with).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::lossy(4);
    /// publisher.publish('a');
    /// assert_eq!(subscriber.try_recv(), Ok('a'));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.try_recv_with(T::clone)
    }

    /// Receives a clone of the next message, waiting at most `timeout`. A timeout too large
    /// to represent (such as `Duration::MAX`) waits without limit.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`], or as [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_publisher, mut subscriber) = wharf::broadcast::lossy::<u8>(4);
    /// assert!(subscriber.recv_timeout(Duration::from_millis(1)).is_err());
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(T::clone, Instant::now().checked_add(timeout))
    }

    /// Receives a clone of the next message, waiting until `deadline` at the latest. A
    /// message already there is returned even if the deadline has passed.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(4);
    /// publisher.publish(8);
    /// assert_eq!(subscriber.recv_deadline(Instant::now() - Duration::from_millis(5)), Ok(8));
    /// ```
    pub fn recv_deadline(&mut self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(T::clone, Some(deadline))
    }
}

impl<T> Drop for Subscriber<T> {
    fn drop(&mut self) {
        if let Some(entry) = self.cursor.entry {
            self.ring.leave(entry);
        }
    }
}

impl<T> fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("next", &self.cursor.next)
            .finish_non_exhaustive()
    }
}
