//! Broadcast (publish/subscribe) workloads and the adapters of wharf's broadcast ring and its
//! peers: the `disruptor` crate, `bus`, tokio's `broadcast`, and a fan-out of N
//! crossbeam-channel channels.
//!
//! # Workloads
//!
//! - `b1to2`, `b1to4`, `b2to2`: publishers publish `0..N` each (payload `u64`, the publisher's
//!   index in the high bits), then one end marker; every subscriber must see every message,
//!   each publisher's in order, and stops after one end marker per publisher. Throughput is
//!   messages *published* per second (each is delivered to every subscriber), from the
//!   earliest worker start to the last subscriber's end.
//! - `blossy1to2`: lossy rings (wharf's lossy policy against tokio's broadcast, which is always
//!   lossy): the publisher never waits; subscribers count what they received and what they
//!   were told they lagged, which must add up to `N`, with every received value where the
//!   lag counts say it should be. Not comparable with the lossless workloads: delivery rates
//!   are shown next to the figures.
//! - `blatency`: one publisher, two subscribers; bursts of [`BURST`] messages, then a pause of
//!   [`PAUSE`]. The publisher stamps each message's send time (nanoseconds since a shared
//!   epoch, in a side table indexed by the payload) just before publishing it; subscribers
//!   record publish→receive latency into HDR histograms. The suite's figure is the median of
//!   the per-round p50; p50/p99/p99.9/max of all rounds merged are in [`report`].
//!
//! # Contenders and how each waits
//!
//! Each library is used as a synchronous user would use it, with its own blocking calls where
//! it has them: wharf `publish`/`recv` (default `SpinPark`, and `SpinYield`), bus
//! `broadcast`/`recv` (parks), crossbeam-channel `send`/`recv`. Exceptions:
//!
//! - disruptor: consumers are the crate's managed processor threads with [`SpinThenYield`], a
//!   `disruptor::wait_strategies::WaitStrategy` that spins [`SPIN_RETRIES`] times then yields
//!   (the harness's [`Wait`] policy); the publisher, whose `publish` busy-spins on a full ring,
//!   uses `try_publish` with the same [`Wait`]. A single producer for one publisher, a multi
//!   producer for two. `disruptor-busyspin` is the crate's `BusySpin` with its own `publish`,
//!   run with a time budget: with more threads than CPUs it may collapse, and then reports
//!   what it published within the budget (marked in [`report`]) instead of hanging the suite.
//! - tokio: `blocking_recv` (no runtime needed). tokio's broadcast never makes a sender wait,
//!   so the lossless workloads run it the way a user who must not lose messages would: the
//!   single publisher waits (the harness's [`Wait`]) while `Sender::len()` (values the slowest
//!   receiver has not seen) equals the capacity, checking `len()` only when its credit runs
//!   out. A subscriber that lags anyway fails verification. One publisher only: the credit
//!   scheme is not sound for several.
//!
//! All rings hold [`CAPACITY`] messages; each fan-out channel holds [`CAPACITY`].

use super::workloads::{Contender, Kind, Sample, Scale, Workload};
use super::{Family, Wait, Watchdog, CAPACITY, SPIN_RETRIES, WATCHDOG_LIMIT};
use hdrhistogram::Histogram;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::spin_loop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use wharf::broadcast::{Builder, Overflow, Publisher, RecvError, SinglePublisher, Subscriber};
use wharf::WaitStrategy;

/// The end marker: each publisher publishes one after its last message.
pub const END: u64 = u64::MAX;

/// Bits of a message value that carry the sequence number; the publisher index sits above.
const SEQ_BITS: u32 = 40;

/// Messages per burst in the latency workload.
pub const BURST: u64 = 100;

/// Pause between bursts in the latency workload.
pub const PAUSE: Duration = Duration::from_micros(200);

/// Time budget of one `disruptor-busyspin` run before it gives up and reports a collapse.
pub const BUSY_BUDGET: Duration = Duration::from_millis(300);

/// Fraction of a workload's size that `disruptor-busyspin` runs.
const BUSY_FACTOR: f64 = 0.05;

const fn fan(
    key: &'static str,
    title: &'static str,
    publishers: usize,
    subscribers: usize,
    ops: u64,
) -> Workload {
    Workload {
        key,
        title,
        kind: Kind::Mpmc {
            producers: publishers,
            consumers: subscribers,
            pinned: false,
        },
        ops,
    }
}

/// Key of the lossy workload.
const LOSSY: &str = "blossy1to2";
/// Key of the burst/pause latency workload.
const LATENCY: &str = "blatency";

/// The broadcast workloads, in the order the suite runs them. `kind` only selects the unit:
/// `Mpmc` (publishers, subscribers) reports Mmsg/s, `PingPong` (the latency run) ns.
pub const WORKLOADS: &[Workload] = &[
    fan(
        "b1to2",
        "broadcast 1 publisher → 2 subscribers, lossless (Mmsg/s published)",
        1,
        2,
        400_000,
    ),
    fan(
        "b1to4",
        "broadcast 1 publisher → 4 subscribers, lossless (Mmsg/s published)",
        1,
        4,
        200_000,
    ),
    fan(
        "b2to2",
        "broadcast 2 publishers → 2 subscribers, lossless (Mmsg/s published)",
        2,
        2,
        400_000,
    ),
    fan(
        LOSSY,
        "broadcast 1 → 2, lossy rings (Mmsg/s published; not comparable with lossless)",
        1,
        2,
        400_000,
    ),
    Workload {
        key: LATENCY,
        title: "broadcast 1 → 2 burst/pause latency, publish→receive p50",
        kind: Kind::PingPong,
        ops: 20_000,
    },
];

