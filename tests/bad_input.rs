//! Hostile input to the blocking layers: user code that panics inside a read, a clone or a
//! drop; zero-sized payloads; capacities and limits too large to allocate.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{panic_message, Counter, Tracked};
use wharf::broadcast::{Builder, Overflow, RecvError, TryRecvError};
use wharf::channel::{bounded, unbounded};

/// Long enough for any of these small runs; a leaked slot lock spins forever instead.
const LIMIT: Duration = Duration::from_secs(20);

/// A payload whose `Clone` panics while `fail` is set.
struct Brittle {
    n: u32,
    fail: Arc<AtomicBool>,
}

impl Clone for Brittle {
    fn clone(&self) -> Self {
        if self.fail.load(Ordering::SeqCst) {
            panic!("Brittle::clone");
        }
        Self {
            n: self.n,
            fail: self.fail.clone(),
        }
    }
}

/// A lossy ring of capacity 2 with message 0 published and one subscriber.
fn lossy_ring() -> (
    wharf::broadcast::Publisher<Brittle>,
    wharf::broadcast::Subscriber<Brittle>,
    Arc<AtomicBool>,
) {
    let (p, s) = Builder::new(2).overflow(Overflow::Lossy).build::<Brittle>();
    let fail = Arc::new(AtomicBool::new(false));
    p.publish(Brittle {
        n: 0,
        fail: fail.clone(),
    });
    (p, s, fail)
}

/// After a read of message 0 panicked inside its slot's lock, publishers can still overwrite
/// that slot (the lock was left), and the subscriber reads on.
fn publishes_after_a_panicking_read(
    p: wharf::broadcast::Publisher<Brittle>,
    mut s: wharf::broadcast::Subscriber<Brittle>,
    fail: Arc<AtomicBool>,
) {
    let writer = {
        let fail = fail.clone();
        std::thread::spawn(move || {
            // Messages 1..=4: 2 and 4 overwrite slot 0, whose lock the panic held.
            for n in 1..=4 {
                p.publish(Brittle {
                    n,
                    fail: fail.clone(),
                });
            }
        })
    };
    let start = std::time::Instant::now();
    while !writer.is_finished() {
        assert!(
            start.elapsed() < LIMIT,
            "the publisher is stuck on the slot lock that the panicking read held"
        );
        std::thread::yield_now();
    }
    writer.join().unwrap();
    // Capacity 2: only 3 and 4 are left. The subscriber lags, then reads on in order.
    assert!(matches!(s.recv().map(|m| m.n), Err(RecvError::Lagged(_))));
    let rest: Vec<u32> = std::iter::from_fn(|| s.try_recv().ok().map(|m| m.n)).collect();
    assert_eq!(rest, [3, 4]);
}

#[test]
fn lossy_recv_with_panicking_closure_leaves_the_slot_lock() {
    let (p, mut s, fail) = lossy_ring();
    let message = panic_message(|| s.recv_with(|_| panic!("the closure panics")));
    assert_eq!(message, "the closure panics");
    publishes_after_a_panicking_read(p, s, fail);
}

#[test]
fn lossy_panicking_clone_leaves_the_slot_lock() {
    let (p, mut s, fail) = lossy_ring();
    fail.store(true, Ordering::SeqCst);
    assert_eq!(panic_message(|| s.recv().map(|m| m.n)), "Brittle::clone");
    fail.store(false, Ordering::SeqCst);
    publishes_after_a_panicking_read(p, s, fail);
}

/// Panics when dropped if `panic` is set, and counts its drop.
struct PanicOnDrop {
    panic: bool,
    _tracked: Tracked,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if self.panic && !std::thread::panicking() {
            panic!("PanicOnDrop");
        }
    }
}

