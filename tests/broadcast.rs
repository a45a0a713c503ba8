//! Broadcast rings: API contracts of `wharf::broadcast` under both overflow policies, with
//! both publisher kinds and every wait strategy.

mod support;

use std::error::Error;
use std::thread;
use std::time::{Duration, Instant};

use support::{until_blocked, Counter};
use wharf::broadcast::{
    backpressure, lossy, Builder, Overflow, PublishTimeoutError, Publisher, RecvError,
    RecvTimeoutError, SinglePublisher, Subscriber, TryPublishError, TryRecvError,
    DEFAULT_MAX_SUBSCRIBERS,
};
use wharf::WaitStrategy;

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::Spin,
    WaitStrategy::SpinYield,
    WaitStrategy::SpinPark,
];
const POLICIES: [Overflow; 2] = [Overflow::Backpressure, Overflow::Lossy];

/// How long a helper thread waits before acting, so that the other side is likely blocked by
/// then. Every assertion holds for any delay.
const DELAY: Duration = Duration::from_millis(50);

/// What both publisher kinds can do, so each check runs on both.
trait Pub<T>: Send {
    fn publish(&mut self, value: T);
    fn try_publish(&mut self, value: T) -> Result<(), TryPublishError<T>>;
    fn subscribe(&self) -> Subscriber<T>;
    fn capacity(&self) -> usize;
    fn waiters(&self) -> (usize, usize);
}

impl<T: Send + Sync> Pub<T> for Publisher<T> {
    fn publish(&mut self, value: T) {
        Publisher::publish(self, value)
    }
    fn try_publish(&mut self, value: T) -> Result<(), TryPublishError<T>> {
        Publisher::try_publish(self, value)
    }
    fn subscribe(&self) -> Subscriber<T> {
        Publisher::subscribe(self)
    }
    fn capacity(&self) -> usize {
        Publisher::capacity(self)
    }
    fn waiters(&self) -> (usize, usize) {
        Publisher::__waiters(self)
    }
}

impl<T: Send + Sync> Pub<T> for SinglePublisher<T> {
    fn publish(&mut self, value: T) {
        SinglePublisher::publish(self, value)
    }
    fn try_publish(&mut self, value: T) -> Result<(), TryPublishError<T>> {
        SinglePublisher::try_publish(self, value)
    }
    fn subscribe(&self) -> Subscriber<T> {
        SinglePublisher::subscribe(self)
    }
    fn capacity(&self) -> usize {
        SinglePublisher::capacity(self)
    }
    fn waiters(&self) -> (usize, usize) {
        SinglePublisher::__waiters(self)
    }
}

type Ring<T> = (Box<dyn Pub<T>>, Subscriber<T>);

/// The same ring with each publisher kind.
fn both_kinds<T: Send + Sync + 'static>(b: Builder) -> [Ring<T>; 2] {
    let (p, s) = b.build();
    let (sp, ss) = b.build_single();
    [(Box::new(p), s), (Box::new(sp), ss)]
}

/// Every combination of policy, strategy and publisher kind, for capacity `cap`.
fn all_rings<T: Send + Sync + 'static>(cap: usize) -> Vec<(Overflow, Ring<T>)> {
    let mut rings = Vec::new();
    for o in POLICIES {
        for s in STRATEGIES {
            let b = Builder::new(cap).overflow(o).wait_strategy(s);
            rings.extend(both_kinds(b).map(|r| (o, r)));
        }
    }
    rings
}

#[test]
fn smoke() {
    for cap in [1, 2, 3, 8] {
        for (_, (mut p, mut s)) in all_rings::<u32>(cap) {
            assert_eq!(p.capacity(), cap);
            assert_eq!(s.try_recv(), Err(TryRecvError::Empty));
            assert!(s.is_empty());
            p.publish(1);
            assert_eq!(s.len(), 1);
            assert_eq!(s.recv(), Ok(1));
            p.try_publish(2).unwrap();
            assert_eq!(s.try_recv(), Ok(2));
            assert_eq!(
                s.recv_timeout(Duration::ZERO),
                Err(RecvTimeoutError::Timeout)
            );
            assert!(!format!("{s:?}").is_empty());
        }
    }
}

