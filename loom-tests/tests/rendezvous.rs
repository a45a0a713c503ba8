//! Models of the rendezvous channel (`bounded(0)`): offers, gifts to waiting receivers, the
//! wake-up of the one sender whose offer was taken, and a disconnect racing a waiting send.
//! A lost wake-up is a loom deadlock.

#![cfg(loom)]

mod common;

use common::{model, Drops};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use wharf::channel::{bounded, RecvError, TryRecvError, TrySendError};

/// One sender, two values: each send waits until the receiver has its value (the second send
/// cannot have started before the first value was taken), then `Disconnected`.
#[test]
fn send_meets_recv() {
    model(|| {
        let (tx, rx) = bounded(0);
        let first_done = Arc::new(AtomicBool::new(false));
        let sender = {
            let first_done = first_done.clone();
            thread::spawn(move || {
                tx.send(1).unwrap();
                first_done.store(true, Ordering::SeqCst);
                tx.send(2).unwrap();
            })
        };
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        // The second value could only be offered once the first send had returned.
        assert!(first_done.load(Ordering::SeqCst));
        sender.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// Two senders wait with an offer each; one receiver takes both, and both sends return.
/// (That each take wakes the sender owning the offer, not merely some sender, loom's condvar
/// cannot show, as its `notify_one` may wake every sleeper: `each_take_wakes_its_own_sender`
/// in tests/rendezvous.rs checks it.)
#[test]
fn two_senders_each_woken_by_their_take() {
    model(|| {
        let (tx, rx) = bounded(0);
        let senders: Vec<_> = [10, 20]
            .into_iter()
            .map(|v| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(v).unwrap())
            })
            .collect();
        drop(tx);
        let mut got = [rx.recv().unwrap(), rx.recv().unwrap()];
        got.sort_unstable();
        assert_eq!(got, [10, 20]);
        for s in senders {
            s.join().unwrap();
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

/// A `try_send` races a receiver that is about to wait: it succeeds only if that receiver has
/// joined the takers, and then the receiver gets the value; otherwise the blocking send that
/// follows delivers it. Either way exactly one value arrives.
#[test]
fn try_send_races_a_waiting_receiver() {
    model(|| {
        let (tx, rx) = bounded(0);
        let receiver = thread::spawn(move || rx.recv());
        match tx.try_send(5) {
            Ok(()) => {}
            Err(TrySendError::Full(v)) => tx.send(v).unwrap(),
            Err(e) => panic!("{e:?}"),
        }
        assert_eq!(receiver.join().unwrap(), Ok(5));
    });
}

/// The last receiver drops while a send may be waiting with its offer: the send either was
/// received (by the receiver's `try_recv` before the drop) or gets its value back; never
/// both, never neither, and the value is dropped exactly once.
#[test]
fn receiver_drop_races_a_waiting_send() {
    model(|| {
        let drops = Drops::new(1);
        let (tx, rx) = bounded(0);
        let sender = {
            let value = drops.make(0);
            thread::spawn(move || tx.send(value).map_err(|e| e.into_inner()))
        };
        let received = rx.try_recv().ok();
        drop(rx);
        let handed_back = sender.join().unwrap().err();
        assert!(
            received.is_some() != handed_back.is_some(),
            "received {:?}, handed back {:?}",
            received.is_some(),
            handed_back.is_some()
        );
        drop((received, handed_back));
        drops.assert_each_dropped_once();
    });
}
