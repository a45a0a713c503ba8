//! Blocking channels: API contracts of `wharf::channel` on every flavor and wait strategy.

mod support;

use std::collections::VecDeque;
use std::error::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::{until_blocked, Counter};
use wharf::channel::{
    bounded, unbounded, with_queue, with_queue_and_strategy, Flavor, Receiver, RecvError,
    RecvTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError, TrySendError,
};
use wharf::{ArrayQueue, LinkedQueue, Queue, WaitStrategy};

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::Spin,
    WaitStrategy::SpinYield,
    WaitStrategy::SpinPark,
];

/// A queue of the test's own, so that `with_queue` is checked over a type wharf has never
/// seen: a `VecDeque` behind a mutex, bounded or not.
struct MutexQueue<T> {
    items: Mutex<VecDeque<T>>,
    cap: Option<usize>,
}

impl<T> MutexQueue<T> {
    fn new(cap: Option<usize>) -> Self {
        Self {
            items: Mutex::new(VecDeque::new()),
            cap,
        }
    }
}

impl<T> Queue<T> for MutexQueue<T> {
    fn try_push(&self, value: T) -> Result<(), T> {
        let mut items = self.items.lock().unwrap();
        if self.cap.is_some_and(|cap| items.len() >= cap) {
            return Err(value);
        }
        items.push_back(value);
        Ok(())
    }
    fn try_pop(&self) -> Option<T> {
        self.items.lock().unwrap().pop_front()
    }
    fn len(&self) -> usize {
        self.items.lock().unwrap().len()
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn capacity(&self) -> Option<usize> {
        self.cap
    }
}

fn bounded_with<T>(cap: usize, s: WaitStrategy) -> (Sender<T>, Receiver<T>) {
    with_queue_and_strategy(Flavor::Bounded(ArrayQueue::new(cap)), s)
}

fn unbounded_with<T>(s: WaitStrategy) -> (Sender<T>, Receiver<T>) {
    with_queue_and_strategy(Flavor::Unbounded(LinkedQueue::new()), s)
}

/// Runs `check` on a channel of capacity `cap` (or unbounded) of every kind: the default
/// constructors, `with_queue` over each wharf queue and over `MutexQueue`, and every wait
/// strategy.
macro_rules! for_each_channel {
    ($cap:expr, $check:ident) => {{
        let cap: Option<usize> = $cap;
        match cap {
            Some(cap) => {
                let (tx, rx) = bounded(cap);
                $check(tx, rx);
                let (tx, rx) = with_queue(ArrayQueue::new(cap));
                $check(tx, rx);
            }
            None => {
                let (tx, rx) = unbounded();
                $check(tx, rx);
                let (tx, rx) = with_queue(LinkedQueue::new());
                $check(tx, rx);
            }
        }
        for s in STRATEGIES {
            let (tx, rx) = with_queue_and_strategy(MutexQueue::new(cap), s);
            $check(tx, rx);
            let (tx, rx) = match cap {
                Some(cap) => bounded_with(cap, s),
                None => unbounded_with(s),
            };
            $check(tx, rx);
        }
    }};
}

#[test]
fn smoke() {
    fn check<Q: Queue<i32>>(tx: Sender<i32, Q>, rx: Receiver<i32, Q>) {
        tx.send(1).unwrap();
        assert_eq!(rx.recv(), Ok(1));
        tx.try_send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(3).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(1)), Ok(3));
    }
    for_each_channel!(Some(1), check);
    for_each_channel!(Some(4), check);
    for_each_channel!(None, check);
}

#[test]
fn fifo_one_sender() {
    support::watchdog("fifo_one_sender", || {
        fn check<Q: Queue<usize> + Send + Sync + 'static>(
            tx: Sender<usize, Q>,
            rx: Receiver<usize, Q>,
        ) {
            let n = support::scaled(2_000);
            let producer = thread::spawn(move || {
                for i in 0..n {
                    tx.send(i).unwrap();
                }
            });
            for i in 0..n {
                assert_eq!(rx.recv(), Ok(i));
            }
            producer.join().unwrap();
            assert_eq!(rx.recv(), Err(RecvError));
        }
        for_each_channel!(Some(3), check);
        for_each_channel!(None, check);
    });
}