#[test]
fn in_order_across_wrap_around() {
    for cap in [1, 3, 4, 5, 1000] {
        for (_, (mut p, mut s)) in all_rings::<usize>(cap) {
            let mut next = 0;
            for i in 0..3 * cap + 2 {
                p.publish(i);
                // Read every other message right away, the rest one step later.
                if i % 2 == 1 || cap == 1 {
                    while let Ok(v) = s.try_recv() {
                        assert_eq!(v, next);
                        next += 1;
                    }
                }
            }
            while let Ok(v) = s.try_recv() {
                assert_eq!(v, next);
                next += 1;
            }
            assert_eq!(next, 3 * cap + 2, "cap {cap}");
        }
    }
}

#[test]
fn lossy_lag_counts_are_exact() {
    for cap in [1, 3, 4, 5, 1000] {
        for s in STRATEGIES {
            let b = Builder::new(cap).overflow(Overflow::Lossy).wait_strategy(s);
            for (mut p, mut sub) in both_kinds::<usize>(b) {
                let publish = |p: &mut Box<dyn Pub<usize>>, range: std::ops::Range<usize>| {
                    range.for_each(|v| p.publish(v));
                };
                let c = cap as u64;
                // Lag: 2*cap + 3 published, only the last `cap` are left.
                publish(&mut p, 0..2 * cap + 3);
                assert_eq!(sub.recv(), Err(RecvError::Lagged(c + 3)), "cap {cap}");
                for v in cap + 3..2 * cap + 3 {
                    assert_eq!(sub.recv(), Ok(v));
                }
                assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
                // Caught up; exactly a ring's worth more is not a lag.
                publish(&mut p, 2 * cap + 3..3 * cap + 3);
                for v in 2 * cap + 3..3 * cap + 3 {
                    assert_eq!(sub.try_recv(), Ok(v));
                }
                // Lag again, by one, seen through try_recv, then recv_timeout.
                publish(&mut p, 3 * cap + 3..4 * cap + 4);
                assert_eq!(sub.try_recv(), Err(TryRecvError::Lagged(1)));
                assert_eq!(sub.recv_timeout(Duration::MAX), Ok(3 * cap + 4));
                // And a lag found part-way through reading: 3cap+5.. are unread, and 5cap
                // more leave 8cap+4.. in the ring.
                publish(&mut p, 4 * cap + 4..9 * cap + 4);
                assert_eq!(
                    sub.recv_timeout(Duration::ZERO),
                    Err(RecvTimeoutError::Lagged(5 * c - 1))
                );
                for v in 8 * cap + 4..9 * cap + 4 {
                    assert_eq!(sub.recv_deadline(Instant::now()), Ok(v));
                }
                assert_eq!(sub.try_recv(), Err(TryRecvError::Empty));
                // Closed after a lag: the lag first, then what is left, then Closed.
                publish(&mut p, 9 * cap + 4..10 * cap + 5);
                drop(p);
                assert_eq!(sub.recv(), Err(RecvError::Lagged(1)));
                for v in 9 * cap + 5..10 * cap + 5 {
                    assert_eq!(sub.recv(), Ok(v));
                }
                assert_eq!(sub.recv(), Err(RecvError::Closed));
            }
        }
    }
}

