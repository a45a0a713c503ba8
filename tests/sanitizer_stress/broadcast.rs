//! Broadcast runs: both policies, both publisher kinds, churn and timeouts.

use std::thread;
use std::time::Duration;

use crate::common::{check_received, encode, scaled};
use crate::join_all;
use wharf::broadcast::{Builder, Overflow, RecvError, RecvTimeoutError};

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
