//! Broadcast rings under contention: more threads than cores, several publishers, lossy
//! overwrites racing readers, subscribers joining and leaving. Sized by `WHARF_TEST_SCALE`.

mod support;

use std::sync::{Arc, Barrier};
use std::thread;

use support::{scaled, Counter, Tracked};
use wharf::broadcast::{Builder, Overflow, RecvError, Subscriber};
use wharf::WaitStrategy;

/// A message whose parts must agree: a torn or freed read shows up as a mismatch.
#[derive(Clone, Debug)]
struct Msg {
    n: u64,
    inverse: u64,
    text: String,
}

impl Msg {
    fn new(n: u64) -> Self {
        Self {
            n,
            inverse: !n,
            text: format!("message {n}"),
        }
    }
    fn check(&self) -> u64 {
        assert_eq!(self.inverse, !self.n, "torn message");
        assert_eq!(self.text, format!("message {}", self.n), "torn message");
        self.n
    }
}

/// Receives everything until `Closed`: `(received values, total lagged)`.
fn drain<T: Clone>(s: &mut Subscriber<T>) -> (Vec<T>, u64) {
    let (mut got, mut lagged) = (Vec::new(), 0);
    loop {
        match s.recv() {
            Ok(v) => got.push(v),
            Err(RecvError::Lagged(n)) => lagged += n,
            Err(RecvError::Closed) => return (got, lagged),
        }
    }
}

#[test]
fn four_subscribers_see_every_message_in_order() {
    support::watchdog("four_subscribers_see_every_message_in_order", || {
        let n = scaled(20_000) as u64;
        for (cap, single) in [(8, true), (5, false), (1, true)] {
            let b = Builder::new(cap);
            let (mut single_pub, first) = b.build_single::<u64>();
            let multi = (!single).then(|| b.build::<u64>());
            let (multi_pub, first) = match multi {
                Some((p, s)) => (Some(p), s),
                None => (None, first),
            };
            let mut subs = vec![first];
            for _ in 0..3 {
                subs.push(match &multi_pub {
                    Some(p) => p.subscribe(),
                    None => single_pub.subscribe(),
                });
            }
            let readers: Vec<_> = subs
                .into_iter()
                .map(|mut s| {
                    thread::spawn(move || {
                        for i in 0..n {
                            assert_eq!(s.recv(), Ok(i));
                        }
                        assert_eq!(s.recv(), Err(RecvError::Closed));
                    })
                })
                .collect();
            match multi_pub {
                Some(p) => (0..n).for_each(|i| p.publish(i)),
                None => (0..n).for_each(|i| single_pub.publish(i)),
            }
            drop(single_pub);
            for r in readers {
                r.join().unwrap();
            }
        }
    });
}

#[test]
fn multi_publisher_one_total_order() {
    support::watchdog("multi_publisher_one_total_order", || {
        let per_publisher = scaled(3_000) as u64;
        for (publishers, cap, s) in [
            (2, 4, WaitStrategy::SpinPark),
            (3, 7, WaitStrategy::SpinYield),
            (4, 16, WaitStrategy::SpinPark),
        ] {
            let (p, first) = Builder::new(cap).wait_strategy(s).build::<(usize, u64)>();
            let subs: Vec<_> = (0..3).map(|_| p.subscribe()).chain([first]).collect();
            let start = Arc::new(Barrier::new(publishers));
            let writers: Vec<_> = (0..publishers)
                .map(|id| {
                    let (p, start) = (p.clone(), start.clone());
                    thread::spawn(move || {
                        start.wait();
                        (0..per_publisher).for_each(|i| p.publish((id, i)));
                    })
                })
                .collect();
            drop(p);
            let readers: Vec<_> = subs
                .into_iter()
                .map(|mut s| thread::spawn(move || drain(&mut s)))
                .collect();
            for w in writers {
                w.join().unwrap();
            }
            let orders: Vec<_> = readers
                .into_iter()
                .map(|r| {
                    let (got, lagged) = r.join().unwrap();
                    assert_eq!(lagged, 0, "backpressure never lags");
                    got
                })
                .collect();
            let first = &orders[0];
            assert_eq!(first.len() as u64, publishers as u64 * per_publisher);
            let mut next = vec![0; publishers];
            for &(id, i) in first {
                assert_eq!(i, next[id], "publisher {id} out of order");
                next[id] += 1;
            }
            for other in &orders[1..] {
                assert!(other == first, "subscribers disagree on the order");
            }
        }
    });
}

