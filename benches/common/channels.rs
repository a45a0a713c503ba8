//! Blocking channels side by side: wharf's `channel` against crossbeam-channel, flume, kanal,
//! `std::sync::mpsc`, and a `Mutex<VecDeque>` + `Condvar` baseline (the design of the Go
//! article wharf grew from, done right), all through [`BenchChannel`] and the same generic
//! workloads here.
//!
//! Every workload uses blocking `send` and `recv`, as a channel's user does: how a channel
//! waits when full or empty is part of what is measured, so there is no shared wait policy
//! as in the raw-queue workloads.
//!
//! # Workloads (keys start with `chan-`)
//!
//! - `chan-1p1c` (pinned to two CPUs), `chan-2p2c`, `chan-4p4c`, `chan-4p1c`: throughput,
//!   bounded 1024 and unbounded contenders alike. Every run checks count, sum, sum of squares
//!   and per-producer order before its time counts, as [`super::workloads::mpmc`] does.
//!   `std::sync::mpsc` has a single-consumer `Receiver`, so it sits out 2P2C and 4P4C.
//! - `chan-select`: two producers, each with a channel of its own, and one consumer that
//!   receives from both with the contender's `select!` (wharf and crossbeam-channel only,
//!   bounded 1024 and unbounded); verified like the others.
//! - `chan-pingpong`: a round trip through two capacity-1 channels between two pinned
//!   threads, each round trip timed into an HDR histogram; bounded contenders only. The bare
//!   atomic ping-pong runs in this workload too, so its cost ratio comes from the same run.
//! - The rendezvous contenders (`-zero`, every one's `bounded(0)`) run only `chan-pingpong`,
//!   `chan-1p1c`, `chan-2p2c` and `chan-4p4c`.
//! - `chan-wake` and `chan-wake-p99`: the wake-up latency of a parked receiver, median and
//!   99th percentile. The sender (first CPU) sleeps [`WAKE_GAP`] before each message, long
//!   enough for the receiver (second CPU) to park in `recv`, stamps the time into a shared
//!   slot just before `send`, and the receiver takes the difference right after `recv`
//!   returns (one `Instant` base, so one clock). Bounded contenders only. wharf with
//!   `SpinYield` never parks (it yields), so its row is the contrast, not a peer. The p99
//!   row reuses the run just made for the median row in the same round (see [`wake_p99`]),
//!   so the suite does not sleep through the workload twice.
//!
//! # Contenders (keys start with `chan-`; unbounded ones end in `-unb`)
//!
//! wharf `bounded(1024)` and `unbounded()` with the default `WaitStrategy::SpinPark`; wharf
//! with `WaitStrategy::SpinYield` (through `with_queue_and_strategy` over an `ArrayQueue` or
//! `LinkedQueue`, so without the `Flavor` dispatch of the default constructors);
//! crossbeam-channel, flume and kanal `bounded`/`unbounded`; `std::sync::mpsc::sync_channel`
//! (bounded) and `std::sync::mpsc::channel` (unbounded); the Mutex+Condvar baseline, bounded
//! and unbounded.

use super::workloads::{Contender, Kind, Sample, Scale, Tally, Workload, ATOMIC_KEY, END};
use super::{cpu_pair, pin, Family, Watchdog, CAPACITY, WATCHDOG_LIMIT};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Prefix of every channel workload and contender key.
pub const PREFIX: &str = "chan-";

/// Key of the ping-pong workload.
pub const PINGPONG: &str = "chan-pingpong";
/// Key of the `select!` workload.
pub const SELECT: &str = "chan-select";
/// Key of the wake-up latency workload (median).
pub const WAKE: &str = "chan-wake";
/// Key of the wake-up latency workload (99th percentile).
pub const WAKE_P99: &str = "chan-wake-p99";

/// How long the sender of the wake-up workload sleeps before each message.
pub const WAKE_GAP: Duration = Duration::from_millis(1);

/// Messages per wake-up run at scale 1 (each costs about [`WAKE_GAP`]).
const WAKE_MESSAGES: u64 = 120;

/// Bits of a message value that carry the sequence number; the producer index sits above.
pub(super) const SEQ_BITS: u32 = 40;

