//! The async ends of a channel: futures, a stream and a sink over the same [`Chan`] as the
//! blocking calls, waiting on the same event counts (so a thread's `send` wakes a task's
//! `recv_async`, and the other way round).

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;

use super::{Chan, Flavor, Receiver, RecvError, SendError, Sender, TrySendError};
use crate::event_count::TaskSlot;
use crate::Queue;

impl<T, Q: Queue<T>> Chan<T, Q> {
    /// One poll of a receive: a value, the disconnect, or `Pending` with the task registered
    /// on `not_empty` through `slot`. On a rendezvous channel the receive joins the takers
    /// while it waits, which `taker` records (see `zero.rs`).
    #[inline]
    fn poll_recv(
        &self,
        slot: &mut TaskSlot,
        taker: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        if self.is_special() {
            return self.poll_recv_special(slot, taker, cx);
        }
        self.strategy.poll_for(
            &self.not_empty,
            slot,
            cx,
            || self.recv_attempt(),
            || self.recv_ready(),
        )
    }

    /// `poll_recv` on a rendezvous or timer channel, out of line.
    #[inline(never)]
    fn poll_recv_special(
        &self,
        slot: &mut TaskSlot,
        taker: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        if self.is_timer() {
            return self.poll_recv_timer(cx);
        }
        let poll = self.strategy.poll_for(
            &self.not_empty,
            slot,
            cx,
            || {
                if *taker {
                    return self.taker_attempt();
                }
                if let Some(done) = self.recv_attempt() {
                    return Some(done);
                }
                let value = self.join_takers();
                *taker = value.is_none();
                value.map(Ok)
            },
            || self.recv_ready(),
        );
        if poll.is_ready() {
            *taker = false;
        }
        poll
    }

    /// The drop of a receive future or stream: leaves the takers of a rendezvous channel if
    /// it had joined them, then passes on a wake-up it had received and not used.
    #[inline]
    fn drop_recv(&self, slot: &mut TaskSlot, taker: bool) {
        if taker {
            self.leave_takers(false);
        }
        self.not_empty.cancel_task(slot);
    }

    /// One poll of a send of the value in `held` (taken from it once sent or refused):
    /// `Pending` with the value still in `held` while the channel is full.
    #[inline]
    fn poll_send(
        &self,
        held: &mut Option<T>,
        slot: &mut TaskSlot,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        if held.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.strategy
            .poll_for(
                &self.not_full,
                slot,
                cx,
                || self.send_attempt(held),
                || self.send_ready(),
            )
            .map(|r| r.map_err(SendError))
    }
}

/// A handle a stream or sink either borrows or owns.
enum Handle<'a, H> {
    Borrowed(&'a H),
    Owned(H),
}

impl<H> Deref for Handle<'_, H> {
    type Target = H;
    fn deref(&self) -> &H {
        match self {
            Handle::Borrowed(h) => h,
            Handle::Owned(h) => h,
        }
    }
}

impl<T, Q: Queue<T>> Sender<T, Q> {
    /// Sends `value` from an async task, waiting while the channel is full.
    ///
    /// The future resolves to `Err(SendError(value))`, handing the value back, if every
    /// receiver is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves drops the value if it was not yet sent: a
    /// value is sent exactly once or not at all, and never after the future is gone. A
    /// wake-up the future had received passes on to another waiting sender.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::bounded(1);
    /// tx.send_async(1).await.unwrap();
    /// assert_eq!(rx.recv_async().await, Ok(1));
    /// # });
    /// ```
    pub fn send_async(&self, value: T) -> SendFut<'_, T, Q> {
        SendFut {
            tx: self,
            held: Some(value),
            slot: TaskSlot::default(),
        }
    }

    /// A [`Sink`] that sends through this sender (see [`SendSink`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::SinkExt;
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::bounded(4);
    /// let mut sink = tx.sink();
    /// sink.send(7).await.unwrap();
    /// assert_eq!(rx.recv_async().await, Ok(7));
    /// # });
    /// ```
    pub fn sink(&self) -> SendSink<'_, T, Q> {
        SendSink::new(Handle::Borrowed(self))
    }

    /// A [`Sink`] that owns this sender; the channel disconnects for receivers when it (and
    /// every other sender) is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{SinkExt, StreamExt};
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::unbounded();
    /// let mut sink = tx.into_sink();
    /// sink.send("a").await.unwrap();
    /// drop(sink);
    /// assert_eq!(rx.stream().collect::<Vec<_>>().await, ["a"]);
    /// # });
    /// ```
    pub fn into_sink(self) -> SendSink<'static, T, Q>
    where
        Self: 'static,
    {
        SendSink::new(Handle::Owned(self))
    }
}

