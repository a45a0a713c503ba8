//! Models of the blocking channel: blocked senders and receivers park through loom's
//! `Mutex`/`Condvar` (the shim), so a lost wake-up is a loom deadlock.

#![cfg(loom)]

mod common;

use common::{model, model_capped, retry, Drops};
use loom::thread;
use wharf::channel::{bounded, unbounded, Receiver, RecvError, Sender, TryRecvError};

/// `bounded(1)`: two values through one slot, the sender blocking on the full channel and the
/// receiver on the empty one; in order, then `Disconnected`.
#[test]
fn bounded1_send_recv() {
    model(|| {
        let (tx, rx) = bounded(1);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        sender.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// The last sender drops while the receiver may be blocked: the receiver gets every value,
/// then `Disconnected`, and never hangs.
fn disconnect_races_recv(bounded_chan: bool) {
    model(move || {
        let (tx, rx) = if bounded_chan {
            bounded(1)
        } else {
            unbounded()
        };
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
            drop(tx);
        });
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        sender.join().unwrap();
    });
}

#[test]
fn bounded_disconnect_races_recv() {
    disconnect_races_recv(true);
}

#[test]
fn unbounded_disconnect_races_recv() {
    disconnect_races_recv(false);
}

/// The receiver drops while the sender may be blocked on a full `bounded(1)`: the blocked
/// send returns its value, and every value is dropped exactly once.
#[test]
fn receiver_dropped_while_sender_blocks() {
    model(|| {
        let drops = Drops::new(2);
        let (tx, rx) = bounded(1);
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                let first = tx.send(drops.make(0));
                let second = tx.send(drops.make(1));
                // Once a send fails, so does every later one.
                if first.is_err() {
                    assert!(second.is_err());
                }
                // The receiver never reads, but its drop drains the queue (making room), so
                // a second send that checked the disconnect before it happened may push and
                // succeed; its value is then drained by the send itself. A failed send hands
                // back its own value.
                if let Err(e) = second {
                    assert_eq!(e.into_inner().id, 1);
                }
            })
        };
        drop(rx);
        sender.join().unwrap();
        drops.assert_each_dropped_once();
    });
}

/// Values sent, received, and still queued when both sides drop are each dropped exactly
/// once, for both flavours.
fn queued_items_dropped_once(bounded_chan: bool) {
    model(move || {
        let drops = Drops::new(2);
        let (tx, rx) = if bounded_chan {
            bounded(2)
        } else {
            unbounded()
        };
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                // Either send may fail once the receiver is gone; a failed send hands the
                // value back, and dropping the error drops it (counted like any other drop).
                let _ = tx.send(drops.make(0));
                let _ = tx.send(drops.make(1));
            })
        };
        let receiver = thread::spawn(move || drop(rx.try_recv()));
        sender.join().unwrap();
        receiver.join().unwrap();
        drops.assert_each_dropped_once();
    });
}

#[test]
fn bounded_queued_items_dropped_once() {
    queued_items_dropped_once(true);
}

#[test]
fn unbounded_queued_items_dropped_once() {
    queued_items_dropped_once(false);
}

/// Two receivers wait on an empty channel (both registered as waiters before the first
/// send, so the sends race only their going to sleep) while one sender sends two values, one
/// send at a time: each receiver gets exactly one. A push that woke no one, or woke the same
/// receiver twice, leaves the other receiver asleep (a loom deadlock). No unbounded variant:
/// the wake-up is the same code, and the linked queue's epoch pins make the model take over
/// 200 s even at one preemption.
fn two_receivers_one_value_each(make: fn() -> (Sender<i32>, Receiver<i32>)) {
    let (tx, rx) = make();
    let receivers: Vec<_> = [rx.clone(), rx]
        .into_iter()
        .map(|rx| thread::spawn(move || rx.recv().unwrap()))
        .collect();
    retry(|| (tx.__waiters().0 == 2).then_some(()));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let mut got: Vec<i32> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
}

/// `bounded(2)`: neither send waits for room (6 s at two preemptions).
#[test]
fn bounded2_two_receivers_one_value_each() {
    model(|| two_receivers_one_value_each(|| bounded(2)));
}

/// `bounded(1)`: the second send may also wait, for the first value to be taken. At most one
/// preemption: at two the model takes 90 s.
#[test]
fn bounded1_two_receivers_one_value_each() {
    model_capped(1, || two_receivers_one_value_each(|| bounded(1)));
}

/// Two receivers wait on an empty `bounded(1)` while the only sender sends one value and
/// drops: one receiver gets the value, the other `RecvError` (the disconnect wakes it, or it
/// sees the disconnect before sleeping), and neither hangs (30 s at two preemptions).
#[test]
fn two_receivers_one_value_then_disconnect() {
    model(|| {
        let (tx, rx) = bounded(1);
        let receivers: Vec<_> = [rx.clone(), rx]
            .into_iter()
            .map(|rx| thread::spawn(move || rx.recv()))
            .collect();
        retry(|| (tx.__waiters().0 == 2).then_some(()));
        tx.send(7).unwrap();
        drop(tx);
        let got: Vec<Result<i32, RecvError>> =
            receivers.into_iter().map(|r| r.join().unwrap()).collect();
        assert!(
            got == [Ok(7), Err(RecvError)] || got == [Err(RecvError), Ok(7)],
            "{got:?}"
        );
    });
}

/// A batch send into a full `bounded(2)` while the receiver takes both values and stops: the
/// send finishes, with the values in order. (A batch attempt can push part of its run and
/// stop at a slot whose consumer's Release store it has not seen yet, after the consumer's
/// fence-free notify found nobody; a sender that slept on that partial answer would sleep
/// for ever. That stale read is the store-buffering pattern, which loom does not produce
/// here: this model checks the path, and `send_batch_until`'s comment the argument.)
#[test]
fn batch_send_into_a_ring_being_drained() {
    model(|| {
        let (tx, rx) = bounded(2);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        let receiver = thread::spawn(move || {
            assert_eq!(rx.recv(), Ok(1));
            assert_eq!(rx.recv(), Ok(2));
            rx
        });
        tx.send_batch(vec![3, 4]).unwrap();
        let rx = receiver.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.try_recv(), Ok(4));
    });
}
