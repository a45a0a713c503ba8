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

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::{check_received, decode, encode, scaled};
use wharf::broadcast::{Builder, Overflow, RecvError, RecvTimeoutError};
use wharf::channel::{self, Receiver, Sender};
use wharf::{ArrayQueue, EventCount, LinkedQueue, Queue, WaitStrategy};

/// Joins every thread, in order, and returns what each returned.
fn join_all<R>(handles: Vec<JoinHandle<R>>) -> Vec<R> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// What a broadcast subscriber got, in order: `Ok(value)` or `Err(missed)` for a `Lagged`.
type Events = Vec<Result<u64, u64>>;

/// Checks the events of a subscriber that joined before a single publisher published
/// `0..n`: every message is either received in its place or counted in a `Lagged` report,
/// and nothing else arrives. With backpressure (`lossy == false`) nothing may be missed, so
/// this is "exactly `0..n`, in order".
fn check_single_publisher(events: &[Result<u64, u64>], n: u64, lossy: bool) {
    let mut next = 0;
    for (i, e) in events.iter().enumerate() {
        match *e {
            Ok(v) => {
                assert_eq!(v, next, "event {i}: got message {v}, expected {next}");
                next += 1;
            }
            Err(missed) => {
                assert!(lossy, "event {i}: backpressure lost {missed} messages");
                assert!(missed > 0, "event {i}: Lagged(0)");
                next += missed;
            }
        }
    }
    assert_eq!(next, n, "received + lagged must cover 0..{n} exactly");
}