#[test]
fn backpressure_try_publish_hands_value_back() {
    for cap in [1, 3, 4, 5] {
        let b = Builder::new(cap);
        for (mut p, mut s) in both_kinds::<String>(b) {
            for i in 0..cap {
                p.try_publish(i.to_string()).unwrap();
            }
            let refused = p.try_publish("refused".to_string());
            assert_eq!(refused, Err(TryPublishError::Full("refused".to_string())));
            assert_eq!(refused.unwrap_err().into_inner(), "refused");
            assert_eq!(s.recv().as_deref(), Ok("0"));
            p.try_publish("next".into()).unwrap();
            assert_eq!(
                p.try_publish("again".into()),
                Err(TryPublishError::Full("again".into()))
            );
            for i in 1..cap {
                assert_eq!(s.recv(), Ok(i.to_string()));
            }
            assert_eq!(s.recv().as_deref(), Ok("next"));
        }
    }
    // Lossy rings are never full.
    for (mut p, _s) in both_kinds::<u8>(Builder::new(1).overflow(Overflow::Lossy)) {
        for i in 0..10 {
            p.try_publish(i).unwrap();
        }
    }
}

/// A backpressure subscriber hands back what it read in batches of an eighth of the ring
/// (here 64 / 8 = 8 messages), and everything as soon as it finds nothing more to read.
#[test]
fn backpressure_releases_in_batches_and_when_caught_up() {
    let cap = 64;
    for (mut p, mut s) in both_kinds::<usize>(Builder::new(cap)) {
        for i in 0..cap {
            p.try_publish(i).unwrap();
        }
        // Seven read: not released yet, the ring is still full.
        for i in 0..7 {
            assert_eq!(s.recv(), Ok(i));
        }
        assert_eq!(p.try_publish(100), Err(TryPublishError::Full(100)));
        // The eighth completes a batch: eight slots come back, not nine.
        assert_eq!(s.recv(), Ok(7));
        for i in 0..8 {
            p.try_publish(cap + i).unwrap();
        }
        assert_eq!(p.try_publish(200), Err(TryPublishError::Full(200)));
        // Read the rest (72 read, released in batches), then 5 more (not a whole batch):
        // finding nothing more to read releases those 5 too.
        for i in 8..cap + 8 {
            assert_eq!(s.recv(), Ok(i));
        }
        for i in 0..5 {
            p.try_publish(2 * cap + i).unwrap();
        }
        for i in 0..5 {
            assert_eq!(s.recv(), Ok(2 * cap + i));
        }
        assert_eq!(s.try_recv(), Err(TryRecvError::Empty));
        for i in 0..cap {
            p.try_publish(1000 + i).unwrap();
        }
        assert_eq!(p.try_publish(300), Err(TryPublishError::Full(300)));
    }
}

#[test]
fn no_subscriber_holds_nothing_back() {
    for (mut p, s) in both_kinds::<u32>(Builder::new(2)) {
        drop(s);
        for i in 0..10 {
            p.try_publish(i).unwrap();
        }
        // A subscriber joining now holds back from here on, and only from here on.
        let mut s = p.subscribe();
        p.try_publish(10).unwrap();
        p.try_publish(11).unwrap();
        assert_eq!(p.try_publish(12), Err(TryPublishError::Full(12)));
        assert_eq!(s.recv(), Ok(10));
        p.try_publish(12).unwrap();
        assert_eq!(s.recv(), Ok(11));
        assert_eq!(s.recv(), Ok(12));
    }
}

#[test]
fn late_subscriber_starts_with_next_message() {
    for (_, (mut p, mut early)) in all_rings::<u32>(4) {
        p.publish(1);
        p.publish(2);
        let mut late = p.subscribe();
        assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
        assert!(late.is_empty());
        p.publish(3);
        assert_eq!(late.recv(), Ok(3));
        assert_eq!(early.recv(), Ok(1));
        // A resubscription starts at the next message, not at the original's position.
        let mut again = early.resubscribe();
        assert_eq!(again.try_recv(), Err(TryRecvError::Empty));
        p.publish(4);
        assert_eq!(again.recv(), Ok(4));
        assert_eq!(early.recv(), Ok(2));
        assert_eq!(early.recv(), Ok(3));
        assert_eq!(early.recv(), Ok(4));
        assert_eq!(late.recv(), Ok(4));
    }
}

