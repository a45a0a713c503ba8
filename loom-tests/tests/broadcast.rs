//! Models of the broadcast ring: both overflow policies, joining and leaving, closing, and
//! drop accounting. Rings are built with a registry of 2 so loom tracks few atomics.

#![cfg(loom)]

mod common;

use common::{model, Drops};
use loom::thread;
use wharf::broadcast::{Builder, Overflow, RecvError};

fn backpressure<T>(
    cap: usize,
) -> (
    wharf::broadcast::Publisher<T>,
    wharf::broadcast::Subscriber<T>,
) {
    Builder::new(cap)
        .overflow(Overflow::Backpressure)
        .max_subscribers(2)
        .build()
}

fn lossy<T>(
    cap: usize,
) -> (
    wharf::broadcast::Publisher<T>,
    wharf::broadcast::Subscriber<T>,
) {
    Builder::new(cap)
        .overflow(Overflow::Lossy)
        .max_subscribers(2)
        .build()
}

/// Backpressure never overwrites an unread message: three messages through a ring of `cap`,
/// the publisher blocking for the subscriber, which reads all three in order. A publisher
/// overwriting a slot under a reader would also be a loom `UnsafeCell` race.
fn backpressure_no_overwrite(cap: usize) {
    model(move || {
        let (publisher, mut subscriber) = backpressure::<u64>(cap);
        let p = thread::spawn(move || {
            for n in 0..3 {
                publisher.publish(n);
            }
        });
        for n in 0..3 {
            assert_eq!(subscriber.recv(), Ok(n));
        }
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
        p.join().unwrap();
    });
}

#[test]
fn backpressure_cap1_never_overwrites_unread() {
    backpressure_no_overwrite(1);
}

#[test]
fn backpressure_cap2_never_overwrites_unread() {
    backpressure_no_overwrite(2);
}

/// Lossy, ring of 1, three messages: every message is received or counted in exactly one
/// `Lagged`, received messages are in order, and none is torn (the payload is `(n, !n)`).
#[test]
fn lossy_exact_lag_no_torn_value() {
    model(|| {
        let (publisher, mut subscriber) = lossy::<(u64, u64)>(1);
        let p = thread::spawn(move || {
            for n in 0..3u64 {
                publisher.publish((n, !n));
            }
        });
        let mut accounted = 0;
        let mut last = None;
        loop {
            match subscriber.recv() {
                Ok((n, check)) => {
                    assert_eq!(check, !n, "torn value");
                    assert_eq!(n, accounted, "out of order or a lag miscounted");
                    assert!(last.map_or(true, |l| l < n));
                    last = Some(n);
                    accounted += 1;
                }
                Err(RecvError::Lagged(missed)) => {
                    assert!(missed > 0);
                    accounted += missed;
                }
                Err(RecvError::Closed) => break,
            }
        }
        assert_eq!(accounted, 3);
        p.join().unwrap();
    });
}

/// A subscriber joins, reads at most one message and leaves while the publisher publishes two
/// into a ring of 1: the publisher is never held back by a subscriber that left, the
/// newcomer's message (if any) is one that was not yet published when it started joining, and
/// the original subscriber still gets both. The publisher counts each publish that returned,
/// and the joiner reads the count before it subscribes: a message below that count was
/// published before the join, and receiving it fails the model.
#[test]
fn subscriber_joins_and_leaves_while_publishing() {
    use loom::sync::atomic::{AtomicU64, Ordering};
    use loom::sync::Arc;
    model(|| {
        let (publisher, mut subscriber) = backpressure::<u64>(1);
        let published = Arc::new(AtomicU64::new(0));
        let joiner = {
            let (publisher, published) = (publisher.clone(), published.clone());
            thread::spawn(move || {
                // Acquire: pairs with the Release count below, so those publishes are done.
                let before = published.load(Ordering::Acquire);
                let mut late = publisher.subscribe();
                drop(publisher);
                if let Ok(n) = late.recv() {
                    assert!(
                        n >= before,
                        "joined after {before} messages, then received {n}"
                    );
                }
                drop(late);
            })
        };
        let p = {
            let published = published.clone();
            thread::spawn(move || {
                for n in 0..2 {
                    publisher.publish(n);
                    published.store(n + 1, Ordering::Release);
                }
            })
        };
        assert_eq!(subscriber.recv(), Ok(0));
        assert_eq!(subscriber.recv(), Ok(1));
        p.join().unwrap();
        joiner.join().unwrap();
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
    });
}

/// The last publisher drops while the subscriber may be blocked: it receives what was
/// published, then `Closed`, and never hangs. Both policies.
fn close_while_waiting(overflow: Overflow) {
    model(move || {
        let (publisher, mut subscriber) = Builder::new(1)
            .overflow(overflow)
            .max_subscribers(2)
            .build::<u64>();
        let p = thread::spawn(move || {
            publisher.publish(5);
            drop(publisher);
        });
        assert_eq!(subscriber.recv(), Ok(5));
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
        p.join().unwrap();
    });
}

