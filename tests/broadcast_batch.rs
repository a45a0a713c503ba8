//! Broadcast batches: `publish_batch` runs stay contiguous and in order for every subscriber,
//! runs longer than the ring do not wait on themselves, `recv_many` stops at a lag and leaves
//! it for the next call, and every message is dropped once.

mod common;

use std::thread;

use common::{scaled, watchdog, DropTracker, Rng, Tracked};
use wharf::broadcast::{backpressure, lossy, Builder, RecvError};

/// A message: publisher, run number, index in the run, run length.
type Msg = (u8, u32, u16, u16);

/// Two publishers publish runs of random length (some longer than the ring) under
/// backpressure; two subscribers `recv_many` with random limits. Each sees every message
/// once, each run contiguous and in order, each publisher's runs in order, and both see the
/// one same order.
#[test]
fn runs_stay_contiguous_for_every_subscriber() {
    watchdog("runs_stay_contiguous_for_every_subscriber", || {
        for capacity in [2, 8] {
            let runs = scaled(2_000) as u32;
            let (publisher, first) = backpressure::<Msg>(capacity);
            let second = publisher.subscribe();
            let readers: Vec<_> = [first, second]
                .into_iter()
                .enumerate()
                .map(|(i, mut sub)| {
                    thread::spawn(move || {
                        let mut rng = Rng::new(i as u64 + 3);
                        let mut got = Vec::new();
                        loop {
                            match sub.recv_many(&mut got, 1 + rng.pick(7)) {
                                Ok(_) => {}
                                Err(RecvError::Closed) => return got,
                                Err(e) => panic!("backpressure reported {e:?}"),
                            }
                        }
                    })
                })
                .collect();
            let writers: Vec<_> = (0..2u8)
                .map(|p| {
                    let publisher = publisher.clone();
                    thread::spawn(move || {
                        let mut rng = Rng::new(p as u64 + 11);
                        for run in 0..runs {
                            let len = 1 + rng.pick(2 * capacity + 2) as u16;
                            publisher.publish_batch((0..len).map(|i| (p, run, i, len)).collect());
                        }
                    })
                })
                .collect();
            drop(publisher);
            writers.into_iter().for_each(|w| w.join().unwrap());
            let seen: Vec<Vec<Msg>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
            assert_eq!(seen[0], seen[1], "the subscribers saw different orders");
            let mut next_run = [0u32; 2];
            let mut at = 0;
            while at < seen[0].len() {
                let (p, run, i, len) = seen[0][at];
                assert_eq!(i, 0, "a run starts in the middle at {at}");
                assert_eq!(
                    run, next_run[p as usize],
                    "publisher {p}'s runs out of order"
                );
                next_run[p as usize] += 1;
                for k in 0..len {
                    assert_eq!(
                        seen[0][at + k as usize],
                        (p, run, k, len),
                        "run {run} of publisher {p} interleaved or out of order"
                    );
                }
                at += len as usize;
            }
            assert_eq!(next_run, [runs, runs], "runs missing");
        }
    });
}

/// A single publisher's run longer than the ring, against a parked subscriber: the
/// publisher tells the subscriber about what it wrote before it waits for room.
#[test]
fn single_publisher_run_longer_than_the_ring() {
    watchdog("single_publisher_run_longer_than_the_ring", || {
        let n = scaled(20_000) as u64;
        let (mut publisher, mut sub) = Builder::new(4).build_single::<u64>();
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            while sub.recv_many(&mut got, 3).is_ok() {}
            got
        });
        let mut next = 0;
        while next < n {
            let len = (next % 13 + 1).min(n - next);
            publisher.publish_batch((next..next + len).collect());
            next += len;
        }
        drop(publisher);
        assert_eq!(reader.join().unwrap(), (0..n).collect::<Vec<_>>());
    });
}

/// Lossy: `recv_many` stops at a lag, the next call reports it exactly, and every message is
/// received or counted in one lag.
#[test]
fn recv_many_leaves_the_lag_to_the_next_call() {
    let (publisher, mut sub) = lossy::<u32>(4);
    publisher.publish_batch((0..3).collect());
    let mut got = Vec::new();
    assert_eq!(sub.recv_many(&mut got, 2), Ok(2));
    publisher.publish_batch((3..10).collect());
    // Messages 2..6 were overwritten; 6..10 are in the ring.
    assert_eq!(sub.recv_many(&mut got, 10), Err(RecvError::Lagged(4)));
    assert_eq!(sub.recv_many(&mut got, 10), Ok(4));
    assert_eq!(got, [0, 1, 6, 7, 8, 9]);
    // A lag in the middle of a call: the call returns what it had.
    publisher.publish(10);
    let mut partial = Vec::new();
    assert_eq!(sub.try_recv_many(&mut partial, 10), Ok(1));
    assert_eq!(partial, [10]);
    drop(publisher);
    assert_eq!(sub.recv_many(&mut partial, 10), Err(RecvError::Closed));
}

/// Every message of a batch is dropped once: overwritten ones by the publisher, the rest
/// with the ring.
#[test]
fn batch_messages_dropped_once() {
    let tracker = DropTracker::new(10);
    let (publisher, sub) = lossy(3);
    publisher.publish_batch(
        (0..10)
            .map(|i| std::sync::Arc::new(Tracked::new(&tracker, i)))
            .collect(),
    );
    tracker.assert_dropped_once(0..7);
    drop((publisher, sub));
    tracker.assert_all_dropped_once();
}
