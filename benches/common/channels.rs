//! Blocking channels side by side: wharf's `channel` against crossbeam-channel, flume, kanal,
//! `std::sync::mpsc`, and a `Mutex<VecDeque>` + `Condvar` baseline (the design of the Go
//! article wharf grew from, done right), all through [`BenchChannel`] (adapters in
//! [`super::channel_adapters`]) and the same generic workloads: the shared shapes
//! ([`super::shapes`]) through [`Chan`], and the channel-only ones here.
//!
//! Every workload uses blocking `send` and `recv`, as a channel's user does: how a channel
//! waits when full or empty is part of what is measured, so there is no shared wait policy
//! as in the raw-queue workloads.
//!
//! # Workloads (keys start with `chan-`)
//!
//! - `chan-1p1c` (pinned to two CPUs), `chan-2p2c`, `chan-4p4c`, `chan-4p1c`: throughput,
//!   bounded 1024 and unbounded contenders alike. Every run checks count, sum, sum of squares
//!   and per-producer order before its time counts ([`super::shapes::mpmc`]).
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
//! See [`super::channel_adapters`].

use super::channel_adapters::{
    CrossbeamBounded, CrossbeamUnbounded, CrossbeamZero, FlumeBounded, FlumeUnbounded, FlumeZero,
    KanalBounded, KanalUnbounded, KanalZero, MutexBounded, MutexUnbounded, StdSync, StdUnbounded,
    WharfBounded, WharfBoundedYield, WharfUnbounded, WharfUnboundedYield, WharfZero,
};
use super::check::SEQ_BITS;
use super::check::{histogram, message, record, split, verify, AbortOnPanic, Tally, END};
use super::contender::{Contender, Kind, Named, Sample, Scale, Workload};
use super::shapes::{self, Flow};
use super::{cpu_pair, pin, Family, Watchdog, CAPACITY, WATCHDOG_LIMIT};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
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

/// Histogram ceiling of the channel round trips and wake-ups, ns.
const HISTOGRAM_MAX_NS: u64 = 100_000_000;

/// The channel workloads, in the order the suite runs and prints them. `kind` only picks
/// the unit and the scaling here; what runs is chosen by key in [`run_channel`].
pub const WORKLOADS: &[Workload] = &[
    Workload::mpmc(
        "chan-1p1c",
        "channel 1P1C (pinned to 2 CPUs), blocking send/recv",
        1,
        1,
        true,
        200_000,
    ),
    Workload::mpmc(
        "chan-2p2c",
        "channel 2P2C, blocking send/recv",
        2,
        2,
        false,
        200_000,
    ),
    Workload::mpmc(
        "chan-4p4c",
        "channel 4P4C (oversubscribed), blocking send/recv",
        4,
        4,
        false,
        200_000,
    ),
    Workload::mpmc(
        "chan-4p1c",
        "channel 4P1C, blocking send/recv",
        4,
        1,
        false,
        200_000,
    ),
    Workload::mpmc(
        "chan-8p8c",
        "channel 8P8C (oversubscribed), blocking send/recv",
        8,
        8,
        false,
        200_000,
    ),
    Workload::mpmc(
        SELECT,
        "select! over two channels: 2P (one per channel) → 1C selecting",
        2,
        1,
        false,
        200_000,
    ),
    Workload::round_trip(
        PINGPONG,
        "channel ping-pong round trip (pinned, two capacity-1 channels)",
        4_000,
    ),
    Workload::round_trip(
        WAKE,
        "wake-up latency of a parked receiver, median (pinned; sender sleeps 1 ms \
         between messages; send to recv return)",
        WAKE_MESSAGES,
    ),
    Workload::round_trip(
        WAKE_P99,
        "wake-up latency of a parked receiver, p99 (same runs as chan-wake)",
        WAKE_MESSAGES,
    ),
];

/// Whether a workload or contender key belongs to the channel section of the suite.
pub fn is_channel(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// Whether channel `C` runs `workload`: channel workloads only; the rendezvous contenders a
/// few of them; `chan-select` those with a `select!`; the single-consumer ones no workload
/// with several consumers; the round trips and wake-ups bounded contenders only.
fn takes_part<C: BenchChannel>(workload: &Workload) -> bool {
    if !is_channel(workload.key) {
        return false;
    }
    if RENDEZVOUS.contains(&C::KEY) {
        return RENDEZVOUS_WORKLOADS.contains(&workload.key);
    }
    if workload.key == SELECT {
        return C::SELECT;
    }
    match workload.kind {
        Kind::Mpmc { consumers, .. } => consumers == 1 || !SINGLE_CONSUMER.contains(&C::KEY),
        _ => C::FAMILY == Family::Bounded,
    }
}

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
        channel::<WharfBounded>(),
        channel::<WharfBoundedYield>(),
        channel::<CrossbeamBounded>(),
        channel::<FlumeBounded>(),
        channel::<KanalBounded>(),
        channel::<StdSync>(),
        channel::<MutexBounded>(),
        channel::<WharfUnbounded>(),
        channel::<WharfUnboundedYield>(),
        channel::<CrossbeamUnbounded>(),
        channel::<FlumeUnbounded>(),
        channel::<KanalUnbounded>(),
        channel::<StdUnbounded>(),
        channel::<MutexUnbounded>(),
        channel::<WharfZero>(),
        channel::<CrossbeamZero>(),
        channel::<FlumeZero>(),
        channel::<KanalZero>(),
    ]
}