/// One lossy run: a publisher (single or multi handle, on this thread) and `subscribers`
/// threads, some slow; every subscriber accounts for every message exactly.
fn lossy_run(cap: usize, single: bool, s: WaitStrategy, subscribers: usize) {
    let n = scaled(50_000) as u64;
    let b = Builder::new(cap).overflow(Overflow::Lossy).wait_strategy(s);
    let (mut single_pub, first) = b.build_single::<Msg>();
    let (multi_pub, first) = if single {
        (None, first)
    } else {
        let (p, s) = b.build::<Msg>();
        (Some(p), s)
    };
    let mut subs = vec![first];
    while subs.len() < subscribers {
        subs.push(subs[0].resubscribe());
    }
    let readers: Vec<_> = subs
        .into_iter()
        .enumerate()
        .map(|(k, mut sub)| {
            thread::spawn(move || {
                // Message `expected` is the next one this subscriber may see.
                let (mut expected, mut received, mut lagged) = (0u64, 0u64, 0u64);
                loop {
                    // Half the subscribers read by borrowing, half by cloning; the odd ones
                    // dawdle, so that they lag.
                    let result = if k % 2 == 0 {
                        sub.recv_with(Msg::check)
                    } else {
                        sub.recv().map(|m| m.check())
                    };
                    match result {
                        Ok(m) => {
                            assert_eq!(m, expected, "subscriber {k}: out of order");
                            expected += 1;
                            received += 1;
                            if k % 2 == 1 && m % 64 == 0 {
                                thread::yield_now();
                            }
                        }
                        Err(RecvError::Lagged(l)) => {
                            assert!(l > 0);
                            expected += l;
                            lagged += l;
                        }
                        Err(RecvError::Closed) => return (received, lagged),
                    }
                }
            })
        })
        .collect();
    for i in 0..n {
        match &multi_pub {
            Some(p) => p.publish(Msg::new(i)),
            None => single_pub.publish(Msg::new(i)),
        }
        // Let the readers in now and then, so that reads and overwrites interleave.
        if i % 32 == 0 {
            thread::yield_now();
        }
    }
    drop((single_pub, multi_pub));
    for (k, r) in readers.into_iter().enumerate() {
        let (received, lagged) = r.join().unwrap();
        assert_eq!(
            received + lagged,
            n,
            "subscriber {k}: {received} + {lagged}"
        );
    }
}

#[test]
fn lossy_accounting_and_no_torn_values() {
    support::watchdog("lossy_accounting_and_no_torn_values", || {
        lossy_run(4, true, WaitStrategy::SpinPark, 3);
        lossy_run(5, false, WaitStrategy::SpinPark, 3);
        lossy_run(1, true, WaitStrategy::SpinYield, 2);
        lossy_run(64, false, WaitStrategy::Spin, 1);
    });
}

#[test]
fn lossy_multi_publisher_accounting() {
    support::watchdog("lossy_multi_publisher_accounting", || {
        let per_publisher = scaled(5_000) as u64;
        let publishers = 3;
        let (p, first) = Builder::new(8)
            .overflow(Overflow::Lossy)
            .build::<(usize, Msg)>();
        let subs: Vec<_> = (0..2).map(|_| p.subscribe()).chain([first]).collect();
        let readers: Vec<_> = subs
            .into_iter()
            .map(|mut s| {
                thread::spawn(move || {
                    let (got, lagged) = drain(&mut s);
                    let mut last = vec![None; publishers];
                    for (id, m) in &got {
                        let n = m.check();
                        assert!(last[*id] < Some(n), "publisher {id}: order");
                        last[*id] = Some(n);
                    }
                    let order: Vec<(usize, u64)> = got.iter().map(|(id, m)| (*id, m.n)).collect();
                    (order, got.len() as u64 + lagged)
                })
            })
            .collect();
        let writers: Vec<_> = (0..publishers)
            .map(|id| {
                let p = p.clone();
                thread::spawn(move || (0..per_publisher).for_each(|i| p.publish((id, Msg::new(i)))))
            })
            .collect();
        drop(p);
        for w in writers {
            w.join().unwrap();
        }
        let orders: Vec<_> = readers
            .into_iter()
            .map(|r| {
                let (order, accounted) = r.join().unwrap();
                assert_eq!(accounted, publishers as u64 * per_publisher);
                order
            })
            .collect();
        // Each saw a part of the one order in which the messages were published.
        for other in &orders[1..] {
            support::assert_same_order(&orders[0], other);
        }
    });
}

