//! Publish/subscribe over one ring: every subscriber sees every message, in order.
//!
//! A ring of preallocated slots, a cache-padded claim cursor, and a read cursor per
//! subscriber, as in the LMAX Disruptor (M. Thompson et al., "Disruptor: High performance
//! alternative to bounded queues for exchanging data between concurrent threads", 2011).
//! Publishers claim sequence numbers (a plain store for a [`SinglePublisher`], one
//! fetch-and-add for a cloneable [`Publisher`]); message `s` lives in slot `s mod capacity`
//! with a stamp saying which message the slot holds, so subscribers read without a lock.
//! A [`SinglePublisher`] under backpressure moves its cursor only after writing, so the cursor
//! itself says what is published: its subscribers read every message below one load of it, as
//! the disruptor's consumers do, instead of checking a stamp per message.
//!
//! # The two policies
//!
//! Chosen at construction with [`Overflow`]:
//!
//! - [`Overflow::Backpressure`]: a publisher never overwrites a message that a live subscriber
//!   has not read. `publish` waits for the slowest subscriber; `try_publish` hands the value
//!   back. Nothing is ever lost. Dropping a subscriber releases what it held back.
//!   A subscriber hands back the slots it has read in batches (an eighth of the ring, at
//!   most 64 messages, and at least one), and all of them whenever it finds nothing more to
//!   read, so publishers rescan the subscribers once a batch instead of once a message
//!   (about 1.1x the throughput with one publisher and two or four subscribers). So a
//!   subscriber that stops receiving in the middle of a batch holds back up to one batch
//!   more than it has read, until it receives again.
//! - [`Overflow::Lossy`]: a publisher never waits for subscribers. A subscriber that fell more
//!   than a ring behind is told exactly how many messages it missed.
//!
//! ```
//! use wharf::broadcast::{backpressure, TryPublishError};
//!
//! let (publisher, mut slow) = backpressure(2);
//! publisher.publish(1);
//! publisher.publish(2);
//! assert_eq!(publisher.try_publish(3), Err(TryPublishError::Full(3))); // `slow` holds it back
//! assert_eq!(slow.recv(), Ok(1));
//! publisher.try_publish(3).unwrap(); // room again
//! drop(slow); // and no subscriber at all: nothing holds the publisher back
//! for i in 4..100 {
//!     publisher.publish(i);
//! }
//! ```
//!
//! # Lagging
//!
//! Under the lossy policy, a subscriber whose next message was overwritten gets
//! [`RecvError::Lagged(n)`](RecvError::Lagged): exactly `n` messages are gone. It then
//! continues from the oldest message still in the ring. Every message is thus either
//! received or counted in exactly one `Lagged`.
//!
//! ```
//! use wharf::broadcast::{lossy, RecvError};
//!
//! let (publisher, mut subscriber) = lossy(4);
//! for i in 0..10 {
//!     publisher.publish(i);
//! }
//! assert_eq!(subscriber.recv(), Err(RecvError::Lagged(6))); // 0..6 were overwritten
//! assert_eq!(subscriber.recv(), Ok(6));
//! publisher.publish(10);
//! assert_eq!(subscriber.recv(), Ok(7)); // caught up: in order again
//! ```
//!
//! # Closing
//!
//! When every publisher is gone, subscribers receive what is left and then
//! [`RecvError::Closed`].
//!
//! ```
//! use wharf::broadcast::{backpressure, RecvError};
//!
//! let (publisher, mut subscriber) = backpressure(1);
//! publisher.publish("last words");
//! drop(publisher);
//! assert_eq!(subscriber.recv(), Ok("last words"));
//! assert_eq!(subscriber.recv(), Err(RecvError::Closed));
//! ```
//!
//! # Late subscribers
//!
//! A subscriber that joins ([`Publisher::subscribe`], [`Subscriber::resubscribe`]) starts with
//! the next message published; it never sees earlier ones.
//!
//! ```
//! let (publisher, mut early) = wharf::broadcast::backpressure(8);
//! publisher.publish("before");
//! let mut late = publisher.subscribe();
//! publisher.publish("after");
//! assert_eq!(early.recv(), Ok("before"));
//! assert_eq!(early.recv(), Ok("after"));
//! assert_eq!(late.recv(), Ok("after"));
//! ```
//!
//! # Why a reader never sees a torn value
//!
//! A subscriber reads messages in place, by reference (it clones, or hands `&T` to a closure).
//! For a `T` that owns memory, reading while a publisher overwrites the slot would not just
//! tear bytes: the publisher drops the old value, so the reader could clone freed memory. An
//! optimistic read (copy, then check the stamp did not move) cannot prevent that for non-`Copy`
//! types, so neither policy uses one:
//!
//! - Backpressure: a publisher overwrites message `m` only after every registered subscriber's
//!   cursor has passed `m`, and a subscriber moves its cursor only after its read returns. A
//!   subscriber joining concurrently registers first and then reads the claim cursor for its
//!   start, while a publisher computing its gate reads the claim cursor before scanning the
//!   registry, so a gate that missed the newcomer never reaches its start.
//! - Lossy: each slot has a small reader-writer lock (a reader count and a writer bit in one
//!   word). A reader enters, re-checks that the slot still holds its message, reads, and
//!   leaves; a publisher sets the writer bit, waits for readers already inside to leave (never
//!   for a subscriber that is merely behind), replaces the value and moves the stamp. A reader
//!   that finds the writer bit or a newer stamp reports the message as not yet published or
//!   overwritten, and never touches the value.
//!
//! Sharing follows from this: subscribers on several threads read one `&T` at once, so rings
//! are `Send`/`Sync` only for `T: Send + Sync`.
//!
//! ```compile_fail
//! // An `Rc` cannot be shared between subscriber threads.
//! fn assert_send<T: Send>(_: T) {}
//! let (publisher, subscriber) = wharf::broadcast::lossy::<std::rc::Rc<u8>>(4);
//! assert_send(subscriber);
//! ```
//!
//! ```compile_fail
//! // A `Cell` is `Send` but not `Sync`: two subscribers could clone it at once.
//! fn assert_send<T: Send>(_: T) {}
//! let (publisher, subscriber) = wharf::broadcast::lossy::<std::cell::Cell<u8>>(4);
//! assert_send(subscriber);
//! ```

