//! The broadcast (publish/subscribe) section: the [`BenchBroadcast`] adapter trait, the
//! broadcast workloads, their generic runs and checks, and the report notes the ratio tables
//! cannot show. The adapters of wharf's broadcast ring and its peers (`bus`, tokio's
//! `broadcast`, a fan-out of N crossbeam-channel channels) are in
//! [`super::broadcast_adapters`]; the `disruptor` crate, which runs its own consumer threads,
//! in [`super::disruptor_adapter`].
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
//! - disruptor: consumers are the crate's managed processor threads with
//!   [`SpinThenYield`](super::disruptor_adapter::SpinThenYield), a
//!   `disruptor::wait_strategies::WaitStrategy` that spins `SPIN_RETRIES` times then yields
//!   (the harness's `Wait` policy); the publisher, whose `publish` busy-spins on a full ring,
//!   uses `try_publish` with the same `Wait`. A single producer for one publisher, a multi
//!   producer for two. `disruptor-busyspin` is the crate's `BusySpin` with its own `publish`,
//!   run with a time budget: with more threads than CPUs it may collapse, and then reports
//!   what it published within the budget (marked in [`report`]) instead of hanging the suite.
//! - tokio: `blocking_recv` (no runtime needed). tokio's broadcast never makes a sender wait,
//!   so the lossless workloads run it the way a user who must not lose messages would: the
//!   single publisher waits (the harness's `Wait`) while `Sender::len()` (values the slowest
//!   receiver has not seen) equals the capacity, checking `len()` only when its credit runs
//!   out. A subscriber that lags anyway fails verification. One publisher only: the credit
//!   scheme is not sound for several.
//!
//! All rings hold [`CAPACITY`](super::CAPACITY) messages; each fan-out channel holds [`CAPACITY`](super::CAPACITY).

use super::broadcast_adapters::{
    BusAdapter, Fanout, TokioLossless, TokioLossy, WharfBp, WharfBpYield, WharfLossy,
};
use super::check::{histogram, message, split, AbortOnPanic};
use super::contender::{Contender, Kind, Named, Sample, Scale, Workload};
use super::disruptor_adapter;
use super::{Watchdog, SPIN_RETRIES, WATCHDOG_LIMIT};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use super::check::END;

/// Messages per burst in the latency workload.
pub const BURST: u64 = 100;

/// Pause between bursts in the latency workload.
pub const PAUSE: Duration = Duration::from_micros(200);

/// Time budget of one `disruptor-busyspin` run before it gives up and reports a collapse.
pub const BUSY_BUDGET: Duration = Duration::from_millis(300);

/// Fraction of a workload's size that `disruptor-busyspin` runs.
pub const BUSY_FACTOR: f64 = 0.02;

const fn fan(
    key: &'static str,
    title: &'static str,
    publishers: usize,
    subscribers: usize,
    ops: u64,
) -> Workload {
    Workload::mpmc(key, title, publishers, subscribers, false, ops)
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
    Workload::round_trip(
        LATENCY,
        "broadcast 1 → 2 burst/pause latency, publish→receive p50",
        20_000,
    ),
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

/// What a broadcast workload asks for.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
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
    /// The shape of `workload`, if it is a broadcast one.
    pub fn of(workload: &Workload) -> Option<Shape> {
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

/// Every broadcast contender.
pub fn contenders() -> Vec<Contender> {
    let [disruptor, disruptor_busy] = disruptor_adapter::contenders();
    vec![
        ring::<WharfBp>(),
        ring::<WharfBpYield>(),
        disruptor,
        disruptor_busy,
        ring::<BusAdapter>(),
        ring::<TokioLossless>(),
        ring::<Fanout>(),
        ring::<WharfLossy>(),
        ring::<TokioLossy>(),
    ]
}

/// The contender of a [`BenchBroadcast`].
fn ring<B: BenchBroadcast>() -> Contender {
    Contender::of::<B>(run_bcast::<B>, |workload| applies(B::KEY, workload))
}

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
pub trait BenchBroadcast: Named + 'static {
    /// A publishing handle (one per publisher thread).
    type Pub: Send;
    /// A subscribing handle (one per subscriber thread).
    type Sub: Send;
    /// A ring of [`CAPACITY`](super::CAPACITY) with `publishers` publishing handles and `subscribers`
    /// subscribers, all joined before anything is published.
    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>);
    /// Publishes, waiting while the ring is full (lossless rings).
    fn publish(publisher: &mut Self::Pub, value: u64);
    /// Receives, waiting for a message.
    fn recv(subscriber: &mut Self::Sub) -> Received;
}

