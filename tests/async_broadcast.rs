//! The broadcast ring's async ends: subscriber tasks see every message in order (or an exact
//! lag count), publisher tasks wait for room under backpressure, and a dropped future takes
//! nothing and leaves no gap.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use common::{scaled, watchdog, DropTracker, Tracked};
use futures::StreamExt;
use wharf::broadcast::{backpressure, lossy, Builder, Lagged, RecvError};

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(Noop));
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// A thread publishes under backpressure; subscriber tasks each receive every message, in
/// order, then `Closed`.
#[test]
fn thread_publishes_tasks_subscribe() {
    watchdog("thread_publishes_tasks_subscribe", || {
        let rt = runtime();
        let n = scaled(20_000) as u64;
        for capacity in [1, 4, 64] {
            let (publisher, first) = backpressure(capacity);
            let mut all = vec![first];
            all.extend((0..2).map(|_| publisher.subscribe()));
            let feeder = thread::spawn(move || (0..n).for_each(|i| publisher.publish(i)));
            rt.block_on(async move {
                let tasks: Vec<_> = all
                    .into_iter()
                    .map(|mut sub| {
                        tokio::spawn(async move {
                            for i in 0..n {
                                assert_eq!(sub.recv_async().await, Ok(i));
                            }
                            assert_eq!(sub.recv_async().await, Err(RecvError::Closed));
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            feeder.join().unwrap();
        }
    });
}

/// Publisher tasks (two cloneable publishers, or one `SinglePublisher`) against subscriber
/// threads: each thread sees every message once, each publisher's in its order.
#[test]
fn tasks_publish_threads_subscribe() {
    watchdog("tasks_publish_threads_subscribe", || {
        let rt = runtime();
        let per = scaled(10_000) as u64;
        // Two publishers: messages are (publisher, seq).
        let (publisher, first) = backpressure::<(u64, u64)>(8);
        let second = publisher.subscribe();
        let readers: Vec<_> = [first, second]
            .into_iter()
            .map(|mut sub| {
                thread::spawn(move || {
                    let mut next = [0u64; 2];
                    while let Ok((p, s)) = sub.recv() {
                        assert_eq!(s, next[p as usize], "publisher {p}'s order broken");
                        next[p as usize] += 1;
                    }
                    next
                })
            })
            .collect();
        rt.block_on(async move {
            let tasks: Vec<_> = (0..2u64)
                .map(|p| {
                    let publisher = publisher.clone();
                    tokio::spawn(async move {
                        for s in 0..per {
                            publisher.publish_async((p, s)).await;
                        }
                    })
                })
                .collect();
            drop(publisher);
            for t in tasks {
                t.await.unwrap();
            }
        });
        for r in readers {
            assert_eq!(r.join().unwrap(), [per, per]);
        }

        // One SinglePublisher task.
        let (mut publisher, mut sub) = Builder::new(4).build_single::<u64>();
        let reader = thread::spawn(move || {
            for i in 0..per {
                assert_eq!(sub.recv(), Ok(i));
            }
            assert_eq!(sub.recv(), Err(RecvError::Closed));
        });
        rt.block_on(async move {
            for i in 0..per {
                publisher.publish_async(i).await;
            }
        });
        reader.join().unwrap();
    });
}

/// A lossy stream: every message is either received, in order, or counted in exactly one
/// `Lagged`, and the stream ends on close.
#[test]
fn lossy_stream_accounts_for_every_message() {
    watchdog("lossy_stream_accounts_for_every_message", || {
        let rt = runtime();
        let n = scaled(50_000) as u64;
        let (publisher, sub) = lossy::<u64>(8);
        let feeder = thread::spawn(move || (0..n).for_each(|i| publisher.publish(i)));
        let (received, lagged) = rt.block_on(async move {
            let mut stream = sub.into_stream();
            let (mut received, mut lagged, mut next) = (0u64, 0u64, 0u64);
            while let Some(item) = stream.next().await {
                match item {
                    Ok(v) => {
                        assert!(v >= next, "{v} after {next}: out of order or repeated");
                        assert_eq!(v, next, "a message was skipped without a Lagged");
                        next = v + 1;
                        received += 1;
                    }
                    Err(Lagged(k)) => {
                        lagged += k;
                        next += k;
                    }
                }
            }
            (received, lagged)
        });
        feeder.join().unwrap();
        assert_eq!(received + lagged, n);
    });
}

/// A receive future dropped while pending takes nothing: the next receive gets the message.
#[test]
fn dropped_recv_future_takes_nothing() {
    let (publisher, mut sub) = backpressure(2);
    let mut fut = sub.recv_async();
    assert!(poll_once(&mut fut).is_pending());
    drop(fut);
    assert_eq!(
        sub.__waiters(),
        (0, 0),
        "the dropped future is still registered"
    );
    publisher.publish(1);
    assert_eq!(sub.try_recv(), Ok(1));
}

/// A publish future dropped while it waits for room drops its value unpublished, exactly
/// once, and claims no sequence: the next publish is the next message subscribers see.
#[test]
fn dropped_publish_future_leaves_no_gap() {
    let tracker = DropTracker::new(3);
    let (publisher, mut sub) = backpressure(1);
    publisher.publish(Arc::new(Tracked::new(&tracker, 0)));
    let mut fut = publisher.publish_async(Arc::new(Tracked::new(&tracker, 1)));
    assert!(poll_once(&mut fut).is_pending());
    drop(fut);
    assert_eq!(tracker.drops(1), 1, "the unpublished value was not dropped");
    assert_eq!(sub.recv().unwrap().id, 0);
    publisher.publish(Arc::new(Tracked::new(&tracker, 2)));
    assert_eq!(sub.try_recv().unwrap().id, 2, "a gap or the dropped value");
    drop((publisher, sub));
    tracker.assert_all_dropped_once();

    let (mut single, mut sub) = Builder::new(1).build_single();
    single.publish(0u8);
    let mut fut = single.publish_async(1);
    assert!(poll_once(&mut fut).is_pending());
    drop(fut);
    assert_eq!(sub.recv(), Ok(0));
    single.publish(2);
    assert_eq!(sub.try_recv(), Ok(2));
}

/// Closing the ring wakes a waiting subscriber task with `Closed`.
#[test]
fn close_wakes_waiting_subscriber_task() {
    watchdog("close_wakes_waiting_subscriber_task", || {
        let rt = runtime();
        let (publisher, mut sub) = lossy::<u8>(4);
        rt.block_on(async move {
            let waiter = tokio::spawn(async move { sub.recv_async().await });
            while publisher.__waiters().0 == 0 {
                tokio::task::yield_now().await;
            }
            drop(publisher);
            assert_eq!(waiter.await.unwrap(), Err(RecvError::Closed));
        });
    });
}