#[test]
fn zero_capacity_is_a_rendezvous() {
    // Its behaviour is tested in tests/rendezvous.rs.
    let (tx, _rx) = bounded::<u8>(0);
    assert_eq!(tx.capacity(), Some(0));
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
}

#[test]
fn len_empty_full_capacity() {
    fn check<Q: Queue<u8>>(tx: Sender<u8, Q>, rx: Receiver<u8, Q>) {
        let cap = tx.capacity();
        assert_eq!(cap, rx.capacity());
        assert!(tx.is_empty() && rx.is_empty());
        assert_eq!((tx.len(), rx.len()), (0, 0));
        assert!(!tx.is_full() && !rx.is_full());
        let n = cap.unwrap_or(100);
        for i in 0..n {
            assert!(!tx.is_full());
            tx.send(i as u8).unwrap();
            assert_eq!((tx.len(), rx.len()), (i + 1, i + 1));
            assert!(!tx.is_empty() && !rx.is_empty());
        }
        assert_eq!(tx.is_full(), cap.is_some());
        assert_eq!(rx.is_full(), cap.is_some());
        rx.recv().unwrap();
        assert!(!tx.is_full() && !rx.is_full());
        assert_eq!((tx.len(), rx.len()), (n - 1, n - 1));
        while rx.try_recv().is_ok() {}
        assert!(tx.is_empty() && rx.is_empty());
    }
    for (cap, expected) in [(1, Some(1)), (3, Some(3)), (8, Some(8))] {
        let (tx, rx) = bounded::<u8>(cap);
        assert_eq!(tx.capacity(), expected);
        check(tx, rx);
    }
    let (tx, rx) = unbounded::<u8>();
    assert_eq!(rx.capacity(), None);
    check(tx, rx);
    let (tx, rx) = with_queue(ArrayQueue::new(5));
    assert_eq!(tx.capacity(), Some(5));
    check(tx, rx);
    let (tx, rx) = with_queue(MutexQueue::new(Some(2)));
    assert_eq!(tx.capacity(), Some(2));
    check(tx, rx);
    let (tx, rx) = with_queue(MutexQueue::new(None));
    check(tx, rx);
}

