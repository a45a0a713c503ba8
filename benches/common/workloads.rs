//! The workloads, generic over [`BenchQueue`], and the list of contenders that run them.
//!
//! Every workload checks what arrived (count, sum and sum of squares of the values, plus
//! per-producer order as each consumer sees it) before its time is reported, and panics on a
//! mismatch. Every run is watched by a [`Watchdog`].
//!
//! # Timing
//!
//! Workers wait on a `Barrier` and each stamps its own start `Instant` when released; a run
//! starts at the earliest stamp and ends at the latest consumer's end stamp (taken when it
//! receives its end marker, i.e. after its last real message). The main thread takes no part
//! in timing: on two CPUs it can be descheduled for milliseconds right after the barrier opens,
//! which would shorten (or lengthen) the measured interval arbitrarily.
//!
//! # Adding contenders later (channels, broadcast)
//!
//! A [`Contender`] is a name plus a function pointer `fn(&Workload, &Scale) -> Option<Sample>`,
//! so a contender need not be a [`BenchQueue`]: blocking channels (crossbeam-channel, flume,
//! kanal, `std::sync::mpsc::sync_channel`, Mutex+Condvar) can get a `BenchChannel` adapter
//! trait with blocking `send`/`recv` and their own generic workload functions returning
//! [`Sample`]s, and broadcast rings (disruptor, bus, tokio broadcast) a `BenchBroadcast` with
//! a fan-out workload whose subscribers each verify `1..=N` in order. They then only need to
//! be listed in a contender list and in the suite's comparisons; the suite's interleaving,
//! tables, ratios and chart work on any `Contender`.

use super::adapters::{
    ConcurrentBounded, ConcurrentUnbounded, CrossbeamArray, CrossbeamSeg, EmptyLoop, WharfArray,
    WharfArrayB1, WharfArrayB256, WharfArrayB32, WharfArrayB8, WharfLinked, WharfLinkedB1,
    WharfLinkedB256, WharfLinkedB32, WharfLinkedB8,
};
use super::{cpu_pair, pin, pop_wait, push_wait, BenchQueue, Family, Wait, Watchdog};
use super::{CAPACITY, WATCHDOG_LIMIT};
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

/// The end marker: one is sent per consumer after the last real message.
pub const END: u64 = u64::MAX;

/// Bits of a message value that carry the sequence number; the producer index sits above.
const SEQ_BITS: u32 = 40;

/// What a workload reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Million messages per second (higher is better).
    MmsgPerSec,
    /// Nanoseconds per operation: a round trip or a push+pop pair (lower is better).
    Ns,
}

impl Unit {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Unit::MmsgPerSec => "Mmsg/s",
            Unit::Ns => "ns",
        }
    }

    /// Whether a bigger figure is better.
    pub fn higher_is_better(self) -> bool {
        self == Unit::MmsgPerSec
    }
}

/// The shape of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `producers` threads push, `consumers` threads pop, through one queue of
    /// [`CAPACITY`]; pinned to two different CPUs when `pinned` (1P1C only).
    Mpmc {
        /// Producer threads.
        producers: usize,
        /// Consumer threads.
        consumers: usize,
        /// Pin producer to the first CPU and consumer to the second.
        pinned: bool,
    },
    /// A round trip through two capacity-1 queues between two pinned threads.
    PingPong,
    /// One thread: push then pop, repeatedly.
    SingleThread,
}

/// One workload: a name, a shape and a default size.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Short id used on the command line and in criterion group names, e.g. "1p1c".
    pub key: &'static str,
    /// Description for tables.
    pub title: &'static str,
    /// Shape.
    pub kind: Kind,
    /// Messages (throughput), round trips (ping-pong) or pairs (single thread) in a default
    /// run; scaled by [`Scale`].
    pub ops: u64,
}

impl Workload {
    /// The unit this workload reports in.
    pub fn unit(&self) -> Unit {
        match self.kind {
            Kind::Mpmc { .. } => Unit::MmsgPerSec,
            Kind::PingPong | Kind::SingleThread => Unit::Ns,
        }
    }
}