/// The channel workloads, in the order the suite runs and prints them. `kind` only picks
/// the unit and the scaling here; what runs is chosen by key in [`run_channel`].
pub const WORKLOADS: &[Workload] = &[
    Workload {
        key: "chan-1p1c",
        title: "channel 1P1C (pinned to 2 CPUs), blocking send/recv",
        kind: Kind::Mpmc {
            producers: 1,
            consumers: 1,
            pinned: true,
        },
        ops: 200_000,
    },
    Workload {
        key: "chan-2p2c",
        title: "channel 2P2C, blocking send/recv",
        kind: Kind::Mpmc {
            producers: 2,
            consumers: 2,
            pinned: false,
        },
        ops: 200_000,
    },
    Workload {
        key: "chan-4p4c",
        title: "channel 4P4C (oversubscribed), blocking send/recv",
        kind: Kind::Mpmc {
            producers: 4,
            consumers: 4,
            pinned: false,
        },
        ops: 200_000,
    },
    Workload {
        key: "chan-4p1c",
        title: "channel 4P1C, blocking send/recv",
        kind: Kind::Mpmc {
            producers: 4,
            consumers: 1,
            pinned: false,
        },
        ops: 200_000,
    },
    Workload {
        key: "chan-8p8c",
        title: "channel 8P8C (oversubscribed), blocking send/recv",
        kind: Kind::Mpmc {
            producers: 8,
            consumers: 8,
            pinned: false,
        },
        ops: 200_000,
    },
    Workload {
        key: SELECT,
        title: "select! over two channels: 2P (one per channel) → 1C selecting",
        kind: Kind::Mpmc {
            producers: 2,
            consumers: 1,
            pinned: false,
        },
        ops: 200_000,
    },
    Workload {
        key: PINGPONG,
        title: "channel ping-pong round trip (pinned, two capacity-1 channels)",
        kind: Kind::PingPong,
        ops: 4_000,
    },
    Workload {
        key: WAKE,
        title: "wake-up latency of a parked receiver, median (pinned; sender sleeps 1 ms \
                between messages; send to recv return)",
        kind: Kind::PingPong,
        ops: WAKE_MESSAGES,
    },
    Workload {
        key: WAKE_P99,
        title: "wake-up latency of a parked receiver, p99 (same runs as chan-wake)",
        kind: Kind::PingPong,
        ops: WAKE_MESSAGES,
    },
];