#[test]
fn close_drains_then_closed() {
    for cap in [1, 2, 3, 8] {
        for (o, (mut p, mut s)) in all_rings::<u32>(cap) {
            let mut s2 = p.subscribe();
            let n = cap as u32; // a full ring (no lag under lossy)
            for i in 0..n {
                p.publish(i);
            }
            drop(p);
            for i in 0..n {
                assert_eq!(s.recv(), Ok(i), "{o:?} cap {cap}");
            }
            assert_eq!(s.recv(), Err(RecvError::Closed), "{o:?} cap {cap}");
            assert_eq!(s.try_recv(), Err(TryRecvError::Closed));
            assert_eq!(s.recv_timeout(Duration::MAX), Err(RecvTimeoutError::Closed));
            assert_eq!(s2.try_recv(), Ok(0));
            // A subscriber that joins after the close sees Closed at once.
            let mut s3 = s2.resubscribe();
            assert_eq!(s3.recv(), Err(RecvError::Closed));
        }
    }
    // A clone of a multi publisher keeps the ring open.
    let (p, mut s) = backpressure::<u8>(1);
    let p2 = p.clone();
    drop(p);
    assert_eq!(s.try_recv(), Err(TryRecvError::Empty));
    p2.publish(9);
    drop(p2);
    assert_eq!(s.recv(), Ok(9));
    assert_eq!(s.recv(), Err(RecvError::Closed));
}

/// Waits until a subscriber of `p`'s ring is registered as blocked; a ring with a spinning
/// strategy never registers anybody, so after DELAY we go on (the outcome is the same).
fn subscriber_blocked<T>(p: &dyn Pub<T>) {
    let start = Instant::now();
    while p.waiters().0 == 0 && start.elapsed() < DELAY {
        thread::yield_now();
    }
}

#[test]
fn blocked_subscriber_woken_by_publish_and_by_close() {
    support::watchdog("blocked_subscriber_woken_by_publish_and_by_close", || {
        for (o, (mut p, mut s)) in all_rings::<u32>(1) {
            let subscriber = thread::spawn(move || (s.recv(), s.recv()));
            subscriber_blocked(&*p);
            p.publish(5);
            subscriber_blocked(&*p);
            drop(p);
            assert_eq!(
                subscriber.join().unwrap(),
                (Ok(5), Err(RecvError::Closed)),
                "{o:?}"
            );
        }
        // Blocked with a long timeout, and woken by the last of several publishers going.
        for s in STRATEGIES {
            let (p, mut sub) = Builder::new(2).wait_strategy(s).build::<u8>();
            let p2 = p.clone();
            let subscriber = thread::spawn(move || sub.recv_timeout(Duration::from_secs(3600)));
            drop(p);
            until_blocked(s, || p2.__waiters().0 > 0);
            drop(p2);
            assert_eq!(subscriber.join().unwrap(), Err(RecvTimeoutError::Closed));
        }
    });
}

#[test]
fn dropping_slow_subscriber_releases_backpressure() {
    support::watchdog("dropping_slow_subscriber_releases_backpressure", || {
        for s in STRATEGIES {
            for (mut p, mut fast) in both_kinds::<usize>(Builder::new(2).wait_strategy(s)) {
                let slow = p.subscribe();
                let publisher = thread::spawn(move || {
                    for i in 0..10 {
                        p.publish(i); // blocks after 2: `slow` reads nothing
                    }
                });
                assert_eq!(fast.recv(), Ok(0));
                assert_eq!(fast.recv(), Ok(1));
                // The publisher waits for `slow` (SpinPark registers; the others spin).
                until_blocked(s, || fast.__waiters().1 > 0);
                assert_eq!(
                    fast.try_recv(),
                    Err(TryRecvError::Empty),
                    "{s:?}: slow was overrun"
                );
                drop(slow);
                for i in 2..10 {
                    assert_eq!(fast.recv(), Ok(i));
                }
                publisher.join().unwrap();
                assert_eq!(fast.recv(), Err(RecvError::Closed));
            }
        }
    });
}

