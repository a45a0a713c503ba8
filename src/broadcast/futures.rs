//! The async ends of the broadcast ring: futures and a stream over the same ring as the
//! blocking calls, waiting on the same event counts (a thread's `publish` wakes a task's
//! `recv_async`, and a task's read frees room for a thread's `publish`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use super::{Lagged, Publisher, RecvError, SinglePublisher, Subscriber};
use crate::event_count::TaskSlot;

impl<T: Clone> Subscriber<T> {
    /// Receives a clone of the next message from an async task, waiting for one to be
    /// published. Resolves as [`recv`](Self::recv) returns: the message, a lag report
    /// (lossy) or [`RecvError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the subscriber's cursor moves only when the future takes a message, so a
    /// future dropped before it resolves has taken nothing; the next receive returns the same
    /// message.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(4);
    /// std::thread::spawn(move || publisher.publish(1));
    /// assert_eq!(subscriber.recv_async().await, Ok(1));
    /// assert_eq!(subscriber.recv_async().await, Err(wharf::broadcast::RecvError::Closed));
    /// # });
    /// ```
    pub fn recv_async(&mut self) -> SubscriberRecvFut<'_, T> {
        SubscriberRecvFut {
            sub: self,
            slot: TaskSlot::default(),
        }
    }

    /// A [`Stream`] of this subscriber's messages: each message as `Ok`, each lag (lossy) as
    /// `Err(Lagged(n))`, and the end once every publisher is gone and everything was
    /// received. Cancel-safe as [`recv_async`](Self::recv_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// use wharf::broadcast::Lagged;
    /// # futures::executor::block_on(async {
    /// let (publisher, subscriber) = wharf::broadcast::lossy(2);
    /// for i in 0..4 {
    ///     publisher.publish(i);
    /// }
    /// drop(publisher);
    /// let got: Vec<_> = subscriber.into_stream().collect().await;
    /// assert_eq!(got, [Err(Lagged(2)), Ok(2), Ok(3)]);
    /// # });
    /// ```
    pub fn into_stream(self) -> SubscriberStream<T> {
        SubscriberStream {
            sub: self,
            slot: TaskSlot::default(),
            done: false,
        }
    }
}

impl<T> Publisher<T> {
    /// Publishes `value` from an async task; under backpressure, waits while the slowest
    /// subscriber holds back the slot it needs (lossy rings never wait).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves drops the value unpublished: a message is
    /// published exactly once or not at all. The future claims its sequence only in the
    /// poll that publishes, so a dropped future never leaves a gap subscribers would wait
    /// at.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(1);
    /// publisher.publish_async(1).await;
    /// assert_eq!(subscriber.recv_async().await, Ok(1));
    /// # });
    /// ```
    pub fn publish_async(&self, value: T) -> PublishFut<'_, T> {
        PublishFut {
            publisher: self,
            held: Some(value),
            slot: TaskSlot::default(),
        }
    }
}

impl<T> SinglePublisher<T> {
    /// Publishes `value` from an async task; waits under backpressure as
    /// [`Publisher::publish_async`] does, with the same cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (mut publisher, mut subscriber) = wharf::broadcast::Builder::new(2).build_single();
    /// publisher.publish_async('x').await;
    /// assert_eq!(subscriber.recv_async().await, Ok('x'));
    /// # });
    /// ```
    pub fn publish_async(&mut self, value: T) -> SinglePublishFut<'_, T> {
        SinglePublishFut {
            publisher: self,
            held: Some(value),
            slot: TaskSlot::default(),
        }
    }
}

/// The future of [`Subscriber::recv_async`]. Cancel-safe.
#[must_use = "futures do nothing unless polled"]
pub struct SubscriberRecvFut<'a, T> {
    sub: &'a mut Subscriber<T>,
    /// The task's registration on the ring's `published` event count.
    slot: TaskSlot,
}

impl<T: Clone> Future for SubscriberRecvFut<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.sub.poll_recv_with(&mut this.slot, cx, T::clone)
    }
}

impl<T> Drop for SubscriberRecvFut<'_, T> {
    fn drop(&mut self) {
        self.sub.published().cancel_task(&mut self.slot);
    }
}

