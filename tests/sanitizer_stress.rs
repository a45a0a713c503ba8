//! Stress runs written for ThreadSanitizer (`.ci/steps/50-sanitizers.sh`), also run by plain
//! `cargo test`.
//!
//! std is not rebuilt with TSan here, so synchronisation that happens inside precompiled std
//! (a `std::sync::Mutex`, the join of `thread::scope`) is invisible to it and shows up as
//! false races in the test code. These tests therefore share state only through atomics and
//! wharf itself, and join every thread explicitly (`pthread_join`, which TSan sees). Values
//! are boxed, so that a read of a value that was not handed over properly is a read of heap
//! memory another thread wrote, which TSan (and ASan, for use after free) reports.
//!
//! The last handle of a channel or broadcast ring is always dropped by the test's main thread
//! after it has joined the others (a thread hands its handle back through `join`). std's `Arc`
//! orders its last drop with an acquire fence, which TSan does not model, so a last drop on a
//! worker thread would show the teardown racing with the other threads' earlier use; dropped
//! after the joins, the teardown is ordered for TSan too, and no suppression has to hide the
//! teardown (or the values it drops) from it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use wharf::broadcast::{Builder, Overflow, RecvError};
use wharf::channel;
use wharf::{ArrayQueue, EventCount, LinkedQueue, Queue, WaitStrategy};

fn scaled(n: u64) -> u64 {
    let scale: f64 = std::env::var("WHARF_TEST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale) as u64).max(10)
}

/// Value `seq` of producer `p`.
fn encode(p: u64, seq: u64) -> u64 {
    (p << 32) | seq
}

/// Checks that `got` (one consumer's values, in arrival order) has each producer's values in
/// increasing order; returns their sum.
fn check_order(got: &[u64], producers: u64) -> u64 {
    let mut last = vec![None; producers as usize];
    for &v in got {
        let (p, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
        if let Some(l) = last[p] {
            assert!(l < seq, "producer {p} out of order");
        }
        last[p] = Some(seq);
    }
    got.iter().sum()
}

fn expected_sum(producers: u64, per: u64) -> u64 {
    (0..producers)
        .flat_map(|p| (0..per).map(move |s| encode(p, s)))
        .sum()
}

/// `producers` threads push `per` boxed values each, `consumers` threads pop until all have
/// arrived; the multiset and per-producer order are checked.
fn mpmc<Q: Queue<Box<u64>> + Send + Sync + 'static>(q: Q, producers: u64, consumers: u64) {
    let per = scaled(20_000);
    let q = Arc::new(q);
    let taken = Arc::new(AtomicU64::new(0));
    let total = producers * per;
    let pushers: Vec<_> = (0..producers)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for seq in 0..per {
                    let mut v = Box::new(encode(p, seq));
                    while let Err(back) = q.try_push(v) {
                        v = back;
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let poppers: Vec<_> = (0..consumers)
        .map(|_| {
            let (q, taken) = (q.clone(), taken.clone());
            thread::spawn(move || {
                let mut got = Vec::new();
                while taken.load(Ordering::Relaxed) < total {
                    match q.try_pop() {
                        Some(v) => {
                            got.push(*v);
                            taken.fetch_add(1, Ordering::Relaxed);
                        }
                        None => thread::yield_now(),
                    }
                }
                got
            })
        })
        .collect();
    for h in pushers {
        h.join().unwrap();
    }
    let mut sum = 0;
    let mut count = 0;
    for h in poppers {
        let got = h.join().unwrap();
        count += got.len() as u64;
        sum += check_order(&got, producers);
    }
    assert_eq!(count, total);
    assert_eq!(sum, expected_sum(producers, per));
    assert!(q.is_empty());
}

#[test]
fn array_queue_mpmc() {
    for cap in [1, 3, 64] {
        mpmc(ArrayQueue::new(cap), 2, 2);
    }
}

#[test]
fn array_queue_force_push_races_pop() {
    // Capacity 1 is the single-slot state machine, 2 the smallest ring.
    for cap in [1, 2] {
        force_push_races_pop(cap);
    }
}

fn force_push_races_pop(cap: usize) {
    let per = scaled(20_000);
    let q = Arc::new(ArrayQueue::new(cap));
    let evicted = {
        let q = q.clone();
        thread::spawn(move || {
            (0..per)
                .filter_map(|v| q.force_push(Box::new(v)))
                .map(|b| *b)
                .collect::<Vec<_>>()
        })
    };
    let done = Arc::new(AtomicBool::new(false));
    let popper = {
        let (q, done) = (q.clone(), done.clone());
        thread::spawn(move || {
            let mut got = Vec::new();
            while !done.load(Ordering::Acquire) {
                if let Some(v) = q.pop() {
                    got.push(*v);
                }
            }
            got
        })
    };
    let mut all = evicted.join().unwrap();
    done.store(true, Ordering::Release);
    all.extend(popper.join().unwrap());
    while let Some(v) = q.pop() {
        all.push(*v);
    }
    all.sort_unstable();
    assert_eq!(all, (0..per).collect::<Vec<_>>(), "lost or duplicated");
}

#[test]
fn linked_queue_mpmc() {
    mpmc(LinkedQueue::new(), 2, 2);
}

#[test]
fn channels_mpmc_with_disconnect() {
    let per = scaled(10_000);
    for strategy in [WaitStrategy::SpinPark, WaitStrategy::SpinYield] {
        for bounded in [true, false] {
            let (tx, rx) = if bounded {
                channel::with_queue_and_strategy(
                    channel::Flavor::Bounded(ArrayQueue::new(2)),
                    strategy,
                )
            } else {
                channel::with_queue_and_strategy(
                    channel::Flavor::Unbounded(LinkedQueue::new()),
                    strategy,
                )
            };
            let senders: Vec<_> = (0..2u64)
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
                    // The receiver comes back to be dropped after the joins (see the module docs).
                    thread::spawn(move || {
                        let got = rx.iter().map(|b| *b).collect::<Vec<_>>();
                        (got, rx)
                    })
                })
                .collect();
            drop(rx);
            for h in senders {
                h.join().unwrap();
            }
            let (mut count, mut sum) = (0, 0);
            for h in receivers {
                let (got, _rx) = h.join().unwrap();
                count += got.len() as u64;
                sum += check_order(&got, 2);
            }
            assert_eq!(count, 2 * per);
            assert_eq!(sum, expected_sum(2, per));
        }
    }
}

#[test]
fn broadcast_backpressure_multi_publisher() {
    let per = scaled(5_000);
    let (publisher, first) = Builder::new(3).build::<Box<u64>>();
    let subscribers = [first, publisher.subscribe()];
    let publishers: Vec<_> = (0..2u64)
        .map(|p| {
            let publisher = publisher.clone();
            thread::spawn(move || {
                for seq in 0..per {
                    publisher.publish(Box::new(encode(p, seq)));
                }
            })
        })
        .collect();
    drop(publisher);
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|mut s| {
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    match s.recv() {
                        Ok(v) => got.push(*v),
                        Err(RecvError::Closed) => return (got, s),
                        Err(e) => panic!("backpressure lost messages: {e:?}"),
                    }
                }
            })
        })
        .collect();
    for h in publishers {
        h.join().unwrap();
    }
    let (orders, _subscribers): (Vec<Vec<u64>>, Vec<_>) =
        readers.into_iter().map(|h| h.join().unwrap()).unzip();
    for got in &orders {
        assert_eq!(got.len() as u64, 2 * per);
        assert_eq!(check_order(got, 2), expected_sum(2, per));
    }
    assert_eq!(orders[0], orders[1], "subscribers saw different orders");
}