/// Whether a workload or contender key belongs to the channel section of the suite.
pub fn is_channel(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// Whether `contender` runs `workload`, for any pair where either is a channel one: channel
/// contenders run only channel workloads, and of the rest only the bare atomic ping-pong
/// takes part (in `chan-pingpong`).
pub fn applies(contender: &Contender, workload: &Workload) -> bool {
    if !is_channel(workload.key) {
        return false;
    }
    if !is_channel(contender.key) {
        return contender.key == ATOMIC_KEY && workload.key == PINGPONG;
    }
    if RENDEZVOUS.contains(&contender.key) {
        return RENDEZVOUS_WORKLOADS.contains(&workload.key);
    }
    if workload.key == SELECT {
        return SELECTS.contains(&contender.key);
    }
    match workload.kind {
        Kind::Mpmc { consumers, .. } => consumers == 1 || !SINGLE_CONSUMER.contains(&contender.key),
        _ => contender.family == Family::Bounded,
    }
}

/// The contenders of `chan-select` (those whose crate has a `select!`).
const SELECTS: [&str; 4] = [
    WharfBounded::KEY,
    WharfUnbounded::KEY,
    CrossbeamBounded::KEY,
    CrossbeamUnbounded::KEY,
];

/// Contenders whose receiver cannot be shared between consumer threads.
const SINGLE_CONSUMER: [&str; 2] = [StdSync::KEY, StdUnbounded::KEY];

/// The rendezvous contenders (`bounded(0)` whatever capacity a workload asks for).
const RENDEZVOUS: [&str; 4] = [
    WharfZero::KEY,
    CrossbeamZero::KEY,
    FlumeZero::KEY,
    KanalZero::KEY,
];

/// The workloads the rendezvous contenders run: the round trip, and throughput with and
/// without more threads than cores (every message a hand-off, so the rest add little).
const RENDEZVOUS_WORKLOADS: [&str; 4] = [PINGPONG, "chan-1p1c", "chan-2p2c", "chan-4p4c"];

/// Every channel contender: bounded ones first, then unbounded, then rendezvous.
pub fn contenders() -> Vec<Contender> {
    vec![
        channel_contender::<WharfBounded>(),
        channel_contender::<WharfBoundedYield>(),
        channel_contender::<CrossbeamBounded>(),
        channel_contender::<FlumeBounded>(),
        channel_contender::<KanalBounded>(),
        channel_contender::<StdSync>(),
        channel_contender::<MutexBounded>(),
        channel_contender::<WharfUnbounded>(),
        channel_contender::<WharfUnboundedYield>(),
        channel_contender::<CrossbeamUnbounded>(),
        channel_contender::<FlumeUnbounded>(),
        channel_contender::<KanalUnbounded>(),
        channel_contender::<StdUnbounded>(),
        channel_contender::<MutexUnbounded>(),
        channel_contender::<WharfZero>(),
        channel_contender::<CrossbeamZero>(),
        channel_contender::<FlumeZero>(),
        channel_contender::<KanalZero>(),
    ]
}

/// The contender for a [`BenchChannel`].
pub fn channel_contender<C: BenchChannel>() -> Contender {
    Contender {
        name: C::NAME,
        key: C::KEY,
        family: C::FAMILY,
        wharf: C::WHARF,
        run: run_channel::<C>,
    }
}

// ---------------------------------------------------------------------------------------------
// The adapter trait and one adapter per contender.
// ---------------------------------------------------------------------------------------------

/// The small adapter every channel implements. Values are `u64`; [`END`] is the end marker.
/// `send` and `recv` block, and panic if the channel is disconnected (which no workload
/// does while running).
pub trait BenchChannel: 'static {
    /// Name shown in tables.
    const NAME: &'static str;
    /// Command-line id, starting with [`PREFIX`].
    const KEY: &'static str;
    /// Bounded or unbounded.
    const FAMILY: Family;
    /// Whether this is wharf's channel.
    const WHARF: bool;
    /// Sending half.
    type Tx: Send;
    /// Receiving half.
    type Rx: Send;

    /// Builds a channel; bounded ones hold `capacity` values, unbounded ones ignore it.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Another sender.
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    /// Another receiver (never called for [`SINGLE_CONSUMER`] contenders).
    fn clone_rx(rx: &Self::Rx) -> Self::Rx;
    /// Sends, waiting while full.
    fn send(tx: &Self::Tx, value: u64);
    /// Receives, waiting while empty.
    fn recv(rx: &Self::Rx) -> u64;
    /// Receives without waiting (for the end-of-run check that nothing is left).
    fn try_recv(rx: &Self::Rx) -> Option<u64>;
    /// Whether [`select2`](Self::select2) is implemented (the crate has a `select!`).
    const SELECT: bool = false;
    /// Receives from whichever of `a` and `b` has a value, with the crate's `select!`:
    /// `(0, value)` from `a`, `(1, value)` from `b`.
    fn select2(a: &Self::Rx, b: &Self::Rx) -> (usize, u64) {
        let _ = (a, b);
        unreachable!("{} has no select", Self::NAME)
    }
}

