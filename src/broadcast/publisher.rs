//! The publishing handles: [`Publisher`] (cloneable, several threads) and
//! [`SinglePublisher`] (one thread, no read-modify-write to claim a sequence).

use std::fmt;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use super::ring::Ring;
use super::{PublishTimeoutError, Subscriber, TryPublishError};
use crate::event_count::TaskSlot;
use crate::loom::{Arc, Ordering};

/// A publishing handle that may be cloned and used from several threads at once: each
/// publish claims its sequence with one fetch-and-add, without a lock.
///
/// All subscribers see all publishers' messages in one total order, and each publisher's
/// messages in the order it published them. When every publisher is gone, subscribers
/// receive what is left and then [`Closed`](super::RecvError::Closed).
///
/// # Examples
///
/// ```
/// let (publisher, mut subscriber) = wharf::broadcast::backpressure(16);
/// let other = publisher.clone();
/// std::thread::spawn(move || other.publish("from a thread")).join().unwrap();
/// publisher.publish("from main");
/// drop(publisher);
/// let mut got = vec![subscriber.recv().unwrap(), subscriber.recv().unwrap()];
/// got.sort();
/// assert_eq!(got, ["from a thread", "from main"]);
/// ```
pub struct Publisher<T> {
    pub(super) ring: Arc<Ring<T>>,
}

impl<T> Publisher<T> {
    pub(super) fn new(ring: Arc<Ring<T>>) -> Self {
        Self { ring }
    }

    /// Publishes `value` to every subscriber. Under backpressure, waits while the slowest
    /// subscriber has not read the message the new one would overwrite; lossy rings never wait
    /// for subscribers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::lossy(4);
    /// publisher.publish(7);
    /// assert_eq!(subscriber.recv(), Ok(7));
    /// ```
    pub fn publish(&self, value: T) {
        let seq = self.ring.claim_multi();
        self.ring.finish(seq, value);
    }

    /// Publishes `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TryPublishError::Full`], with the value, if the ring is full (backpressure only).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _subscriber) = wharf::broadcast::backpressure(1);
    /// assert!(publisher.try_publish(1).is_ok());
    /// assert!(publisher.try_publish(2).is_err());
    /// ```
    pub fn try_publish(&self, value: T) -> Result<(), TryPublishError<T>> {
        match self.ring.try_claim_multi() {
            Some(seq) => {
                self.ring.finish(seq, value);
                Ok(())
            }
            None => Err(TryPublishError::Full(value)),
        }
    }

    /// Publishes `value`, waiting at most `timeout` for room. A timeout too large to
    /// represent (such as `Duration::MAX`) waits without limit.
    ///
    /// # Errors
    ///
    /// [`PublishTimeoutError::Timeout`], with the value, if no room came in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let (publisher, _subscriber) = wharf::broadcast::backpressure(1);
    /// publisher.publish_timeout(1, Duration::MAX).unwrap();
    /// assert!(publisher.publish_timeout(2, Duration::from_millis(1)).is_err());
    /// ```
    pub fn publish_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), PublishTimeoutError<T>> {
        self.publish_until(value, Instant::now().checked_add(timeout))
    }

    /// Publishes `value`, waiting for room until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`publish_timeout`](Self::publish_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(1);
    /// publisher.publish_deadline(1, std::time::Instant::now()).unwrap(); // room: no wait
    /// assert_eq!(subscriber.recv(), Ok(1));
    /// ```
    pub fn publish_deadline(
        &self,
        value: T,
        deadline: Instant,
    ) -> Result<(), PublishTimeoutError<T>> {
        self.publish_until(value, Some(deadline))
    }

    fn publish_until(
        &self,
        value: T,
        deadline: Option<Instant>,
    ) -> Result<(), PublishTimeoutError<T>> {
        let ring = &self.ring;
        match ring
            .strategy
            .wait_for(&ring.freed, deadline, || ring.try_claim_multi())
        {
            Some(seq) => {
                ring.finish(seq, value);
                Ok(())
            }
            None => Err(PublishTimeoutError::Timeout(value)),
        }
    }

    /// One poll of an async publish of the value in `held` (taken once published).
    pub(super) fn poll_publish(
        &self,
        held: &mut Option<T>,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let ring = &self.ring;
        ring.strategy.poll_for(
            &ring.freed,
            slot,
            cx,
            || {
                // Claim and finish within the one attempt: a claimed sequence never waits across
                // an await (a dropped future would leave a hole every subscriber waits at).
                let seq = ring.try_claim_multi()?;
                let value = held
                    .take()
                    .expect("an async publish keeps its value until it claims");
                ring.finish(seq, value);
                Some(())
            },
            || false,
        )
    }

    /// The event count an async publish waits on.
    pub(super) fn freed(&self) -> &crate::EventCount {
        &self.ring.freed
    }

    /// A new subscriber, which starts with the next message published.
    ///
    /// # Panics
    ///
    /// Under backpressure, panics if the ring already has its
    /// [maximum number](super::Builder::max_subscribers) of subscribers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _first) = wharf::broadcast::lossy(4);
    /// publisher.publish(1);
    /// let mut late = publisher.subscribe();
    /// publisher.publish(2);
    /// assert_eq!(late.recv(), Ok(2)); // it never sees 1
    /// ```
    pub fn subscribe(&self) -> Subscriber<T> {
        Subscriber::join(self.ring.clone())
    }

    /// The ring's capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _s) = wharf::broadcast::lossy::<u8>(5);
    /// assert_eq!(publisher.capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Test-only: `(subscribers, publishers)` registered as waiting on this ring now (only
    /// [`WaitStrategy::SpinPark`](crate::WaitStrategy) registers). Tests poll it to know that
    /// the other side is blocked; not part of the API, and racy by nature.
    #[doc(hidden)]
    pub fn __waiters(&self) -> (usize, usize) {
        self.ring.waiters()
    }
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        // Relaxed: made from a live handle, so the count cannot be at zero.
        self.ring.publishers.fetch_add(1, Ordering::Relaxed);
        Self::new(self.ring.clone())
    }
}