/// The contender for a [`BenchChannel`].
pub fn channel<C: BenchChannel>() -> Contender {
    Contender::of::<C>(run_channel::<C>, takes_part::<C>)
}

/// The small adapter every channel implements. Values are `u64`; [`END`] is the end marker.
/// `send` and `recv` block, and panic if the channel is disconnected (which no workload
/// does while running).
pub trait BenchChannel: Named + 'static {
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
    /// The share of each throughput and ping-pong workload's messages this contender runs
    /// (at least 1000): below 1 for a contender so slow that a full run would take seconds;
    /// its figure is a rate either way.
    const SHARE: f64 = 1.0;
    /// Whether [`select2`](Self::select2) is implemented (the crate has a `select!`).
    const SELECT: bool = false;
    /// Receives from whichever of `a` and `b` has a value, with the crate's `select!`:
    /// `(0, value)` from `a`, `(1, value)` from `b`.
    fn select2(a: &Self::Rx, b: &Self::Rx) -> (usize, u64) {
        let _ = (a, b);
        unreachable!("{} has no select", Self::NAME)
    }
}

/// A blocking channel as a [`Flow`]: its own handles, its own blocking `send` and `recv`.
pub struct Chan<C>(PhantomData<C>);

impl<C: BenchChannel> Flow for Chan<C> {
    const NAME: &'static str = C::NAME;
    type Tx = C::Tx;
    type Rx = C::Rx;

    #[inline]
    fn send(tx: &mut C::Tx, value: u64) {
        C::send(tx, value);
    }

    #[inline]
    fn recv(rx: &mut C::Rx) -> u64 {
        C::recv(rx)
    }
}

/// Runs one channel workload once for `C`; `None` when `C` does not take part.
pub fn run_channel<C: BenchChannel>(workload: &Workload, scale: &Scale) -> Option<Sample> {
    if !takes_part::<C>(workload) {
        return None;
    }
    let ops = match workload.kind {
        Kind::Mpmc { producers, .. } => {
            let ops = ((scale.ops(workload) as f64 * C::SHARE) as u64).max(1000);
            ops / producers as u64 * producers as u64
        }
        _ => ((scale.ops(workload) as f64 * C::SHARE) as u64).max(1000),
    };
    match (workload.key, workload.kind) {
        (SELECT, _) => C::SELECT.then(|| select_run::<C>(ops / 2)),
        (PINGPONG, _) => Some(shapes::ping_pong::<Chan<C>>(
            &format!("{} ping-pong", C::NAME),
            C::channel(1),
            C::channel(1),
            ops,
            HISTOGRAM_MAX_NS,
        )),
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

/// [`shapes::mpmc`] through one channel (bounded [`CAPACITY`] or unbounded), a sender clone
/// per producer and a receiver clone per consumer; nothing may be left after.
pub fn mpmc<C: BenchChannel>(
    producers: usize,
    consumers: usize,
    per_producer: u64,
    pinned: bool,
) -> Sample {
    let what = format!("{} {producers}P{consumers}C", C::NAME);
    let (tx, rx) = C::channel(CAPACITY);
    let txs = (0..producers).map(|_| C::clone_tx(&tx)).collect();
    let mut rxs = vec![rx];
    while rxs.len() < consumers {
        rxs.push(C::clone_rx(&rxs[0]));
    }
    let (sample, rxs) = shapes::mpmc::<Chan<C>>(&what, txs, rxs, per_producer, pinned);
    if let Some(left) = C::try_recv(&rxs[0]) {
        panic!("{what}: value {left:#x} left in the channel after the end markers");
    }
    drop(tx);
    sample
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
                    let (p, seq) = split(value);
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
    verify(&what, tally, Tally::of_messages(2, per_producer));
    for rx in [&rx_a, &rx_b] {
        if let Some(left) = C::try_recv(rx) {
            panic!("{what}: value {left:#x} left in a channel after its end marker");
        }
    }
    drop((tx_a, tx_b));
    Sample::span(starts.into_iter().chain([start]), [end], 2 * per_producer)
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
    Sample::latency(p99)
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
            let mut hist = histogram(HISTOGRAM_MAX_NS);
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
    Wake {
        median: Sample::latency(hist.value_at_quantile(0.5) as f64),
        p99: hist.value_at_quantile(0.99) as f64,
    }
}