impl<T, Q: Queue<T>> Receiver<T, Q> {
    /// Receives a value from an async task, waiting while the channel is empty.
    ///
    /// The future resolves to `Err(RecvError)` once the channel is empty and every sender is
    /// gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: values stay in the queue until a receiver takes them, so dropping the
    /// future (in a `select!` that another branch won, say) never loses a value. A wake-up
    /// the future had received and not used passes on to another waiting receiver, so
    /// nobody is stranded.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::unbounded();
    /// std::thread::spawn(move || tx.send(5).unwrap());
    /// assert_eq!(rx.recv_async().await, Ok(5));
    /// assert_eq!(rx.recv_async().await, Err(wharf::channel::RecvError));
    /// # });
    /// ```
    pub fn recv_async(&self) -> RecvFut<'_, T, Q> {
        RecvFut {
            rx: self,
            slot: TaskSlot::default(),
            taker: false,
        }
    }

    /// A [`Stream`] of the values received through this receiver; it ends once the channel
    /// is empty and every sender is gone. Cancel-safe as [`recv_async`](Self::recv_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::bounded(8);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(rx.stream().collect::<Vec<_>>().await, [0, 1, 2]);
    /// # });
    /// ```
    pub fn stream(&self) -> RecvStream<'_, T, Q> {
        RecvStream::new(Handle::Borrowed(self))
    }

    /// A [`Stream`] that owns this receiver (see [`stream`](Self::stream)).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// let mut stream = rx.into_stream();
    /// assert_eq!(stream.next().await, Some(1));
    /// assert_eq!(stream.next().await, None);
    /// # });
    /// ```
    pub fn into_stream(self) -> RecvStream<'static, T, Q>
    where
        Self: 'static,
    {
        RecvStream::new(Handle::Owned(self))
    }
}

/// The future of [`Sender::send_async`]: resolves once the value is in the channel, or to
/// the value handed back if every receiver is gone. Dropping it before then drops the value
/// unsent.
#[must_use = "futures do nothing unless polled"]
pub struct SendFut<'a, T, Q: Queue<T> = Flavor<T>> {
    tx: &'a Sender<T, Q>,
    /// The value until it is sent (or handed back).
    held: Option<T>,
    /// The task's registration on `not_full` while it waits for room.
    slot: TaskSlot,
}

// Never pinned structurally: the value is moved in and out by value, never through a pin.
impl<T, Q: Queue<T>> Unpin for SendFut<'_, T, Q> {}

impl<T, Q: Queue<T>> Future for SendFut<'_, T, Q> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            this.held.is_some(),
            "wharf: a SendFut polled after it completed"
        );
        this.tx.chan.poll_send(&mut this.held, &mut this.slot, cx)
    }
}

impl<T, Q: Queue<T>> Drop for SendFut<'_, T, Q> {
    #[inline]
    fn drop(&mut self) {
        self.tx.chan.not_full.cancel_task(&mut self.slot);
    }
}