/// Every workload, in the order the suite runs and prints them.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        key: "1p1c",
        title: "1P1C (pinned to 2 CPUs)",
        kind: Kind::Mpmc {
            producers: 1,
            consumers: 1,
            pinned: true,
        },
        ops: 5_000_000,
    },
    Workload {
        key: "2p2c",
        title: "2P2C",
        kind: Kind::Mpmc {
            producers: 2,
            consumers: 2,
            pinned: false,
        },
        ops: 3_000_000,
    },
    Workload {
        key: "4p4c",
        title: "4P4C (oversubscribed)",
        kind: Kind::Mpmc {
            producers: 4,
            consumers: 4,
            pinned: false,
        },
        ops: 3_000_000,
    },
    Workload {
        key: "4p1c",
        title: "4P1C",
        kind: Kind::Mpmc {
            producers: 4,
            consumers: 1,
            pinned: false,
        },
        ops: 3_000_000,
    },
    Workload {
        key: "8p8c",
        title: "8P8C (oversubscribed)",
        kind: Kind::Mpmc {
            producers: 8,
            consumers: 8,
            pinned: false,
        },
        ops: 3_000_000,
    },
    Workload {
        key: "pingpong",
        title: "ping-pong round trip (pinned, cap 1)",
        kind: Kind::PingPong,
        ops: 50_000,
    },
    Workload {
        key: "single",
        title: "single-thread push+pop",
        kind: Kind::SingleThread,
        ops: 5_000_000,
    },
];

/// How much of each workload's default size to run.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Multiplier on [`Workload::ops`].
    pub factor: f64,
}

impl Scale {
    /// The operation count of `workload` at this scale (at least 1000, rounded to a multiple
    /// of the producer count so every producer sends the same number).
    pub fn ops(&self, workload: &Workload) -> u64 {
        let ops = ((workload.ops as f64 * self.factor) as u64).max(1000);
        match workload.kind {
            Kind::Mpmc { producers, .. } => ops / producers as u64 * producers as u64,
            _ => ops,
        }
    }
}

/// The outcome of one verified run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The reported figure, in the workload's [`Unit`].
    pub value: f64,
    /// The timed interval (for criterion's `iter_custom`).
    pub elapsed: Duration,
    /// Messages, round trips or pairs in the run.
    pub ops: u64,
}

/// A contender: something that can run workloads.
#[derive(Clone, Copy, Debug)]
pub struct Contender {
    /// Name for tables.
    pub name: &'static str,
    /// Short id.
    pub key: &'static str,
    /// Bounded, unbounded, or a reference.
    pub family: Family,
    /// One of wharf's own.
    pub wharf: bool,
    /// Runs one workload once; `None` when this contender does not take part in it.
    pub run: fn(&Workload, &Scale) -> Option<Sample>,
}

impl Contender {
    /// Whether this contender takes part in `workload`.
    pub fn applies(&self, workload: &Workload) -> bool {
        match self.family {
            Family::Bounded | Family::Unbounded => {
                !BATCH_ONLY.contains(&self.key) || matches!(workload.kind, Kind::Mpmc { .. })
            }
            Family::Reference => match self.key {
                ATOMIC_KEY => workload.kind == Kind::PingPong,
                _ => workload.kind == Kind::SingleThread,
            },
        }
    }
}

/// Contenders that move batches: the throughput workloads only.
const BATCH_ONLY: &[&str] = &[
    WharfArrayB1::KEY,
    WharfArrayB8::KEY,
    WharfArrayB32::KEY,
    WharfArrayB256::KEY,
    WharfLinkedB1::KEY,
    WharfLinkedB8::KEY,
    WharfLinkedB32::KEY,
    WharfLinkedB256::KEY,
];

/// The contender for a [`BenchQueue`].
pub fn queue_contender<Q: BenchQueue>() -> Contender {
    Contender {
        name: Q::NAME,
        key: Q::KEY,
        family: Q::FAMILY,
        wharf: Q::WHARF,
        run: run_queue::<Q>,
    }
}

/// Key of the bare atomic ping-pong reference.
pub const ATOMIC_KEY: &str = "atomic";

/// The bare atomic ping-pong, as a contender of the ping-pong workload.
pub fn atomic_contender() -> Contender {
    Contender {
        name: "bare atomic ping-pong",
        key: ATOMIC_KEY,
        family: Family::Reference,
        wharf: false,
        run: |workload, scale| {
            (workload.kind == Kind::PingPong).then(|| atomic_ping_pong(scale.ops(workload)))
        },
    }
}

