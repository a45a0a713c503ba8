//! Models of the drain when the last receiver drops: a send racing with the drop leaves
//! nothing queued once it has returned, while its sender is still alive.

#![cfg(loom)]

mod common;

use common::{model, Drops};
use loom::thread;
use wharf::channel::{bounded, unbounded, Receiver, Sender};

/// A sender sends two values (each send may fail once the receiver is gone) and hands its
/// `Sender` back alive; meanwhile the receiver is dropped. Once both are done, every value is
/// dropped exactly once: queued ones by the drain (the receiver's, or the racing sender's).
fn send_races_last_receiver_drop(
    make: fn() -> (Sender<common::Tracked>, Receiver<common::Tracked>),
) {
    model(move || {
        let drops = Drops::new(2);
        let (tx, rx) = make();
        let sender = {
            let drops = drops.clone();
            thread::spawn(move || {
                let _ = tx.try_send(drops.make(0));
                let _ = tx.try_send(drops.make(1));
                tx
            })
        };
        drop(rx);
        let tx = sender.join().unwrap();
        // The sender is alive, and nothing lingers in the channel.
        drops.assert_each_dropped_once();
        drop(tx);
    });
}

#[test]
fn bounded1_send_races_last_receiver_drop() {
    send_races_last_receiver_drop(|| bounded(1));
}

#[test]
fn bounded2_send_races_last_receiver_drop() {
    send_races_last_receiver_drop(|| bounded(2));
}

#[test]
fn unbounded_send_races_last_receiver_drop() {
    send_races_last_receiver_drop(unbounded);
}