/// Whether `workload` is one of the broadcast workloads.
pub fn is_workload(workload: &Workload) -> bool {
    WORKLOADS.iter().any(|w| w.key == workload.key)
}

/// Whether the contender with `key` takes part in `workload`.
pub fn applies(key: &str, workload: &Workload) -> bool {
    let Some(shape) = Shape::of(workload) else {
        return false;
    };
    match key {
        "wharf-bcast" | "wharf-bcast-yield" | "disruptor" | "crossbeam-fanout" => {
            !matches!(shape, Shape::Lossy { .. })
        }
        "bus" | "tokio-bcast" => match shape {
            Shape::Lossless { publishers, .. } => publishers == 1,
            Shape::Latency { .. } => true,
            Shape::Lossy { .. } => false,
        },
        "disruptor-busyspin" => matches!(shape, Shape::Lossless { publishers: 1, .. }),
        "wharf-bcast-lossy" | "tokio-bcast-lossy" => matches!(shape, Shape::Lossy { .. }),
        _ => false,
    }
}

/// Whether `key` is one of the broadcast contenders.
pub fn is_contender(key: &str) -> bool {
    contenders().iter().any(|c| c.key == key)
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Lossless {
        publishers: usize,
        subscribers: usize,
    },
    Lossy {
        subscribers: usize,
    },
    Latency {
        subscribers: usize,
    },
}

impl Shape {
    fn of(workload: &Workload) -> Option<Shape> {
        if !is_workload(workload) {
            return None;
        }
        Some(match (workload.key, workload.kind) {
            (LATENCY, _) => Shape::Latency { subscribers: 2 },
            (LOSSY, Kind::Mpmc { consumers, .. }) => Shape::Lossy {
                subscribers: consumers,
            },
            (
                _,
                Kind::Mpmc {
                    producers,
                    consumers,
                    ..
                },
            ) => Shape::Lossless {
                publishers: producers,
                subscribers: consumers,
            },
            _ => return None,
        })
    }
}

fn contender(
    name: &'static str,
    key: &'static str,
    wharf: bool,
    run: fn(&Workload, &Scale) -> Option<Sample>,
) -> Contender {
    Contender {
        name,
        key,
        family: Family::Bounded,
        wharf,
        run,
    }
}

/// Every broadcast contender.
pub fn contenders() -> Vec<Contender> {
    vec![
        contender(
            WharfBp::<false>::NAME,
            WharfBp::<false>::KEY,
            true,
            run_bcast::<WharfBp<false>>,
        ),
        contender(
            WharfBp::<true>::NAME,
            WharfBp::<true>::KEY,
            true,
            run_bcast::<WharfBp<true>>,
        ),
        contender(
            "disruptor (SP / MP, spin 100 then yield)",
            "disruptor",
            false,
            |w, s| run_disruptor(w, s, false),
        ),
        contender(
            "disruptor BusySpin (budgeted)",
            "disruptor-busyspin",
            false,
            |w, s| run_disruptor(w, s, true),
        ),
        contender(
            BusAdapter::NAME,
            BusAdapter::KEY,
            false,
            run_bcast::<BusAdapter>,
        ),
        contender(
            TokioLossless::NAME,
            TokioLossless::KEY,
            false,
            run_bcast::<TokioLossless>,
        ),
        contender(Fanout::NAME, Fanout::KEY, false, run_bcast::<Fanout>),
        contender(
            WharfLossy::NAME,
            WharfLossy::KEY,
            true,
            run_bcast::<WharfLossy>,
        ),
        contender(
            TokioLossy::NAME,
            TokioLossy::KEY,
            false,
            run_bcast::<TokioLossy>,
        ),
    ]
}

// ---- adapters ---------------------------------------------------------------------------------

/// What a blocking receive returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A message.
    Value(u64),
    /// Lossy: this many messages were overwritten before they were read.
    Lagged(u64),
    /// Every publisher is gone and everything was received.
    Closed,
}

/// A broadcast ring with blocking publish and receive, as a synchronous user calls them.
pub trait BenchBroadcast: 'static {
    /// Name shown in tables.
    const NAME: &'static str;
    /// Short command-line id.
    const KEY: &'static str;
    /// A publishing handle (one per publisher thread).
    type Pub: Send;
    /// A subscribing handle (one per subscriber thread).
    type Sub: Send;
    /// A ring of [`CAPACITY`] with `publishers` publishing handles and `subscribers`
    /// subscribers, all joined before anything is published.
    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>);
    /// Publishes, waiting while the ring is full (lossless rings).
    fn publish(publisher: &mut Self::Pub, value: u64);
    /// Receives, waiting for a message.
    fn recv(subscriber: &mut Self::Sub) -> Received;
}

fn from_wharf(r: Result<u64, RecvError>) -> Received {
    match r {
        Ok(v) => Received::Value(v),
        Err(RecvError::Lagged(n)) => Received::Lagged(n),
        Err(RecvError::Closed) => Received::Closed,
    }
}

/// A wharf publisher: the single-producer handle for one publisher, the cloneable one for more.
pub enum WharfPub {
    /// `build_single`.
    Single(SinglePublisher<u64>),
    /// `build`, cloned per publisher.
    Multi(Publisher<u64>),
}