/// Implements [`BenchChannel`] for a channel crate whose handles are `Clone` and whose
/// `send`/`recv`/`try_recv` return `Result`s.
macro_rules! channel_adapter {
    (
        $(#[$doc:meta])* $ty:ident, $name:literal, $key:literal, $family:ident, $wharf:literal,
        $tx:ty, $rx:ty, |$cap:ident| $build:expr, |$r:ident| $try_recv:expr
        $(, select: $select:path)?
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty;

        impl BenchChannel for $ty {
            const NAME: &'static str = $name;
            const KEY: &'static str = $key;
            const FAMILY: Family = Family::$family;
            const WHARF: bool = $wharf;
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
                rx.clone()
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
    |cap| wharf::channel::bounded(cap), |rx| rx.try_recv().ok(), select: wharf_select2
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
    |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `crossbeam_channel::bounded`.
    CrossbeamBounded, "crossbeam-channel bounded", "chan-crossbeam", Bounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::bounded(cap), |rx| rx.try_recv().ok(), select: crossbeam_select2
);
channel_adapter!(
    /// `flume::bounded`.
    FlumeBounded, "flume bounded", "chan-flume", Bounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::bounded(cap), |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `kanal::bounded`.
    KanalBounded, "kanal bounded", "chan-kanal", Bounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::bounded(cap), |rx| rx.try_recv().ok().flatten()
);
channel_adapter!(
    /// `wharf::channel::unbounded` (default `WaitStrategy::SpinPark`).
    WharfUnbounded, "wharf channel unbounded", "chan-wharf-unb", Unbounded, true,
    wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    |cap| wharf::channel::unbounded(), |rx| rx.try_recv().ok(), select: wharf_select2
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
    |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `crossbeam_channel::unbounded`.
    CrossbeamUnbounded, "crossbeam-channel unbounded", "chan-crossbeam-unb", Unbounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::unbounded(), |rx| rx.try_recv().ok(), select: crossbeam_select2
);
channel_adapter!(
    /// `flume::unbounded`.
    FlumeUnbounded, "flume unbounded", "chan-flume-unb", Unbounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::unbounded(), |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `kanal::unbounded`.
    KanalUnbounded, "kanal unbounded", "chan-kanal-unb", Unbounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::unbounded(), |rx| rx.try_recv().ok().flatten()
);

channel_adapter!(
    /// `wharf::channel::bounded(0)`, a rendezvous channel (default `WaitStrategy::SpinPark`).
    WharfZero, "wharf channel rendezvous", "chan-wharf-zero", Bounded, true,
    wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    |cap| wharf::channel::bounded(0), |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `crossbeam_channel::bounded(0)`.
    CrossbeamZero, "crossbeam-channel rendezvous", "chan-crossbeam-zero", Bounded, false,
    crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>,
    |cap| crossbeam_channel::bounded(0), |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `flume::bounded(0)`.
    FlumeZero, "flume rendezvous", "chan-flume-zero", Bounded, false,
    flume::Sender<u64>, flume::Receiver<u64>,
    |cap| flume::bounded(0), |rx| rx.try_recv().ok()
);
channel_adapter!(
    /// `kanal::bounded(0)`.
    KanalZero, "kanal rendezvous", "chan-kanal-zero", Bounded, false,
    kanal::Sender<u64>, kanal::Receiver<u64>,
    |cap| kanal::bounded(0), |rx| rx.try_recv().ok().flatten()
);

/// `std::sync::mpsc::sync_channel` (single consumer).
#[derive(Debug)]
pub struct StdSync;

impl BenchChannel for StdSync {
    const NAME: &'static str = "std mpsc sync_channel";
    const KEY: &'static str = "chan-std";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = false;
    type Tx = std::sync::mpsc::SyncSender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;

    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(capacity)
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn clone_rx(_: &Self::Rx) -> Self::Rx {
        unreachable!("std::sync::mpsc has a single consumer")
    }
    #[inline]
    fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).expect("std sync_channel: send");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("std sync_channel: recv")
    }
    fn try_recv(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().ok()
    }
}

/// `std::sync::mpsc::channel` (single consumer).
#[derive(Debug)]
pub struct StdUnbounded;

impl BenchChannel for StdUnbounded {
    const NAME: &'static str = "std mpsc channel";
    const KEY: &'static str = "chan-std-unb";
    const FAMILY: Family = Family::Unbounded;
    const WHARF: bool = false;
    type Tx = std::sync::mpsc::Sender<u64>;
    type Rx = std::sync::mpsc::Receiver<u64>;

    fn channel(_capacity: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::channel()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn clone_rx(_: &Self::Rx) -> Self::Rx {
        unreachable!("std::sync::mpsc has a single consumer")
    }
    #[inline]
    fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).expect("std channel: send");
    }
    #[inline]
    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("std channel: recv")
    }
    fn try_recv(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().ok()
    }
}

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
    fn new(capacity: Option<usize>) -> Self {
        MutexChannel {
            state: Mutex::new(MutexState {
                queue: VecDeque::with_capacity(capacity.unwrap_or(0)),
                receivers_waiting: 0,
                senders_waiting: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    fn send(&self, value: u64) {
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
    }

    fn recv(&self) -> u64 {
        let mut state = self.state.lock().expect("mutex channel poisoned");
        loop {
            if let Some(value) = state.queue.pop_front() {
                let wake = state.senders_waiting > 0;
                drop(state);
                if wake {
                    self.not_full.notify_one();
                }
                return value;
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

/// Implements [`BenchChannel`] for the Mutex+Condvar baseline.
macro_rules! mutex_adapter {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $key:literal, $family:ident, $cap:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty;

        impl BenchChannel for $ty {
            const NAME: &'static str = $name;
            const KEY: &'static str = $key;
            const FAMILY: Family = Family::$family;
            const WHARF: bool = false;
            type Tx = Arc<MutexChannel>;
            type Rx = Arc<MutexChannel>;

            fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
                let chan = Arc::new(MutexChannel::new($cap(capacity)));
                (chan.clone(), chan)
            }
            fn clone_tx(tx: &Self::Tx) -> Self::Tx {
                tx.clone()
            }
            fn clone_rx(rx: &Self::Rx) -> Self::Rx {
                rx.clone()
            }
            #[inline]
            fn send(tx: &Self::Tx, value: u64) {
                tx.send(value);
            }
            #[inline]
            fn recv(rx: &Self::Rx) -> u64 {
                rx.recv()
            }
            fn try_recv(rx: &Self::Rx) -> Option<u64> {
                rx.try_recv()
            }
        }
    };
}

mutex_adapter!(
    /// The Mutex+Condvar baseline, bounded.
    MutexBounded, "Mutex<VecDeque>+Condvar bounded", "chan-mutex", Bounded, Some
);
mutex_adapter!(
    /// The Mutex+Condvar baseline, unbounded.
    MutexUnbounded, "Mutex<VecDeque>+Condvar unbounded", "chan-mutex-unb", Unbounded,
    |_| None
);

// ---------------------------------------------------------------------------------------------
// Workloads.
// ---------------------------------------------------------------------------------------------

/// Runs one channel workload once for `C`; `None` when `C` does not take part.
pub fn run_channel<C: BenchChannel>(workload: &Workload, scale: &Scale) -> Option<Sample> {
    let contender = channel_contender::<C>();
    if !applies(&contender, workload) {
        return None;
    }
    let ops = scale.ops(workload);
    match (workload.key, workload.kind) {
        (SELECT, _) => C::SELECT.then(|| select_run::<C>(ops / 2)),
        (PINGPONG, _) => Some(ping_pong::<C>(ops)),
        (WAKE, _) => Some(wake::<C>(wake_messages(scale))),
        (WAKE_P99, _) => Some(wake_p99::<C>(scale)),
        (
            _,
            Kind::Mpmc {
                producers,
                consumers,
                pinned,
            },
        ) => Some(mpmc::<C>(
            producers,
            consumers,
            ops / producers as u64,
            pinned,
        )),
        _ => None,
    }
}

/// Messages per wake-up run: [`WAKE_MESSAGES`] scaled, at least 20 (not the 1000 of
/// [`Scale::ops`]: each message costs a millisecond of sleep).
fn wake_messages(scale: &Scale) -> u64 {
    ((WAKE_MESSAGES as f64 * scale.factor) as u64).max(20)
}

/// Held by every worker thread: a failed check aborts the process at once instead of
/// leaving peers blocked on a channel nobody serves.
pub(super) struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("\n*** a channel benchmark worker panicked (see above); aborting. ***");
            std::process::abort();
        }
    }
}

/// Panics loudly unless `got == expected`.
pub(super) fn verify(what: &str, got: Tally, expected: Tally) {
    if got != expected {
        eprintln!("\n*** VERIFICATION FAILED: {what}: got {got:?}, expected {expected:?} ***");
        panic!("verification failed: {what}");
    }
}

/// The value producer `p` sends as its `seq`-th message (never [`END`]).
#[inline]
pub(super) fn message(p: usize, seq: u64) -> u64 {
    ((p as u64) << SEQ_BITS) | seq
}

/// A histogram of nanoseconds, 1 ns to 100 ms, 3 significant digits.
pub(super) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("histogram bounds")
}

/// Records one interval, clamping outliers into range.
#[inline]
pub(super) fn record(histogram: &mut Histogram<u64>, ns: u64) {
    histogram
        .record(ns.clamp(1, 100_000_000))
        .expect("value in bounds");
}

/// `producers` threads each send `per_producer` messages through one channel (bounded
/// [`CAPACITY`] or unbounded); `consumers` threads receive until they see an end marker, which
/// the last producer to finish sends once per consumer. Timed from the earliest worker start
/// to the last consumer's end marker; verified before returning.
pub fn mpmc<C: BenchChannel>(
    producers: usize,
    consumers: usize,
    per_producer: u64,
    pinned: bool,
) -> Sample {
    assert!(per_producer < 1 << SEQ_BITS);
    let what = format!("{} {producers}P{consumers}C", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (tx, rx) = C::channel(CAPACITY);
    let cores = if pinned { cpu_pair() } else { None };
    let barrier = Barrier::new(producers + consumers);
    let producing = AtomicUsize::new(producers);
    let txs: Vec<C::Tx> = (0..producers).map(|_| C::clone_tx(&tx)).collect();
    let mut rxs = vec![rx];
    while rxs.len() < consumers {
        rxs.push(C::clone_rx(&rxs[0]));
    }

    let (starts, results) = thread::scope(|s| {
        let producer_handles: Vec<_> = txs
            .into_iter()
            .enumerate()
            .map(|(p, tx)| {
                let (barrier, producing) = (&barrier, &producing);
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.0));
                    barrier.wait();
                    let start = Instant::now();
                    for seq in 0..per_producer {
                        C::send(&tx, message(p, seq));
                    }
                    if producing.fetch_sub(1, Ordering::AcqRel) == 1 {
                        for _ in 0..consumers {
                            C::send(&tx, END);
                        }
                    }
                    start
                })
            })
            .collect();
        let consumer_handles: Vec<_> = rxs
            .into_iter()
            .map(|rx| {
                let barrier = &barrier;
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.1));
                    // Last sequence seen from each producer, +1 (0 = none yet).
                    let mut next = vec![0u64; producers];
                    let mut tally = Tally::default();
                    barrier.wait();
                    let start = Instant::now();
                    loop {
                        let value = C::recv(&rx);
                        if value == END {
                            break;
                        }
                        let p = (value >> SEQ_BITS) as usize;
                        let seq = value & ((1 << SEQ_BITS) - 1);
                        match next.get_mut(p) {
                            Some(n) if seq >= *n => *n = seq + 1,
                            _ => panic!(
                                "{}: out of order or corrupt value {value:#x} (producer {p}, \
                                 seq {seq})",
                                C::NAME
                            ),
                        }
                        tally.add(value);
                    }
                    (start, Instant::now(), tally, rx)
                })
            })
            .collect();
        let starts: Vec<Instant> = producer_handles
            .into_iter()
            .map(|h| h.join().expect("producer panicked"))
            .collect();
        let results: Vec<(Instant, Instant, Tally, C::Rx)> = consumer_handles
            .into_iter()
            .map(|h| h.join().expect("consumer panicked"))
            .collect();
        (starts, results)
    });

    let mut got = Tally::default();
    let mut expected = Tally::default();
    for (_, _, tally, _) in &results {
        got.merge(*tally);
    }
    for p in 0..producers {
        for seq in 0..per_producer {
            expected.add(message(p, seq));
        }
    }
    verify(&what, got, expected);
    if let Some(left) = C::try_recv(&results[0].3) {
        panic!("{what}: value {left:#x} left in the channel after the end markers");
    }
    drop(tx);

    let start = starts
        .iter()
        .chain(results.iter().map(|r| &r.0))
        .min()
        .copied()
        .expect("at least one worker");
    let end = results.iter().map(|r| r.1).max().expect("one consumer");
    let elapsed = end - start;
    let ops = per_producer * producers as u64;
    Sample {
        value: ops as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed,
        ops,
    }
}