mod batch;
mod error;
mod futures;
mod publisher;
mod ring;
mod subscriber;

pub use error::{
    Lagged, PublishTimeoutError, RecvError, RecvTimeoutError, TryPublishError, TryRecvError,
};
pub use futures::{PublishFut, SinglePublishFut, SubscriberRecvFut, SubscriberStream};
pub use publisher::{Publisher, SinglePublisher};
pub use subscriber::Subscriber;

use crate::loom::Arc;
use crate::WaitStrategy;
use ring::Ring;

/// What a publisher does when the ring is full of messages some subscriber has not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait for the slowest subscriber (or fail, with `try_publish`). Nothing is lost.
    #[default]
    Backpressure,
    /// Overwrite the oldest message; a subscriber that had not read it gets `Lagged(n)`.
    Lossy,
}

/// Subscribers a backpressure ring accepts unless [`Builder::max_subscribers`] says otherwise.
pub const DEFAULT_MAX_SUBSCRIBERS: usize = 64;

/// Configures a broadcast ring.
///
/// # Examples
///
/// ```
/// use wharf::broadcast::{Builder, Overflow};
/// use wharf::WaitStrategy;
///
/// let (publisher, mut subscriber) = Builder::new(1024)
///     .overflow(Overflow::Lossy)
///     .wait_strategy(WaitStrategy::SpinYield)
///     .build();
/// publisher.publish(1u64);
/// assert_eq!(subscriber.recv(), Ok(1));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    capacity: usize,
    overflow: Overflow,
    strategy: WaitStrategy,
    max_subscribers: usize,
    /// Loom models only: the backpressure release batch, in place of the capacity's.
    #[cfg(loom)]
    release_batch: Option<u64>,
}