#[test]
fn broadcast_lossy_no_torn_reads() {
    let n = scaled(20_000);
    let (publisher, first) = Builder::new(2)
        .overflow(Overflow::Lossy)
        .build::<(u64, String)>();
    let subscribers = [first, publisher.subscribe()];
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|mut s| {
            thread::spawn(move || {
                let (mut received, mut lagged, mut last) = (0u64, 0u64, None);
                loop {
                    match s.recv() {
                        Ok((k, text)) => {
                            assert_eq!(text, k.to_string(), "torn value");
                            if let Some(l) = last {
                                assert!(l < k, "out of order");
                            }
                            last = Some(k);
                            received += 1;
                        }
                        Err(RecvError::Lagged(m)) => lagged += m,
                        Err(RecvError::Closed) => return (received, lagged, s),
                    }
                }
            })
        })
        .collect();
    let writer = thread::spawn(move || {
        for k in 0..n {
            publisher.publish((k, k.to_string()));
        }
    });
    writer.join().unwrap();
    for h in readers {
        let (received, lagged, _subscriber) = h.join().unwrap();
        assert_eq!(
            received + lagged,
            n,
            "received + lagged must cover every message"
        );
    }
}

#[test]
fn event_count_handoff() {
    // A token passes back and forth through two flags; each side waits with the
    // prepare / re-check / wait protocol. A lost wake-up hangs the test.
    let rounds = scaled(5_000);
    let ec = Arc::new(EventCount::new());
    let turn = Arc::new(AtomicU64::new(0));
    let other = {
        let (ec, turn) = (ec.clone(), turn.clone());
        thread::spawn(move || {
            for r in 0..rounds {
                let mine = 2 * r + 1;
                while turn.load(Ordering::SeqCst) != mine - 1 {
                    let key = ec.prepare_wait();
                    if turn.load(Ordering::SeqCst) == mine - 1 {
                        key.cancel();
                    } else {
                        key.wait();
                    }
                }
                turn.store(mine, Ordering::SeqCst);
                ec.notify_all();
            }
        })
    };
    for r in 0..rounds {
        let want = 2 * r + 1;
        while turn.load(Ordering::SeqCst) != want {
            let key = ec.prepare_wait();
            if turn.load(Ordering::SeqCst) == want {
                key.cancel();
            } else {
                key.wait();
            }
        }
        turn.store(want + 1, Ordering::SeqCst);
        ec.notify_all();
    }
    other.join().unwrap();
    assert_eq!(turn.load(Ordering::SeqCst), 2 * rounds);
}