/// Every contender of the queue suite: wharf's two queues, their four peers, and the two
/// references (bare atomic ping-pong, empty single-thread loop).
pub fn contenders() -> Vec<Contender> {
    vec![
        queue_contender::<WharfArray>(),
        queue_contender::<CrossbeamArray>(),
        queue_contender::<ConcurrentBounded>(),
        queue_contender::<WharfLinked>(),
        queue_contender::<WharfArrayB1>(),
        queue_contender::<WharfArrayB8>(),
        queue_contender::<WharfArrayB32>(),
        queue_contender::<WharfArrayB256>(),
        queue_contender::<WharfLinkedB1>(),
        queue_contender::<WharfLinkedB8>(),
        queue_contender::<WharfLinkedB32>(),
        queue_contender::<WharfLinkedB256>(),
        queue_contender::<CrossbeamSeg>(),
        queue_contender::<ConcurrentUnbounded>(),
        atomic_contender(),
        queue_contender::<EmptyLoop>(),
    ]
}

/// Runs `workload` once on a fresh `Q`.
pub fn run_queue<Q: BenchQueue>(workload: &Workload, scale: &Scale) -> Option<Sample> {
    let ops = scale.ops(workload);
    match workload.kind {
        Kind::Mpmc {
            producers,
            consumers,
            pinned,
        } => {
            if Q::FAMILY == Family::Reference {
                return None;
            }
            Some(mpmc::<Q>(
                producers,
                consumers,
                ops / producers as u64,
                pinned,
            ))
        }
        Kind::PingPong => {
            (Q::FAMILY != Family::Reference && Q::BATCH == 0).then(|| ping_pong::<Q>(ops))
        }
        Kind::SingleThread => (Q::BATCH == 0).then(|| single_thread::<Q>(ops)),
    }
}

/// Count, sum and sum of squares of values (wrapping): a lost, duplicated or corrupted value
/// changes at least one; a swap changes none, which per-producer order checks cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Number of values.
    pub count: u64,
    /// Wrapping sum.
    pub sum: u64,
    /// Wrapping sum of squares.
    pub squares: u64,
}

impl Tally {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, value: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(value);
        self.squares = self.squares.wrapping_add(value.wrapping_mul(value));
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        self.count += other.count;
        self.sum = self.sum.wrapping_add(other.sum);
        self.squares = self.squares.wrapping_add(other.squares);
    }
}

/// Held by every worker thread: if the worker panics (a failed check), the whole process
/// aborts at once instead of leaving its peers spinning on a queue nobody drains until the
/// watchdog fires.
struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("\n*** a benchmark worker panicked (see above); aborting. ***");
            std::process::abort();
        }
    }
}

/// Panics loudly unless `got == expected`.
fn verify(what: &str, got: Tally, expected: Tally) {
    if got != expected {
        eprintln!("\n*** VERIFICATION FAILED: {what}: got {got:?}, expected {expected:?} ***");
        panic!("verification failed: {what}");
    }
}

/// The value producer `p` sends as its `seq`-th message (never [`END`]).
#[inline]
fn message(p: usize, seq: u64) -> u64 {
    ((p as u64) << SEQ_BITS) | seq
}

