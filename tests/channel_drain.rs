//! Values still queued are dropped as soon as the last `Receiver` goes, while senders live on;
//! and a send racing with that drop leaves nothing behind either.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use support::{scaled, watchdog, Counter, Tracked};
use wharf::channel::{with_queue_and_strategy, Flavor, Receiver, Sender, TrySendError};
use wharf::{ArrayQueue, LinkedQueue, Queue, WaitStrategy};

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::Spin,
    WaitStrategy::SpinYield,
    WaitStrategy::SpinPark,
];

/// A queue of the test's own (no `SeqCst` hand-off: the channel must fence for it).
struct MutexQueue<T>(Mutex<VecDeque<T>>);

impl<T> Queue<T> for MutexQueue<T> {
    fn try_push(&self, value: T) -> Result<(), T> {
        self.0.lock().unwrap().push_back(value);
        Ok(())
    }
    fn try_pop(&self) -> Option<T> {
        self.0.lock().unwrap().pop_front()
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn capacity(&self) -> Option<usize> {
        None
    }
}

/// Every channel kind with a different send path: capacity 1 (no hand-off), a ring,
/// unbounded, a queue of the caller's; each under every wait strategy (fenced or not).
fn for_each_kind<T: Send + 'static>(mut f: impl FnMut(&str, Kind<T>)) {
    for s in STRATEGIES {
        for cap in [Some(1), Some(4), None] {
            let queue = match cap {
                Some(cap) => Flavor::Bounded(ArrayQueue::new(cap)),
                None => Flavor::Unbounded(LinkedQueue::new()),
            };
            let (tx, rx) = with_queue_and_strategy(queue, s);
            f(&format!("{cap:?} {s:?}"), Kind::Wharf(tx, rx));
        }
        let queue = MutexQueue(Mutex::new(VecDeque::new()));
        let (tx, rx) = with_queue_and_strategy(queue, s);
        f(&format!("MutexQueue {s:?}"), Kind::Mutex(tx, rx));
    }
}

/// A channel over one of wharf's queues, or over `MutexQueue`.
enum Kind<T> {
    Wharf(Sender<T>, Receiver<T>),
    Mutex(Sender<T, MutexQueue<T>>, Receiver<T, MutexQueue<T>>),
}

/// The sending side of a `Kind`, with a capacity.
trait Tx<T>: Clone + Send + 'static {
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>>;
    fn cap(&self) -> Option<usize>;
}

impl<T: Send + 'static> Tx<T> for Sender<T> {
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        Sender::try_send(self, value)
    }
    fn cap(&self) -> Option<usize> {
        self.capacity()
    }
}

impl<T: Send + 'static> Tx<T> for Sender<T, MutexQueue<T>> {
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        Sender::try_send(self, value)
    }
    fn cap(&self) -> Option<usize> {
        self.capacity()
    }
}

/// A sender whose every send goes through `try_send_batch` (a one-value run), so the batch
/// path's own re-check after its push is what the race tests exercise.
struct Batching<T>(Sender<T>);

impl<T> Clone for Batching<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Send + 'static> Tx<T> for Batching<T> {
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut run = vec![value];
        match self.0.try_send_batch(&mut run) {
            Ok(1) => Ok(()),
            Ok(_) => Err(TrySendError::Full(run.pop().unwrap())),
            Err(_) => Err(TrySendError::Disconnected(run.pop().unwrap())),
        }
    }
    fn cap(&self) -> Option<usize> {
        self.0.capacity()
    }
}

#[test]
fn racing_batch_senders_leave_nothing_behind() {
    watchdog("racing_batch_senders_leave_nothing_behind", || {
        for round in 0..scaled(40) {
            for_each_kind::<Tracked>(|what, kind| {
                if let Kind::Wharf(tx, rx) = kind {
                    race(
                        &format!("batch {what}, round {round}"),
                        round,
                        Batching(tx),
                        rx,
                    );
                }
            });
        }
    });
}

#[test]
fn queued_values_dropped_when_last_receiver_drops() {
    for_each_kind::<Tracked>(|what, kind| match kind {
        Kind::Wharf(tx, rx) => check_last_receiver_drop(what, tx, rx),
        Kind::Mutex(tx, rx) => check_last_receiver_drop(what, tx, rx),
    });
}

fn check_last_receiver_drop<R: Clone>(what: &str, tx: impl Tx<Tracked>, rx: R) {
    let n = tx.cap().unwrap_or(5);
    let counter = Counter::with_ids(n + 1);
    for id in 0..n {
        assert!(tx.try_send(counter.track(id, ())).is_ok(), "{what}");
    }
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(counter.dropped(), 0, "{what}: a receiver is left");
    drop(rx2);
    // The sender is alive, and still every queued value is gone.
    assert_eq!(
        counter.dropped(),
        n,
        "{what}: queued values outlived the last receiver"
    );
    match tx.try_send(counter.track(n, ())) {
        Err(TrySendError::Disconnected(back)) => assert_eq!(back.id, n, "{what}"),
        _ => panic!("{what}: send after the last receiver went"),
    }
    drop(tx);
    for id in 0..=n {
        assert_eq!(counter.drops_of(id), 1, "{what}: value {id}");
    }
}