#[test]
fn iterators() {
    support::watchdog("iterators", || {
        let (tx, rx) = unbounded();
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        // try_iter stops at "empty" even though a sender is alive.
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(rx.try_iter().next(), None);

        // iter blocks for the sender on another thread and ends when it is gone.
        let producer = thread::spawn(move || {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
        });
        assert_eq!(rx.iter().collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
        producer.join().unwrap();

        // `for x in &rx` and `for x in rx`.
        let (tx, rx) = bounded(4);
        let producer = thread::spawn(move || {
            for i in 0..50 {
                tx.send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        for x in &rx {
            got.push(x);
            if got.len() == 25 {
                break;
            }
        }
        got.extend(rx);
        assert_eq!(got, (0..50).collect::<Vec<_>>());
        producer.join().unwrap();
    });
}

#[test]
fn zero_and_max_timeouts() {
    for s in STRATEGIES {
        let (tx, rx) = bounded_with::<u32>(1, s);
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
        tx.send_timeout(1, Duration::ZERO).unwrap();
        assert_eq!(
            tx.send_timeout(2, Duration::ZERO),
            Err(SendTimeoutError::Timeout(2))
        );
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(1));
        // Duration::MAX does not overflow and takes what is there.
        tx.send_timeout(3, Duration::MAX).unwrap();
        assert_eq!(rx.recv_timeout(Duration::MAX), Ok(3));

        let (tx, rx) = unbounded_with::<u32>(s);
        tx.send_timeout(4, Duration::MAX).unwrap();
        assert_eq!(rx.recv_timeout(Duration::MAX), Ok(4));
        assert_eq!(
            rx.recv_timeout(Duration::ZERO),
            Err(RecvTimeoutError::Timeout)
        );
    }
}

#[test]
fn max_timeout_waits_for_a_later_send() {
    support::watchdog("max_timeout_waits_for_a_later_send", || {
        for s in STRATEGIES {
            let (tx, rx) = bounded_with(1, s);
            let sender = thread::spawn(move || {
                until_blocked(s, || tx.__waiters().0 > 0);
                tx.send(7u32).unwrap();
                // The channel is full now: this one waits for the receiver's second call.
                tx.send_timeout(8, Duration::MAX).unwrap();
            });
            assert_eq!(rx.recv_timeout(Duration::MAX), Ok(7));
            assert_eq!(rx.recv_timeout(Duration::MAX), Ok(8));
            sender.join().unwrap();
        }
    });
}

#[test]
fn send_max_timeout_waits_for_room() {
    support::watchdog("send_max_timeout_waits_for_room", || {
        for s in STRATEGIES {
            let (tx, rx) = bounded_with(1, s);
            tx.send(1u32).unwrap();
            let receiver = thread::spawn(move || {
                until_blocked(s, || rx.__waiters().1 > 0);
                assert_eq!(rx.recv(), Ok(1));
                assert_eq!(rx.recv(), Ok(2));
            });
            tx.send_timeout(2, Duration::MAX).unwrap();
            receiver.join().unwrap();
        }
    });
}

#[test]
fn timeouts_elapse() {
    let timeout = Duration::from_millis(30);
    for s in STRATEGIES {
        let (tx, rx) = bounded_with::<u32>(1, s);
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
        assert!(
            start.elapsed() >= timeout,
            "{s:?}: recv_timeout returned early"
        );

        tx.send(1).unwrap();
        let start = Instant::now();
        assert_eq!(
            tx.send_timeout(2, timeout),
            Err(SendTimeoutError::Timeout(2))
        );
        assert!(
            start.elapsed() >= timeout,
            "{s:?}: send_timeout returned early"
        );

        let deadline = Instant::now() + timeout;
        assert_eq!(
            tx.send_deadline(3, deadline),
            Err(SendTimeoutError::Timeout(3))
        );
        assert!(Instant::now() >= deadline);
        rx.recv().unwrap();
        let deadline = Instant::now() + timeout;
        assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= deadline);
        // Nothing got lost or duplicated along the way.
        assert!(rx.is_empty());
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
    }
}

#[test]
fn past_deadline() {
    for s in STRATEGIES {
        let past = Instant::now() - Duration::from_millis(10);
        let (tx, rx) = bounded_with(1, s);
        assert_eq!(rx.recv_deadline(past), Err(RecvTimeoutError::Timeout));
        tx.send_deadline(1u32, past).unwrap(); // room now: taken
        assert_eq!(tx.send_deadline(2, past), Err(SendTimeoutError::Timeout(2)));
        assert_eq!(rx.recv_deadline(past), Ok(1)); // an item waiting: taken
        assert_eq!(rx.recv_deadline(past), Err(RecvTimeoutError::Timeout));
    }
}

#[test]
fn senders_gone_receivers_drain_then_disconnected() {
    fn check<Q: Queue<i32>>(tx: Sender<i32, Q>, rx: Receiver<i32, Q>) {
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        drop(tx);
        // One sender is still alive: empty is not disconnected.
        tx2.send(3).unwrap();
        let rx2 = rx.clone();
        assert_eq!(rx.recv(), Ok(1));
        drop(tx2);
        assert_eq!(rx2.try_recv(), Ok(2));
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(3));
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx2.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Disconnected)
        );
        assert_eq!(
            rx.recv_deadline(Instant::now() - Duration::from_secs(1)),
            Err(RecvTimeoutError::Disconnected)
        );
        assert_eq!(rx.iter().next(), None);
        assert_eq!(rx.try_iter().next(), None);
    }
    for_each_channel!(Some(3), check);
    for_each_channel!(None, check);
}

#[test]
fn receivers_gone_send_fails_with_value() {
    fn check<Q: Queue<String>>(tx: Sender<String, Q>, rx: Receiver<String, Q>) {
        let rx2 = rx.clone();
        drop(rx);
        tx.send("kept".into()).unwrap(); // rx2 is alive
        drop(rx2);
        assert_eq!(tx.send("a".into()), Err(SendError("a".to_string())));
        assert_eq!(
            tx.try_send("b".into()),
            Err(TrySendError::Disconnected("b".to_string()))
        );
        assert_eq!(
            tx.send_timeout("c".into(), Duration::MAX),
            Err(SendTimeoutError::Disconnected("c".to_string()))
        );
        assert_eq!(
            tx.send_deadline("d".into(), Instant::now()),
            Err(SendTimeoutError::Disconnected("d".to_string()))
        );
    }
    // Capacity 1: the channel is also full, and still reports the disconnection.
    for_each_channel!(Some(1), check);
    for_each_channel!(None, check);
}