fn wharf_build(
    builder: Builder,
    publishers: usize,
    subscribers: usize,
) -> (Vec<WharfPub>, Vec<Subscriber<u64>>) {
    let (pubs, first) = if publishers == 1 {
        let (p, s) = builder.build_single::<u64>();
        (vec![WharfPub::Single(p)], s)
    } else {
        let (p, s) = builder.build::<u64>();
        let mut pubs: Vec<WharfPub> = (1..publishers)
            .map(|_| WharfPub::Multi(p.clone()))
            .collect();
        pubs.push(WharfPub::Multi(p));
        (pubs, s)
    };
    let mut subs: Vec<Subscriber<u64>> = (1..subscribers).map(|_| first.resubscribe()).collect();
    subs.push(first);
    (pubs, subs)
}

fn wharf_publish(publisher: &mut WharfPub, value: u64) {
    match publisher {
        WharfPub::Single(p) => p.publish(value),
        WharfPub::Multi(p) => p.publish(value),
    }
}

/// wharf's broadcast ring, backpressure; `YIELD` selects `SpinYield` over the default
/// `SpinPark`.
pub struct WharfBp<const YIELD: bool>;

impl<const YIELD: bool> BenchBroadcast for WharfBp<YIELD> {
    const NAME: &'static str = if YIELD {
        "wharf broadcast (backpressure, SpinYield)"
    } else {
        "wharf broadcast (backpressure, SpinPark)"
    };
    const KEY: &'static str = if YIELD {
        "wharf-bcast-yield"
    } else {
        "wharf-bcast"
    };
    type Pub = WharfPub;
    type Sub = Subscriber<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<WharfPub>, Vec<Subscriber<u64>>) {
        let strategy = if YIELD {
            WaitStrategy::SpinYield
        } else {
            WaitStrategy::SpinPark
        };
        let builder = Builder::new(CAPACITY)
            .overflow(Overflow::Backpressure)
            .wait_strategy(strategy);
        wharf_build(builder, publishers, subscribers)
    }

    fn publish(publisher: &mut WharfPub, value: u64) {
        wharf_publish(publisher, value);
    }

    fn recv(subscriber: &mut Subscriber<u64>) -> Received {
        from_wharf(subscriber.recv())
    }
}

/// wharf's broadcast ring, lossy, default strategy.
pub struct WharfLossy;

impl BenchBroadcast for WharfLossy {
    const NAME: &'static str = "wharf broadcast (lossy, SpinPark)";
    const KEY: &'static str = "wharf-bcast-lossy";
    type Pub = WharfPub;
    type Sub = Subscriber<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<WharfPub>, Vec<Subscriber<u64>>) {
        wharf_build(
            Builder::new(CAPACITY).overflow(Overflow::Lossy),
            publishers,
            subscribers,
        )
    }

    fn publish(publisher: &mut WharfPub, value: u64) {
        wharf_publish(publisher, value);
    }

    fn recv(subscriber: &mut Subscriber<u64>) -> Received {
        from_wharf(subscriber.recv())
    }
}

/// `bus::Bus`: one publisher (`broadcast` takes `&mut self`), parking on both sides.
pub struct BusAdapter;

impl BenchBroadcast for BusAdapter {
    const NAME: &'static str = "bus";
    const KEY: &'static str = "bus";
    type Pub = bus::Bus<u64>;
    type Sub = bus::BusReader<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        assert_eq!(publishers, 1, "bus has a single publisher");
        let mut bus = bus::Bus::new(CAPACITY);
        let subs = (0..subscribers).map(|_| bus.add_rx()).collect();
        (vec![bus], subs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        publisher.broadcast(value);
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        match subscriber.recv() {
            Ok(v) => Received::Value(v),
            Err(_) => Received::Closed,
        }
    }
}

fn from_tokio(r: Result<u64, tokio::sync::broadcast::error::RecvError>) -> Received {
    use tokio::sync::broadcast::error::RecvError as E;
    match r {
        Ok(v) => Received::Value(v),
        Err(E::Lagged(n)) => Received::Lagged(n),
        Err(E::Closed) => Received::Closed,
    }
}

/// tokio's broadcast made lossless by its single publisher: it waits while `len()` says the
/// slowest receiver has not seen a whole capacity of values, calling `len()` only when the
/// credit from the last call is spent.
pub struct TokioLossless;

/// A tokio sender with the credit left from its last `len()`.
pub struct TokioPub {
    tx: tokio::sync::broadcast::Sender<u64>,
    credit: usize,
}

impl BenchBroadcast for TokioLossless {
    const NAME: &'static str = "tokio broadcast (blocking_recv; publisher waits on len())";
    const KEY: &'static str = "tokio-bcast";
    type Pub = TokioPub;
    type Sub = tokio::sync::broadcast::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<TokioPub>, Vec<Self::Sub>) {
        assert_eq!(
            publishers, 1,
            "the len() credit scheme needs a single publisher"
        );
        let (tx, first) = tokio::sync::broadcast::channel(CAPACITY);
        let mut subs: Vec<_> = (1..subscribers).map(|_| tx.subscribe()).collect();
        subs.push(first);
        (vec![TokioPub { tx, credit: 0 }], subs)
    }

    fn publish(publisher: &mut TokioPub, value: u64) {
        if publisher.credit == 0 {
            let mut wait = Wait::new();
            loop {
                // Only this publisher adds values, so `CAPACITY - len` sends cannot overrun
                // the slowest receiver.
                let queued = publisher.tx.len();
                if queued < CAPACITY {
                    publisher.credit = CAPACITY - queued;
                    break;
                }
                wait.pause();
            }
        }
        publisher.credit -= 1;
        publisher
            .tx
            .send(value)
            .expect("tokio broadcast: no receivers");
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        from_tokio(subscriber.blocking_recv())
    }
}