#[test]
fn blocked_publisher_proceeds_when_subscriber_reads() {
    support::watchdog("blocked_publisher_proceeds_when_subscriber_reads", || {
        for s in STRATEGIES {
            for (mut p, mut sub) in both_kinds::<usize>(Builder::new(3).wait_strategy(s)) {
                let publisher = thread::spawn(move || {
                    for i in 0..20 {
                        p.publish(i);
                    }
                });
                until_blocked(s, || sub.__waiters().1 > 0);
                for i in 0..20 {
                    assert_eq!(sub.recv(), Ok(i), "{s:?}");
                }
                publisher.join().unwrap();
                assert_eq!(sub.recv(), Err(RecvError::Closed));
            }
        }
    });
}

/// A payload that cannot be cloned: only the borrowing reads work on it.
#[derive(Debug, PartialEq)]
struct NoClone(String);

#[test]
fn borrowing_reads() {
    for o in POLICIES {
        let (mut p, mut s) = Builder::new(2).overflow(o).build_single::<NoClone>();
        let mut called = false;
        assert_eq!(s.try_recv_with(|_| called = true), Err(TryRecvError::Empty));
        assert!(!called, "f called without a message");
        p.publish(NoClone("hello".into()));
        p.publish(NoClone("world".into()));
        assert_eq!(s.recv_with(|m| m.0.len()), Ok(5));
        assert_eq!(s.try_recv_with(|m| m.0.clone()), Ok("world".to_string()));
        if o == Overflow::Lossy {
            for i in 0..5 {
                p.publish(NoClone(i.to_string()));
            }
            assert_eq!(s.recv_with(|_| called = true), Err(RecvError::Lagged(3)));
            assert!(!called, "f called on a lag");
            assert_eq!(s.recv_with(|m| m.0.clone()), Ok("3".to_string()));
            assert_eq!(s.recv_with(|m| m.0.clone()), Ok("4".to_string()));
        }
        drop(p);
        assert_eq!(s.recv_with(|_| called = true), Err(RecvError::Closed));
        assert_eq!(
            s.try_recv_with(|_| called = true),
            Err(TryRecvError::Closed)
        );
        assert!(!called, "f called after the close");
    }
}

#[test]
fn max_subscribers_backpressure() {
    let (p, first) = Builder::new(4).max_subscribers(2).build::<u8>();
    let second = p.subscribe();
    let third = support::panic_message(|| p.subscribe());
    assert_eq!(third, "broadcast: more than 2 subscribers");
    let third = support::panic_message(|| first.resubscribe());
    assert_eq!(
        third, "broadcast: more than 2 subscribers",
        "by resubscribe"
    );
    // Leaving frees a place.
    drop(second);
    let mut second = p.subscribe();
    p.publish(1);
    assert_eq!(second.recv(), Ok(1));
    drop(first);
    // A failed subscribe did not take a place or break the ring.
    let mut third = p.subscribe();
    p.publish(2);
    assert_eq!(second.recv(), Ok(2));
    assert_eq!(third.recv(), Ok(2));

    // The default limit.
    let (p, _first) = backpressure::<u8>(1);
    let others: Vec<_> = (1..DEFAULT_MAX_SUBSCRIBERS)
        .map(|_| p.subscribe())
        .collect();
    assert_eq!(
        support::panic_message(|| p.subscribe()),
        format!("broadcast: more than {DEFAULT_MAX_SUBSCRIBERS} subscribers")
    );
    drop(others);
    let _again = p.subscribe();
}

#[test]
#[should_panic(expected = "broadcast: more than 0 subscribers")]
fn zero_max_subscribers_panics_under_backpressure() {
    let _ = Builder::new(4).max_subscribers(0).build::<u8>();
}

#[test]
fn max_subscribers_does_not_limit_lossy() {
    let (p, _first) = Builder::new(4)
        .overflow(Overflow::Lossy)
        .max_subscribers(1)
        .build::<u8>();
    let mut many: Vec<_> = (0..DEFAULT_MAX_SUBSCRIBERS + 10)
        .map(|_| p.subscribe())
        .collect();
    p.publish(3);
    for s in &mut many {
        assert_eq!(s.recv(), Ok(3));
    }
    let _ = Builder::new(4)
        .overflow(Overflow::Lossy)
        .max_subscribers(0)
        .build::<u8>();
}

