//! The errors of channel operations, named and shaped like crossbeam-channel's.

use std::error::Error;
use std::fmt;

/// `send` failed because every receiver is gone; the value comes back.
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::unbounded();
/// drop(rx);
/// assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// `try_send` failed; the value comes back.
///
/// # Examples
///
/// ```
/// use wharf::channel::{bounded, TrySendError};
/// let (tx, _rx) = bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full.
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

impl<T> TrySendError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) | Self::Disconnected(v) => v,
        }
    }
    /// Whether the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
    /// Whether every receiver was gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

/// `send_timeout` or `send_deadline` failed; the value comes back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::channel::{bounded, SendTimeoutError};
/// let (tx, _rx) = bounded(1);
/// tx.send(1).unwrap();
/// assert_eq!(tx.send_timeout(2, Duration::ZERO), Err(SendTimeoutError::Timeout(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The channel stayed full until the time ran out.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(v) | Self::Disconnected(v) => v,
        }
    }
    /// Whether the time ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
    /// Whether every receiver was gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

/// `recv` failed because the channel is empty and every sender is gone.
///
/// # Examples
///
/// ```
/// let (tx, rx) = wharf::channel::unbounded::<i32>();
/// drop(tx);
/// assert_eq!(rx.recv(), Err(wharf::channel::RecvError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// `try_recv` found nothing.
///
/// # Examples
///
/// ```
/// use wharf::channel::{unbounded, TryRecvError};
/// let (tx, rx) = unbounded::<i32>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// The channel is empty, but a sender may still send.
    Empty,
    /// The channel is empty and every sender is gone.
    Disconnected,
}

impl TryRecvError {
    /// Whether the channel was merely empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }
    /// Whether every sender was gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

/// `recv_timeout` or `recv_deadline` found nothing in time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::channel::{unbounded, RecvTimeoutError};
/// let (_tx, rx) = unbounded::<i32>();
/// assert_eq!(rx.recv_timeout(Duration::ZERO), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// Nothing arrived before the time ran out.
    Timeout,
    /// The channel is empty and every sender is gone.
    Disconnected,
}

impl RecvTimeoutError {
    /// Whether the time ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }
    /// Whether every sender was gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

// Debug for the value-carrying errors does not require `T: Debug`, so they work with
// `unwrap()` on any payload.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError { .. }")
    }
}
impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}
impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a disconnected channel")
    }
}
impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "sending on a full channel",
            Self::Disconnected(_) => "sending on a disconnected channel",
        })
    }
}
impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout(_) => "timed out waiting on send operation",
            Self::Disconnected(_) => "sending on a disconnected channel",
        })
    }
}
impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and disconnected channel")
    }
}
impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "receiving on an empty channel",
            Self::Disconnected => "receiving on an empty and disconnected channel",
        })
    }
}
impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Timeout => "timed out waiting on receive operation",
            Self::Disconnected => "receiving on an empty and disconnected channel",
        })
    }
}

impl<T> Error for SendError<T> {}
impl<T> Error for TrySendError<T> {}
impl<T> Error for SendTimeoutError<T> {}
impl Error for RecvError {}
impl Error for TryRecvError {}
impl Error for RecvTimeoutError {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}
impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}
impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}
impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

/// [`Select::try_select`](super::Select::try_select) found no operation ready.
///
/// # Examples
///
/// ```
/// use wharf::channel::{unbounded, Select, TrySelectError};
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TrySelectError;

/// [`Select::select_timeout`](super::Select::select_timeout) (or `select_deadline`) found no
/// operation ready in time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::channel::{unbounded, Select, SelectTimeoutError};
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// let timed_out = sel.select_timeout(Duration::from_millis(1));
/// assert_eq!(timed_out.unwrap_err(), SelectTimeoutError);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct SelectTimeoutError;

/// [`Select::try_ready`](super::Select::try_ready) found no operation ready.
///
/// # Examples
///
/// ```
/// use wharf::channel::{unbounded, Select, TryReadyError};
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_ready(), Err(TryReadyError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TryReadyError;

/// [`Select::ready_timeout`](super::Select::ready_timeout) (or `ready_deadline`) found no
/// operation ready in time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use wharf::channel::{unbounded, ReadyTimeoutError, Select};
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.ready_timeout(Duration::from_millis(1)), Err(ReadyTimeoutError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct ReadyTimeoutError;

impl fmt::Display for TrySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("all operations in select would block")
    }
}
impl fmt::Display for SelectTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on select")
    }
}
impl fmt::Display for TryReadyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("all operations in select would block")
    }
}
impl fmt::Display for ReadyTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on ready")
    }
}
impl Error for TrySelectError {}
impl Error for SelectTimeoutError {}
impl Error for TryReadyError {}
impl Error for ReadyTimeoutError {}
