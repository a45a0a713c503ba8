//! Models of `Select` and the `select!` / `select_biased!` macros (`src/channel/select.rs`): a
//! parked selection leaves one thread-unparking waker in the event count of every operation's
//! channel (the async task slots), re-checks, and parks through loom's `park`/`unpark`. A lost
//! wake-up, or a notification a selection took and did not pass on, is a loom deadlock.
//!
//! Under loom the fair selection does not shuffle (so that replays are deterministic): `Select`
//! and `select!` try their operations in the order they were added, as the biased ones do.
//!
//! No model lets a handle drop while a selection may be waiting unless the drop is what it
//! checks: a disconnect notifies every waiter (`notify_all`) and would hide a lost wake-up.
//! Senders and receivers that a thread owns are handed back through `join` for that reason.
//! The channels are `bounded(1)`, but for one `unbounded()` in the first model: the linked
//! queue's epoch pins multiply the state space (see `tests/channel.rs`), and its wake-up is
//! the same code.

#![cfg(loom)]

mod common;

use common::{model, retry};
use loom::thread;
use wharf::channel::{bounded, unbounded, Receiver, RecvError, Select};
use wharf::{select, select_biased};

/// Model 1: one selection over the receives of a `bounded(1)` and an `unbounded()` channel,
/// two senders sending one value each, one to each channel, at any time: the selection, run
/// twice (the completed receive removed in between with `Select::remove`), gets both values,
/// each from its own arm. Neither wait misses the value it waits for: a send's check of the
/// waiter count that came before the selection's registration must be met by the re-check
/// after it, or the selection would sleep for ever.
#[test]
fn select_on_two_channels_races_two_senders() {
    model(|| {
        let (tx1, rx1) = bounded(1);
        let (tx2, rx2) = unbounded();
        let sender1 = thread::spawn(move || {
            tx1.send(1).unwrap();
            tx1
        });
        let sender2 = thread::spawn(move || {
            tx2.send(2).unwrap();
            tx2
        });
        let mut sel = Select::new();
        let op1 = sel.recv(&rx1);
        let op2 = sel.recv(&rx2);
        let mut got = Vec::new();
        for _ in 0..2 {
            let oper = sel.select();
            let index = oper.index();
            let value = if index == op1 {
                oper.recv(&rx1)
            } else {
                assert_eq!(index, op2);
                oper.recv(&rx2)
            };
            got.push((index, value.unwrap()));
            sel.remove(index);
        }
        got.sort_unstable();
        assert_eq!(got, [(op1, 1), (op2, 2)]);
        let (_tx1, _tx2) = (sender1.join().unwrap(), sender2.join().unwrap());
    });
}

/// The selection of models 2, 2b and 2c: a `select_biased!` receive on `D`, then on `C`;
/// returns the arm it completed and the value.
fn select_d_then_c(rx_d: &Receiver<i32>, rx_c: &Receiver<i32>) -> (char, i32) {
    select_biased! {
        recv(rx_d) -> v => ('D', v.unwrap()),
        recv(rx_c) -> v => ('C', v.unwrap()),
    }
}

/// Starts the selection of [`select_d_then_c`] and then `other` on `C`, returning once both
/// wait (the selection registered on `C` first, so `C`'s next `notify_one` is the
/// selection's: its task entry is the oldest, and a thread waiter is woken by any notify).
fn start_selection_then_other(
    rx_c: &Receiver<i32>,
    rx_d: &Receiver<i32>,
    other: fn(Receiver<i32>) -> i32,
) -> (thread::JoinHandle<(char, i32)>, thread::JoinHandle<i32>) {
    let selector = {
        let (rx_c, rx_d) = (rx_c.clone(), rx_d.clone());
        thread::spawn(move || select_d_then_c(&rx_d, &rx_c))
    };
    // The selection registers on `D`, then on `C`.
    retry(|| (rx_c.__waiters().0 == 1).then_some(()));
    let receiver = {
        let rx_c = rx_c.clone();
        thread::spawn(move || other(rx_c))
    };
    retry(|| (rx_c.__waiters().0 == 2).then_some(()));
    (selector, receiver)
}