#[test]
#[should_panic(expected = "capacity must be non-zero")]
fn zero_capacity_panics() {
    let _ = lossy::<u8>(0);
}

#[test]
fn zero_and_max_timeouts() {
    support::watchdog("zero_and_max_timeouts", || {
        for (_, (mut p, mut s)) in all_rings::<u32>(1) {
            assert_eq!(
                s.recv_timeout(Duration::ZERO),
                Err(RecvTimeoutError::Timeout)
            );
            p.publish(1);
            assert_eq!(s.recv_timeout(Duration::ZERO), Ok(1));
            p.publish(2);
            assert_eq!(s.recv_timeout(Duration::MAX), Ok(2));
            let past = Instant::now() - Duration::from_millis(10);
            assert_eq!(s.recv_deadline(past), Err(RecvTimeoutError::Timeout));
            p.publish(3);
            assert_eq!(s.recv_deadline(past), Ok(3));
        }
        for s in STRATEGIES {
            let (p, mut sub) = Builder::new(1).wait_strategy(s).build::<u32>();
            p.publish_timeout(1, Duration::MAX).unwrap();
            let refused = p.publish_timeout(2, Duration::ZERO);
            assert_eq!(refused, Err(PublishTimeoutError::Timeout(2)));
            let past = Instant::now() - Duration::from_millis(10);
            assert_eq!(
                p.publish_deadline(3, past),
                Err(PublishTimeoutError::Timeout(3))
            );
            assert_eq!(sub.recv(), Ok(1));
            p.publish_deadline(4, past).unwrap(); // room now: taken
                                                  // Duration::MAX waits for the subscriber on another thread.
            let subscriber = thread::spawn(move || {
                until_blocked(s, || sub.__waiters().1 > 0);
                (sub.recv(), sub.recv())
            });
            p.publish_timeout(5, Duration::MAX).unwrap();
            drop(p);
            assert_eq!(subscriber.join().unwrap(), (Ok(4), Ok(5)), "{s:?}");

            // recv_timeout(MAX) waits for a later publish.
            let (p, mut sub) = Builder::new(1).wait_strategy(s).build::<u32>();
            let publisher = thread::spawn(move || {
                until_blocked(s, || p.__waiters().0 > 0);
                p.publish(6);
            });
            assert_eq!(sub.recv_timeout(Duration::MAX), Ok(6));
            publisher.join().unwrap();
        }
        // Lossy rings never wait to publish.
        let (p, _s) = lossy::<u32>(1);
        p.publish_timeout(1, Duration::ZERO).unwrap();
        p.publish_timeout(2, Duration::ZERO).unwrap();
    });
}

