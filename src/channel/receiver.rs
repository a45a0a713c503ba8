//! The receiving half of a channel, and its iterators.

use std::fmt;
use std::iter::FusedIterator;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::{Duration, Instant};

use super::{Chan, Flavor, RecvError, RecvTimeoutError, TryRecvError};
use crate::loom::{Arc, Ordering};
use crate::Queue;

/// The receiving half of a channel; clone it to receive on several threads (each value goes
/// to exactly one receiver).
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::unbounded();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct Receiver<T, Q: Queue<T> = Flavor<T>> {
    pub(super) chan: Arc<Chan<T, Q>>,
}

impl<T, Q: Queue<T>> Receiver<T, Q> {
    pub(super) fn new(chan: Arc<Chan<T, Q>>) -> Self {
        Self { chan }
    }

    /// Receives a value, waiting while the channel is empty.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(1);
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv(), Ok(9));
    /// assert_eq!(rx.recv(), Err(wharf::channel::RecvError)); // the sender is gone
    /// ```
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.chan.recv_until(None).map_err(|_| RecvError)
    }

    /// Receives a value if one is there now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if there is none, [`TryRecvError::Disconnected`] if there is
    /// none and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// ```
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives a value, waiting at most `timeout`. A timeout too large to represent (such as
    /// `Duration::MAX`) waits without limit.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing came in time, [`RecvTimeoutError::Disconnected`]
    /// if the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = wharf::channel::unbounded::<u8>();
    /// assert!(rx.recv_timeout(Duration::from_millis(1)).unwrap_err().is_timeout());
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.chan.recv_until(Instant::now().checked_add(timeout))
    }

    /// Receives a value, waiting until `deadline` at the latest. A value already waiting is
    /// returned even if the deadline has passed.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send(4).unwrap();
    /// let past = Instant::now() - Duration::from_millis(10);
    /// assert_eq!(rx.recv_deadline(past), Ok(4));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.chan.recv_until(Some(deadline))
    }

    /// A blocking iterator: yields values until the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::unbounded();
    /// std::thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
    /// assert_eq!(rx.iter().sum::<i32>(), 3);
    /// ```
    pub fn iter(&self) -> Iter<'_, T, Q> {
        Iter {
            rx: self,
            done: false,
        }
    }

    /// A non-blocking iterator: yields the values there now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_iter().count(), 2);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T, Q> {
        TryIter { rx: self }
    }

    /// The number of values in the channel (racy under concurrent use).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// Whether the channel holds no value (racy under concurrent use).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = wharf::channel::unbounded::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// Whether the channel is full (racy; always `false` when unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(1);
    /// tx.send(0).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// The channel's capacity, or `None` if it is unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = wharf::channel::unbounded::<u8>();
    /// assert_eq!(rx.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.queue.capacity()
    }

    /// Whether `self` and `other` are handles of the same channel (one is a clone of the other,
    /// or of a clone of it...). As in crossbeam-channel, every [`never`](super::never())
    /// receiver counts as one channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = wharf::channel::bounded::<u8>(1);
    /// let (_, other) = wharf::channel::bounded::<u8>(1);
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&other));
    /// assert!(wharf::channel::never::<u8>().same_channel(&wharf::channel::never()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        let never = |rx: &Self| rx.chan.queue.__timer().is_some_and(|t| t.is_never());
        Arc::ptr_eq(&self.chan, &other.chan) || (never(self) && never(other))
    }

    /// Test-only: `(receivers, senders)` registered as waiting on this channel now (only the
    /// [`WaitStrategy::SpinPark`](crate::WaitStrategy) strategy registers). Tests poll it to
    /// know that the other side is blocked; not part of the API, and racy by nature.
    #[doc(hidden)]
    pub fn __waiters(&self) -> (usize, usize) {
        self.chan.waiters()
    }
}

// Unwind safety, whatever `T` is, over any queue that is itself `RefUnwindSafe` (wharf's are):
// the channel layer runs no code of the caller's but the queue's methods (hence the bound), so a
// panic cannot leave its counters, flags or event counts half-updated (their lock holds `()`).
impl<T, Q: Queue<T> + RefUnwindSafe> UnwindSafe for Receiver<T, Q> {}
impl<T, Q: Queue<T> + RefUnwindSafe> RefUnwindSafe for Receiver<T, Q> {}