/// Two producers each send `per_producer` messages, then an end marker, through a channel
/// of their own (bounded [`CAPACITY`] or unbounded); one consumer receives from both with the
/// contender's `select!` until it has both end markers. Timed from the earliest start to the
/// consumer's end; verified (count, sums, per-producer order, nothing left) before returning.
pub fn select_run<C: BenchChannel>(per_producer: u64) -> Sample {
    assert!(per_producer < 1 << SEQ_BITS);
    let what = format!("{} select over 2 channels", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (tx_a, rx_a) = C::channel(CAPACITY);
    let (tx_b, rx_b) = C::channel(CAPACITY);
    let barrier = Barrier::new(3);
    let (starts, (start, end, tally, rx_a, rx_b)) = thread::scope(|s| {
        let producers: Vec<_> = [C::clone_tx(&tx_a), C::clone_tx(&tx_b)]
            .into_iter()
            .enumerate()
            .map(|(p, tx)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    barrier.wait();
                    let start = Instant::now();
                    for seq in 0..per_producer {
                        C::send(&tx, message(p, seq));
                    }
                    C::send(&tx, END);
                    start
                })
            })
            .collect();
        let consumer = {
            let barrier = &barrier;
            s.spawn(move || {
                let _guard = AbortOnPanic;
                let mut next = [0u64; 2];
                let mut ended = [false; 2];
                let mut tally = Tally::default();
                barrier.wait();
                let start = Instant::now();
                while !(ended[0] && ended[1]) {
                    let (from, value) = C::select2(&rx_a, &rx_b);
                    if value == END {
                        assert!(!ended[from], "{}: a second end marker", C::NAME);
                        ended[from] = true;
                        continue;
                    }
                    let p = (value >> SEQ_BITS) as usize;
                    let seq = value & ((1 << SEQ_BITS) - 1);
                    assert!(
                        p == from && seq == next[p],
                        "{}: value {value:#x} out of order or on the wrong channel",
                        C::NAME
                    );
                    next[p] += 1;
                    tally.add(value);
                }
                (start, Instant::now(), tally, rx_a, rx_b)
            })
        };
        let starts: Vec<Instant> = producers
            .into_iter()
            .map(|h| h.join().expect("producer panicked"))
            .collect();
        (starts, consumer.join().expect("consumer panicked"))
    });
    let mut expected = Tally::default();
    for p in 0..2 {
        for seq in 0..per_producer {
            expected.add(message(p, seq));
        }
    }
    verify(&what, tally, expected);
    for rx in [&rx_a, &rx_b] {
        if let Some(left) = C::try_recv(rx) {
            panic!("{what}: value {left:#x} left in a channel after its end marker");
        }
    }
    drop((tx_a, tx_b));
    let start = starts
        .into_iter()
        .chain([start])
        .min()
        .expect("three workers");
    let elapsed = end - start;
    let ops = 2 * per_producer;
    Sample {
        value: ops as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed,
        ops,
    }
}