/// `producers` threads each push `per_producer` messages; `consumers` threads pop until they
/// see an end marker. The last producer to finish pushes one end marker per consumer.
pub fn mpmc<Q: BenchQueue>(
    producers: usize,
    consumers: usize,
    per_producer: u64,
    pinned: bool,
) -> Sample {
    assert!(per_producer < 1 << SEQ_BITS);
    let what = format!("{} {producers}P{consumers}C", Q::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let queue = Q::build(CAPACITY);
    let cores = if pinned { cpu_pair() } else { None };
    let barrier = Barrier::new(producers + consumers);
    let producing = AtomicUsize::new(producers);

    let (starts, results) = thread::scope(|s| {
        let producer_handles: Vec<_> = (0..producers)
            .map(|p| {
                let (queue, barrier, producing) = (&queue, &barrier, &producing);
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.0));
                    barrier.wait();
                    let start = Instant::now();
                    if Q::BATCH == 0 {
                        for seq in 0..per_producer {
                            push_wait(queue, message(p, seq));
                        }
                    } else {
                        push_batches(queue, (0..per_producer).map(|seq| message(p, seq)));
                    }
                    if producing.fetch_sub(1, Ordering::AcqRel) == 1 {
                        for _ in 0..consumers {
                            push_wait(queue, END);
                        }
                    }
                    start
                })
            })
            .collect();
        let consumer_handles: Vec<_> = (0..consumers)
            .map(|_| {
                let (queue, barrier) = (&queue, &barrier);
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.1));
                    // Last sequence seen from each producer, +1 (0 = none yet).
                    let mut next = vec![0u64; producers];
                    let mut tally = Tally::default();
                    barrier.wait();
                    let start = Instant::now();
                    let mut popped = Popped::new::<Q>();
                    loop {
                        let value = popped.next(queue);
                        if value == END {
                            // With batches, the end markers of other consumers may have come
                            // in the same batch: give them back. (Every real message was
                            // pushed before the first marker, so nothing else follows one.)
                            for rest in popped.rest() {
                                assert_eq!(rest, END, "{}: a message after an end marker", Q::NAME);
                                push_wait(queue, END);
                            }
                            break;
                        }
                        let p = (value >> SEQ_BITS) as usize;
                        let seq = value & ((1 << SEQ_BITS) - 1);
                        match next.get_mut(p) {
                            Some(n) if seq >= *n => *n = seq + 1,
                            _ => panic!(
                                "{}: out of order or corrupt value {value:#x} (producer {p}, \
                                 seq {seq})",
                                Q::NAME
                            ),
                        }
                        tally.add(value);
                    }
                    (start, Instant::now(), tally)
                })
            })
            .collect();
        let starts: Vec<Instant> = producer_handles
            .into_iter()
            .map(|h| h.join().expect("producer panicked"))
            .collect();
        let results: Vec<(Instant, Instant, Tally)> = consumer_handles
            .into_iter()
            .map(|h| h.join().expect("consumer panicked"))
            .collect();
        (starts, results)
    });

    let mut got = Tally::default();
    let mut expected = Tally::default();
    for &(_, _, tally) in &results {
        got.merge(tally);
    }
    for p in 0..producers {
        for seq in 0..per_producer {
            expected.add(message(p, seq));
        }
    }
    verify(&what, got, expected);
    if let Some(left) = queue.pop() {
        panic!("{what}: value {left:#x} left in the queue after the end markers");
    }

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

/// Pushes `values` in runs of `Q::BATCH` through `push_batch`, waiting by [`Wait`] while
/// the queue has no room.
fn push_batches<Q: BenchQueue>(queue: &Q, mut values: impl Iterator<Item = u64>) {
    let mut run = Vec::with_capacity(Q::BATCH);
    loop {
        run.extend(values.by_ref().take(Q::BATCH - run.len()));
        if run.is_empty() {
            return;
        }
        let mut wait = Wait::new();
        while queue.push_batch(&mut run) == 0 {
            wait.pause();
        }
    }
}

/// A consumer's source of values: single pops, or (`Q::BATCH > 0`) batches of up to
/// `Q::BATCH` handed out one by one; either way waiting by [`Wait`] while the queue is empty.
struct Popped {
    buffer: Vec<u64>,
    taken: usize,
}

impl Popped {
    fn new<Q: BenchQueue>() -> Self {
        Popped {
            buffer: Vec::with_capacity(Q::BATCH),
            taken: 0,
        }
    }

    #[inline]
    fn next<Q: BenchQueue>(&mut self, queue: &Q) -> u64 {
        if Q::BATCH == 0 {
            return pop_wait(queue);
        }
        if self.taken == self.buffer.len() {
            self.buffer.clear();
            self.taken = 0;
            let mut wait = Wait::new();
            while queue.pop_batch(&mut self.buffer, Q::BATCH) == 0 {
                wait.pause();
            }
        }
        self.taken += 1;
        self.buffer[self.taken - 1]
    }

    /// The values of the last batch not handed out yet.
    fn rest(&mut self) -> impl Iterator<Item = u64> + '_ {
        let from = self.taken;
        self.taken = self.buffer.len();
        self.buffer[from..].iter().copied()
    }
}

/// A histogram of nanoseconds, 1 ns to 10 ms, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000, 3).expect("histogram bounds")
}

/// Records one round trip, clamping outliers into range.
#[inline]
fn record(histogram: &mut Histogram<u64>, elapsed: Duration) {
    let ns = (elapsed.as_nanos() as u64).clamp(1, 10_000_000);
    histogram.record(ns).expect("value in bounds");
}