impl<T, Q: Queue<T>> Clone for Receiver<T, Q> {
    fn clone(&self) -> Self {
        // Relaxed: made from a live handle, so the count cannot be at zero.
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Self::new(self.chan.clone())
    }
}

impl<T, Q: Queue<T>> Drop for Receiver<T, Q> {
    fn drop(&mut self) {
        // AcqRel: the last receiver's decrement is ordered after every other receiver's pops.
        if self.chan.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.disconnect();
            // Nobody can receive what is queued: drop it now, not with the last sender.
            self.chan.drain();
        }
    }
}

impl<T, Q: Queue<T>> fmt::Debug for Receiver<T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// A blocking iterator over a [`Receiver`], from [`Receiver::iter`].
///
/// It ends when the channel is empty and every sender is gone, and stays ended
/// ([`FusedIterator`]).
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::bounded(4);
/// tx.send(1).unwrap();
/// drop(tx);
/// let mut it = rx.iter();
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), None);
/// assert_eq!(it.next(), None); // for good
/// ```
pub struct Iter<'a, T, Q: Queue<T> = Flavor<T>> {
    rx: &'a Receiver<T, Q>,
    /// Set once `recv` has failed: see `fused_recv`.
    done: bool,
}

/// One step of a blocking iterator: `recv`, unless it has failed before.
///
/// With wharf's queues a failed `recv` is final anyway: it fails only once every sender is
/// gone (no handle can make a new one) and the queue, which only the channel can reach, is
/// empty. A queue of the caller's given to [`with_queue`](super::with_queue) may be
/// reachable from outside the channel, though (a handle to a shared queue), and a push there
/// would let `recv` succeed again; `done` keeps the iterators fused whatever the queue.
#[inline]
fn fused_recv<T, Q: Queue<T>>(rx: &Receiver<T, Q>, done: &mut bool) -> Option<T> {
    if *done {
        return None;
    }
    let value = rx.recv().ok();
    *done = value.is_none();
    value
}

impl<T, Q: Queue<T>> Iterator for Iter<'_, T, Q> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        fused_recv(self.rx, &mut self.done)
    }
}

impl<T, Q: Queue<T>> FusedIterator for Iter<'_, T, Q> {}

/// A non-blocking iterator over a [`Receiver`], from [`Receiver::try_iter`].
///
/// Not fused: after `None` (nothing there now) it yields again once a value arrives.
pub struct TryIter<'a, T, Q: Queue<T> = Flavor<T>> {
    rx: &'a Receiver<T, Q>,
}

impl<T, Q: Queue<T>> Iterator for TryIter<'_, T, Q> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

/// A blocking iterator that owns its [`Receiver`], from `Receiver::into_iter`; it ends as
/// [`Iter`] does, for good ([`FusedIterator`]).
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::unbounded();
/// std::thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
/// assert_eq!(rx.into_iter().collect::<Vec<_>>(), [0, 1, 2]);
/// ```
pub struct IntoIter<T, Q: Queue<T> = Flavor<T>> {
    rx: Receiver<T, Q>,
    /// Set once `recv` has failed: see `fused_recv`.
    done: bool,
}

impl<T, Q: Queue<T>> Iterator for IntoIter<T, Q> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        fused_recv(&self.rx, &mut self.done)
    }
}

impl<T, Q: Queue<T>> FusedIterator for IntoIter<T, Q> {}

impl<T, Q: Queue<T>> IntoIterator for Receiver<T, Q> {
    type Item = T;
    type IntoIter = IntoIter<T, Q>;
    fn into_iter(self) -> IntoIter<T, Q> {
        IntoIter {
            rx: self,
            done: false,
        }
    }
}

impl<'a, T, Q: Queue<T>> IntoIterator for &'a Receiver<T, Q> {
    type Item = T;
    type IntoIter = Iter<'a, T, Q>;
    fn into_iter(self) -> Iter<'a, T, Q> {
        self.iter()
    }
}

impl<T, Q: Queue<T>> fmt::Debug for Iter<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter { .. }")
    }
}
impl<T, Q: Queue<T>> fmt::Debug for TryIter<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIter { .. }")
    }
}
impl<T, Q: Queue<T>> fmt::Debug for IntoIter<T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoIter { .. }")
    }
}
