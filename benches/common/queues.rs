//! The raw-queue section: the [`BenchQueue`] adapter trait, the queue workloads and their
//! contenders (adapters in [`super::queue_adapters`]), and the references (bare atomic
//! ping-pong, empty single-thread loop).
//!
//! A queue runs the shared shapes ([`super::shapes`]) through [`Raw`]: every non-blocking
//! queue waits by the same policy ([`Wait`]) on a full or empty queue. A contender with
//! `BATCH > 0` moves runs of values through its batch methods and runs the throughput
//! workloads only.

use super::check::{histogram, message, record, verify, AbortOnPanic, Tally, END};
use super::contender::{Contender, Kind, Named, Sample, Scale, Workload};
use super::queue_adapters::{
    ConcurrentBounded, ConcurrentUnbounded, CrossbeamArray, CrossbeamSeg, EmptyLoop, WharfArray,
    WharfArrayB1, WharfArrayB256, WharfArrayB32, WharfArrayB8, WharfLinked, WharfLinkedB1,
    WharfLinkedB256, WharfLinkedB32, WharfLinkedB8,
};
use super::shapes::{self, send_each, Flow};
use super::{cpu_pair, pin, Family, Wait, Watchdog, CAPACITY, WATCHDOG_LIMIT};
use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

/// The small adapter every raw queue implements. Values are `u64`; `u64::MAX` is reserved
/// for the end marker.
pub trait BenchQueue: Named + Send + Sync + Sized + 'static {
    /// Builds the queue; bounded queues hold `capacity` values, unbounded ones ignore it.
    fn build(capacity: usize) -> Self;
    /// Pushes without waiting; hands the value back when full.
    fn push(&self, value: u64) -> Result<(), u64>;
    /// Pops without waiting; `None` when empty.
    fn pop(&self) -> Option<u64>;

    /// Values per batch in the throughput workloads: 0 for one value at a time; from 1 up,
    /// producers push runs of this many with [`push_batch`](Self::push_batch) and consumers
    /// pop with [`pop_batch`](Self::pop_batch) (a batch of 1 measures the batch path's own
    /// cost); such a contender runs the throughput workloads only.
    const BATCH: usize = 0;
    /// Pushes values from the front of `values` while there is room, removing them; returns
    /// how many. Only called when `BATCH > 0`.
    fn push_batch(&self, values: &mut Vec<u64>) -> usize {
        let _ = values;
        unreachable!("{} does not move batches", Self::NAME)
    }
    /// Pops up to `limit` values onto `out`; returns how many. Only called when `BATCH > 0`.
    fn pop_batch(&self, out: &mut Vec<u64>, limit: usize) -> usize {
        let _ = (out, limit);
        unreachable!("{} does not move batches", Self::NAME)
    }
}

/// Pushes `value`, waiting by [`Wait`] while the queue is full.
#[inline]
pub fn push_wait<Q: BenchQueue>(queue: &Q, value: u64) {
    let mut value = value;
    let mut wait = Wait::new();
    while let Err(back) = queue.push(value) {
        value = back;
        wait.pause();
    }
}

/// Pops a value, waiting by [`Wait`] while the queue is empty.
#[inline]
pub fn pop_wait<Q: BenchQueue>(queue: &Q) -> u64 {
    let mut wait = Wait::new();
    loop {
        if let Some(value) = queue.pop() {
            return value;
        }
        wait.pause();
    }
}

/// Histogram ceiling of the queue ping-pong, ns.
const ROUND_TRIP_MAX_NS: u64 = 10_000_000;

/// Every queue workload, in the order the suite runs and prints them.
pub const WORKLOADS: &[Workload] = &[
    Workload::mpmc("1p1c", "1P1C (pinned to 2 CPUs)", 1, 1, true, 2_000_000),
    Workload::mpmc("2p2c", "2P2C", 2, 2, false, 1_200_000),
    Workload::mpmc("4p4c", "4P4C (oversubscribed)", 4, 4, false, 1_200_000),
    Workload::mpmc("4p1c", "4P1C", 4, 1, false, 1_200_000),
    Workload::mpmc("8p8c", "8P8C (oversubscribed)", 8, 8, false, 1_200_000),
    Workload::round_trip("pingpong", "ping-pong round trip (pinned, cap 1)", 50_000),
    Workload {
        key: "single",
        title: "single-thread push+pop",
        kind: Kind::SingleThread,
        ops: 5_000_000,
    },
];

