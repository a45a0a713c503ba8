//! Channel runs: rendezvous, capacity 1, small rings and unbounded; disconnection, timeouts, and handles
//! dropped mid-flight with every value's drops counted.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::common::{check_received, decode, encode, scaled};
use crate::join_all;
use wharf::channel::{self, Receiver, Sender};
use wharf::{ArrayQueue, LinkedQueue, WaitStrategy};

fn channel_of<T>(cap: Option<usize>, strategy: WaitStrategy) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(0) => {
            channel::with_queue_and_strategy(channel::Flavor::Zero(Default::default()), strategy)
        }
        Some(cap) => channel::with_queue_and_strategy(
            channel::Flavor::Bounded(ArrayQueue::new(cap)),
            strategy,
        ),
        None => channel::with_queue_and_strategy(
            channel::Flavor::Unbounded(LinkedQueue::new()),
            strategy,
        ),
    }
}

#[test]
fn channels_mpmc_with_disconnect() {
    let per = scaled(10_000);
    for strategy in [WaitStrategy::SpinPark, WaitStrategy::SpinYield] {
        // Capacity 1 is the single-slot state machine, 2 a ring that wraps every other send,
        // 0 a rendezvous (its lock, offers and takers).
        for cap in [Some(0), Some(1), Some(2), None] {
            let (tx, rx) = channel_of(cap, strategy);
            let senders: Vec<_> = (0..2)
                .map(|p| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        for seq in 0..per {
                            tx.send(Box::new(encode(p, seq))).unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let receivers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    // The receiver comes back to be dropped after the joins (see the module
                    // docs).
                    thread::spawn(move || {
                        let got = rx.iter().map(|b| *b).collect::<Vec<_>>();
                        (got, rx)
                    })
                })
                .collect();
            drop(rx);
            join_all(senders);
            let (received, _receivers): (Vec<_>, Vec<_>) = join_all(receivers).into_iter().unzip();
            check_received(2, per, &received);
        }
    }
}

#[test]
fn channel_timeouts_race_traffic() {
    // `send_timeout` and `recv_timeout` with a tick short enough that both time out often,
    // racing the other side's success: nothing lost or duplicated, each sender's values in
    // order, a timed-out value handed back intact.
    let per = scaled(3_000);
    let tick = Duration::from_micros(20);
    for strategy in [WaitStrategy::SpinPark, WaitStrategy::SpinYield] {
        for cap in [Some(1), Some(3), None] {
            let (tx, rx) = channel_of::<Box<u64>>(cap, strategy);
            let senders: Vec<_> = (0..2)
                .map(|p| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        for seq in 0..per {
                            let mut b = Box::new(encode(p, seq));
                            while let Err(e) = tx.send_timeout(b, tick) {
                                assert!(e.is_timeout(), "disconnected with a receiver alive");
                                b = e.into_inner();
                                assert_eq!(*b, encode(p, seq), "handed back another value");
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            let receivers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || {
                        let mut got = Vec::new();
                        loop {
                            match rx.recv_timeout(tick) {
                                Ok(v) => got.push(*v),
                                Err(e) if e.is_timeout() => {}
                                Err(_) => return (got, rx),
                            }
                        }
                    })
                })
                .collect();
            drop(rx);
            join_all(senders);
            let (received, _receivers): (Vec<_>, Vec<_>) = join_all(receivers).into_iter().unzip();
            check_received(2, per, &received);
        }
    }
}

/// A boxed value that counts its drops, per id, in a log shared by the test.
struct Item {
    id: usize,
    value: Box<u64>,
    log: Arc<Vec<AtomicU32>>,
}