impl<T, Q: Queue<T>> fmt::Debug for SendFut<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFut")
            .field("sent", &self.held.is_none())
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv_async`]. Cancel-safe: dropping it loses no value.
#[must_use = "futures do nothing unless polled"]
pub struct RecvFut<'a, T, Q: Queue<T> = Flavor<T>> {
    rx: &'a Receiver<T, Q>,
    /// The task's registration on `not_empty` while it waits.
    slot: TaskSlot,
    /// A rendezvous channel's taker while it waits.
    taker: bool,
}

impl<T, Q: Queue<T>> Future for RecvFut<'_, T, Q> {
    type Output = Result<T, RecvError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.rx.chan.poll_recv(&mut this.slot, &mut this.taker, cx)
    }
}

impl<T, Q: Queue<T>> Drop for RecvFut<'_, T, Q> {
    #[inline]
    fn drop(&mut self) {
        self.rx.chan.drop_recv(&mut self.slot, self.taker);
    }
}

impl<T, Q: Queue<T>> fmt::Debug for RecvFut<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFut")
            .field("waiting", &self.slot.is_registered())
            .finish_non_exhaustive()
    }
}

/// A [`Stream`] of a receiver's values, from [`Receiver::stream`] or
/// [`Receiver::into_stream`]. It ends (for good: it is a [`FusedStream`]) once the channel
/// is empty and every sender is gone. Cancel-safe: dropping it, or a `next()` future of it,
/// loses no value.
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<'a, T, Q: Queue<T> = Flavor<T>> {
    rx: Handle<'a, Receiver<T, Q>>,
    slot: TaskSlot,
    /// A rendezvous channel's taker while it waits.
    taker: bool,
    /// The stream has ended.
    done: bool,
}

impl<'a, T, Q: Queue<T>> RecvStream<'a, T, Q> {
    fn new(rx: Handle<'a, Receiver<T, Q>>) -> Self {
        Self {
            rx,
            slot: TaskSlot::default(),
            taker: false,
            done: false,
        }
    }
}

impl<T, Q: Queue<T>> Stream for RecvStream<'_, T, Q> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.rx.chan.poll_recv(&mut this.slot, &mut this.taker, cx) {
            Poll::Ready(Ok(value)) => Poll::Ready(Some(value)),
            Poll::Ready(Err(RecvError)) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (self.rx.len(), None)
        }
    }
}

impl<T, Q: Queue<T>> FusedStream for RecvStream<'_, T, Q> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T, Q: Queue<T>> Drop for RecvStream<'_, T, Q> {
    fn drop(&mut self) {
        self.rx.chan.drop_recv(&mut self.slot, self.taker);
    }
}

impl<T, Q: Queue<T>> fmt::Debug for RecvStream<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// A [`Sink`] that sends into a channel, from [`Sender::sink`] or [`Sender::into_sink`].
///
/// `start_send` hands the item to the sink; `poll_ready`, `poll_flush` and `poll_close`
/// wait until the item is in the channel. Its error is [`SendError`], with the item, once
/// every receiver is gone. Dropping the sink with an item not yet sent drops the item.
#[must_use = "sinks do nothing unless polled"]
pub struct SendSink<'a, T, Q: Queue<T> = Flavor<T>> {
    tx: Handle<'a, Sender<T, Q>>,
    /// The item handed to `start_send` and not yet in the channel.
    held: Option<T>,
    slot: TaskSlot,
}

impl<'a, T, Q: Queue<T>> SendSink<'a, T, Q> {
    fn new(tx: Handle<'a, Sender<T, Q>>) -> Self {
        Self {
            tx,
            held: None,
            slot: TaskSlot::default(),
        }
    }
}

// Never pinned structurally, as `SendFut`.
impl<T, Q: Queue<T>> Unpin for SendSink<'_, T, Q> {}

impl<T, Q: Queue<T>> Sink<T> for SendSink<'_, T, Q> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.tx.chan.poll_send(&mut this.held, &mut this.slot, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        assert!(
            this.held.is_none(),
            "wharf: SendSink::start_send without poll_ready first"
        );
        // Try at once, so that a sink over a channel with room never waits for a flush.
        match this.tx.chan.try_send(item) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(v)) => Err(SendError(v)),
            Err(TrySendError::Full(v)) => {
                this.held = Some(v);
                Ok(())
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_ready(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_ready(cx)
    }
}

impl<T, Q: Queue<T>> Drop for SendSink<'_, T, Q> {
    fn drop(&mut self) {
        self.tx.chan.not_full.cancel_task(&mut self.slot);
    }
}

impl<T, Q: Queue<T>> fmt::Debug for SendSink<'_, T, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendSink")
            .field("pending", &self.held.is_some())
            .finish_non_exhaustive()
    }
}