/// tokio's broadcast as it is: the publisher never waits.
pub struct TokioLossy;

impl BenchBroadcast for TokioLossy {
    const NAME: &'static str = "tokio broadcast (lossy, blocking_recv)";
    const KEY: &'static str = "tokio-bcast-lossy";
    type Pub = tokio::sync::broadcast::Sender<u64>;
    type Sub = tokio::sync::broadcast::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        let (tx, first) = tokio::sync::broadcast::channel(CAPACITY);
        let mut subs: Vec<_> = (1..subscribers).map(|_| tx.subscribe()).collect();
        subs.push(first);
        ((0..publishers).map(|_| tx.clone()).collect(), subs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        publisher
            .send(value)
            .expect("tokio broadcast: no receivers");
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        from_tokio(subscriber.blocking_recv())
    }
}

/// N bounded crossbeam-channel channels; a publisher sends a copy to each.
pub struct Fanout;

impl BenchBroadcast for Fanout {
    const NAME: &'static str = "crossbeam-channel fan-out (N bounded channels)";
    const KEY: &'static str = "crossbeam-fanout";
    type Pub = Vec<crossbeam_channel::Sender<u64>>;
    type Sub = crossbeam_channel::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..subscribers)
            .map(|_| crossbeam_channel::bounded(CAPACITY))
            .unzip();
        ((0..publishers).map(|_| txs.clone()).collect(), rxs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        for tx in publisher.iter() {
            tx.send(value).expect("fan-out receiver gone");
        }
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        match subscriber.recv() {
            Ok(v) => Received::Value(v),
            Err(_) => Received::Closed,
        }
    }
}

/// The disruptor wait strategy matching the harness's [`Wait`]: one spin hint per retry for
/// the first [`SPIN_RETRIES`] retries on a sequence, then `yield_now` per retry. The crate calls
/// `wait_for` with `&self` on a `Copy` value, so the retry count lives in a thread-local
/// (each processor runs on its own thread), reset when the awaited sequence changes.
#[derive(Clone, Copy, Debug)]
pub struct SpinThenYield;

thread_local! {
    static DISRUPTOR_WAIT: Cell<(i64, u32)> = const { Cell::new((-1, 0)) };
}

impl disruptor::wait_strategies::WaitStrategy for SpinThenYield {
    #[inline]
    fn wait_for(&self, sequence: disruptor::Sequence) {
        DISRUPTOR_WAIT.with(|w| {
            let (awaited, retries) = w.get();
            let retries = if awaited == sequence { retries } else { 0 };
            if retries < SPIN_RETRIES {
                w.set((sequence, retries + 1));
                spin_loop();
            } else {
                thread::yield_now();
            }
        });
    }
}

// ---- checking ---------------------------------------------------------------------------------

/// Held by every worker thread: a failed check aborts the process at once.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("\n*** a broadcast benchmark worker panicked (see above); aborting. ***");
            std::process::abort();
        }
    }
}

/// The value publisher `p` sends as its `seq`-th message (never [`END`]).
#[inline]
fn message(p: usize, seq: u64) -> u64 {
    ((p as u64) << SEQ_BITS) | seq
}

/// Publish→receive stamps of the latency run: nanoseconds since `epoch` at which message `i`
/// was published, written by the publisher before it publishes `i`.
struct Stamps {
    epoch: Instant,
    sent: Vec<AtomicU64>,
}

