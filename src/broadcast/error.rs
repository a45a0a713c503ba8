//! The errors of broadcast operations.

use std::error::Error;
use std::fmt;

/// `recv` found nothing it could return.
///
/// # Examples
///
/// ```
/// use wharf::broadcast::{lossy, RecvError};
/// let (publisher, mut subscriber) = lossy::<u32>(2);
/// for i in 0..5 {
///     publisher.publish(i);
/// }
/// assert_eq!(subscriber.recv(), Err(RecvError::Lagged(3))); // 0, 1 and 2 were overwritten
/// assert_eq!(subscriber.recv(), Ok(3));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvError {
    /// Lossy rings: this many messages were overwritten before the subscriber read them. The
    /// next receive returns the oldest message still in the ring.
    Lagged(u64),
    /// Every publisher is gone and every message has been received.
    Closed,
}

/// A [`SubscriberStream`](super::SubscriberStream) item: under the lossy policy, this many
/// messages were overwritten before the subscriber read them (as [`RecvError::Lagged`]).
///
/// # Examples
///
/// ```
/// let lag = wharf::broadcast::Lagged(3);
/// assert_eq!(lag.to_string(), "subscriber lagged behind by 3 messages");
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct Lagged(pub u64);

impl fmt::Display for Lagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscriber lagged behind by {} messages", self.0)
    }
}

impl Error for Lagged {}

/// `try_recv` found nothing it could return.
///
/// # Examples
///
/// ```
/// use wharf::broadcast::{backpressure, TryRecvError};
/// let (publisher, mut subscriber) = backpressure::<u32>(4);
/// assert_eq!(subscriber.try_recv(), Err(TryRecvError::Empty));
/// drop(publisher);
/// assert_eq!(subscriber.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// No new message yet.
    Empty,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
    /// As [`RecvError::Closed`].
    Closed,
}

/// `recv_timeout` or `recv_deadline` found nothing it could return in time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::broadcast::{backpressure, RecvTimeoutError};
/// let (_publisher, mut subscriber) = backpressure::<u32>(4);
/// assert_eq!(subscriber.recv_timeout(Duration::ZERO), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// No new message came in time.
    Timeout,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
    /// As [`RecvError::Closed`].
    Closed,
}

/// `try_publish` found the ring full (backpressure: the slowest subscriber has not read the
/// message the new one would overwrite); the value comes back.
///
/// # Examples
///
/// ```
/// use wharf::broadcast::{backpressure, TryPublishError};
/// let (publisher, _subscriber) = backpressure(1);
/// publisher.try_publish(1).unwrap();
/// assert_eq!(publisher.try_publish(2), Err(TryPublishError::Full(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TryPublishError<T> {
    /// The ring is full.
    Full(T),
}

/// `publish_timeout` or `publish_deadline` found no room in time; the value comes back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::broadcast::{backpressure, PublishTimeoutError};
/// let (publisher, _subscriber) = backpressure(1);
/// publisher.publish(1);
/// assert_eq!(publisher.publish_timeout(2, Duration::ZERO), Err(PublishTimeoutError::Timeout(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum PublishTimeoutError<T> {
    /// The ring stayed full until the time ran out.
    Timeout(T),
}

impl<T> TryPublishError<T> {
    /// The value that was not published.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) => v,
        }
    }
}

impl<T> PublishTimeoutError<T> {
    /// The value that was not published.
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(v) => v,
        }
    }
}

impl<T> fmt::Debug for TryPublishError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Full(..)")
    }
}
impl<T> fmt::Debug for PublishTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Timeout(..)")
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lagged(n) => write!(f, "subscriber lagged behind by {n} messages"),
            Self::Closed => f.write_str("every publisher is gone"),
        }
    }
}
impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no new message"),
            Self::Lagged(n) => write!(f, "subscriber lagged behind by {n} messages"),
            Self::Closed => f.write_str("every publisher is gone"),
        }
    }
}
impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting for a message"),
            Self::Lagged(n) => write!(f, "subscriber lagged behind by {n} messages"),
            Self::Closed => f.write_str("every publisher is gone"),
        }
    }
}
impl<T> fmt::Display for TryPublishError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("publishing into a full ring")
    }
}
impl<T> fmt::Display for PublishTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting for room in the ring")
    }
}

impl Error for RecvError {}
impl Error for TryRecvError {}
impl Error for RecvTimeoutError {}
impl<T> Error for TryPublishError<T> {}
impl<T> Error for PublishTimeoutError<T> {}

impl From<RecvError> for TryRecvError {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::Lagged(n) => Self::Lagged(n),
            RecvError::Closed => Self::Closed,
        }
    }
}
impl From<RecvError> for RecvTimeoutError {
    fn from(err: RecvError) -> Self {
        match err {
            RecvError::Lagged(n) => Self::Lagged(n),
            RecvError::Closed => Self::Closed,
        }
    }
}