#[test]
fn values_dropped_once_under_contention() {
    support::watchdog("values_dropped_once_under_contention", || {
        let per_publisher = scaled(3_000);
        for o in [Overflow::Backpressure, Overflow::Lossy] {
            let publishers = 2;
            let counter = Counter::with_ids(publishers * per_publisher);
            let (p, first) = Builder::new(4).overflow(o).build::<Tracked<u64>>();
            let subs: Vec<_> = (0..2).map(|_| p.subscribe()).chain([first]).collect();
            let readers: Vec<_> = subs
                .into_iter()
                .map(|mut s| {
                    thread::spawn(move || {
                        let (got, _) = drain(&mut s);
                        got.iter().map(|t| t.id).collect::<Vec<_>>() // the clones are dropped here
                    })
                })
                .collect();
            let writers: Vec<_> = (0..publishers)
                .map(|w| {
                    let (p, counter) = (p.clone(), counter.clone());
                    thread::spawn(move || {
                        for i in 0..per_publisher {
                            let id = w * per_publisher + i;
                            p.publish(counter.track(id, id as u64));
                        }
                    })
                })
                .collect();
            drop(p);
            for w in writers {
                w.join().unwrap();
            }
            let orders: Vec<Vec<usize>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
            let clones: usize = orders.iter().map(Vec::len).sum();
            // One order for all subscribers (lossy ones each see a part of it).
            for other in &orders[1..] {
                support::assert_same_order(&orders[0], other);
            }
            if o == Overflow::Backpressure {
                assert_eq!(clones, 3 * publishers * per_publisher);
            }
            assert_eq!(counter.created(), publishers * per_publisher + clones);
            assert_eq!(counter.live(), 0, "{o:?}: leaked");
            for id in 0..publishers * per_publisher {
                assert_eq!(counter.drops_of(id), 1, "{o:?}: value {id}");
            }
        }
    });
}

#[test]
fn subscribers_join_and_leave_under_backpressure() {
    support::watchdog("subscribers_join_and_leave_under_backpressure", || {
        // A steady subscriber reads everything while two others keep resubscribing (join, read a
        // few, leave): each newcomer starts after what its predecessor saw and then sees
        // consecutive messages; nobody is overrun or stuck.
        let n = scaled(20_000) as u64;
        for single in [true, false] {
            // The steady one, plus two churners with an old and a new subscriber each.
            let b = Builder::new(4).max_subscribers(5);
            let (mut sp, steady) = b.build_single::<u64>();
            let (mp, steady) = if single {
                (None, steady)
            } else {
                let (p, s) = b.build::<u64>();
                (Some(p), s)
            };
            let churn: Vec<_> = (0..2u64)
                .map(|k| {
                    let mut s = steady.resubscribe();
                    thread::spawn(move || {
                        let mut last = None;
                        loop {
                            let first = match s.recv() {
                                Ok(v) => v,
                                Err(e) => return assert_eq!(e, RecvError::Closed),
                            };
                            assert!(Some(first) > last, "a newcomer saw an old message");
                            for expected in first + 1..first + 1 + (k + 1) * 3 {
                                match s.recv() {
                                    Ok(v) => assert_eq!(v, expected, "a newcomer skipped"),
                                    Err(e) => return assert_eq!(e, RecvError::Closed),
                                }
                                last = Some(expected);
                            }
                            let newcomer = s.resubscribe();
                            drop(s);
                            s = newcomer;
                        }
                    })
                })
                .collect();
            let steady = thread::spawn(move || {
                let mut s = steady;
                for i in 0..n {
                    assert_eq!(s.recv(), Ok(i));
                }
                assert_eq!(s.recv(), Err(RecvError::Closed));
            });
            match mp {
                Some(p) => (0..n).for_each(|i| p.publish(i)),
                None => (0..n).for_each(|i| sp.publish(i)),
            }
            drop(sp);
            steady.join().unwrap();
            for c in churn {
                c.join().unwrap();
            }
        }
    });
}

#[test]
fn close_races_with_blocked_recv() {
    support::watchdog("close_races_with_blocked_recv", || {
        // The last publisher publishes and goes at once, while the subscriber is (maybe) blocked:
        // the subscriber still gets every message, then Closed.
        let rounds = scaled(100);
        for o in [Overflow::Backpressure, Overflow::Lossy] {
            for cap in [1, 2, 3] {
                for round in 0..rounds {
                    let b = Builder::new(cap).overflow(o);
                    let k = round % cap + 1; // at most a ring's worth: never a lag
                    let (mut sp, s1) = b.build_single::<usize>();
                    let (mp, s2) = b.build::<usize>();
                    let readers: Vec<_> = [s1, s2]
                        .into_iter()
                        .map(|mut s| thread::spawn(move || drain(&mut s)))
                        .collect();
                    if round % 2 == 0 {
                        thread::yield_now();
                    }
                    for i in 0..k {
                        sp.publish(i);
                        mp.publish(i);
                    }
                    drop((sp, mp));
                    for r in readers {
                        let (got, lagged) = r.join().unwrap();
                        assert_eq!(lagged, 0);
                        assert_eq!(got, (0..k).collect::<Vec<_>>(), "{o:?} cap {cap}");
                    }
                }
            }
        }
    });
}