fn channel_of<T>(cap: Option<usize>, strategy: WaitStrategy) -> (Sender<T>, Receiver<T>) {
    match cap {
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

/// `producers` threads push `per` boxed values each, `consumers` threads pop until all have
/// arrived; the multiset and per-producer order are checked.
fn mpmc<Q: Queue<Box<u64>> + Send + Sync + 'static>(q: Q, producers: usize, consumers: usize) {
    let per = scaled(20_000);
    let q = Arc::new(q);
    let taken = Arc::new(AtomicUsize::new(0));
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
    join_all(pushers);
    check_received(producers, per, &join_all(poppers));
    assert!(q.is_empty());
    assert_eq!(q.try_pop(), None);
}

#[test]
fn array_queue_mpmc() {
    // 1: the single-slot state machine; 2 and 3: many laps over a small ring (a power of two
    // and not); 64: the common case.
    for cap in [1, 2, 3, 64] {
        mpmc(ArrayQueue::new(cap), 2, 2);
    }
}

#[test]
fn array_queue_laps_in_order() {
    // One producer, one consumer, tens of thousands of laps of a tiny ring: each value must
    // come out exactly once, in order, whatever lap its slot's stamp is on.
    let n = scaled(30_000) as u64;
    for cap in [1, 2, 3] {
        let q = Arc::new(ArrayQueue::new(cap));
        let producer = {
            let q = q.clone();
            thread::spawn(move || {
                for v in 0..n {
                    let mut b = Box::new(v);
                    while let Err(back) = q.push(b) {
                        b = back;
                        thread::yield_now();
                    }
                }
            })
        };
        let mut expected = 0;
        while expected < n {
            match q.pop() {
                Some(v) => {
                    assert_eq!(*v, expected, "capacity {cap}: out of order or lost");
                    expected += 1;
                }
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(q.pop(), None, "capacity {cap}: a value beyond the last");
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
    let per = scaled(20_000) as u64;
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
    let evicted = evicted.join().unwrap();
    done.store(true, Ordering::Release);
    let popped = popper.join().unwrap();
    // One producer: whatever leaves the queue, by eviction or pop, leaves oldest first.
    for (what, values) in [("evicted", &evicted), ("popped", &popped)] {
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "capacity {cap}: {what} values out of order"
        );
    }
    let mut all = evicted;
    all.extend(popped);
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
        // Capacity 1 is the single-slot state machine, 2 a ring that wraps every other send.
        for cap in [Some(1), Some(2), None] {
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
fn broadcast_backpressure_multi_publisher() {
    let per = scaled(5_000);
    let (publisher, first) = Builder::new(3).build::<Box<u64>>();
    let subscribers = [first, publisher.subscribe()];
    let publishers: Vec<_> = (0..2)
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
    join_all(publishers);
    let (orders, _subscribers): (Vec<Vec<u64>>, Vec<_>) = join_all(readers).into_iter().unzip();
    for got in &orders {
        // Backpressure: each subscriber gets every message exactly once.
        check_received(2, per, std::slice::from_ref(got));
    }
    assert_eq!(orders[0], orders[1], "subscribers saw different orders");
}

#[test]
fn broadcast_lossy_no_torn_reads() {
    let n = scaled(20_000) as u64;
    let (publisher, first) = Builder::new(2)
        .overflow(Overflow::Lossy)
        .build::<(u64, String)>();
    let subscribers = [first, publisher.subscribe()];
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|mut s| {
            thread::spawn(move || {
                let mut events = Events::new();
                loop {
                    match s.recv() {
                        Ok((k, text)) => {
                            assert_eq!(text, k.to_string(), "torn value");
                            events.push(Ok(k));
                        }
                        Err(RecvError::Lagged(m)) => events.push(Err(m)),
                        Err(RecvError::Closed) => return (events, s),
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
    for (events, _subscriber) in join_all(readers) {
        check_single_publisher(&events, n, true);
    }
}

#[test]
fn event_count_handoff() {
    // A token passes back and forth through two flags; each side waits with the
    // prepare / re-check / wait protocol. A lost wake-up hangs the test.
    let rounds = scaled(5_000) as u64;
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

#[test]
fn broadcast_single_publisher() {
    // `SinglePublisher` claims with a plain store: over one slot and over a ring of three,
    // under both policies, mixing `publish` and `try_publish`; one subscriber clones its
    // messages (`recv`), the other reads them in place (`recv_with`, a borrowing read of the
    // boxed value in the slot).
    let n = scaled(10_000) as u64;
    for overflow in [Overflow::Backpressure, Overflow::Lossy] {
        for cap in [1, 3] {
            let (mut publisher, first) = Builder::new(cap)
                .overflow(overflow)
                .build_single::<Box<u64>>();
            let subscribers = [first, publisher.subscribe()];
            let readers: Vec<_> = subscribers
                .into_iter()
                .enumerate()
                .map(|(k, mut s)| {
                    thread::spawn(move || {
                        let mut events = Events::new();
                        loop {
                            let r = if k == 0 {
                                s.recv().map(|b| *b)
                            } else {
                                s.recv_with(|b| **b)
                            };
                            match r {
                                Ok(v) => events.push(Ok(v)),
                                Err(RecvError::Lagged(m)) => events.push(Err(m)),
                                Err(RecvError::Closed) => return (events, s),
                            }
                        }
                    })
                })
                .collect();
            let writer = thread::spawn(move || {
                for v in 0..n {
                    if v % 2 == 0 {
                        publisher.publish(Box::new(v));
                        continue;
                    }
                    let mut b = Box::new(v);
                    while let Err(full) = publisher.try_publish(b) {
                        b = full.into_inner();
                        assert_eq!(*b, v, "try_publish handed back another value");
                        thread::yield_now();
                    }
                }
            });
            writer.join().unwrap();
            for (events, _subscriber) in join_all(readers) {
                check_single_publisher(&events, n, overflow == Overflow::Lossy);
            }
        }
    }
}

#[test]
fn broadcast_subscriber_churn() {
    // While one publisher publishes `0..n`, a steady subscriber reads everything and another
    // thread keeps replacing its subscriber (read a few, `resubscribe`, drop the old one).
    // Each incarnation must see consecutive messages (less what it is told it lagged), from
    // no earlier than where its predecessor stopped; the steady one sees everything.
    let n = scaled(10_000) as u64;
    for overflow in [Overflow::Backpressure, Overflow::Lossy] {
        let lossy = overflow == Overflow::Lossy;
        let (publisher, mut steady) = Builder::new(4).overflow(overflow).build::<Box<u64>>();
        let mut churner = publisher.subscribe();
        let steady = thread::spawn(move || {
            let mut events = Events::new();
            loop {
                match steady.recv() {
                    Ok(v) => events.push(Ok(*v)),
                    Err(RecvError::Lagged(m)) => events.push(Err(m)),
                    Err(RecvError::Closed) => return (events, steady),
                }
            }
        });
        let churn = thread::spawn(move || {
            let mut lives: Vec<Events> = Vec::new();
            for life in 0.. {
                let mut events = Events::new();
                let mut closed = false;
                for _ in 0..1 + life % 5 {
                    match churner.recv() {
                        Ok(v) => events.push(Ok(*v)),
                        Err(RecvError::Lagged(m)) => events.push(Err(m)),
                        Err(RecvError::Closed) => {
                            closed = true;
                            break;
                        }
                    }
                }
                lives.push(events);
                if closed {
                    break;
                }
                let next = churner.resubscribe();
                drop(std::mem::replace(&mut churner, next));
            }
            (lives, churner)
        });
        let writer = thread::spawn(move || {
            for v in 0..n {
                publisher.publish(Box::new(v));
            }
        });
        writer.join().unwrap();
        let (events, _steady) = steady.join().unwrap();
        check_single_publisher(&events, n, lossy);
        let (lives, _churner) = churn.join().unwrap();
        assert!(lives.len() > 1, "the churner never resubscribed");
        let mut floor = 0;
        for (l, life) in lives.iter().enumerate() {
            // The next message this incarnation must see, once it has seen one.
            let mut next: Option<u64> = None;
            for e in life {
                match *e {
                    Ok(v) => {
                        match next {
                            Some(want) => assert_eq!(v, want, "life {l}: skipped or repeated"),
                            None => assert!(v >= floor, "life {l}: saw {v}, before {floor}"),
                        }
                        assert!(v < n, "life {l}: a message never published");
                        next = Some(v + 1);
                        floor = v + 1;
                    }
                    Err(m) => {
                        assert!(lossy, "life {l}: backpressure lost {m} messages");
                        next = next.map(|want| want + m);
                    }
                }
            }
        }
    }
}

#[test]
fn broadcast_timeouts_race_publishing() {
    // Two publishers with `publish_timeout` against two subscribers with `recv_timeout`, over
    // a ring of one slot and one of three: timeouts fire all the time, and a value that timed
    // out comes back to be published again. Every subscriber gets every message once, each
    // publisher's in order, all in one order.
    let per = scaled(3_000);
    let tick = Duration::from_micros(20);
    for cap in [1, 3] {
        let (publisher, first) = Builder::new(cap).build::<Box<u64>>();
        let subscribers = [first, publisher.subscribe()];
        let publishers: Vec<_> = (0..2)
            .map(|p| {
                let publisher = publisher.clone();
                thread::spawn(move || {
                    for seq in 0..per {
                        let mut b = Box::new(encode(p, seq));
                        while let Err(e) = publisher.publish_timeout(b, tick) {
                            b = e.into_inner();
                            assert_eq!(*b, encode(p, seq), "a timeout handed back another value");
                        }
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
                        match s.recv_timeout(tick) {
                            Ok(v) => got.push(*v),
                            Err(RecvTimeoutError::Timeout) => {}
                            Err(RecvTimeoutError::Closed) => return (got, s),
                            Err(e) => panic!("backpressure lost messages: {e:?}"),
                        }
                    }
                })
            })
            .collect();
        join_all(publishers);
        let (orders, _subscribers): (Vec<Vec<u64>>, Vec<_>) = join_all(readers).into_iter().unzip();
        for got in &orders {
            check_received(2, per, std::slice::from_ref(got));
        }
        assert_eq!(
            orders[0], orders[1],
            "capacity {cap}: subscribers saw different orders"
        );
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