/// Values each racing sender sends at most.
const PER_SENDER: usize = 2_000;

/// Racing senders: more threads than the machine's two cores, so that a sender is sometimes
/// preempted between its disconnect check and its push.
const SENDERS: usize = 4;

#[test]
fn racing_senders_leave_nothing_behind() {
    watchdog("racing_senders_leave_nothing_behind", || {
        let rounds = scaled(60);
        for round in 0..rounds {
            for_each_kind::<Tracked>(|what, kind| {
                let what = format!("{what}, round {round}");
                match kind {
                    Kind::Wharf(tx, rx) => race(&what, round, tx, rx),
                    Kind::Mutex(tx, rx) => race(&what, round, tx, rx),
                }
            });
        }
    });
}

/// `SENDERS` senders send until the channel reports the disconnect; once each has sent a
/// value, the test receives a few more and drops the last receiver while they are sending. Once both senders' last send has returned (and they
/// still hold their handles), every value made is dropped: received, drained, or handed back.
fn race<R: RecvSome>(what: &str, round: usize, tx: impl Tx<Tracked>, rx: R) {
    let counter = Counter::with_ids(SENDERS * PER_SENDER);
    let started = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let release = AtomicBool::new(false);
    std::thread::scope(|s| {
        for p in 0..SENDERS {
            let (tx, counter) = (tx.clone(), counter.clone());
            let (started, finished, release) = (&started, &finished, &release);
            s.spawn(move || {
                for i in 0..PER_SENDER {
                    match tx.try_send(counter.track(p * PER_SENDER + i, ())) {
                        Ok(()) if i == 0 => {
                            started.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(()) => {}
                        // Full: dropped here, counted as any other value.
                        Err(TrySendError::Full(back)) => {
                            if i == 0 {
                                started.fetch_add(1, Ordering::SeqCst);
                            }
                            drop(back);
                        }
                        Err(TrySendError::Disconnected(back)) => {
                            drop(back);
                            break;
                        }
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
                // Keep the sender alive until the test has looked.
                while !release.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                drop(tx);
            });
        }
        drop(tx);
        // Lets the senders go when the test is done looking, or fails.
        struct Release<'a>(&'a AtomicBool);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let _release = Release(&release);
        while started.load(Ordering::SeqCst) < SENDERS && finished.load(Ordering::SeqCst) == 0 {
            rx.recv_some();
        }
        // Vary where the drop falls: after 0 to 7 more values.
        for _ in 0..round % 8 {
            rx.recv_some();
        }
        drop(rx);
        while finished.load(Ordering::SeqCst) < SENDERS {
            std::thread::yield_now();
        }
        assert_eq!(
            counter.live(),
            0,
            "{what}: values linger after the last receiver and every send returned"
        );
    });
    assert_eq!(counter.live(), 0, "{what}");
    for id in 0..SENDERS * PER_SENDER {
        assert!(
            counter.drops_of(id) <= 1,
            "{what}: value {id} dropped twice"
        );
    }
}

/// Receives (and drops) one value if there is one now.
trait RecvSome {
    fn recv_some(&self);
}

impl RecvSome for Receiver<Tracked> {
    fn recv_some(&self) {
        let _ = self.try_recv();
    }
}

impl RecvSome for Receiver<Tracked, MutexQueue<Tracked>> {
    fn recv_some(&self) {
        let _ = self.try_recv();
    }
}

/// A value whose destructor always panics, even while another panic unwinds (as a hostile
/// `Drop` may): a second panic then aborts, so the drain must never leave one to the queue's
/// own drop during the unwinding.
struct Bomb(Tracked);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb {}", self.0.id);
    }
}

/// The last receiver drops while every queued value's destructor panics: each is dropped
/// exactly once (none is leaked, nothing aborts), and the drop unwinds with the first panic.
#[test]
fn drain_with_panicking_destructors_drops_every_value() {
    for cap in [Some(3), None] {
        let counter = Counter::with_ids(3);
        let (tx, rx) = match cap {
            Some(cap) => channel_of(Flavor::Bounded(ArrayQueue::new(cap))),
            None => channel_of(Flavor::Unbounded(LinkedQueue::new())),
        };
        for id in 0..3 {
            tx.send(Bomb(counter.track(id, ())))
                .unwrap_or_else(|_| panic!("send"));
        }
        drop(tx);
        let message = support::panic_message(move || drop(rx));
        assert_eq!(message, "bomb 0", "{cap:?}");
        for id in 0..3 {
            assert_eq!(counter.drops_of(id), 1, "{cap:?}: value {id}");
        }
    }
}

fn channel_of<T>(flavor: Flavor<T>) -> (Sender<T>, Receiver<T>) {
    with_queue_and_strategy(flavor, WaitStrategy::SpinPark)
}