impl Stamps {
    fn new(messages: u64) -> Self {
        Stamps {
            epoch: Instant::now(),
            sent: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    #[inline]
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

/// A histogram of nanoseconds, 1 ns to 1 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 1_000_000_000, 3).expect("histogram bounds")
}

/// What one lossless subscriber checks: each publisher's messages arrive exactly in order
/// `0..per`, followed by its end marker; done after one end marker per publisher.
struct Sink {
    what: Arc<str>,
    next: Vec<u64>,
    ends: usize,
    per: u64,
    latency: Option<(Arc<Stamps>, Histogram<u64>)>,
}

impl Sink {
    fn new(what: Arc<str>, publishers: usize, per: u64, stamps: Option<Arc<Stamps>>) -> Self {
        Sink {
            what,
            next: vec![0; publishers],
            ends: 0,
            per,
            latency: stamps.map(|s| (s, histogram())),
        }
    }

    /// Takes one value; true once every publisher's end marker has arrived.
    #[inline]
    fn take(&mut self, value: u64) -> bool {
        if value == END {
            self.ends += 1;
            return self.ends == self.next.len();
        }
        let p = (value >> SEQ_BITS) as usize;
        let seq = value & ((1 << SEQ_BITS) - 1);
        match self.next.get_mut(p) {
            Some(n) if seq == *n && seq < self.per => *n += 1,
            _ => panic!(
                "{}: subscriber got {value:#x} (publisher {p}, seq {seq}), expected seq {:?} \
                 from that publisher",
                self.what,
                self.next.get(p)
            ),
        }
        if let Some((stamps, hist)) = &mut self.latency {
            // Relaxed: the ring's publication of `value` ordered the stamp before it.
            let sent = stamps.sent[seq as usize].load(Ordering::Relaxed);
            let ns = stamps.now().saturating_sub(sent).clamp(1, 1_000_000_000);
            hist.record(ns).expect("latency in bounds");
        }
        false
    }

    /// Checks the counts; returns the latency histogram, if any.
    fn finish(self) -> Option<Histogram<u64>> {
        if self.ends != self.next.len() || self.next.iter().any(|&n| n != self.per) {
            eprintln!(
                "\n*** VERIFICATION FAILED: {}: a subscriber ended with {:?} messages per \
                 publisher and {} end markers, expected {} and {} ***",
                self.what,
                self.next,
                self.ends,
                self.per,
                self.next.len()
            );
            panic!("verification failed: {}", self.what);
        }
        self.latency.map(|(_, h)| h)
    }
}

/// One subscriber's outcome: its start and end stamps and its latency histogram.
type SubResult = (Instant, Instant, Option<Histogram<u64>>);

/// Throughput sample from worker stamps.
fn throughput_sample(starts: &[Instant], subs: &[SubResult], ops: u64) -> Sample {
    let start = starts
        .iter()
        .chain(subs.iter().map(|r| &r.0))
        .min()
        .copied()
        .expect("one worker");
    let end = subs.iter().map(|r| r.1).max().expect("one subscriber");
    let elapsed = end - start;
    Sample {
        value: ops as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed,
        ops,
    }
}

/// Latency sample: p50 of all subscribers' histograms merged; the histogram goes to the notes.
fn latency_sample(key: &'static str, starts: &[Instant], subs: Vec<SubResult>, ops: u64) -> Sample {
    let elapsed = throughput_sample(starts, &subs, ops).elapsed;
    let mut merged = histogram();
    for (_, _, h) in subs {
        merged
            .add(h.expect("latency histogram"))
            .expect("same bounds");
    }
    let p50 = merged.value_at_quantile(0.5) as f64;
    note(key, |n| match &mut n.latency {
        Some(h) => h.add(&merged).expect("same bounds"),
        None => n.latency = Some(merged),
    });
    Sample {
        value: p50,
        elapsed,
        ops,
    }
}

// ---- notes for the report ---------------------------------------------------------------------

/// What the suite's median table cannot show, collected over all rounds of a run.
#[derive(Default)]
struct Note {
    /// Latency histograms of every round, merged.
    latency: Option<Histogram<u64>>,
    /// Lossy: messages received and lagged, summed over subscribers and rounds.
    received: u64,
    lagged: u64,
    /// Busy-spin runs that hit their budget, and runs in all.
    collapsed: usize,
    runs: usize,
}

static NOTES: Mutex<BTreeMap<&'static str, Note>> = Mutex::new(BTreeMap::new());

fn note(key: &'static str, f: impl FnOnce(&mut Note)) {
    let mut notes = NOTES.lock().unwrap_or_else(|e| e.into_inner());
    f(notes.entry(key).or_default());
}

// ---- generic runs -----------------------------------------------------------------------------

/// Runs `workload` once for `B`; `None` if `B` does not take part.
pub fn run_bcast<B: BenchBroadcast>(workload: &Workload, scale: &Scale) -> Option<Sample> {
    if !applies(B::KEY, workload) {
        return None;
    }
    let ops = scale.ops(workload);
    Some(match Shape::of(workload)? {
        Shape::Lossless {
            publishers,
            subscribers,
        } => lossless::<B>(publishers, subscribers, ops / publishers as u64, None),
        Shape::Latency { subscribers } => {
            let messages = (ops / BURST).max(1) * BURST;
            let stamps = Arc::new(Stamps::new(messages));
            let (starts, subs) = lossless_raw::<B>(1, subscribers, messages, Some(stamps));
            latency_sample(B::KEY, &starts, subs, messages)
        }
        Shape::Lossy { subscribers } => lossy::<B>(subscribers, ops),
    })
}

fn lossless<B: BenchBroadcast>(
    publishers: usize,
    subscribers: usize,
    per: u64,
    stamps: Option<Arc<Stamps>>,
) -> Sample {
    let (starts, subs) = lossless_raw::<B>(publishers, subscribers, per, stamps);
    throughput_sample(&starts, &subs, per * publishers as u64)
}

/// `publishers` threads publish `0..per` each and an end marker; `subscribers` threads check
/// everything arrives. With `stamps` (one publisher), publishes in bursts of [`BURST`] with a
/// [`PAUSE`] between and stamps each message's send time.
fn lossless_raw<B: BenchBroadcast>(
    publishers: usize,
    subscribers: usize,
    per: u64,
    stamps: Option<Arc<Stamps>>,
) -> (Vec<Instant>, Vec<SubResult>) {
    assert!(per < 1 << SEQ_BITS);
    assert!(stamps.is_none() || publishers == 1);
    let what: Arc<str> = format!("{} broadcast {publishers}→{subscribers}", B::NAME).into();
    let _watchdog = Watchdog::arm(what.to_string(), WATCHDOG_LIMIT);
    let (pubs, subs) = B::build(publishers, subscribers);
    let barrier = Barrier::new(publishers + subscribers);
    thread::scope(|s| {
        let pub_handles: Vec<_> = pubs
            .into_iter()
            .enumerate()
            .map(|(p, mut handle)| {
                let (barrier, stamps) = (&barrier, stamps.clone());
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    barrier.wait();
                    let start = Instant::now();
                    match stamps {
                        None => {
                            for seq in 0..per {
                                B::publish(&mut handle, message(p, seq));
                            }
                        }
                        Some(stamps) => {
                            for seq in 0..per {
                                if seq > 0 && seq % BURST == 0 {
                                    thread::sleep(PAUSE);
                                }
                                // Relaxed: the ring's publication orders it before the message.
                                stamps.sent[seq as usize].store(stamps.now(), Ordering::Relaxed);
                                B::publish(&mut handle, message(p, seq));
                            }
                        }
                    }
                    B::publish(&mut handle, END);
                    drop(handle);
                    start
                })
            })
            .collect();
        let sub_handles: Vec<_> = subs
            .into_iter()
            .map(|mut handle| {
                let mut sink = Sink::new(what.clone(), publishers, per, stamps.clone());
                let barrier = &barrier;
                let what = &what;
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    barrier.wait();
                    let start = Instant::now();
                    loop {
                        match B::recv(&mut handle) {
                            Received::Value(v) => {
                                if sink.take(v) {
                                    break;
                                }
                            }
                            other => panic!("{what}: lossless subscriber got {other:?}"),
                        }
                    }
                    let end = Instant::now();
                    let hist = sink.finish();
                    match B::recv(&mut handle) {
                        Received::Closed => {}
                        other => panic!("{what}: after the end markers, got {other:?}"),
                    }
                    (start, end, hist)
                })
            })
            .collect();
        let starts = pub_handles
            .into_iter()
            .map(|h| h.join().expect("publisher panicked"))
            .collect();
        let results = sub_handles
            .into_iter()
            .map(|h| h.join().expect("subscriber panicked"))
            .collect();
        (starts, results)
    })
}