/// Ping (first CPU) sends `i` through one capacity-1 channel and waits for it to come back
/// through another; pong (second CPU) echoes. Each round trip is timed into a histogram; the
/// sample's value is its median in ns.
pub fn ping_pong<C: BenchChannel>(round_trips: u64) -> Sample {
    let what = format!("{} ping-pong", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (there_tx, there_rx) = C::channel(1);
    let (back_tx, back_rx) = C::channel(1);
    let cores = cpu_pair();
    let barrier = Barrier::new(2);
    let (hist, elapsed, pong_tally) = thread::scope(|s| {
        let barrier = &barrier;
        let pong = s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.1));
            let mut tally = Tally::default();
            barrier.wait();
            for _ in 0..round_trips {
                let value = C::recv(&there_rx);
                tally.add(value);
                C::send(&back_tx, value);
            }
            tally
        });
        let ping = s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.0));
            let mut hist = histogram();
            barrier.wait();
            let start = Instant::now();
            for i in 1..=round_trips {
                let t0 = Instant::now();
                C::send(&there_tx, i);
                let echoed = C::recv(&back_rx);
                record(&mut hist, t0.elapsed().as_nanos() as u64);
                assert_eq!(echoed, i, "{}: ping-pong echoed the wrong value", C::NAME);
            }
            (hist, start.elapsed())
        });
        let (hist, elapsed) = ping.join().expect("ping panicked");
        (hist, elapsed, pong.join().expect("pong panicked"))
    });
    let mut expected = Tally::default();
    (1..=round_trips).for_each(|i| expected.add(i));
    verify(&what, pong_tally, expected);
    Sample {
        value: hist.value_at_quantile(0.5) as f64,
        elapsed,
        ops: round_trips,
    }
}