/// The other receiver of `C` in models 2b and 2c: a one-arm `select!`, a task waiter in `C`'s
/// list (behind the selection's entry).
fn one_arm_select(rx_c: Receiver<i32>) -> i32 {
    select! {
        recv(rx_c) -> v => v.unwrap(),
    }
}

/// Models 2 and 2b: a selection over `D` then `C` and another receiver of `C` both wait; the
/// main thread sends `D`'s value, then `C`'s. Whichever of `C`'s waiters the notification of
/// the `C` value went to, both finish: the selection completes `D` and the other receiver gets
/// the `C` value; or, if the selection's pass found `D` still empty and then took the `C`
/// value, the other receiver gets a second `C` value sent for it, and the `D` value waits in
/// `D` (loom does not reach that branch at two or three preemptions; it keeps the model from
/// deadlocking where the code is right).
///
/// `other` is how the other receiver of `C` waits.
fn notified_selection_passes_on(other: fn(Receiver<i32>) -> i32) {
    model(move || {
        const C: i32 = 1;
        const D: i32 = 2;
        const C2: i32 = 3;
        let (tx_c, rx_c) = bounded(1);
        let (tx_d, rx_d) = bounded(1);
        let (selector, receiver) = start_selection_then_other(&rx_c, &rx_d, other);
        tx_d.send(D).unwrap();
        tx_c.send(C).unwrap();
        let selected = selector.join().unwrap();
        if selected == ('C', C) {
            tx_c.send(C2).unwrap();
            assert_eq!(receiver.join().unwrap(), C2);
            assert_eq!(rx_d.try_recv(), Ok(D));
        } else {
            // Together they got exactly the two values, the other receiver `C`'s.
            assert_eq!(selected, ('D', D));
            assert_eq!(receiver.join().unwrap(), C);
        }
        assert!(rx_c.is_empty() && rx_d.is_empty());
    });
}

/// Model 2: the other waiter on `C` is a thread in a plain `rx_c.recv()`. Proves that a
/// selection that registered on `C`, and may have taken `C`'s notification, never strands a
/// thread blocked in `recv` on `C`, whichever arm it completes. It cannot catch a lost
/// pass-on: a thread waiter waits for `C`'s epoch to move, which every notify does, whoever
/// else it wakes (with `cancel_task` turned into `finish_task` it still passes); models 2b
/// and 2c check the pass-on.
#[test]
fn notified_select_picking_another_arm_passes_the_notification_on() {
    notified_selection_passes_on(|rx_c| rx_c.recv().unwrap());
}

/// Model 2b: as model 2, but the other waiter on `C` is a one-arm `select!`, a task waiter
/// that only a popped entry wakes. When `C`'s one notification went to the first selection
/// and that selection completed `D`, it must pass the notification on (`cancel_task`'s
/// `notify_one`), or the second selection sleeps for ever with the `C` value in the channel.
///
/// Before the owed `notify_one` of `Registered` this deadlocked in loom's first execution:
/// woken, `park_until` renews every registration before its re-check, and the renewal of the
/// `C` registration that the notify had taken forgot it, so `cancel_task` found the new entry
/// and passed nothing on. It also fails with `cancel_task` turned into `finish_task`, or with
/// the owed `notify_one` left out.
#[test]
fn notified_select_picking_another_arm_passes_the_notification_to_a_select() {
    notified_selection_passes_on(one_arm_select);
}