/// One publisher publishes `0..n` into a lossy ring and leaves; each subscriber receives until
/// closed, checking that every value is where the lag counts put it and that received plus
/// lagged is `n`.
fn lossy<B: BenchBroadcast>(subscribers: usize, n: u64) -> Sample {
    let what = format!("{} lossy broadcast 1→{subscribers}", B::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (mut pubs, subs) = B::build(1, subscribers);
    let mut publisher = pubs.pop().expect("one publisher");
    let barrier = Barrier::new(1 + subscribers);
    let (start, results) = thread::scope(|s| {
        let handles: Vec<_> = subs
            .into_iter()
            .map(|mut handle| {
                let (barrier, what) = (&barrier, &what);
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    let (mut expected, mut received, mut lagged) = (0u64, 0u64, 0u64);
                    barrier.wait();
                    let start = Instant::now();
                    loop {
                        match B::recv(&mut handle) {
                            Received::Value(v) => {
                                assert_eq!(v, expected, "{what}: value out of place");
                                expected += 1;
                                received += 1;
                            }
                            Received::Lagged(k) => {
                                assert!(k > 0, "{what}: lagged by 0");
                                expected += k;
                                lagged += k;
                            }
                            Received::Closed => break,
                        }
                    }
                    let end = Instant::now();
                    assert_eq!(
                        received + lagged,
                        n,
                        "{what}: received {received} + lagged {lagged} != published {n}"
                    );
                    (start, end, received, lagged)
                })
            })
            .collect();
        let barrier = &barrier;
        let publisher = s.spawn(move || {
            let _guard = AbortOnPanic;
            barrier.wait();
            let start = Instant::now();
            for i in 0..n {
                B::publish(&mut publisher, i);
            }
            drop(publisher);
            start
        });
        let start = publisher.join().expect("publisher panicked");
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("subscriber panicked"))
            .collect();
        (start, results)
    });
    let (received, lagged) = results.iter().fold((0, 0), |(r, l), x| (r + x.2, l + x.3));
    note(B::KEY, |note| {
        note.received += received;
        note.lagged += lagged;
    });
    let subs: Vec<SubResult> = results.iter().map(|r| (r.0, r.1, None)).collect();
    throughput_sample(&[start], &subs, n)
}

// ---- disruptor --------------------------------------------------------------------------------

/// State of one disruptor processor: its sink, its start stamp, where to send its result.
struct Processor {
    /// A failed check panics on the disruptor's own thread; dropping the state while
    /// unwinding aborts at once instead of leaving the publishers waiting on a full ring.
    _guard: AbortOnPanic,
    sink: Option<Sink>,
    start: Instant,
    done: mpsc::Sender<SubResult>,
}

/// The handler and state initialiser of one disruptor processor. The initialiser runs on the
/// processor's thread, which waits there on the start barrier.
fn processor(
    sink: Sink,
    barrier: Arc<Barrier>,
    done: mpsc::Sender<SubResult>,
) -> (
    impl FnMut(&mut Processor, &u64, disruptor::Sequence, bool) + Send + 'static,
    impl FnOnce() -> Processor + Send + 'static,
) {
    let handler = |state: &mut Processor, event: &u64, _: disruptor::Sequence, _: bool| {
        let Some(sink) = state.sink.as_mut() else {
            panic!("disruptor: event after the end markers");
        };
        if sink.take(*event) {
            let end = Instant::now();
            let hist = state.sink.take().expect("sink").finish();
            let _ = state.done.send((state.start, end, hist));
        }
    };
    let init = move || {
        barrier.wait();
        Processor {
            _guard: AbortOnPanic,
            sink: Some(sink),
            start: Instant::now(),
            done,
        }
    };
    (handler, init)
}

