//! One [`BenchChannel`] adapter per blocking-channel contender: wharf's `channel` (default
//! `SpinPark`, and `SpinYield` over an `ArrayQueue` or `LinkedQueue` through
//! `with_queue_and_strategy`, so without the `Flavor` dispatch of the default constructors),
//! crossbeam-channel, flume and kanal (`bounded`, `unbounded`, `bounded(0)`),
//! `std::sync::mpsc`, and the `Mutex<VecDeque>` + `Condvar` baseline.

use super::channels::BenchChannel;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Condvar, Mutex};

/// Implements [`BenchChannel`] for a channel crate whose handles are `Clone` (the receiver
/// unless `single_consumer`) and whose `send`/`recv` return `Result`s.
macro_rules! channel_adapter {
    (
        $(#[$doc:meta])* $ty:ident, $name:literal, $key:literal, $family:ident, $wharf:literal,
        $tx:ty, $rx:ty, |$cap:ident| $build:expr, try_recv: |$r:ident| $try_recv:expr
        $(, single_consumer: $why:literal)? $(, select: $select:path)? $(, share: $share:expr)? $(,)?
    ) => {
        $(#[$doc])*
        pub struct $ty;
        named!($ty, $name, $key, $family, $wharf);

        impl BenchChannel for $ty {
            type Tx = $tx;
            type Rx = $rx;

            #[allow(unused_variables)]
            fn channel($cap: usize) -> (Self::Tx, Self::Rx) {
                $build
            }
            fn clone_tx(tx: &Self::Tx) -> Self::Tx {
                tx.clone()
            }
            fn clone_rx(rx: &Self::Rx) -> Self::Rx {
                clone_rx!(rx $(, $why)?)
            }
            #[inline]
            fn send(tx: &Self::Tx, value: u64) {
                tx.send(value).expect(concat!($name, ": send on a disconnected channel"));
            }
            #[inline]
            fn recv(rx: &Self::Rx) -> u64 {
                rx.recv().expect(concat!($name, ": recv on a disconnected channel"))
            }
            fn try_recv($r: &Self::Rx) -> Option<u64> {
                $try_recv
            }
            $(const SHARE: f64 = $share;)?
            $(
                const SELECT: bool = true;
                #[inline]
                fn select2(a: &Self::Rx, b: &Self::Rx) -> (usize, u64) {
                    $select(a, b)
                }
            )?
        }
    };
}

/// [`BenchChannel::select2`] with wharf's `select!`.
fn wharf_select2<Q: wharf::Queue<u64>>(
    a: &wharf::channel::Receiver<u64, Q>,
    b: &wharf::channel::Receiver<u64, Q>,
) -> (usize, u64) {
    wharf::select! {
        recv(a) -> v => (0, v.expect("select: a disconnected")),
        recv(b) -> v => (1, v.expect("select: b disconnected")),
    }
}

/// [`BenchChannel::select2`] with crossbeam-channel's `select!`.
fn crossbeam_select2(
    a: &crossbeam_channel::Receiver<u64>,
    b: &crossbeam_channel::Receiver<u64>,
) -> (usize, u64) {
    crossbeam_channel::select! {
        recv(a) -> v => (0, v.expect("select: a disconnected")),
        recv(b) -> v => (1, v.expect("select: b disconnected")),
    }
}

channel_adapter!(
    /// `wharf::channel::bounded` (default `WaitStrategy::SpinPark`).
    WharfBounded, "wharf channel bounded", "chan-wharf", Bounded, true,
    wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    |cap| wharf::channel::bounded(cap), try_recv: |rx| rx.try_recv().ok(), select: wharf_select2
);
channel_adapter!(
    /// wharf's channel over an `ArrayQueue` with `WaitStrategy::SpinYield`.
    WharfBoundedYield, "wharf channel bounded SpinYield", "chan-wharf-yield", Bounded, true,
    wharf::channel::Sender<u64, wharf::ArrayQueue<u64>>,
    wharf::channel::Receiver<u64, wharf::ArrayQueue<u64>>,
    |cap| wharf::channel::with_queue_and_strategy(
        wharf::ArrayQueue::new(cap),
        wharf::WaitStrategy::SpinYield,
    ),
    try_recv: |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `crossbeam_channel::bounded`.
    CrossbeamBounded, "crossbeam-channel bounded", "chan-crossbeam", Bounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::bounded(cap), try_recv: |rx| rx.try_recv().ok(),
    select: crossbeam_select2
);
channel_adapter!(
    /// `flume::bounded`.
    FlumeBounded, "flume bounded", "chan-flume", Bounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::bounded(cap), try_recv: |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `kanal::bounded`.
    KanalBounded, "kanal bounded", "chan-kanal", Bounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::bounded(cap), try_recv: |rx| rx.try_recv().ok().flatten()
);
channel_adapter!(
    /// `std::sync::mpsc::sync_channel` (single consumer).
    StdSync, "std mpsc sync_channel", "chan-std", Bounded, false,
    std::sync::mpsc::SyncSender<u64>, std::sync::mpsc::Receiver<u64>,
    |cap| std::sync::mpsc::sync_channel(cap), try_recv: |rx| rx.try_recv().ok(),
    single_consumer: "std::sync::mpsc has a single consumer"
);
channel_adapter!(
    /// The Mutex+Condvar baseline, bounded (runs [`BASELINE_SHARE`] of each workload).
    MutexBounded, "Mutex<VecDeque>+Condvar bounded", "chan-mutex", Bounded, false,
    Arc<MutexChannel>, Arc<MutexChannel>,
    |cap| MutexChannel::pair(Some(cap)), try_recv: |rx| rx.try_recv(),
    share: BASELINE_SHARE
);
channel_adapter!(
    /// `wharf::channel::unbounded` (default `WaitStrategy::SpinPark`).
    WharfUnbounded, "wharf channel unbounded", "chan-wharf-unb", Unbounded, true,
    wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    |cap| wharf::channel::unbounded(), try_recv: |rx| rx.try_recv().ok(), select: wharf_select2
);
channel_adapter!(
    /// wharf's channel over a `LinkedQueue` with `WaitStrategy::SpinYield`.
    WharfUnboundedYield, "wharf channel unbounded SpinYield", "chan-wharf-yield-unb", Unbounded,
    true,
    wharf::channel::Sender<u64, wharf::LinkedQueue<u64>>,
    wharf::channel::Receiver<u64, wharf::LinkedQueue<u64>>,
    |cap| wharf::channel::with_queue_and_strategy(
        wharf::LinkedQueue::new(),
        wharf::WaitStrategy::SpinYield,
    ),
    try_recv: |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `crossbeam_channel::unbounded`.
    CrossbeamUnbounded, "crossbeam-channel unbounded", "chan-crossbeam-unb", Unbounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::unbounded(), try_recv: |rx| rx.try_recv().ok(),
    select: crossbeam_select2
);
channel_adapter!(
    /// `flume::unbounded`.
    FlumeUnbounded, "flume unbounded", "chan-flume-unb", Unbounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::unbounded(), try_recv: |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `kanal::unbounded`.
    KanalUnbounded, "kanal unbounded", "chan-kanal-unb", Unbounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::unbounded(), try_recv: |rx| rx.try_recv().ok().flatten()
);
channel_adapter!(
    /// `std::sync::mpsc::channel` (single consumer).
    StdUnbounded, "std mpsc channel", "chan-std-unb", Unbounded, false,
    std::sync::mpsc::Sender<u64>, std::sync::mpsc::Receiver<u64>,
    |cap| std::sync::mpsc::channel(), try_recv: |rx| rx.try_recv().ok(),
    single_consumer: "std::sync::mpsc has a single consumer"
);
channel_adapter!(
    /// The Mutex+Condvar baseline, unbounded (runs [`BASELINE_SHARE`] of each workload).
    MutexUnbounded, "Mutex<VecDeque>+Condvar unbounded", "chan-mutex-unb", Unbounded, false,
    Arc<MutexChannel>, Arc<MutexChannel>,
    |cap| MutexChannel::pair(None), try_recv: |rx| rx.try_recv(),
    share: BASELINE_SHARE
);
channel_adapter!(
    /// `wharf::channel::bounded(0)`, a rendezvous channel (default `WaitStrategy::SpinPark`;
    /// runs [`RENDEZVOUS_SHARE`] of each workload).
    WharfZero, "wharf channel rendezvous", "chan-wharf-zero", Bounded, true,
    wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    |cap| wharf::channel::bounded(0), try_recv: |rx| rx.try_recv().ok(),
    share: RENDEZVOUS_SHARE
);
/// The share of each workload's messages the Mutex+Condvar baselines run: a reference, not a
/// peer, at 2-5 Mmsg/s it took about a second of each round.
pub const BASELINE_SHARE: f64 = 0.25;

/// The share of each workload's messages that crossbeam-channel's and flume's rendezvous
/// channels run: they park on every hand-off (about 50,000 messages a second here), so a
/// full 200,000-message run took 4-5 s, half of the suite's time, for the same rate.
pub const PARKING_RENDEZVOUS_SHARE: f64 = 0.02;

/// The share of each workload's messages that wharf's and kanal's rendezvous channels run:
/// at 1-3 Mmsg/s, 50,000 messages take 15-50 ms.
pub const RENDEZVOUS_SHARE: f64 = 0.25;

channel_adapter!(
    /// `crossbeam_channel::bounded(0)` (runs [`PARKING_RENDEZVOUS_SHARE`] of each workload).
    CrossbeamZero, "crossbeam-channel rendezvous", "chan-crossbeam-zero", Bounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::bounded(0), try_recv: |rx| rx.try_recv().ok(),
    share: PARKING_RENDEZVOUS_SHARE
);
channel_adapter!(
    /// `flume::bounded(0)` (runs [`PARKING_RENDEZVOUS_SHARE`] of each workload).
    FlumeZero, "flume rendezvous", "chan-flume-zero", Bounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::bounded(0), try_recv: |rx| rx.try_recv().ok(),
    share: PARKING_RENDEZVOUS_SHARE
);
channel_adapter!(
    /// `kanal::bounded(0)` (runs [`RENDEZVOUS_SHARE`] of each workload).
    KanalZero, "kanal rendezvous", "chan-kanal-zero", Bounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::bounded(0), try_recv: |rx| rx.try_recv().ok().flatten(),
    share: RENDEZVOUS_SHARE
);

/// The baseline: one `Mutex` around a `VecDeque`, one `Condvar` per condition (not empty,
/// not full), and a count of waiters under the lock so that a send or receive with nobody
/// waiting makes no system call. The design of the Go article wharf grew from (`sync.Mutex`
/// + `sync.Cond`), without its lost wake-ups.
#[derive(Debug)]
pub struct MutexChannel {
    state: Mutex<MutexState>,
    /// Receivers wait here while the queue is empty.
    not_empty: Condvar,
    /// Senders wait here while a bounded queue is full.
    not_full: Condvar,
    /// `None` for unbounded.
    capacity: Option<usize>,
}

/// What the baseline's lock guards.
#[derive(Debug)]
struct MutexState {
    queue: VecDeque<u64>,
    /// Receivers blocked on `not_empty`.
    receivers_waiting: usize,
    /// Senders blocked on `not_full`.
    senders_waiting: usize,
}

impl MutexChannel {
    /// Both ends of one baseline channel (`None`: unbounded).
    fn pair(capacity: Option<usize>) -> (Arc<Self>, Arc<Self>) {
        let chan = Arc::new(MutexChannel {
            state: Mutex::new(MutexState {
                queue: VecDeque::with_capacity(capacity.unwrap_or(0)),
                receivers_waiting: 0,
                senders_waiting: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        });
        (chan.clone(), chan)
    }

    fn send(&self, value: u64) -> Result<(), Infallible> {
        let mut state = self.state.lock().expect("mutex channel poisoned");
        if let Some(capacity) = self.capacity {
            while state.queue.len() >= capacity {
                state.senders_waiting += 1;
                state = self.not_full.wait(state).expect("mutex channel poisoned");
                state.senders_waiting -= 1;
            }
        }
        state.queue.push_back(value);
        let wake = state.receivers_waiting > 0;
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }

    fn recv(&self) -> Result<u64, Infallible> {
        let mut state = self.state.lock().expect("mutex channel poisoned");
        loop {
            if let Some(value) = state.queue.pop_front() {
                let wake = state.senders_waiting > 0;
                drop(state);
                if wake {
                    self.not_full.notify_one();
                }
                return Ok(value);
            }
            state.receivers_waiting += 1;
            state = self.not_empty.wait(state).expect("mutex channel poisoned");
            state.receivers_waiting -= 1;
        }
    }

    fn try_recv(&self) -> Option<u64> {
        self.state
            .lock()
            .expect("mutex channel poisoned")
            .queue
            .pop_front()
    }
}