/// Model 2c: as model 2b, but the first `D` value, whose notify wakes the selection, may be
/// taken back by the main thread (`try_recv`) before the selection looks; then `C`'s value and
/// a second `D` value. So the selection may find nothing when it wakes and renew its
/// registrations, `C`'s notification may use up its `C` registration just before that one is
/// renewed, and the re-check may then complete `D` with the second value. A notification used
/// by a registration that was since renewed must still be passed on when the selection
/// completes another arm: it fails without the owed `notify_one`, and with a fix of model 2b
/// that only re-checks before renewing.
#[test]
fn renewed_select_registration_passes_a_used_notification_on() {
    model(|| {
        const C: i32 = 1;
        const D1: i32 = 10;
        const D2: i32 = 20;
        const C2: i32 = 3;
        let (tx_c, rx_c) = bounded(1);
        let (tx_d, rx_d) = bounded(1);
        let (selector, receiver) = start_selection_then_other(&rx_c, &rx_d, one_arm_select);
        tx_d.send(D1).unwrap();
        let taken_back = rx_d.try_recv().ok();
        tx_c.send(C).unwrap();
        // `D` is empty: the first value was taken back, or the selection took it.
        tx_d.send(D2).unwrap();
        let selected = selector.join().unwrap();
        let other_got = receiver_result(selected, &tx_c, C, C2);
        assert_eq!(receiver.join().unwrap(), other_got);
        // Each `D` value went to exactly one place.
        let mut d_values: Vec<i32> = taken_back.into_iter().chain(rx_d.try_recv().ok()).collect();
        if selected.0 == 'D' {
            d_values.push(selected.1);
        }
        d_values.sort_unstable();
        assert_eq!(d_values, [D1, D2]);
        assert!(rx_c.is_empty() && rx_d.is_empty());
    });
}

/// What the other receiver of `C` must get once the selection returned `selected`: the `C`
/// value, or, if the selection took it, `c2`, sent here.
fn receiver_result(
    selected: (char, i32),
    tx_c: &wharf::channel::Sender<i32>,
    c: i32,
    c2: i32,
) -> i32 {
    if selected == ('C', c) {
        tx_c.send(c2).unwrap();
        c2
    } else {
        c
    }
}

/// Model 3: a `select!` with a send on a full `bounded(1)` and a receive on an empty channel
/// (whose sender stays alive), while another thread takes the one queued value: the selection
/// is woken by the room (its waker is in the channel's `not_full` count, which a receive
/// notifies) and completes the send; the receiver got the old value, and the new one is
/// queued. The receiver hands its handle back through `join`, so no disconnect wakes the
/// selection.
#[test]
fn select_send_woken_by_room() {
    model(|| {
        let (tx, rx) = bounded(1);
        tx.send(1).unwrap();
        let (_tx_empty, rx_empty) = bounded::<i32>(1);
        let receiver = thread::spawn(move || {
            let first = rx.recv();
            (first, rx)
        });
        let sent = select! {
            send(tx, 2) -> res => res,
            recv(rx_empty) -> v => panic!("nothing is sent on the empty channel: {v:?}"),
        };
        assert_eq!(sent, Ok(()));
        let (first, rx) = receiver.join().unwrap();
        assert_eq!(first, Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert!(rx.is_empty());
    });
}

/// Model 4: the last sender of `A` drops while a `select_biased!` over a receive on `B` (whose
/// sender stays alive, and sends nothing) and one on `A` may be waiting: the disconnect wakes
/// the selection (or its re-check sees it), and the `A` arm yields `Err(RecvError)`.
#[test]
fn disconnect_wakes_select_recv_arm() {
    model(|| {
        let (tx_a, rx_a) = bounded::<i32>(1);
        let (_tx_b, rx_b) = bounded::<i32>(1);
        let dropper = thread::spawn(move || drop(tx_a));
        let got = select_biased! {
            recv(rx_b) -> v => panic!("nothing is sent on B: {v:?}"),
            recv(rx_a) -> v => v,
        };
        assert_eq!(got, Err(RecvError));
        dropper.join().unwrap();
    });
}