/// Key of the bare atomic ping-pong reference.
pub const ATOMIC_KEY: &str = "atomic";

/// Key of the queue ping-pong workload.
const PINGPONG: &str = "pingpong";

/// Every contender of the queue suite: wharf's two queues, their batch variants, their four
/// peers, and the two references (bare atomic ping-pong, empty single-thread loop).
pub fn contenders() -> Vec<Contender> {
    vec![
        queue::<WharfArray>(),
        queue::<CrossbeamArray>(),
        queue::<ConcurrentBounded>(),
        queue::<WharfLinked>(),
        queue::<WharfArrayB1>(),
        queue::<WharfArrayB8>(),
        queue::<WharfArrayB32>(),
        queue::<WharfArrayB256>(),
        queue::<WharfLinkedB1>(),
        queue::<WharfLinkedB8>(),
        queue::<WharfLinkedB32>(),
        queue::<WharfLinkedB256>(),
        queue::<CrossbeamSeg>(),
        queue::<ConcurrentUnbounded>(),
        atomic_contender(),
        queue::<EmptyLoop>(),
    ]
}

/// The contender for a [`BenchQueue`].
pub fn queue<Q: BenchQueue>() -> Contender {
    Contender::of::<Q>(run_queue::<Q>, takes_part::<Q>)
}

/// Whether queue `Q` takes part in `workload`: the queue workloads, all of them for a queue
/// moving one value at a time, the throughput ones for batches, single-thread only for the
/// empty loop.
fn takes_part<Q: BenchQueue>(workload: &Workload) -> bool {
    if !WORKLOADS.iter().any(|w| w.key == workload.key) {
        return false;
    }
    match Q::FAMILY {
        Family::Bounded | Family::Unbounded => {
            Q::BATCH == 0 || matches!(workload.kind, Kind::Mpmc { .. })
        }
        Family::Reference => workload.kind == Kind::SingleThread,
    }
}

/// The bare atomic ping-pong reference.
struct Atomic;
named!(
    Atomic,
    "bare atomic ping-pong",
    ATOMIC_KEY,
    Reference,
    false
);

/// The bare atomic ping-pong, as a contender of the queue ping-pong workload and of
/// `chan-pingpong` (so the cost ratios against it come from the same run).
pub fn atomic_contender() -> Contender {
    Contender::of::<Atomic>(
        |workload, scale| {
            (workload.kind == Kind::PingPong).then(|| atomic_ping_pong(scale.ops(workload)))
        },
        |workload| workload.key == PINGPONG || workload.key == super::channels::PINGPONG,
    )
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

/// A raw queue as a [`Flow`]: producers hold a reference to it, consumers a [`Consumer`];
/// both wait by [`Wait`].
pub struct Raw<'a, Q>(PhantomData<&'a Q>);

/// A consumer's end of a raw queue: single pops, or (`Q::BATCH > 0`) batches of up to
/// `Q::BATCH` handed out one by one; either way waiting by [`Wait`] while the queue is empty.
pub struct Consumer<'a, Q> {
    queue: &'a Q,
    buffer: Vec<u64>,
    taken: usize,
}