#[test]
fn queued_items_dropped_once_when_last_handle_goes() {
    for senders_first in [false, true] {
        for cap in [Some(8), None] {
            let counter = Counter::with_ids(5);
            let (tx, rx) = match cap {
                Some(cap) => bounded(cap),
                None => unbounded(),
            };
            for id in 0..5 {
                tx.send(counter.track(id, ())).unwrap();
            }
            drop(rx.recv().unwrap());
            assert_eq!(counter.dropped(), 1);
            let (tx2, rx2) = (tx.clone(), rx.clone());
            drop((tx, rx));
            if senders_first {
                drop(tx2);
                // A receiver is left: the queued items are still alive (and receivable).
                assert_eq!(counter.dropped(), 1, "dropped before the last handle went");
                drop(rx2);
            } else {
                drop(rx2);
                // No receiver is left: the queued items are dropped at once, though a sender
                // is still alive.
                assert_eq!(
                    counter.dropped(),
                    5,
                    "queued items outlived the last receiver"
                );
                drop(tx2);
            }
            assert_eq!(counter.dropped(), 5);
            for id in 0..5 {
                assert_eq!(counter.drops_of(id), 1, "item {id}");
            }
        }
    }
}

#[test]
fn blocked_receiver_woken_by_last_sender_drop() {
    support::watchdog("blocked_receiver_woken_by_last_sender_drop", || {
        for s in STRATEGIES {
            for cap in [Some(2), None] {
                let (tx, rx) = match cap {
                    Some(cap) => bounded_with::<u8>(cap, s),
                    None => unbounded_with::<u8>(s),
                };
                let tx2 = tx.clone();
                let receiver = thread::spawn(move || (rx.recv(), rx.recv()));
                until_blocked(s, || tx.__waiters().0 > 0);
                tx.send(1).unwrap();
                drop(tx);
                let other = thread::spawn(move || {
                    // Blocked again, on the second recv (after taking the 1).
                    until_blocked(s, || tx2.__waiters().0 > 0 && tx2.is_empty());
                    drop(tx2);
                });
                assert_eq!(receiver.join().unwrap(), (Ok(1), Err(RecvError)), "{s:?}");
                other.join().unwrap();
            }
        }
    });
}

#[test]
fn blocked_sender_woken_by_last_receiver_drop() {
    support::watchdog("blocked_sender_woken_by_last_receiver_drop", || {
        for s in STRATEGIES {
            let counter = Counter::with_ids(2);
            let (tx, rx) = bounded_with(1, s);
            tx.send(counter.track(0, ())).unwrap();
            let rx2 = rx.clone();
            let sender = {
                let counter = counter.clone();
                thread::spawn(move || tx.send(counter.track(1, ())).map_err(|e| e.into_inner().id))
            };
            until_blocked(s, || rx.__waiters().1 > 0);
            drop(rx);
            let other = thread::spawn(move || {
                until_blocked(s, || rx2.__waiters().1 > 0);
                drop(rx2);
            });
            // The last receiver's drop disconnects, then drains value 0, making room. A waiting
            // send whose last disconnect check came before the disconnect may then push value 1
            // and return `Ok`: its re-check drains the value before it returns. Otherwise the
            // send hands value 1 back. Either way the send returns, and each value is dropped
            // exactly once, by the time the threads are joined.
            let sent = sender.join().unwrap();
            assert!(matches!(sent, Ok(()) | Err(1)), "{s:?}: {sent:?}");
            other.join().unwrap();
            assert_eq!((counter.drops_of(0), counter.drops_of(1)), (1, 1), "{s:?}");
            assert_eq!(counter.live(), 0, "{s:?}");
        }
    });
}

#[test]
fn receiver_blocked_long_then_woken() {
    support::watchdog("receiver_blocked_long_then_woken", || {
        for s in STRATEGIES {
            let (tx, rx) = bounded_with(1, s);
            let started = Arc::new(AtomicBool::new(false));
            let receiver = {
                let started = started.clone();
                thread::spawn(move || {
                    started.store(true, Ordering::SeqCst);
                    rx.recv()
                })
            };
            while !started.load(Ordering::SeqCst) {
                thread::yield_now();
            }
            // Registered as a waiter (SpinPark): only the send's wake-up can free it.
            until_blocked(s, || tx.__waiters().0 > 0);
            tx.send(42u64).unwrap();
            assert_eq!(receiver.join().unwrap(), Ok(42), "{s:?}");
        }
    });
}