/// Adds `$n` (≥ 2) processors made by `$make(i)` to a disruptor builder and builds it.
macro_rules! with_processors {
    ($builder:expr, $n:expr, $make:expr) => {{
        let (h, i) = $make(0);
        let b = $builder.handle_events_and_state_with(h, i);
        let (h, i) = $make(1);
        let mut b = b.handle_events_and_state_with(h, i);
        for k in 2..$n {
            let (h, i) = $make(k);
            b = b.handle_events_and_state_with(h, i);
        }
        b.build()
    }};
}

/// Publishes `value` through a disruptor producer: `try_publish` with the harness's [`Wait`],
/// or (`busy`) bare retries as the crate's `publish` does, giving up at `deadline`.
#[inline]
fn disruptor_publish<P: disruptor::Producer<u64>>(
    producer: &mut P,
    value: u64,
    busy: bool,
    deadline: Instant,
) -> bool {
    let mut wait = Wait::new();
    let mut tries = 0u32;
    while producer.try_publish(|e| *e = value).is_err() {
        if busy {
            tries = tries.wrapping_add(1);
            if tries % 4096 == 0 && Instant::now() >= deadline {
                return false;
            }
        } else {
            wait.pause();
        }
    }
    true
}

/// What a publisher thread of a disruptor run reports: its start, whether it finished, and how
/// many messages it published.
type PubResult = (Instant, bool, u64);

fn disruptor_publisher<P: disruptor::Producer<u64>>(
    mut producer: P,
    p: usize,
    per: u64,
    busy: bool,
    budget: Duration,
    barrier: &Barrier,
    stamps: Option<&Stamps>,
) -> PubResult {
    let _guard = AbortOnPanic;
    barrier.wait();
    let start = Instant::now();
    let deadline = start + budget;
    let mut finished = true;
    let mut published = 0;
    for seq in 0..per {
        if let Some(stamps) = stamps {
            if seq > 0 && seq % BURST == 0 {
                thread::sleep(PAUSE);
            }
            stamps.sent[seq as usize].store(stamps.now(), Ordering::Relaxed);
        }
        if !disruptor_publish(&mut producer, message(p, seq), busy, deadline) {
            finished = false;
            break;
        }
        published += 1;
    }
    if finished {
        // The end marker may still have to wait for a collapsed ring; give it time.
        let deadline = Instant::now() + budget;
        finished = disruptor_publish(&mut producer, END, busy, deadline);
    }
    // Dropping the last producer shuts the disruptor down and joins its processors.
    drop(producer);
    (start, finished, published)
}

/// Runs `workload` once on the disruptor; `busy` uses `BusySpin` and a time budget.
fn run_disruptor(workload: &Workload, scale: &Scale, busy: bool) -> Option<Sample> {
    let key = if busy {
        "disruptor-busyspin"
    } else {
        "disruptor"
    };
    if !applies(key, workload) {
        return None;
    }
    let ops = scale.ops(workload);
    let (publishers, subscribers, per, stamps) = match Shape::of(workload)? {
        Shape::Lossless {
            publishers,
            subscribers,
        } => {
            let ops = if busy {
                ((ops as f64 * BUSY_FACTOR) as u64).max(1000)
            } else {
                ops
            };
            (publishers, subscribers, ops / publishers as u64, None)
        }
        Shape::Latency { subscribers } => {
            let messages = (ops / BURST).max(1) * BURST;
            (
                1,
                subscribers,
                messages,
                Some(Arc::new(Stamps::new(messages))),
            )
        }
        Shape::Lossy { .. } => return None,
    };
    let run = Run {
        key,
        publishers,
        subscribers,
        per,
        stamps,
        busy,
    };
    let (starts, done) = if busy {
        run.go(disruptor::BusySpin)
    } else {
        run.go(SpinThenYield)
    };
    finish_disruptor(
        workload,
        key,
        subscribers,
        per * publishers as u64,
        starts,
        done,
    )
}

/// One disruptor run.
struct Run {
    key: &'static str,
    publishers: usize,
    subscribers: usize,
    per: u64,
    stamps: Option<Arc<Stamps>>,
    /// Publish by bare retries within [`BUSY_BUDGET`] instead of `try_publish` + [`Wait`].
    busy: bool,
}