impl Item {
    fn new(log: &Arc<Vec<AtomicU32>>, producer: usize, seq: usize, per: usize) -> Self {
        Self {
            id: producer * per + seq,
            value: Box::new(encode(producer, seq)),
            log: log.clone(),
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        // Relaxed: read by the main thread after joining every thread that drops items, or
        // after dropping the rest itself.
        self.log[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

fn drop_log(n: usize) -> Arc<Vec<AtomicU32>> {
    Arc::new((0..n).map(|_| AtomicU32::new(0)).collect())
}

/// Checks what receivers got from producers that sent `encode(p, 0..sent[p])`: nothing
/// twice, nothing not sent, each producer's values in order; returns how many were received.
fn check_no_dup_in_order(sent: &[usize], received: &[Vec<u64>]) -> usize {
    let mut seen: Vec<Vec<bool>> = sent.iter().map(|&n| vec![false; n]).collect();
    for (r, got) in received.iter().enumerate() {
        let mut last: Vec<Option<usize>> = vec![None; sent.len()];
        for &v in got {
            let (p, seq) = decode(v);
            assert!(
                p < sent.len() && seq < sent[p],
                "receiver {r}: {v:#x} was never sent"
            );
            assert!(!seen[p][seq], "({p}, {seq}) received twice");
            seen[p][seq] = true;
            assert!(
                last[p] < Some(seq),
                "receiver {r}: producer {p} out of order"
            );
            last[p] = Some(seq);
        }
    }
    received.iter().map(Vec::len).sum()
}

#[test]
fn channel_senders_and_a_receiver_leave_mid_flight() {
    // Three senders stop after different amounts and drop their handles while the others
    // still send; one receiver drops its handle halfway, with values in flight; the other
    // drains to the disconnection. Everything sent is received exactly once, in order per
    // sender, and every value is dropped exactly once.
    let per = scaled(3_000);
    for cap in [Some(1), Some(3), None] {
        let log = drop_log(3 * per);
        let quotas = [per / 3, 2 * per / 3, per];
        let (tx, rx) = channel_of::<Item>(cap, WaitStrategy::SpinPark);
        let senders: Vec<_> = quotas
            .iter()
            .enumerate()
            .map(|(p, &quota)| {
                let (tx, log) = (tx.clone(), log.clone());
                thread::spawn(move || {
                    for seq in 0..quota {
                        tx.send(Item::new(&log, p, seq, per)).unwrap();
                    }
                    // `tx` is dropped here, while the other senders are still sending.
                })
            })
            .collect();
        drop(tx);
        let leaver = {
            let rx = rx.clone();
            thread::spawn(move || {
                let got: Vec<u64> = (0..per / 2)
                    .map_while(|_| rx.recv().ok())
                    .map(|item| *item.value)
                    .collect();
                drop(rx);
                got
            })
        };
        let stayer = thread::spawn(move || {
            let got: Vec<u64> = rx.iter().map(|item| *item.value).collect();
            (got, rx)
        });
        join_all(senders);
        let left = leaver.join().unwrap();
        let (stayed, rx) = stayer.join().unwrap();
        let received = check_no_dup_in_order(&quotas, &[left, stayed]);
        assert_eq!(
            received,
            quotas.iter().sum::<usize>(),
            "capacity {cap:?}: lost values"
        );
        drop(rx);
        for (p, &quota) in quotas.iter().enumerate() {
            for seq in 0..per {
                let drops = log[p * per + seq].load(Ordering::Relaxed);
                let want = u32::from(seq < quota);
                assert_eq!(
                    drops, want,
                    "capacity {cap:?}: ({p}, {seq}) dropped {drops} times"
                );
            }
        }
    }
}

#[test]
fn channel_receivers_leave_mid_flight() {
    // Both receivers drop their handles after a quarter of the traffic, while two senders
    // are sending (and, at capacity 1, blocked): every sender must be told, get its value
    // back, and stop; what was still queued is dropped with the channel. Every value made is
    // dropped exactly once, wherever it ended.
    let per = scaled(3_000);
    for cap in [Some(1), Some(3), None] {
        let log = drop_log(2 * per);
        let (tx, rx) = channel_of::<Item>(cap, WaitStrategy::SpinPark);
        let senders: Vec<_> = (0..2)
            .map(|p| {
                let (tx, log) = (tx.clone(), log.clone());
                thread::spawn(move || {
                    for seq in 0..per {
                        if let Err(e) = tx.send(Item::new(&log, p, seq, per)) {
                            let back = e.into_inner();
                            assert_eq!(*back.value, encode(p, seq), "handed back another value");
                            // Made: `seq + 1` values, the last one dropped here.
                            return (seq + 1, tx);
                        }
                    }
                    (per, tx)
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let got: Vec<u64> = (0..per / 4)
                        .map_while(|_| rx.recv().ok())
                        .map(|item| *item.value)
                        .collect();
                    drop(rx);
                    got
                })
            })
            .collect();
        drop(rx);
        let received = join_all(receivers);
        let (made, senders): (Vec<usize>, Vec<_>) = join_all(senders).into_iter().unzip();
        check_no_dup_in_order(&made, &received);
        // The last handles: the values still queued are dropped now.
        drop(senders);
        for (p, &made) in made.iter().enumerate() {
            for seq in 0..per {
                let drops = log[p * per + seq].load(Ordering::Relaxed);
                let want = u32::from(seq < made);
                assert_eq!(
                    drops, want,
                    "capacity {cap:?}: ({p}, {seq}) dropped {drops} times"
                );
            }
        }
    }
}

/// `select!` and `Select` under TSan: two producers, one per channel (one sending through a
/// `select!` send arm), two consumers selecting over both until both channels are
/// disconnected; boxed values, so a value read before it was written, or freed twice, is
/// reported. Over a capacity-1 ring (every send waits for room, so the selections park and
/// their wake-ups race) and an unbounded list.
#[test]
fn selections_over_two_channels() {
    let per = scaled(5_000);
    let (atx, arx) = channel_of::<Box<u64>>(Some(1), WaitStrategy::SpinPark);
    let (btx, brx) = channel_of::<Box<u64>>(None, WaitStrategy::SpinPark);
    let senders = vec![
        thread::spawn(move || {
            for seq in 0..per {
                wharf::select! { send(atx, Box::new(encode(0, seq))) -> res => res.unwrap() }
            }
        }),
        thread::spawn(move || {
            for seq in 0..per {
                btx.send(Box::new(encode(1, seq))).unwrap();
            }
        }),
    ];
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let (arx, brx) = (arx.clone(), brx.clone());
            thread::spawn(move || {
                let mut got = Vec::new();
                let (mut a_open, mut b_open) = (true, true);
                while a_open || b_open {
                    let mut sel = channel::Select::new();
                    let a = a_open.then(|| sel.recv(&arx));
                    let _b = b_open.then(|| sel.recv(&brx));
                    let oper = sel.select();
                    let (rx, open) = if Some(oper.index()) == a {
                        (&arx, &mut a_open)
                    } else {
                        (&brx, &mut b_open)
                    };
                    match oper.recv(rx) {
                        Ok(v) => got.push(*v),
                        Err(_) => *open = false,
                    }
                }
                (got, arx, brx)
            })
        })
        .collect();
    drop((arx, brx));
    join_all(senders);
    let received: Vec<Vec<u64>> = join_all(receivers).into_iter().map(|r| r.0).collect();
    check_received(2, per, &received);
}
