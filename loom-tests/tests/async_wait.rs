//! Models of the async ends: a task waits by leaving its waker in the event count's list
//! (`src/event_count/tasks.rs`). A lost wake-up shows here as a waker never woken while the
//! future would now resolve; a notification lost to a dropped future, as the other waiter
//! never woken.

#![cfg(loom)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use common::model;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use wharf::channel::{bounded, unbounded, RecvError, SendError};

/// A waker that counts its wake-ups.
struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        // SeqCst: read after the join, which already orders it; the strongest is simplest.
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn flag() -> (std::sync::Arc<Flag>, Waker) {
    let flag = std::sync::Arc::new(Flag(AtomicUsize::new(0)));
    let waker = Waker::from(flag.clone());
    (flag, waker)
}

fn woken(flag: &Flag) -> bool {
    flag.0.load(Ordering::SeqCst) > 0
}

/// Polls `fut` once with `waker`.
fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// A thread's `send` against a task's `recv_async` (bounded and unbounded: the fenced and,
/// outside loom, the fence-free notify): the first poll finds the value, or the waker is
/// woken and the next poll finds it.
fn thread_send_wakes_task(bounded_chan: bool) {
    model(move || {
        let (tx, rx) = if bounded_chan {
            bounded(2)
        } else {
            unbounded()
        };
        let sender = thread::spawn(move || tx.send(1).unwrap());
        let (flag, waker) = flag();
        let mut fut = rx.recv_async();
        let first = poll_once(&mut fut, &waker);
        sender.join().unwrap();
        match first {
            Poll::Ready(v) => assert_eq!(v, Ok(1)),
            Poll::Pending => {
                assert!(woken(&flag), "the send did not wake the waiting task");
                assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(Ok(1)));
            }
        }
    });
}

#[test]
fn bounded_thread_send_wakes_task() {
    thread_send_wakes_task(true);
}

#[test]
fn unbounded_thread_send_wakes_task() {
    thread_send_wakes_task(false);
}

/// Two receive futures wait; one value is sent while the first future is dropped. Whether
/// the notification went to the dropped future or not, the second is woken and gets the
/// value: a cancelled waiter passes its notification on.
#[test]
fn dropped_waiter_passes_notification_on() {
    model(|| {
        let (tx, rx) = unbounded();
        let (_flag_a, waker_a) = flag();
        let (flag_b, waker_b) = flag();
        let mut a = rx.recv_async();
        let mut b = rx.recv_async();
        assert!(poll_once(&mut a, &waker_a).is_pending());
        assert!(poll_once(&mut b, &waker_b).is_pending());
        let sender = thread::spawn(move || {
            tx.send(5).unwrap();
            tx // keep the channel connected: only the send may wake `b`
        });
        drop(a);
        let tx = sender.join().unwrap();
        assert!(
            woken(&flag_b),
            "the dropped future kept the only notification"
        );
        assert_eq!(poll_once(&mut b, &waker_b), Poll::Ready(Ok(5)));
        drop(tx);
    });
}

/// The last sender drops while a task waits to receive: it is woken and gets the
/// disconnect.
#[test]
fn close_races_pending_recv() {
    model(|| {
        let (tx, rx) = bounded::<u8>(2);
        let closer = thread::spawn(move || drop(tx));
        let (flag, waker) = flag();
        let mut fut = rx.recv_async();
        let first = poll_once(&mut fut, &waker);
        closer.join().unwrap();
        if first.is_pending() {
            assert!(woken(&flag), "the disconnect did not wake the waiting task");
            assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(Err(RecvError)));
        } else {
            assert_eq!(first, Poll::Ready(Err(RecvError)));
        }
    });
}

/// A task's `send_async` on a full channel against a thread's `recv`: the thread's receive
/// makes room and wakes the task, whose value then goes in; the thread gets both values.
#[test]
fn thread_recv_wakes_sending_task() {
    model(|| {
        let (tx, rx) = bounded(1);
        tx.send(1).unwrap();
        let receiver = thread::spawn(move || {
            assert_eq!(rx.recv(), Ok(1));
            rx
        });
        let (flag, waker) = flag();
        let mut fut = tx.send_async(2);
        let first = poll_once(&mut fut, &waker);
        let rx = receiver.join().unwrap();
        if first.is_pending() {
            assert!(woken(&flag), "the receive did not wake the sending task");
            assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(Ok(())));
        }
        drop(fut);
        assert_eq!(rx.try_recv(), Ok(2));
        drop(rx);
        assert_eq!(
            futures_lite_block(tx.send_async(3)),
            Err(SendError(3)),
            "a send after every receiver is gone hands the value back"
        );
    });
}

/// Polls a future that must be ready at once.
fn futures_lite_block<F: Future + Unpin>(mut fut: F) -> F::Output {
    let (_flag, waker) = flag();
    match poll_once(&mut fut, &waker) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the future was expected to be ready"),
    }
}

/// Two streams W and T wait on one channel; V1's notify goes to W. Then, at once: T takes
/// V1 (its entry still in the list until it finishes), W polls again, and a second send
/// notifies. Whatever the order, a value left in the channel has a waiter woken since its
/// last `Pending`: a task that took a value announced to another passes its own
/// notification on (`Strategy::poll_for`). T polls on the main thread, so the loss (W
/// registers and re-checks, then V2's notify takes T's entry, all between T's take and
/// its finish) needs one preemption.
#[test]
fn taken_notification_is_passed_on() {
    use futures_core::Stream;

    /// Polls a stream once.
    fn poll_next<S: Stream + Unpin>(s: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
        Pin::new(s).poll_next(&mut Context::from_waker(waker))
    }

    model(|| {
        let (tx, rx) = bounded(4);
        let (flag_w, waker_w) = flag();
        let (flag_t, waker_t) = flag();
        let mut w = rx.clone().into_stream();
        let mut t = rx.clone().into_stream();
        assert!(poll_next(&mut w, &waker_w).is_pending());
        assert!(poll_next(&mut t, &waker_t).is_pending());
        tx.send(1).unwrap(); // notifies W, the oldest
        assert!(woken(&flag_w));
        let waiter = thread::spawn(move || {
            let before = flag_w.0.load(Ordering::SeqCst);
            let got = poll_next(&mut w, &waker_w);
            (got, before, flag_w, w)
        });
        let sender = thread::spawn(move || {
            tx.send(2).unwrap();
            tx
        });
        let t_before = flag_t.0.load(Ordering::SeqCst);
        let t_got = poll_next(&mut t, &waker_t);
        let (w_got, w_before, flag_w, _w) = waiter.join().unwrap();
        let _tx = sender.join().unwrap();
        let left = rx.try_recv().ok();
        let got: Vec<i32> = [&w_got, &t_got]
            .iter()
            .filter_map(|p| match p {
                Poll::Ready(Some(v)) => Some(*v),
                _ => None,
            })
            .chain(left)
            .collect();
        assert_eq!(got.len(), 2, "a value was lost or duplicated: {got:?}");
        if left.is_some() {
            let w_woken = w_got.is_pending() && flag_w.0.load(Ordering::SeqCst) > w_before;
            let t_woken = t_got.is_pending() && flag_t.0.load(Ordering::SeqCst) > t_before;
            assert!(
                w_woken || t_woken,
                "a value sits in the channel and no waiter was woken for it"
            );
        }
    });
}
