//! The `disruptor` crate as a broadcast contender. It is not a [`BenchBroadcast`]
//! adapter: its consumers are the crate's own processor threads, built into the ring, so it
//! runs the broadcast workloads through its own driver here, with the same checks ([`Sink`]),
//! timing rules and samples as the generic runs.
//!
//! - `disruptor`: processors wait by [`SpinThenYield`] (the harness's [`Wait`] policy); the
//!   publisher, whose `publish` busy-spins on a full ring, uses `try_publish` with the same
//!   [`Wait`]. A single producer for one publisher, a multi producer for two.
//! - `disruptor-busyspin`: the crate's `BusySpin` with bare retries, run with a time budget:
//!   with more threads than CPUs it may collapse, and then reports what it published within
//!   the budget (marked in the broadcast report) instead of hanging the suite.
//!
//! [`BenchBroadcast`]: super::broadcast::BenchBroadcast

use super::broadcast::{
    applies, latency_sample, note, publish_all, throughput_sample, Shape, Sink, Stamps, SubResult,
    BURST, BUSY_BUDGET, BUSY_FACTOR,
};
use super::check::{AbortOnPanic, END};
use super::contender::{Contender, Named, Sample, Scale, Workload};
use super::{Wait, Watchdog, CAPACITY, SPIN_RETRIES, WATCHDOG_LIMIT};
use std::cell::Cell;
use std::hint::spin_loop;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// The disruptor with spin-then-yield waiting.
pub struct Disruptor;
named!(
    Disruptor,
    "disruptor (SP / MP, spin 100 then yield)",
    "disruptor",
    Bounded,
    false
);

/// The disruptor with `BusySpin`, budgeted.
pub struct DisruptorBusy;
named!(
    DisruptorBusy,
    "disruptor BusySpin (budgeted)",
    "disruptor-busyspin",
    Bounded,
    false
);

/// The two disruptor contenders: spin-then-yield, and busy-spin.
pub fn contenders() -> [Contender; 2] {
    [
        Contender::of::<Disruptor>(|w, s| run(w, s, false), |w| applies(Disruptor::KEY, w)),
        Contender::of::<DisruptorBusy>(|w, s| run(w, s, true), |w| applies(DisruptorBusy::KEY, w)),
    ]
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

impl ::disruptor::wait_strategies::WaitStrategy for SpinThenYield {
    #[inline]
    fn wait_for(&self, sequence: ::disruptor::Sequence) {
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
    impl FnMut(&mut Processor, &u64, ::disruptor::Sequence, bool) + Send + 'static,
    impl FnOnce() -> Processor + Send + 'static,
) {
    let handler = |state: &mut Processor, event: &u64, _: ::disruptor::Sequence, _: bool| {
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
fn disruptor_publish<P: ::disruptor::Producer<u64>>(
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

fn disruptor_publisher<P: ::disruptor::Producer<u64>>(
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
    let published = publish_all(p, per, stamps, |value| {
        disruptor_publish(&mut producer, value, busy, deadline)
    });
    let mut finished = published == per;
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
fn run(workload: &Workload, scale: &Scale, busy: bool) -> Option<Sample> {
    let key = if busy {
        DisruptorBusy::KEY
    } else {
        Disruptor::KEY
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
        run.go(::disruptor::BusySpin)
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
    fn go<W: ::disruptor::wait_strategies::WaitStrategy + 'static>(
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
                ::disruptor::build_single_producer(CAPACITY, || 0u64, wait),
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
                ::disruptor::build_multi_producer(CAPACITY, || 0u64, wait),
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