#[test]
fn lossy_panicking_drop_of_an_overwritten_value() {
    let counter = Counter::with_ids(3);
    let (p, mut s) = Builder::new(1)
        .overflow(Overflow::Lossy)
        .build::<PanicOnDrop>();
    let value = |id| PanicOnDrop {
        panic: id == 0,
        _tracked: counter.track(id, ()),
    };
    p.publish(value(0));
    // Overwriting message 0 drops it, after the new message is published: the publish
    // panics, and the ring is whole.
    assert_eq!(panic_message(|| p.publish(value(1))), "PanicOnDrop");
    assert_eq!(counter.drops_of(0), 1);
    assert_eq!(s.try_recv_with(|_| ()), Err(TryRecvError::Lagged(1)));
    assert_eq!(s.try_recv_with(|m| m._tracked.id), Ok(1));
    p.publish(value(2));
    assert_eq!(s.try_recv_with(|m| m._tracked.id), Ok(2));
    drop((p, s));
    assert_eq!(counter.live(), 0);
    for id in 0..3 {
        assert_eq!(counter.drops_of(id), 1, "value {id}");
    }
}

#[test]
fn channel_teardown_with_a_panicking_drop_when_the_receiver_goes_last() {
    for cap in [Some(4), None] {
        let counter = Counter::with_ids(4);
        let (tx, rx) = match cap {
            Some(cap) => bounded(cap),
            None => unbounded(),
        };
        for id in 0..4 {
            tx.send(PanicOnDrop {
                panic: id == 1,
                _tracked: counter.track(id, ()),
            })
            .unwrap();
        }
        drop(tx);
        assert_eq!(panic_message(move || drop(rx)), "PanicOnDrop", "{cap:?}");
        // The panic did not stop the teardown: every value was dropped, once.
        assert_eq!(counter.live(), 0, "{cap:?}: leaked");
        for id in 0..4 {
            assert_eq!(counter.drops_of(id), 1, "{cap:?}: value {id}");
        }
    }
}

#[test]
fn zero_sized_payloads() {
    for cap in [Some(1), Some(3), None] {
        let (tx, rx) = match cap {
            Some(cap) => bounded::<()>(cap),
            None => unbounded::<()>(),
        };
        let n = 10_000;
        let sender = std::thread::spawn(move || (0..n).for_each(|_| tx.send(()).unwrap()));
        assert_eq!(rx.iter().count(), n, "{cap:?}");
        sender.join().unwrap();
    }
    for o in [Overflow::Backpressure, Overflow::Lossy] {
        let (p, mut s) = Builder::new(4).overflow(o).build::<()>();
        let mut second = s.resubscribe();
        for _ in 0..4 {
            p.publish(());
        }
        drop(p);
        for sub in [&mut s, &mut second] {
            assert_eq!(std::iter::from_fn(|| sub.recv().ok()).count(), 4, "{o:?}");
            assert_eq!(sub.recv(), Err(RecvError::Closed));
        }
    }
}

#[test]
fn absurd_sizes_panic_clearly() {
    let msg = panic_message(|| bounded::<u8>(usize::MAX));
    assert!(msg.contains("is too large"), "bounded(usize::MAX): {msg:?}");
    for o in [Overflow::Backpressure, Overflow::Lossy] {
        let msg = panic_message(|| Builder::new(usize::MAX).overflow(o).build::<u8>());
        assert!(
            msg.contains(&format!("broadcast capacity {} is too large", usize::MAX)),
            "{o:?}: {msg:?}"
        );
    }
    // The backpressure registry is allocated up front: too many entries for memory.
    for max in [1 << 40, usize::MAX] {
        let msg = panic_message(|| Builder::new(4).max_subscribers(max).build::<u8>());
        assert!(
            msg.contains(&format!("max_subscribers {max} is too large")),
            "max_subscribers({max}): {msg:?}"
        );
    }
    // Lossy rings have no registry: the limit is not allocated.
    let (_p, _s) = Builder::new(4)
        .overflow(Overflow::Lossy)
        .max_subscribers(usize::MAX)
        .build::<u8>();
}