/// The outcome of one wake-up run: the median sample, and the p99 in ns.
struct Wake {
    median: Sample,
    p99: f64,
}

/// p99s of wake-up runs made for the `chan-wake` row and not yet reported in the
/// `chan-wake-p99` row, by contender key.
static WAKE_P99S: Mutex<BTreeMap<&'static str, f64>> = Mutex::new(BTreeMap::new());

/// The median wake-up latency of `messages` wake-ups of a parked receiver; keeps the run's
/// p99 for [`wake_p99`].
pub fn wake<C: BenchChannel>(messages: u64) -> Sample {
    let Wake { median, p99 } = wake_run::<C>(messages);
    WAKE_P99S
        .lock()
        .expect("wake p99 table")
        .insert(C::KEY, p99);
    median
}

/// The p99 of the last `chan-wake` run of `C` if it has not been reported yet (the suite runs
/// `chan-wake` for every contender just before `chan-wake-p99` in each round); otherwise a
/// run of its own.
pub fn wake_p99<C: BenchChannel>(scale: &Scale) -> Sample {
    let kept = WAKE_P99S.lock().expect("wake p99 table").remove(C::KEY);
    let p99 = match kept {
        Some(p99) => p99,
        None => wake_run::<C>(wake_messages(scale)).p99,
    };
    Sample {
        value: p99,
        elapsed: Duration::from_nanos(p99 as u64),
        ops: 1,
    }
}