impl Builder {
    /// A ring of `capacity` slots, with backpressure, the default wait strategy and up to
    /// [`DEFAULT_MAX_SUBSCRIBERS`] subscribers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_p, _s) = wharf::broadcast::Builder::new(3).build::<u8>(); // any capacity ≥ 1
    /// ```
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            overflow: Overflow::default(),
            strategy: WaitStrategy::default(),
            max_subscribers: DEFAULT_MAX_SUBSCRIBERS,
            #[cfg(loom)]
            release_batch: None,
        }
    }

    /// Loom models only, not part of the API: makes backpressure subscribers release their
    /// read slots every `batch` messages (and on catching up) instead of every eighth of the
    /// ring, so that a model of a small ring can release in batches of 2 or more (the real
    /// batch is 1 below a capacity of 16).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn __release_batch(mut self, batch: u64) -> Self {
        assert!(batch > 0, "a release batch must be at least 1");
        self.release_batch = Some(batch);
        self
    }

    /// The overflow policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::broadcast::{Builder, Overflow};
    /// let (publisher, _s) = Builder::new(1).overflow(Overflow::Lossy).build();
    /// publisher.try_publish(1).unwrap();
    /// publisher.try_publish(2).unwrap(); // lossy: never full
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// How blocked publishers and subscribers wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = wharf::broadcast::Builder::new(8).wait_strategy(wharf::WaitStrategy::Spin);
    /// let (_p, _s) = b.build::<u8>();
    /// ```
    pub fn wait_strategy(mut self, strategy: WaitStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The most subscribers a backpressure ring holds at once (each has a registered cursor
    /// that publishers scan when the ring looks full). Lossy rings have no limit.
    ///
    /// The registry (a cache line per entry) is allocated when the ring is built, so a
    /// backpressure [`build`](Self::build) panics if `max` is too large to allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _s) = wharf::broadcast::Builder::new(8).max_subscribers(2).build::<u8>();
    /// let _second = publisher.subscribe();
    /// ```
    pub fn max_subscribers(mut self, max: usize) -> Self {
        self.max_subscribers = max;
        self
    }

    /// Builds the ring with a cloneable, multi-producer [`Publisher`] and a first subscriber.
    ///
    /// # Panics
    ///
    /// Panics if the capacity is 0 or too large to allocate, or if `max_subscribers` is 0 or
    /// too large to allocate under backpressure.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::Builder::new(4).build();
    /// publisher.publish(());
    /// assert_eq!(subscriber.recv(), Ok(()));
    /// ```
    pub fn build<T>(self) -> (Publisher<T>, Subscriber<T>) {
        let ring = self.ring(false);
        (Publisher::new(ring.clone()), Subscriber::join(ring))
    }

    /// Builds the ring with its one [`SinglePublisher`] and a first subscriber.
    ///
    /// # Panics
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subscriber) = wharf::broadcast::Builder::new(4).build_single();
    /// publisher.publish(1);
    /// assert_eq!(subscriber.recv(), Ok(1));
    /// ```
    pub fn build_single<T>(self) -> (SinglePublisher<T>, Subscriber<T>) {
        let ring = self.ring(true);
        (SinglePublisher::new(ring.clone()), Subscriber::join(ring))
    }

    /// The ring, for one `single` publisher or for any number.
    fn ring<T>(self, single: bool) -> Arc<Ring<T>> {
        #[allow(unused_mut)] // mutated under loom only
        let mut ring = Ring::new(
            self.capacity,
            self.overflow,
            self.strategy,
            self.max_subscribers,
            single,
        );
        #[cfg(loom)]
        if let Some(batch) = self.release_batch {
            ring.set_release_batch(batch);
        }
        Arc::new(ring)
    }
}

/// A multi-producer ring of `capacity` slots with the [`Overflow::Backpressure`] policy.
///
/// # Panics
///
/// Panics if `capacity` is 0 or too large to allocate.
///
/// # Examples
///
/// ```
/// let (publisher, mut subscriber) = wharf::broadcast::backpressure(16);
/// publisher.publish(42);
/// assert_eq!(subscriber.recv(), Ok(42));
/// ```
pub fn backpressure<T>(capacity: usize) -> (Publisher<T>, Subscriber<T>) {
    Builder::new(capacity).build()
}

/// A multi-producer ring of `capacity` slots with the [`Overflow::Lossy`] policy.
///
/// # Panics
///
/// Panics if `capacity` is 0 or too large to allocate.
///
/// # Examples
///
/// ```
/// let (publisher, mut subscriber) = wharf::broadcast::lossy(16);
/// publisher.publish(42);
/// assert_eq!(subscriber.recv(), Ok(42));
/// ```
pub fn lossy<T>(capacity: usize) -> (Publisher<T>, Subscriber<T>) {
    Builder::new(capacity).overflow(Overflow::Lossy).build()
}