#[test]
fn timeouts_elapse() {
    let timeout = Duration::from_millis(30);
    for s in STRATEGIES {
        let (p, mut sub) = Builder::new(1).wait_strategy(s).build::<u32>();
        let start = Instant::now();
        assert_eq!(sub.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
        assert!(
            start.elapsed() >= timeout,
            "{s:?}: recv_timeout returned early"
        );
        p.publish(1);
        let start = Instant::now();
        assert_eq!(
            p.publish_timeout(2, timeout),
            Err(PublishTimeoutError::Timeout(2))
        );
        assert!(
            start.elapsed() >= timeout,
            "{s:?}: publish_timeout returned early"
        );
        let deadline = Instant::now() + timeout;
        assert_eq!(sub.recv(), Ok(1));
        assert_eq!(sub.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= deadline);
        // The timed-out publish left nothing behind.
        drop(p);
        assert_eq!(sub.recv(), Err(RecvError::Closed));
    }
}

#[test]
fn every_value_dropped_once() {
    for cap in [1, 3, 4] {
        for (o, (mut p, mut s)) in all_rings::<support::Tracked<u32>>(cap) {
            let n = 10;
            let counter = Counter::with_ids(n);
            let mut s2 = p.subscribe();
            let mut received = Vec::new();
            for id in 0..n {
                let value = counter.track(id, id as u32);
                if o == Overflow::Backpressure && id >= cap {
                    // Make room: s and s2 read the oldest.
                    received.push(s.recv().unwrap());
                    received.push(s2.recv().unwrap());
                }
                p.publish(value);
            }
            if o == Overflow::Lossy {
                // The overwritten originals were dropped by the ring already.
                for id in 0..n - cap {
                    assert_eq!(counter.drops_of(id), 1, "{o:?} cap {cap}: {id}");
                }
                assert!(matches!(s.recv(), Err(RecvError::Lagged(l)) if l == (n - cap) as u64));
                received.push(s.recv().unwrap());
            }
            for id in n - cap..n {
                assert_eq!(
                    counter.drops_of(id),
                    0,
                    "{o:?} cap {cap}: {id} dropped early"
                );
            }
            let clones = received.len();
            assert_eq!(counter.created(), n + clones);
            drop(received);
            drop((p, s));
            // `s2` keeps the ring alive, and the ring its last `cap` values.
            assert_eq!(counter.live(), cap, "{o:?} cap {cap}");
            drop(s2);
            for id in 0..n {
                assert_eq!(counter.drops_of(id), 1, "{o:?} cap {cap}: {id}");
            }
            assert_eq!(counter.live(), 0);
        }
    }
}

#[test]
fn error_types() {
    fn check(e: &dyn Error) {
        assert!(!e.to_string().is_empty());
    }
    for e in [RecvError::Lagged(3), RecvError::Closed] {
        check(&e);
        assert_eq!(TryRecvError::from(e).to_string(), e.to_string());
        assert_eq!(RecvTimeoutError::from(e).to_string(), e.to_string());
    }
    assert!(RecvError::Lagged(17).to_string().contains("17"));
    for e in [
        TryRecvError::Empty,
        TryRecvError::Lagged(1),
        TryRecvError::Closed,
    ] {
        check(&e);
    }
    for e in [
        RecvTimeoutError::Timeout,
        RecvTimeoutError::Lagged(1),
        RecvTimeoutError::Closed,
    ] {
        check(&e);
    }
    let e = TryPublishError::Full(vec![1]);
    check(&e);
    assert!(!format!("{e:?}").is_empty());
    assert_eq!(e.into_inner(), [1]);
    let e = PublishTimeoutError::Timeout("v");
    check(&e);
    assert_eq!(e.into_inner(), "v");
}

#[test]
fn send_and_sync_for_send_sync_payloads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Publisher<String>>();
    assert_send_sync::<SinglePublisher<String>>();
    assert_send_sync::<Subscriber<String>>();
    // `Rc` and `Cell` payloads are rejected at compile time: see the `compile_fail` doctests
    // in src/broadcast/mod.rs.
}

/// Panics in `Drop` when its flag says so (and the thread is not already panicking).
struct PanicOnDrop {
    panic: bool,
    _tracked: support::Tracked,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if self.panic && !thread::panicking() {
            panic!("PanicOnDrop");
        }
    }
}

#[test]
fn panicking_drop_during_teardown() {
    for o in POLICIES {
        let counter = Counter::with_ids(4);
        let (p, s) = Builder::new(4).overflow(o).build::<PanicOnDrop>();
        for id in 0..4 {
            p.publish(PanicOnDrop {
                panic: id == 1,
                _tracked: counter.track(id, ()),
            });
        }
        drop(p);
        let message = support::panic_message(move || drop(s));
        assert_eq!(
            message, "PanicOnDrop",
            "{o:?}: the panicking drop should propagate"
        );
        for id in 0..4 {
            assert_eq!(counter.drops_of(id), 1, "{o:?}: value {id}");
        }
        assert_eq!(counter.live(), 0);
    }
}