impl<'a, Q: BenchQueue> Consumer<'a, Q> {
    /// A consumer of `queue`.
    pub fn new(queue: &'a Q) -> Self {
        Consumer {
            queue,
            buffer: Vec::with_capacity(Q::BATCH),
            taken: 0,
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        if Q::BATCH == 0 {
            return pop_wait(self.queue);
        }
        if self.taken == self.buffer.len() {
            self.buffer.clear();
            self.taken = 0;
            let mut wait = Wait::new();
            while self.queue.pop_batch(&mut self.buffer, Q::BATCH) == 0 {
                wait.pause();
            }
        }
        self.taken += 1;
        self.buffer[self.taken - 1]
    }
}

impl<'a, Q: BenchQueue> Flow for Raw<'a, Q> {
    const NAME: &'static str = Q::NAME;
    type Tx = &'a Q;
    type Rx = Consumer<'a, Q>;

    #[inline]
    fn send(tx: &mut &'a Q, value: u64) {
        push_wait(*tx, value);
    }

    #[inline]
    fn recv(rx: &mut Consumer<'a, Q>) -> u64 {
        rx.next()
    }

    fn produce(tx: &mut &'a Q, p: usize, per: u64) {
        if Q::BATCH == 0 {
            send_each::<Self>(tx, p, per);
        } else {
            push_batches(*tx, (0..per).map(|seq| message(p, seq)));
        }
    }

    /// With batches, the end markers of other consumers may have come in the same batch:
    /// give them back. (Every real message was pushed before the first marker, so nothing
    /// else follows one.)
    fn ended(rx: &mut Consumer<'a, Q>) {
        let queue = rx.queue;
        for &rest in &rx.buffer[rx.taken..] {
            assert_eq!(rest, END, "{}: a message after an end marker", Q::NAME);
            push_wait(queue, END);
        }
        rx.taken = rx.buffer.len();
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

/// `producers` threads each push `per_producer` messages through one queue of
/// [`CAPACITY`]; `consumers` threads pop until they see an end marker ([`shapes::mpmc`]);
/// nothing may be left after.
pub fn mpmc<Q: BenchQueue>(
    producers: usize,
    consumers: usize,
    per_producer: u64,
    pinned: bool,
) -> Sample {
    let what = format!("{} {producers}P{consumers}C", Q::NAME);
    let queue = Q::build(CAPACITY);
    let consumers = (0..consumers).map(|_| Consumer::new(&queue)).collect();
    let (sample, _) = shapes::mpmc::<Raw<Q>>(
        &what,
        vec![&queue; producers],
        consumers,
        per_producer,
        pinned,
    );
    if let Some(left) = queue.pop() {
        panic!("{what}: value {left:#x} left in the queue after the end markers");
    }
    sample
}

/// [`shapes::ping_pong`] through two queues of capacity 1.
pub fn ping_pong<Q: BenchQueue>(round_trips: u64) -> Sample {
    let (there, back) = (Q::build(1), Q::build(1));
    shapes::ping_pong::<Raw<Q>>(
        &format!("{} ping-pong", Q::NAME),
        (&there, Consumer::new(&there)),
        (&back, Consumer::new(&back)),
        round_trips,
        ROUND_TRIP_MAX_NS,
    )
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
            let mut hist = histogram(ROUND_TRIP_MAX_NS);
            barrier.wait();
            let start = Instant::now();
            for i in 0..round_trips {
                let t0 = Instant::now();
                ball.store(2 * i + 1, Ordering::Release);
                wait_for(2 * i + 2);
                record(&mut hist, t0.elapsed().as_nanos() as u64);
            }
            (hist, start.elapsed())
        });
        pong.join().expect("pong panicked");
        ping.join().expect("ping panicked")
    });
    assert_eq!(ball.load(Ordering::Relaxed), 2 * round_trips);
    Sample::median(&hist, elapsed, round_trips)
}

/// What an empty timed round trip costs: two `Instant::now()` and a histogram record, median
/// in ns. Printed next to the ping-pong figures.
pub fn timer_overhead_ns() -> f64 {
    let mut hist = histogram(ROUND_TRIP_MAX_NS);
    for _ in 0..20_000 {
        let t0 = Instant::now();
        record(&mut hist, black_box(t0).elapsed().as_nanos() as u64);
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
        verify(
            &format!("{} single-thread", Q::NAME),
            tally,
            Tally::of(0..pairs),
        );
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