/// Sender (first CPU) sleeps [`WAKE_GAP`], stamps the time since a shared base into
/// `stamps[seq]` and sends `seq`; the receiver (second CPU), parked in `recv` meanwhile,
/// records the time since the base minus the stamp as soon as `recv` returns. Checks that
/// `0..messages` arrive in order and nothing else.
fn wake_run<C: BenchChannel>(messages: u64) -> Wake {
    let what = format!("{} wake-up", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (tx, rx) = C::channel(CAPACITY);
    let cores = cpu_pair();
    let base = Instant::now();
    let stamps: Vec<AtomicU64> = (0..messages).map(|_| AtomicU64::new(0)).collect();
    let barrier = Barrier::new(2);
    let hist = thread::scope(|s| {
        let (stamps, barrier) = (&stamps, &barrier);
        let receiver = s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.1));
            let mut hist = histogram();
            barrier.wait();
            for seq in 0..messages {
                let value = C::recv(&rx);
                let now = base.elapsed().as_nanos() as u64;
                assert_eq!(value, seq, "{}: wake-up message out of order", C::NAME);
                // Relaxed: the channel's hand-over of `value` orders the stamp written
                // before the send.
                let sent = stamps[seq as usize].load(Ordering::Relaxed);
                record(&mut hist, now.saturating_sub(sent));
            }
            assert_eq!(C::recv(&rx), END, "{}: no end marker", C::NAME);
            assert_eq!(C::try_recv(&rx), None, "{}: extra message", C::NAME);
            hist
        });
        s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.0));
            barrier.wait();
            for seq in 0..messages {
                thread::sleep(WAKE_GAP);
                let now = base.elapsed().as_nanos() as u64;
                // Relaxed: published to the receiver by the send below.
                stamps[seq as usize].store(now, Ordering::Relaxed);
                C::send(&tx, seq);
            }
            C::send(&tx, END);
        });
        receiver.join().expect("receiver panicked")
    });
    assert_eq!(hist.len(), messages, "{what}: wrong number of wake-ups");
    let median = hist.value_at_quantile(0.5) as f64;
    Wake {
        median: Sample {
            value: median,
            elapsed: Duration::from_nanos(median as u64),
            ops: 1,
        },
        p99: hist.value_at_quantile(0.99) as f64,
    }
}
