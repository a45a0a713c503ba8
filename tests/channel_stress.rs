//! Blocking channels under contention: more threads than cores, handles dropped mid-flight,
//! timeouts racing with traffic. Sized by `WHARF_TEST_SCALE` (see `support::scale`).

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use support::{scaled, Counter, Rng, Tracked};
use wharf::channel::{
    bounded, unbounded, with_queue_and_strategy, Flavor, Receiver, RecvTimeoutError, Sender,
    TryRecvError, TrySendError,
};
use wharf::{ArrayQueue, LinkedQueue, WaitStrategy};

fn channel_of<T>(cap: Option<usize>, s: WaitStrategy) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(cap) => with_queue_and_strategy(Flavor::Bounded(ArrayQueue::new(cap)), s),
        None => with_queue_and_strategy(Flavor::Unbounded(LinkedQueue::new()), s),
    }
}

/// `senders` threads each send `per_sender` items `(sender, i)`; `receivers` threads receive
/// until disconnected. Checks that the union of what they got is exactly what was sent, and
/// that each receiver saw each sender's items in increasing order.
fn mpmc(
    tx: Sender<(usize, usize)>,
    rx: Receiver<(usize, usize)>,
    senders: usize,
    receivers: usize,
    per_sender: usize,
) {
    let start = Arc::new(Barrier::new(senders + receivers));
    let producers: Vec<_> = (0..senders)
        .map(|p| {
            let (tx, start) = (tx.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for i in 0..per_sender {
                    tx.send((p, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..receivers)
        .map(|_| {
            let (rx, start) = (rx.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut got = Vec::new();
                while let Ok(item) = rx.recv() {
                    got.push(item);
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in producers {
        p.join().unwrap();
    }
    let received: Vec<_> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
    support::check_pairs(senders, per_sender, &received);
}

#[test]
fn mpmc_8x8_bounded() {
    support::watchdog("mpmc_8x8_bounded", || {
        let (tx, rx) = bounded(4);
        mpmc(tx, rx, 8, 8, scaled(5_000));
    });
}

#[test]
fn mpmc_8x8_unbounded() {
    support::watchdog("mpmc_8x8_unbounded", || {
        let (tx, rx) = unbounded();
        mpmc(tx, rx, 8, 8, scaled(5_000));
    });
}

#[test]
fn mpmc_every_strategy() {
    support::watchdog("mpmc_every_strategy", || {
        // Spinning strategies with more threads than cores are slow by design: fewer threads.
        for s in [
            WaitStrategy::Spin,
            WaitStrategy::SpinYield,
            WaitStrategy::SpinPark,
        ] {
            for cap in [Some(1), Some(4), None] {
                let (tx, rx) = channel_of(cap, s);
                mpmc(tx, rx, 2, 2, scaled(5_000));
            }
        }
    });
}

/// One round of the drop storm: senders and receivers each stop after a random number of
/// operations and drop their handle, in no coordinated order.
fn drop_storm(seed: u64, cap: Option<usize>, s: WaitStrategy) {
    const SENDERS: usize = 4;
    const RECEIVERS: usize = 3;
    const PER_SENDER: usize = 300;
    let counter = Counter::with_ids(SENDERS * PER_SENDER);
    let (tx, rx) = channel_of::<Tracked>(cap, s);
    let sent_ok = Arc::new(Mutex::new(HashSet::new()));
    let received = Arc::new(Mutex::new(Vec::new()));
    let made = Arc::new(Mutex::new(HashSet::new()));
    let mut threads = Vec::new();
    for p in 0..SENDERS {
        let (tx, counter, sent_ok, made) =
            (tx.clone(), counter.clone(), sent_ok.clone(), made.clone());
        threads.push(thread::spawn(move || {
            let mut rng = Rng::new(seed * 31 + p as u64);
            let quota = rng.below(PER_SENDER as u64 + 1) as usize;
            let (mut ok, mut tried) = (Vec::new(), Vec::new());
            for i in 0..quota {
                let id = p * PER_SENDER + i;
                tried.push(id);
                let item = counter.track(id, ());
                // Err((value handed back, whether every receiver is gone)).
                let result = match rng.below(3) {
                    0 => tx.send(item).map_err(|e| (e.into_inner(), true)),
                    1 => match tx.try_send(item) {
                        Err(TrySendError::Full(item)) => {
                            tx.send(item).map_err(|e| (e.into_inner(), true))
                        }
                        Err(e) => Err((e.into_inner(), true)),
                        Ok(()) => Ok(()),
                    },
                    _ => tx
                        .send_timeout(item, Duration::from_micros(rng.below(200)))
                        .map_err(|e| {
                            let gone = e.is_disconnected();
                            (e.into_inner(), gone)
                        }),
                };
                match result {
                    Ok(()) => ok.push(id),
                    Err((back, gone)) => {
                        // Handed back: the same item; it is dropped here, once.
                        assert_eq!(back.id, id);
                        if gone {
                            break;
                        }
                    }
                }
            }
            sent_ok.lock().unwrap().extend(ok);
            made.lock().unwrap().extend(tried);
        }));
    }
    drop(tx);
    for c in 0..RECEIVERS {
        let (rx, received) = (rx.clone(), received.clone());
        threads.push(thread::spawn(move || {
            let mut rng = Rng::new(seed * 37 + 1000 + c as u64);
            let quota = rng.below((SENDERS * PER_SENDER / 2) as u64) as usize;
            let mut got = Vec::new();
            while got.len() < quota {
                let item = match rng.below(3) {
                    0 => match rx.recv() {
                        Ok(item) => item,
                        Err(_) => break,
                    },
                    1 => match rx.try_recv() {
                        Ok(item) => item,
                        Err(TryRecvError::Empty) => continue,
                        Err(TryRecvError::Disconnected) => break,
                    },
                    _ => match rx.recv_timeout(Duration::from_micros(rng.below(200))) {
                        Ok(item) => item,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => break,
                    },
                };
                got.push(item.id);
            }
            // Each sender's items arrive in the order it sent them (ids grow per sender).
            let mut last = [None; SENDERS];
            for &id in &got {
                let p = id / PER_SENDER;
                assert!(
                    last[p] < Some(id),
                    "seed {seed}: sender {p}: {id} after {:?}",
                    last[p]
                );
                last[p] = Some(id);
            }
            received.lock().unwrap().extend(got);
        }));
    }
    drop(rx);
    for t in threads {
        t.join().unwrap();
    }
    // Every handle is gone: everything made was dropped, each original exactly once.
    assert_eq!(counter.live(), 0, "seed {seed}: leaked");
    let sent_ok = sent_ok.lock().unwrap();
    let made = made.lock().unwrap();
    for id in 0..SENDERS * PER_SENDER {
        let drops = counter.drops_of(id);
        let expected = usize::from(made.contains(&id));
        assert_eq!(
            drops, expected,
            "seed {seed}: item {id} dropped {drops} times"
        );
    }
    let received = received.lock().unwrap();
    let unique: HashSet<_> = received.iter().copied().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "seed {seed}: an item was received twice"
    );
    assert!(
        unique.is_subset(&sent_ok),
        "seed {seed}: received an item never sent"
    );
}

#[test]
fn handles_dropped_mid_flight() {
    support::watchdog("handles_dropped_mid_flight", || {
        let rounds = scaled(80) as u64;
        for seed in 0..rounds {
            let s = [WaitStrategy::SpinPark, WaitStrategy::SpinYield][seed as usize % 2];
            for cap in [Some(1), Some(4), None] {
                drop_storm(seed, cap, s);
            }
        }
    });
}