impl<T> fmt::Debug for SubscriberRecvFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriberRecvFut")
            .field("waiting", &self.slot.is_registered())
            .finish_non_exhaustive()
    }
}

/// A [`Stream`] of a subscriber's messages and lag reports, from
/// [`Subscriber::into_stream`]. It ends (for good: a [`FusedStream`]) on close.
#[must_use = "streams do nothing unless polled"]
pub struct SubscriberStream<T> {
    sub: Subscriber<T>,
    slot: TaskSlot,
    /// The ring closed and everything was received.
    done: bool,
}

impl<T> SubscriberStream<T> {
    /// Gives the subscriber back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, subscriber) = wharf::broadcast::lossy::<u8>(4);
    /// let mut subscriber = subscriber.into_stream().into_inner();
    /// publisher.publish(1);
    /// assert_eq!(subscriber.recv(), Ok(1));
    /// ```
    pub fn into_inner(mut self) -> Subscriber<T> {
        self.sub.published().cancel_task(&mut self.slot);
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the subscriber is moved out of
        // it exactly once; the slot was cleared above and holds nothing to drop.
        unsafe { std::ptr::read(&this.sub) }
    }
}

// Never pinned structurally: the subscriber is only used through `&mut`.
impl<T> Unpin for SubscriberStream<T> {}

impl<T: Clone> Stream for SubscriberStream<T> {
    type Item = Result<T, Lagged>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.sub.poll_recv_with(&mut this.slot, cx, T::clone) {
            Poll::Ready(Ok(value)) => Poll::Ready(Some(Ok(value))),
            Poll::Ready(Err(RecvError::Lagged(n))) => Poll::Ready(Some(Err(Lagged(n)))),
            Poll::Ready(Err(RecvError::Closed)) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Clone> FusedStream for SubscriberStream<T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> Drop for SubscriberStream<T> {
    fn drop(&mut self) {
        self.sub.published().cancel_task(&mut self.slot);
    }
}

impl<T> fmt::Debug for SubscriberStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriberStream")
            .field("subscriber", &self.sub)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The future of [`Publisher::publish_async`]. Dropping it before it resolves drops the
/// value unpublished.
#[must_use = "futures do nothing unless polled"]
pub struct PublishFut<'a, T> {
    publisher: &'a Publisher<T>,
    /// The value until it is published.
    held: Option<T>,
    /// The task's registration on the ring's `freed` event count.
    slot: TaskSlot,
}

// Never pinned structurally: the value is moved out by value, never through a pin.
impl<T> Unpin for PublishFut<'_, T> {}

impl<T> Future for PublishFut<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        assert!(
            this.held.is_some(),
            "wharf: a PublishFut polled after it completed"
        );
        this.publisher
            .poll_publish(&mut this.held, &mut this.slot, cx)
    }
}

impl<T> Drop for PublishFut<'_, T> {
    fn drop(&mut self) {
        self.publisher.freed().cancel_task(&mut self.slot);
    }
}

impl<T> fmt::Debug for PublishFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishFut")
            .field("published", &self.held.is_none())
            .finish_non_exhaustive()
    }
}

/// The future of [`SinglePublisher::publish_async`]; as [`PublishFut`].
#[must_use = "futures do nothing unless polled"]
pub struct SinglePublishFut<'a, T> {
    publisher: &'a mut SinglePublisher<T>,
    held: Option<T>,
    slot: TaskSlot,
}

// Never pinned structurally, as `PublishFut`.
impl<T> Unpin for SinglePublishFut<'_, T> {}

impl<T> Future for SinglePublishFut<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        assert!(
            this.held.is_some(),
            "wharf: a SinglePublishFut polled after it completed"
        );
        this.publisher
            .poll_publish(&mut this.held, &mut this.slot, cx)
    }
}

impl<T> Drop for SinglePublishFut<'_, T> {
    fn drop(&mut self) {
        self.publisher.freed().cancel_task(&mut self.slot);
    }
}

impl<T> fmt::Debug for SinglePublishFut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinglePublishFut")
            .field("published", &self.held.is_none())
            .finish_non_exhaustive()
    }
}