#[test]
fn blocked_sender_proceeds_when_room_is_made() {
    support::watchdog("blocked_sender_proceeds_when_room_is_made", || {
        for s in STRATEGIES {
            let (tx, rx) = bounded_with(2, s);
            tx.send(0u32).unwrap();
            tx.send(1).unwrap();
            let sender = thread::spawn(move || {
                for i in 2..20 {
                    tx.send(i).unwrap();
                }
            });
            until_blocked(s, || rx.__waiters().1 > 0);
            assert_eq!(rx.iter().collect::<Vec<_>>(), (0..20).collect::<Vec<_>>());
            sender.join().unwrap();
        }
    });
}

fn assert_error<E: Error + ?Sized>(e: &E) {
    assert!(!e.to_string().is_empty());
    assert!(!format!("{e:?}").is_empty());
}

fn as_dyn(e: &dyn Error) -> String {
    e.to_string()
}

#[test]
fn error_types() {
    let e = SendError(5);
    assert_error(&e);
    assert!(!as_dyn(&e).is_empty());
    assert_eq!(e.into_inner(), 5);

    for (e, full) in [
        (TrySendError::Full(1), true),
        (TrySendError::Disconnected(2), false),
    ] {
        assert_error(&e);
        assert!(!as_dyn(&e).is_empty());
        assert_eq!(e.is_full(), full);
        assert_eq!(e.is_disconnected(), !full);
        assert_eq!(e.into_inner(), if full { 1 } else { 2 });
    }
    assert_ne!(
        TrySendError::Full(0).to_string(),
        TrySendError::Disconnected(0).to_string()
    );

    for (e, timeout) in [
        (SendTimeoutError::Timeout(1), true),
        (SendTimeoutError::Disconnected(2), false),
    ] {
        assert_error(&e);
        assert!(!as_dyn(&e).is_empty());
        assert_eq!(e.is_timeout(), timeout);
        assert_eq!(e.is_disconnected(), !timeout);
        assert_eq!(e.into_inner(), if timeout { 1 } else { 2 });
    }

    assert_error(&RecvError);
    assert!(!as_dyn(&RecvError).is_empty());
    for (e, empty) in [
        (TryRecvError::Empty, true),
        (TryRecvError::Disconnected, false),
    ] {
        assert_error(&e);
        assert!(!as_dyn(&e).is_empty());
        assert_eq!(e.is_empty(), empty);
        assert_eq!(e.is_disconnected(), !empty);
    }
    for (e, timeout) in [
        (RecvTimeoutError::Timeout, true),
        (RecvTimeoutError::Disconnected, false),
    ] {
        assert_error(&e);
        assert!(!as_dyn(&e).is_empty());
        assert_eq!(e.is_timeout(), timeout);
        assert_eq!(e.is_disconnected(), !timeout);
    }
    // Boxing as the standard error trait object works for non-Debug payloads too.
    struct Opaque;
    let boxed: Box<dyn Error> = Box::new(SendError(Opaque));
    assert!(!boxed.to_string().is_empty());
}

/// Panics in `Drop` when its flag says so.
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
    for cap in [Some(8), None] {
        let counter = Counter::with_ids(6);
        let (tx, rx) = match cap {
            Some(cap) => bounded(cap),
            None => unbounded(),
        };
        for id in 0..6 {
            let item = PanicOnDrop {
                panic: id == 2,
                _tracked: counter.track(id, ()),
            };
            tx.send(item).unwrap();
        }
        drop(rx.recv().unwrap()); // item 0
                                  // The last receiver's drop drops the queued items (it panics at item 2); the rest go
                                  // with the last handle.
        let result = catch_unwind(AssertUnwindSafe(move || drop(rx)));
        assert!(result.is_err(), "the panicking drop should propagate");
        drop(tx);
        // Every item was dropped, none twice (the panicking one's fields are still dropped).
        for id in 0..6 {
            assert_eq!(counter.drops_of(id), 1, "{cap:?}: item {id}");
        }
        assert_eq!(counter.live(), 0);
    }
}