#[test]
fn backpressure_close_while_subscriber_waits() {
    close_while_waiting(Overflow::Backpressure);
}

#[test]
fn lossy_close_while_subscriber_waits() {
    close_while_waiting(Overflow::Lossy);
}

/// Every message is dropped exactly once: overwritten ones by the publisher, the rest with
/// the ring. Reads borrow (`recv_with`), so no clone is made.
fn drop_accounting(overflow: Overflow) {
    model(move || {
        let drops = Drops::new(3);
        let (publisher, mut subscriber) = Builder::new(1)
            .overflow(overflow)
            .max_subscribers(2)
            .build();
        let p = {
            let drops = drops.clone();
            thread::spawn(move || {
                for id in 0..3 {
                    publisher.publish(drops.make(id));
                }
            })
        };
        let mut last = None;
        loop {
            match subscriber.recv_with(|t| t.id) {
                Ok(id) => {
                    assert!(last.map_or(true, |l| l < id));
                    last = Some(id);
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
        if overflow == Overflow::Backpressure {
            assert_eq!(last, Some(2));
        }
        p.join().unwrap();
        drop(subscriber);
        drops.assert_each_dropped_once();
    });
}

#[test]
fn backpressure_each_message_dropped_once() {
    drop_accounting(Overflow::Backpressure);
}

#[test]
fn lossy_each_message_dropped_once() {
    drop_accounting(Overflow::Lossy);
}

/// The `SinglePublisher` (a plain store claims each sequence) against a subscriber joining on
/// another thread (`resubscribe`, then the old handle leaves), ring of 1, backpressure: the
/// join handshake (registration, fence, re-read of the cursor) must keep the publisher from
/// overwriting the message the newcomer starts at (a loom `UnsafeCell` race if it did), and
/// the newcomer never receives a message published before it joined.
#[test]
fn single_publisher_join_handshake() {
    use loom::sync::atomic::{AtomicU64, Ordering};
    use loom::sync::Arc;
    model(|| {
        let (mut publisher, mut subscriber) = Builder::new(1)
            .overflow(Overflow::Backpressure)
            .max_subscribers(3)
            .build_single::<u64>();
        let published = Arc::new(AtomicU64::new(0));
        let old = subscriber.resubscribe();
        let joiner = {
            let published = published.clone();
            thread::spawn(move || {
                // Acquire: pairs with the Release count below.
                let before = published.load(Ordering::Acquire);
                let mut late = old.resubscribe();
                drop(old);
                if let Ok(n) = late.recv() {
                    assert!(
                        n >= before,
                        "joined after {before} messages, then received {n}"
                    );
                }
            })
        };
        let p = {
            let published = published.clone();
            thread::spawn(move || {
                for n in 0..2 {
                    publisher.publish(n);
                    published.store(n + 1, Ordering::Release);
                }
            })
        };
        assert_eq!(subscriber.recv(), Ok(0));
        assert_eq!(subscriber.recv(), Ok(1));
        p.join().unwrap();
        joiner.join().unwrap();
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
    });
}

/// Two publishers (cloned `Publisher`, `fetch_add` claims) into a backpressure ring of 1, one
/// message each: the subscriber gets both, each exactly once, then `Closed`; neither claim
/// overwrites the other's unread message.
#[test]
fn two_publishers_backpressure() {
    model(|| {
        let (publisher, mut subscriber) = backpressure::<u64>(1);
        let publishers: Vec<_> = [publisher.clone(), publisher]
            .into_iter()
            .enumerate()
            .map(|(n, publisher)| thread::spawn(move || publisher.publish(n as u64)))
            .collect();
        let mut got = vec![subscriber.recv().unwrap(), subscriber.recv().unwrap()];
        for p in publishers {
            p.join().unwrap();
        }
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
    });
}

/// Two backpressure subscribers on two threads, ring of 1, two messages: the publisher waits
/// for the slower one, and both receive both messages in order.
#[test]
fn two_backpressure_subscribers() {
    model(|| {
        let (publisher, mut first) = backpressure::<u64>(1);
        let mut second = publisher.subscribe();
        let s = thread::spawn(move || {
            assert_eq!(second.recv(), Ok(0));
            assert_eq!(second.recv(), Ok(1));
            assert_eq!(second.recv(), Err(RecvError::Closed));
        });
        let p = thread::spawn(move || {
            publisher.publish(0);
            publisher.publish(1);
        });
        assert_eq!(first.recv(), Ok(0));
        assert_eq!(first.recv(), Ok(1));
        assert_eq!(first.recv(), Err(RecvError::Closed));
        p.join().unwrap();
        s.join().unwrap();
    });
}

/// Backpressure with a release batch of `batch` over a ring of 2: the subscriber tells the
/// publisher what it has read only every `batch` messages or when it catches up (finds the
/// next message unpublished), so the publisher, parked on a full ring, depends on exactly
/// those releases and their wake-ups. Four messages, all received in order, then `Closed`;
/// a lost wake-up is a loom deadlock, an early overwrite a wrong value or an `UnsafeCell`
/// race.
fn batched_release(batch: u64) {
    model(move || {
        let (publisher, mut subscriber) = Builder::new(2)
            .overflow(Overflow::Backpressure)
            .max_subscribers(1)
            .__release_batch(batch)
            .build::<u64>();
        let p = thread::spawn(move || {
            for n in 0..4 {
                publisher.publish(n);
            }
        });
        for n in 0..4 {
            assert_eq!(subscriber.recv(), Ok(n));
        }
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
        p.join().unwrap();
    });
}

/// Batches of 2: releases come from the batch and from catching up.
#[test]
fn backpressure_batched_release_wakes_parked_publisher() {
    batched_release(2);
}

/// A batch larger than the ring: only catching up ever releases, so a publisher parked on
/// the full ring is freed by the catch-up release alone.
#[test]
fn backpressure_catch_up_release_wakes_parked_publisher() {
    batched_release(8);
}

/// A `SinglePublisher`'s publish over a ring of `cap` (backpressure, release batch `batch`),
/// whose cursor publishes: subscribers read up to it, not the stamps. Dropping the function
/// drops the publisher, closing the ring.
fn single_publisher<T: Send + Sync + 'static>(
    cap: usize,
    batch: u64,
) -> (Box<dyn FnMut(T) + Send>, wharf::broadcast::Subscriber<T>) {
    let (mut publisher, subscriber) = Builder::new(cap)
        .overflow(Overflow::Backpressure)
        .max_subscribers(2)
        .__release_batch(batch)
        .build_single();
    (Box::new(move |v| publisher.publish(v)), subscriber)
}

/// The single publisher's cursor publishes: three messages through a ring of `cap`, a
/// subscriber that releases every message (`release batch` 1) so the publisher overwrites as
/// early as it may. A subscriber reading a slot the cursor has not passed, or a publisher
/// overwriting one a subscriber still reads, is a loom `UnsafeCell` race; a value read before
/// its write, a wrong value.
fn single_publisher_cursor_publishes(cap: usize) {
    model(move || {
        let (mut publish, mut subscriber) = single_publisher::<u64>(cap, 1);
        let p = thread::spawn(move || {
            for n in 0..3 {
                publish(n);
            }
        });
        for n in 0..3 {
            assert_eq!(subscriber.recv(), Ok(n));
        }
        assert_eq!(subscriber.recv(), Err(RecvError::Closed));
        p.join().unwrap();
    });
}

#[test]
fn single_publisher_cap1_cursor_publishes() {
    single_publisher_cursor_publishes(1);
}

#[test]
fn single_publisher_cap2_cursor_publishes() {
    single_publisher_cursor_publishes(2);
}

/// The single publisher's batch longer than its ring (3 into 2): it must publish what it has
/// written before it waits for room (the gate never passes the cursor), or it waits on itself
/// (a loom deadlock). Every message arrives once, in order, and is dropped exactly once.
#[test]
fn single_publisher_batch_longer_than_ring() {
    model(|| {
        let drops = Drops::new(3);
        let (mut publisher, mut subscriber) = Builder::new(2)
            .overflow(Overflow::Backpressure)
            .max_subscribers(1)
            .__release_batch(1)
            .build_single();
        let p = {
            let drops = drops.clone();
            thread::spawn(move || {
                publisher.publish_batch((0..3).map(|id| drops.make(id)).collect());
            })
        };
        for id in 0..3 {
            assert_eq!(subscriber.recv_with(|t| t.id), Ok(id));
        }
        assert_eq!(subscriber.recv_with(|t| t.id), Err(RecvError::Closed));
        p.join().unwrap();
        drop(subscriber);
        drops.assert_each_dropped_once();
    });
}

/// The single publisher, two subscribers, ring of 1: each gets both messages in order; every
/// message is dropped exactly once (overwritten, or with the ring).
#[test]
fn single_publisher_two_subscribers_drop_once() {
    model(|| {
        let drops = Drops::new(2);
        let (mut publish, mut first) = single_publisher(1, 1);
        let mut second = first.resubscribe();
        let s = thread::spawn(move || {
            assert_eq!(second.recv_with(|t: &common::Tracked| t.id), Ok(0));
            assert_eq!(second.recv_with(|t| t.id), Ok(1));
        });
        let p = {
            let drops = drops.clone();
            thread::spawn(move || {
                publish(drops.make(0));
                publish(drops.make(1));
            })
        };
        assert_eq!(first.recv_with(|t| t.id), Ok(0));
        assert_eq!(first.recv_with(|t| t.id), Ok(1));
        assert_eq!(first.recv_with(|t| t.id), Err(RecvError::Closed));
        p.join().unwrap();
        s.join().unwrap();
        drop(first);
        drops.assert_each_dropped_once();
    });
}
