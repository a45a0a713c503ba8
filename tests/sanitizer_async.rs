//! Async stress runs written for ThreadSanitizer (`.ci/steps/50-sanitizers.sh`), also run by
//! plain `cargo test`: tasks on threads of their own under `futures::executor::block_on`
//! (tokio's runtime synchronises through precompiled std, which TSan cannot see), sharing
//! state only through wharf and atomics, every thread joined explicitly and the last handle
//! of each channel dropped by the main thread after the joins (see `sanitizer_stress`).
//! Under `--cfg wharf_sanitize_thread` the event counts' task lists use a lock TSan sees, so
//! a registration, notification or cancellation that touched a waker or the list unordered
//! is reported. Values are boxed, so a value not handed over properly is a read of heap
//! memory another thread wrote.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle};

use common::{check_received, encode, scaled};
use futures::executor::block_on;
use wharf::channel::{bounded, unbounded, Receiver, Sender};

fn join_all<R>(handles: Vec<JoinHandle<R>>) -> Vec<R> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Producer tasks `send_async` boxed values, consumer tasks `recv_async` them, each task on
/// its own thread; exact multiset and per-producer order.
type MakeChannel = fn() -> (Sender<Box<u64>>, Receiver<Box<u64>>);

fn tasks_mpmc(make: MakeChannel, producers: usize) {
    let per = scaled(2_500);
    let (tx, rx) = make();
    let senders: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                block_on(async {
                    for s in 0..per {
                        tx.send_async(Box::new(encode(p, s))).await.unwrap();
                    }
                });
                tx
            })
        })
        .collect();
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                let got = block_on(async {
                    let mut got = Vec::new();
                    while got.len() < per * producers / 2 {
                        got.push(*rx.recv_async().await.unwrap());
                    }
                    got
                });
                (got, rx)
            })
        })
        .collect();
    let senders = join_all(senders);
    let (received, receivers): (Vec<_>, Vec<_>) = join_all(receivers).into_iter().unzip();
    check_received(producers, per, &received);
    assert!(rx.is_empty());
    drop((senders, receivers, tx, rx));
}

#[test]
fn tasks_over_bounded_channels() {
    tasks_mpmc(|| bounded(1), 2);
    tasks_mpmc(|| bounded(3), 2);
    tasks_mpmc(|| bounded(64), 2);
}

#[test]
fn tasks_over_unbounded_channels() {
    tasks_mpmc(unbounded, 2);
}

/// A waker that counts its wake-ups.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Receive futures registered, notified by a sending thread and dropped (some before, some
/// after their wake-up) while other futures wait: every value is still received, by polling
/// until each arrives, with the registrations, wake-ups and cancellations racing.
#[test]
fn cancelled_futures_race_senders() {
    let rounds = scaled(1_000);
    let (tx, rx) = bounded::<Box<u64>>(2);
    let sender = thread::spawn(move || {
        for i in 0..rounds as u64 {
            tx.send(Box::new(i)).unwrap();
        }
        tx
    });
    let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
    let mut cx = Context::from_waker(&waker);
    let mut next = 0u64;
    while next < rounds as u64 {
        // Two futures, the first dropped after one poll: the value, if it came, is taken by
        // the second or by the next round's.
        let mut doomed = rx.recv_async();
        let mut kept = rx.recv_async();
        if let Poll::Ready(v) = Pin::new(&mut doomed).poll(&mut cx) {
            assert_eq!(*v.unwrap(), next);
            next += 1;
        }
        drop(doomed);
        if next == rounds as u64 {
            break;
        }
        loop {
            if let Poll::Ready(v) = Pin::new(&mut kept).poll(&mut cx) {
                assert_eq!(*v.unwrap(), next, "values out of order or lost");
                next += 1;
                break;
            }
            thread::yield_now();
        }
    }
    let tx = sender.join().unwrap();
    assert!(rx.try_recv().is_err());
    drop((tx, rx));
}
