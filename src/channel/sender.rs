//! The sending half of a channel.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::{Duration, Instant};

use super::{Chan, Flavor, SendError, SendTimeoutError, TrySendError};
use crate::loom::{Arc, Ordering};
use crate::Queue;

/// The sending half of a channel; clone it to send from several threads.
///
/// `Q` is the queue behind the channel: [`Flavor<T>`] for [`bounded`](super::bounded) and
/// [`unbounded`](super::unbounded) channels.
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::bounded(8);
/// let tx2 = tx.clone();
/// std::thread::spawn(move || tx2.send(1).unwrap()).join().unwrap();
/// tx.send(2).unwrap();
/// let mut got = vec![rx.recv().unwrap(), rx.recv().unwrap()];
/// got.sort();
/// assert_eq!(got, [1, 2]);
/// ```
pub struct Sender<T, Q: Queue<T> = Flavor<T>> {
    pub(super) chan: Arc<Chan<T, Q>>,
}

impl<T, Q: Queue<T>> Sender<T, Q> {
    pub(super) fn new(chan: Arc<Chan<T, Q>>) -> Self {
        Self { chan }
    }

    /// Sends `value`, waiting while the channel is full.
    ///
    /// # Errors
    ///
    /// Hands the value back in [`SendError`] if every receiver is gone. `Ok` means the value
    /// entered the channel, not that it was received: a send racing with the drop of the last
    /// receiver may return `Ok` (it took effect before the disconnect), and its value is then
    /// dropped with the rest of the queue, by the time both the send and that drop returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(1);
    /// tx.send('a').unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send('b').unwrap_err().into_inner(), 'b');
    /// ```
    #[inline]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan
            .send_until(value, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is full, [`TrySendError::Disconnected`] if every
    /// receiver is gone; either way with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    #[inline]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// Sends `value`, waiting at most `timeout` for room. A timeout too large to represent
    /// (such as `Duration::MAX`) waits without limit.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if no room came in time, [`SendTimeoutError::Disconnected`]
    /// if every receiver is gone; either way with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = wharf::channel::bounded(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.send_timeout(2, Duration::from_millis(1)).unwrap_err().is_timeout());
    /// ```
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.chan
            .send_until(value, Instant::now().checked_add(timeout))
    }

    /// Sends `value`, waiting for room until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(1);
    /// tx.send_deadline(1, std::time::Instant::now()).unwrap(); // room now: no wait
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.chan.send_until(value, Some(deadline))
    }

    /// The number of values in the channel (racy under concurrent use).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::unbounded();
    /// tx.send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// Whether the channel holds no value (racy under concurrent use).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::unbounded::<u8>();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// Whether a send would wait now (racy; always `false` when unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::bounded(1);
    /// tx.send(0).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// The channel's capacity, or `None` if it is unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::bounded::<u8>(5);
    /// assert_eq!(tx.capacity(), Some(5));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.queue.capacity()
    }

    /// Whether `self` and `other` are handles of the same channel (one is a clone of the other,
    /// or of a clone of it...).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = wharf::channel::unbounded::<u8>();
    /// let (other, _) = wharf::channel::unbounded::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
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
impl<T, Q: Queue<T> + RefUnwindSafe> UnwindSafe for Sender<T, Q> {}
impl<T, Q: Queue<T> + RefUnwindSafe> RefUnwindSafe for Sender<T, Q> {}

impl<T, Q: Queue<T>> Clone for Sender<T, Q> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, so the count cannot be at zero;
        // nothing else is published by the increment.
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Self::new(self.chan.clone())
    }
}

impl<T, Q: Queue<T>> Drop for Sender<T, Q> {
    fn drop(&mut self) {
        // AcqRel: the last sender's decrement orders every other sender's pushes before the
        // disconnect that receivers will see.
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.disconnect();
        }
    }
}

impl<T, Q: Queue<T>> fmt::Debug for Sender<T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}