impl Run {
    /// Builds the disruptor with `wait` for its processors, runs the publishers, and returns
    /// their results and the processors' (every processor has been joined by then).
    fn go<W: disruptor::wait_strategies::WaitStrategy + 'static>(
        self,
        wait: W,
    ) -> (Vec<PubResult>, mpsc::Receiver<SubResult>) {
        let Run {
            key,
            publishers,
            subscribers,
            per,
            stamps,
            busy,
        } = self;
        let what: Arc<str> = format!("{key} broadcast {publishers}→{subscribers}").into();
        let _watchdog = Watchdog::arm(what.to_string(), WATCHDOG_LIMIT);
        let barrier = Arc::new(Barrier::new(publishers + subscribers));
        let (done_tx, done_rx) = mpsc::channel::<SubResult>();
        let make = |_: usize| {
            processor(
                Sink::new(what.clone(), publishers, per, stamps.clone()),
                barrier.clone(),
                done_tx.clone(),
            )
        };
        // Without a budget (spin-then-yield), the watchdog is the limit.
        let budget = if busy { BUSY_BUDGET } else { WATCHDOG_LIMIT };
        let (barrier, stamps) = (&*barrier, stamps.as_deref());
        let results = if publishers == 1 {
            let producer = with_processors!(
                disruptor::build_single_producer(CAPACITY, || 0u64, wait),
                subscribers,
                make
            );
            thread::scope(|s| {
                vec![s
                    .spawn(move || {
                        disruptor_publisher(producer, 0, per, busy, budget, barrier, stamps)
                    })
                    .join()
                    .expect("publisher panicked")]
            })
        } else {
            let producer = with_processors!(
                disruptor::build_multi_producer(CAPACITY, || 0u64, wait),
                subscribers,
                make
            );
            thread::scope(|s| {
                let handles: Vec<_> = (0..publishers)
                    .map(|p| {
                        let producer = producer.clone();
                        s.spawn(move || {
                            disruptor_publisher(producer, p, per, busy, budget, barrier, stamps)
                        })
                    })
                    .collect();
                drop(producer);
                handles
                    .into_iter()
                    .map(|h| h.join().expect("publisher panicked"))
                    .collect()
            })
        };
        (results, done_rx)
    }
}

/// Collects the processors' results (all processors have been joined by the last producer's
/// drop) into a sample; a busy-spin run that hit its budget reports what it published in it.
fn finish_disruptor(
    workload: &Workload,
    key: &'static str,
    subscribers: usize,
    ops: u64,
    publishers: Vec<PubResult>,
    done: mpsc::Receiver<SubResult>,
) -> Option<Sample> {
    let subs: Vec<SubResult> = done.try_iter().collect();
    let starts: Vec<Instant> = publishers.iter().map(|r| r.0).collect();
    let finished = publishers.iter().all(|r| r.1);
    note(key, |n| {
        n.runs += 1;
        n.collapsed += usize::from(!finished);
    });
    if !finished {
        // What was published within the budget bounds what was delivered.
        let published: u64 = publishers.iter().map(|r| r.2).sum();
        eprint!(" (collapsed: {published} of {ops} published within {BUSY_BUDGET:?})");
        return Some(Sample {
            value: published as f64 / BUSY_BUDGET.as_secs_f64() / 1e6,
            elapsed: BUSY_BUDGET,
            ops: published,
        });
    }
    assert_eq!(
        subs.len(),
        subscribers,
        "{key}: {} of {subscribers} processors reported",
        subs.len()
    );
    Some(
        if Shape::of(workload).is_some_and(|s| matches!(s, Shape::Latency { .. })) {
            latency_sample(key, &starts, subs, ops)
        } else {
            throughput_sample(&starts, &subs, ops)
        },
    )
}

// ---- report -----------------------------------------------------------------------------------

fn name_of(key: &str) -> &'static str {
    contenders()
        .into_iter()
        .find(|c| c.key == key)
        .map_or("?", |c| c.name)
}

/// The broadcast section of the suite's report that its ratio tables do not cover: latency
/// percentiles, lossy delivery, busy-spin collapses. Empty when no broadcast workload ran.
pub fn report() -> String {
    let mut out = String::new();
    let notes = NOTES.lock().unwrap_or_else(|e| e.into_inner());
    if notes.is_empty() {
        return out;
    }
    let latency: Vec<_> = notes
        .iter()
        .filter_map(|(k, n)| n.latency.as_ref().map(|h| (*k, h)))
        .collect();
    if !latency.is_empty() {
        let _ = writeln!(
            out,
            "\n### Broadcast burst/pause latency (1 → 2; bursts of {BURST}, {PAUSE:?} pauses; \
             publish→receive, all rounds and subscribers merged)\n\n\
             | contender | p50 ns | p99 ns | p99.9 ns | max ns | samples |\n|---|---:|---:|---:|---:|---:|"
        );
        for (k, h) in latency {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                name_of(k),
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.value_at_quantile(0.999),
                h.max(),
                h.len()
            );
        }
    }
    let lossy: Vec<_> = notes
        .iter()
        .filter(|(_, n)| n.received + n.lagged > 0)
        .collect();
    if !lossy.is_empty() {
        let _ = writeln!(
            out,
            "\n### Broadcast lossy delivery ({LOSSY}; every message is received or counted \
             lagged, checked)\n\n| contender | delivered | lagged |\n|---|---:|---:|"
        );
        for (k, n) in lossy {
            let all = (n.received + n.lagged) as f64;
            let _ = writeln!(
                out,
                "| {} | {:.1}% | {:.1}% |",
                name_of(k),
                100.0 * n.received as f64 / all,
                100.0 * n.lagged as f64 / all
            );
        }
    }
    if let Some(n) = notes.get("disruptor-busyspin") {
        let _ = writeln!(
            out,
            "\ndisruptor BusySpin ran {:.0}% of each workload's size with a {BUSY_BUDGET:?} \
             budget: {} of {} runs collapsed (hit the budget; their figure is what was published within \
             it).",
            BUSY_FACTOR * 100.0,
            n.collapsed,
            n.runs
        );
    }
    let _ = writeln!(
        out,
        "\nBroadcast notes: disruptor processors wait by spin-{SPIN_RETRIES}-then-yield (a \
         `WaitStrategy` impl), its publisher by `try_publish` plus the same policy; tokio \
         (lossless rows) is tokio's lossy broadcast with a publisher that waits on `len()`; \
         bus and tokio take one publisher only."
    );
    out
}