/// Ping (first CPU) pushes `i` into `there` and waits for it back from `back`; pong (second
/// CPU) echoes. Both queues hold one value. Each round trip is timed into a histogram; the
/// sample's value is its median.
pub fn ping_pong<Q: BenchQueue>(round_trips: u64) -> Sample {
    let what = format!("{} ping-pong", Q::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let (there, back) = (Q::build(1), Q::build(1));
    let cores = cpu_pair();
    let barrier = Barrier::new(2);
    let (hist, elapsed, pong_tally) = thread::scope(|s| {
        let pong = s.spawn(|| {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.1));
            let mut tally = Tally::default();
            barrier.wait();
            for _ in 0..round_trips {
                let value = pop_wait(&there);
                tally.add(value);
                push_wait(&back, value);
            }
            tally
        });
        let ping = s.spawn(|| {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.0));
            let mut hist = histogram();
            barrier.wait();
            let start = Instant::now();
            for i in 1..=round_trips {
                let t0 = Instant::now();
                push_wait(&there, i);
                let echoed = pop_wait(&back);
                record(&mut hist, t0.elapsed());
                assert_eq!(echoed, i, "{}: ping-pong echoed the wrong value", Q::NAME);
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

/// The same ping-pong over one `AtomicU64` and the same [`Wait`] policy: ping stores `2i+1`
/// and waits for `2i+2`; pong waits for the odd value and stores the next even one. This is
/// the floor any queue ping-pong on these two CPUs can reach.
pub fn atomic_ping_pong(round_trips: u64) -> Sample {
    let _watchdog = Watchdog::arm("bare atomic ping-pong".into(), WATCHDOG_LIMIT);
    let ball = AtomicU64::new(0);
    let cores = cpu_pair();
    let barrier = Barrier::new(2);
    let wait_for = |want: u64| {
        let mut wait = Wait::new();
        while ball.load(Ordering::Acquire) != want {
            wait.pause();
        }
    };
    let (hist, elapsed) = thread::scope(|s| {
        let pong = s.spawn(|| {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.1));
            barrier.wait();
            for i in 0..round_trips {
                wait_for(2 * i + 1);
                ball.store(2 * i + 2, Ordering::Release);
            }
        });
        let ping = s.spawn(|| {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.0));
            let mut hist = histogram();
            barrier.wait();
            let start = Instant::now();
            for i in 0..round_trips {
                let t0 = Instant::now();
                ball.store(2 * i + 1, Ordering::Release);
                wait_for(2 * i + 2);
                record(&mut hist, t0.elapsed());
            }
            (hist, start.elapsed())
        });
        pong.join().expect("pong panicked");
        ping.join().expect("ping panicked")
    });
    assert_eq!(ball.load(Ordering::Relaxed), 2 * round_trips);
    Sample {
        value: hist.value_at_quantile(0.5) as f64,
        elapsed,
        ops: round_trips,
    }
}

/// What an empty timed round trip costs: two `Instant::now()` and a histogram record, median
/// in ns. Printed next to the ping-pong figures.
pub fn timer_overhead_ns() -> f64 {
    let mut hist = histogram();
    for _ in 0..20_000 {
        let t0 = Instant::now();
        record(&mut hist, black_box(t0).elapsed());
    }
    hist.value_at_quantile(0.5) as f64
}

/// One thread pushes `i` and pops it back, `pairs` times; ns per pair. Also the loop that
/// `benches/single_thread.rs` runs under callgrind.
pub fn single_thread<Q: BenchQueue>(pairs: u64) -> Sample {
    let queue = black_box(Q::build(CAPACITY));
    let start = Instant::now();
    let tally = push_pop_loop(&queue, pairs);
    let elapsed = start.elapsed();
    if Q::FAMILY != Family::Reference {
        let mut expected = Tally::default();
        (0..pairs).for_each(|i| expected.add(i));
        verify(&format!("{} single-thread", Q::NAME), tally, expected);
    }
    Sample {
        value: elapsed.as_nanos() as f64 / pairs as f64,
        elapsed,
        ops: pairs,
    }
}

/// The bare push+pop loop: no timing, a tally of what came back.
#[inline(never)]
pub fn push_pop_loop<Q: BenchQueue>(queue: &Q, pairs: u64) -> Tally {
    let mut tally = Tally::default();
    for i in 0..pairs {
        if queue.push(black_box(i)).is_err() {
            panic!("{}: push into an empty queue failed", Q::NAME);
        }
        match queue.pop() {
            Some(value) => tally.add(value),
            None => panic!("{}: pop after a push found nothing", Q::NAME),
        }
    }
    tally
}

/// Runs one workload for one contender, panicking if the contender does not apply.
pub fn run(contender: &Contender, workload: &Workload, scale: &Scale) -> Sample {
    (contender.run)(workload, scale)
        .unwrap_or_else(|| panic!("{} does not run {}", contender.name, workload.key))
}