impl<T> Drop for Publisher<T> {
    fn drop(&mut self) {
        // AcqRel: the last publisher's close is ordered after every other publisher's writes.
        if self.ring.publishers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.ring.close();
        }
    }
}

impl<T> fmt::Debug for Publisher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// The one publishing handle of a single-producer ring, from
/// [`Builder::build_single`](super::Builder::build_single). It claims sequences with a plain
/// store, and `&mut self` guarantees nobody publishes beside it.
///
/// # Examples
///
/// ```
/// let (mut publisher, mut subscriber) = wharf::broadcast::Builder::new(8).build_single();
/// publisher.publish(1);
/// publisher.publish(2);
/// assert_eq!(subscriber.recv(), Ok(1));
/// assert_eq!(subscriber.recv(), Ok(2));
/// ```
pub struct SinglePublisher<T> {
    pub(super) ring: Arc<Ring<T>>,
}

impl<T> SinglePublisher<T> {
    pub(super) fn new(ring: Arc<Ring<T>>) -> Self {
        Self { ring }
    }

    /// Publishes `value` to every subscriber; waits under backpressure as
    /// [`Publisher::publish`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subscriber) = wharf::broadcast::Builder::new(2).build_single();
    /// publisher.publish('x');
    /// assert_eq!(subscriber.recv(), Ok('x'));
    /// ```
    #[inline]
    pub fn publish(&mut self, value: T) {
        let seq = self.ring.next_single();
        if !self.ring.room(seq) {
            self.ring.wait_for_room(seq);
        }
        self.ring.publish_single(seq, value);
    }

    /// One poll of an async publish of the value in `held` (taken once published).
    pub(super) fn poll_publish(
        &mut self,
        held: &mut Option<T>,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let ring = &self.ring;
        let seq = ring.next_single();
        // The sequence is only claimed once there is room, within the poll that finds it.
        ready!(ring.strategy.poll_for(
            &ring.freed,
            slot,
            cx,
            || ring.room(seq).then_some(()),
            || false
        ));
        let value = held
            .take()
            .expect("an async publish keeps its value until it claims");
        ring.publish_single(seq, value);
        Poll::Ready(())
    }

    /// The event count an async publish waits on.
    pub(super) fn freed(&self) -> &crate::EventCount {
        &self.ring.freed
    }

    /// Publishes `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TryPublishError::Full`], with the value, if the ring is full (backpressure only).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, _s) = wharf::broadcast::Builder::new(1).build_single();
    /// assert!(publisher.try_publish(1).is_ok());
    /// assert!(publisher.try_publish(2).is_err());
    /// ```
    pub fn try_publish(&mut self, value: T) -> Result<(), TryPublishError<T>> {
        let seq = self.ring.next_single();
        if !self.ring.room(seq) {
            return Err(TryPublishError::Full(value));
        }
        self.ring.publish_single(seq, value);
        Ok(())
    }

    /// A new subscriber, which starts with the next message published.
    ///
    /// # Panics
    ///
    /// As [`Publisher::subscribe`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, _first) = wharf::broadcast::Builder::new(4).build_single();
    /// let mut second = publisher.subscribe();
    /// publisher.publish(3);
    /// assert_eq!(second.recv(), Ok(3));
    /// ```
    pub fn subscribe(&self) -> Subscriber<T> {
        Subscriber::join(self.ring.clone())
    }

    /// The ring's capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _s) = wharf::broadcast::Builder::new(3).build_single::<u8>();
    /// assert_eq!(publisher.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Test-only: `(subscribers, publishers)` registered as waiting on this ring now (only
    /// [`WaitStrategy::SpinPark`](crate::WaitStrategy) registers). Tests poll it to know that
    /// the other side is blocked; not part of the API, and racy by nature.
    #[doc(hidden)]
    pub fn __waiters(&self) -> (usize, usize) {
        self.ring.waiters()
    }
}

impl<T> Drop for SinglePublisher<T> {
    fn drop(&mut self) {
        // AcqRel: as for `Publisher`; the count is 1 for a single-producer ring.
        if self.ring.publishers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.ring.close();
        }
    }
}

impl<T> fmt::Debug for SinglePublisher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinglePublisher")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}