/// Publish→receive stamps of the latency run: nanoseconds since `epoch` at which message `i`
/// was published, written by the publisher before it publishes `i`.
pub struct Stamps {
    epoch: Instant,
    sent: Vec<AtomicU64>,
}

impl Stamps {
    /// Stamps for `messages` messages, from now.
    pub fn new(messages: u64) -> Self {
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

/// Histogram ceiling of the publish→receive latencies, ns.
const LATENCY_MAX_NS: u64 = 1_000_000_000;

/// What one lossless subscriber checks: each publisher's messages arrive exactly in order
/// `0..per`, followed by its end marker; done after one end marker per publisher.
pub struct Sink {
    what: Arc<str>,
    next: Vec<u64>,
    ends: usize,
    per: u64,
    latency: Option<(Arc<Stamps>, Histogram<u64>)>,
}

impl Sink {
    /// A subscriber's check of `publishers` × `per` messages, recording latencies if `stamps`.
    pub fn new(what: Arc<str>, publishers: usize, per: u64, stamps: Option<Arc<Stamps>>) -> Self {
        Sink {
            what,
            next: vec![0; publishers],
            ends: 0,
            per,
            latency: stamps.map(|s| (s, histogram(LATENCY_MAX_NS))),
        }
    }

    /// Takes one value; true once every publisher's end marker has arrived.
    #[inline]
    pub fn take(&mut self, value: u64) -> bool {
        if value == END {
            self.ends += 1;
            return self.ends == self.next.len();
        }
        let (p, seq) = split(value);
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
    pub fn finish(self) -> Option<Histogram<u64>> {
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

/// Publishes publisher `p`'s messages `0..per` through `publish`, stopping at the first it
/// refuses (returns false); with `stamps` (the latency run), in bursts of [`BURST`] with a
/// [`PAUSE`] between, each message's send time stamped just before it is published. Returns
/// how many were published.
#[inline]
pub fn publish_all(
    p: usize,
    per: u64,
    stamps: Option<&Stamps>,
    mut publish: impl FnMut(u64) -> bool,
) -> u64 {
    match stamps {
        None => {
            for seq in 0..per {
                if !publish(message(p, seq)) {
                    return seq;
                }
            }
        }
        Some(stamps) => {
            for seq in 0..per {
                if seq > 0 && seq % BURST == 0 {
                    thread::sleep(PAUSE);
                }
                // Relaxed: the ring's publication orders it before the message.
                stamps.sent[seq as usize].store(stamps.now(), Ordering::Relaxed);
                if !publish(message(p, seq)) {
                    return seq;
                }
            }
        }
    }
    per
}

/// One subscriber's outcome: its start and end stamps and its latency histogram.
pub type SubResult = (Instant, Instant, Option<Histogram<u64>>);

/// Throughput sample from worker stamps.
pub fn throughput_sample(starts: &[Instant], subs: &[SubResult], ops: u64) -> Sample {
    let starts = starts.iter().chain(subs.iter().map(|r| &r.0)).copied();
    Sample::span(starts, subs.iter().map(|r| r.1), ops)
}

/// Latency sample: p50 of all subscribers' histograms merged; the histogram goes to the notes.
pub fn latency_sample(
    key: &'static str,
    starts: &[Instant],
    subs: Vec<SubResult>,
    ops: u64,
) -> Sample {
    let elapsed = throughput_sample(starts, &subs, ops).elapsed;
    let mut merged = histogram(LATENCY_MAX_NS);
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
pub struct Note {
    /// Latency histograms of every round, merged.
    latency: Option<Histogram<u64>>,
    /// Lossy: messages received and lagged, summed over subscribers and rounds.
    received: u64,
    lagged: u64,
    /// Busy-spin runs that hit their budget, and runs in all.
    pub collapsed: usize,
    pub runs: usize,
}

static NOTES: Mutex<BTreeMap<&'static str, Note>> = Mutex::new(BTreeMap::new());

/// Adds to the notes of the contender with `key`.
pub fn note(key: &'static str, f: impl FnOnce(&mut Note)) {
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
    assert!(per < 1 << super::check::SEQ_BITS);
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
                    publish_all(p, per, stamps.as_deref(), |value| {
                        B::publish(&mut handle, value);
                        true
                    });
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
