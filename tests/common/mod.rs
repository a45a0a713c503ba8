//! Helpers shared by the integration tests: a drop-tracking value, the stress-size knob, and
//! checks for what a stress run received.
//!
//! Each test binary uses a different subset of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// The factor `WHARF_TEST_SCALE` (a float, default 1.0) applies to stress-test sizes; sanitizer
/// runs set it below 1, soak runs above.
pub fn scale() -> f64 {
    match std::env::var("WHARF_TEST_SCALE") {
        Ok(s) => {
            let f: f64 = s
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("WHARF_TEST_SCALE={s:?} is not a number"));
            assert!(f > 0.0, "WHARF_TEST_SCALE must be positive, got {f}");
            f
        }
        Err(_) => 1.0,
    }
}

/// `n` scaled by [`scale`], at least 1.
pub fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

/// Counts, per id, how many times a [`Tracked`] value with that id was dropped.
#[derive(Debug)]
pub struct DropTracker {
    counts: Vec<AtomicUsize>,
}

impl DropTracker {
    /// A tracker for ids `0..n`.
    pub fn new(n: usize) -> Arc<Self> {
        Arc::new(Self {
            counts: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    /// How many times the value with `id` was dropped.
    pub fn drops(&self, id: usize) -> usize {
        self.counts[id].load(Ordering::SeqCst)
    }

    /// Total drops over all ids.
    pub fn total(&self) -> usize {
        (0..self.counts.len()).map(|i| self.drops(i)).sum()
    }

    /// Asserts every id in `ids` was dropped exactly once and every other id never.
    pub fn assert_dropped_once(&self, ids: impl IntoIterator<Item = usize>) {
        let mut expected = vec![0; self.counts.len()];
        for id in ids {
            expected[id] += 1;
        }
        for (id, &want) in expected.iter().enumerate() {
            assert_eq!(self.drops(id), want, "drop count of id {id}");
        }
    }

    /// Asserts every id was dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        self.assert_dropped_once(0..self.counts.len());
    }
}

/// A value that records its drop in a [`DropTracker`], and can be made to panic when dropped.
#[derive(Debug)]
pub struct Tracked {
    /// The id, also the payload tests compare.
    pub id: usize,
    tracker: Arc<DropTracker>,
    panic_on_drop: bool,
}

impl Tracked {
    /// A value with `id`, counted by `tracker`.
    pub fn new(tracker: &Arc<DropTracker>, id: usize) -> Self {
        assert!(id < tracker.counts.len(), "id {id} outside the tracker");
        Self {
            id,
            tracker: Arc::clone(tracker),
            panic_on_drop: false,
        }
    }

    /// A value whose `Drop` records the drop and then panics (unless already unwinding).
    pub fn panicking(tracker: &Arc<DropTracker>, id: usize) -> Self {
        let mut v = Self::new(tracker, id);
        v.panic_on_drop = true;
        v
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.tracker.counts[self.id].fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("Tracked {} panics on drop", self.id);
        }
    }
}

/// Packs a producer id and its sequence number into one value.
pub fn encode(producer: usize, seq: usize) -> u64 {
    assert!(seq < 1 << 32 && producer < 1 << 31);
    ((producer as u64) << 32) | seq as u64
}

/// Undoes [`encode`]: `(producer, seq)`.
pub fn decode(v: u64) -> (usize, usize) {
    ((v >> 32) as usize, (v & 0xffff_ffff) as usize)
}

/// Checks a stress run in which producer `p` sent `encode(p, 0..per_producer)` in order and
/// each consumer recorded what it popped, in the order it popped it:
/// - every value sent was received exactly once, and nothing else was;
/// - each consumer saw each producer's values in increasing order (FIFO per producer).
pub fn check_received(producers: usize, per_producer: usize, received: &[Vec<u64>]) {
    let mut seen = vec![vec![false; per_producer]; producers];
    for (c, values) in received.iter().enumerate() {
        let mut last: Vec<Option<usize>> = vec![None; producers];
        for &v in values {
            let (p, seq) = decode(v);
            assert!(
                p < producers && seq < per_producer,
                "consumer {c} got stray value {v:#x}"
            );
            assert!(!seen[p][seq], "value ({p}, {seq}) received twice");
            seen[p][seq] = true;
            if let Some(prev) = last[p] {
                assert!(
                    prev < seq,
                    "consumer {c} got producer {p}'s {seq} after its {prev}: FIFO broken"
                );
            }
            last[p] = Some(seq);
        }
    }
    let missing: Vec<(usize, usize)> = (0..producers)
        .flat_map(|p| (0..per_producer).map(move |s| (p, s)))
        .filter(|&(p, s)| !seen[p][s])
        .take(10)
        .collect();
    assert!(missing.is_empty(), "never received (first 10): {missing:?}");
}

/// The blocking-layer tests' helpers, for the one they share with these.
#[path = "../support/mod.rs"]
mod support;

// Not every test binary that includes this module uses it.
#[allow(unused_imports)]
pub use support::{panic_message, watchdog, Rng};

/// Pushes `value` through the [`Queue`](wharf::Queue) trait, yielding while the queue is full.
pub fn push_until_ok<Q: wharf::Queue<T>, T>(q: &Q, mut value: T) {
    loop {
        match q.try_push(value) {
            Ok(()) => return,
            Err(back) => {
                value = back;
                std::thread::yield_now();
            }
        }
    }
}

/// Sets its flag if dropped while its thread panics, so that waiting threads stop waiting
/// (and the test fails) instead of hanging.
pub struct PanicFlag<'a>(pub &'a AtomicBool);

impl Drop for PanicFlag<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// Pops until `total` values have been popped by all consumers together (counted in `done`),
/// returning this consumer's values in the order it popped them. Panics if `failed` is set.
pub fn consume<Q: wharf::Queue<u64>>(
    q: &Q,
    done: &AtomicUsize,
    total: usize,
    failed: &AtomicBool,
) -> Vec<u64> {
    let _flag = PanicFlag(failed);
    let mut got = Vec::new();
    loop {
        if let Some(v) = q.try_pop() {
            got.push(v);
            done.fetch_add(1, Ordering::SeqCst);
        } else if done.load(Ordering::SeqCst) >= total {
            return got;
        } else if failed.load(Ordering::SeqCst) {
            panic!("another thread of the test panicked");
        } else {
            std::thread::yield_now();
        }
    }
}

/// Single producer, single consumer: a thread pushes `0..n`, the caller pops and checks the
/// order; fails (rather than hangs) if the producer panics.
pub fn spsc<Q: wharf::Queue<usize> + Sync>(q: &Q, n: usize) {
    std::thread::scope(|s| {
        let producer = s.spawn(|| {
            for i in 0..n {
                push_until_ok(q, i);
            }
        });
        let mut expected = 0;
        while expected < n {
            match q.try_pop() {
                Some(v) => {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                // A finished producer has nothing in flight: a second miss is final.
                None if producer.is_finished() && q.try_pop().is_none() => {
                    panic!("producer stopped after {expected} of {n} values")
                }
                None => std::thread::yield_now(),
            }
        }
    });
    assert_eq!(q.try_pop(), None);
}

/// Plain-thread stress: `producers` threads each push `encode(p, 0..per_producer)` while
/// `consumers` threads pop; then checks the run with [`check_received`] and that `q` is empty.
pub fn stress_threads<Q>(q: &Q, producers: usize, consumers: usize, per_producer: usize)
where
    Q: wharf::Queue<u64> + Sync,
{
    let total = producers * per_producer;
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let received: Vec<Vec<u64>> = std::thread::scope(|s| {
        for p in 0..producers {
            let failed = &failed;
            s.spawn(move || {
                let _flag = PanicFlag(failed);
                for seq in 0..per_producer {
                    push_until_ok(q, encode(p, seq));
                }
            });
        }
        let handles: Vec<_> = (0..consumers)
            .map(|_| s.spawn(|| consume(q, &done, total, &failed)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    check_received(producers, per_producer, &received);
    assert!(q.is_empty());
    assert_eq!(q.len(), 0);
    assert_eq!(q.try_pop(), None);
}

/// Rayon stress: producers are rayon tasks (`par_iter` over producer ids, each pushing its
/// values in order) while `consumers` plain threads pop; checked as in [`stress_threads`].
pub fn stress_rayon<Q>(q: &Q, producers: usize, consumers: usize, per_producer: usize)
where
    Q: wharf::Queue<u64> + Sync,
{
    use rayon::prelude::*;
    let total = producers * per_producer;
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let received: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..consumers)
            .map(|_| s.spawn(|| consume(q, &done, total, &failed)))
            .collect();
        (0..producers).into_par_iter().for_each(|p| {
            let _flag = PanicFlag(&failed);
            for seq in 0..per_producer {
                push_until_ok(q, encode(p, seq));
            }
        });
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    check_received(producers, per_producer, &received);
    assert!(q.is_empty());
}

/// The `linearizable` check: `threads` threads each repeat "push one value, then pop one".
/// With at most one value per thread in the queue and `capacity >= threads`, every push must
/// succeed and every pop must find a value: at least the popping thread's own value was pushed
/// (its push returned) and not yet popped when its pop started.
pub fn push_then_pop<Q: wharf::Queue<u64> + Sync>(q: &Q, threads: usize, rounds: usize) {
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..rounds {
                    assert!(
                        q.try_push(encode(t, i)).is_ok(),
                        "push failed below capacity"
                    );
                    assert!(q.try_pop().is_some(), "pop saw an empty queue after a push");
                }
            });
        }
    });
    assert!(q.is_empty());
}

/// A two-thread barrier for tests that need both threads to start a step together: spins,
/// then yields, so it also works when the test threads outnumber the cores.
pub struct Rendezvous(pub AtomicUsize);

impl Rendezvous {
    /// Waits until both threads have arrived for the `n`-th time (counting from 1).
    pub fn meet(&self, n: usize) {
        self.0.fetch_add(1, Ordering::SeqCst);
        let mut spins = 0u32;
        while self.0.load(Ordering::SeqCst) < 2 * n {
            if spins < 1_000 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// The payload of [`store_buffering`]: big enough that copying it in takes a while.
pub type Payload = [u64; 256];

/// The store-buffering check over two empty queues made by `make`: each round, each of two
/// threads (pinned to two CPUs when there are two) pushes into its own queue, then pops from
/// the other's. Whatever the interleaving, the later of the two pops comes after both
/// pushes, so at least one must find a value; fails if in some round both came back empty.
pub fn store_buffering<Q: wharf::Queue<Payload> + Sync>(what: &str, make: impl Fn() -> Q) {
    let (a, b) = (make(), make());
    let rendezvous = Rendezvous(AtomicUsize::new(0));
    let rounds = scaled(100_000);
    let empty_pops = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let cpus = core_affinity::get_core_ids().unwrap_or_default();
    std::thread::scope(|s| {
        for side in 0..2 {
            let (mine, theirs) = if side == 0 { (&a, &b) } else { (&b, &a) };
            let (rendezvous, empty_pops, failures) = (&rendezvous, &empty_pops, &failures);
            let cpu = (cpus.len() >= 2).then(|| cpus[side]);
            s.spawn(move || {
                if let Some(cpu) = cpu {
                    core_affinity::set_for_current(cpu);
                }
                for round in 0..rounds {
                    rendezvous.meet(3 * round + 1);
                    assert!(mine.try_push([side as u64; 256]).is_ok(), "{what}: full");
                    if theirs.try_pop().is_none() {
                        empty_pops.fetch_add(1, Ordering::SeqCst);
                    }
                    // Both pops are done; one thread judges the round, then each drains its
                    // own queue (the other side may have popped it already).
                    rendezvous.meet(3 * round + 2);
                    if side == 0 && empty_pops.swap(0, Ordering::SeqCst) == 2 {
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    rendezvous.meet(3 * round + 3);
                    let _ = mine.try_pop();
                }
            });
        }
    });
    let failures = failures.into_inner();
    assert_eq!(
        failures, 0,
        "{what}: in {failures} of {rounds} rounds both pops found their queue empty"
    );
}

/// While two producers push and two consumers pop, an observer calls `len()` over and over:
/// it must never exceed the capacity, nor the values pushed minus the values popped (counting
/// every push attempt that may have taken effect by the end of the call, and only pops that
/// finished before it started), which a miscount (a wrapped subtraction, skipped indices
/// counted as slots) breaks. A push attempt that failed is taken back from the count, so the
/// bound stays within a few values of the truth even while the producers retry on a full
/// queue. A torn snapshot of `head` and `tail` is beyond it (the tear needs a preemption
/// between two adjacent loads, which loosens the bound): loom-tests' array_queue model
/// `len_never_tears_while_values_pass` checks that.
pub fn len_stays_bounded<Q: wharf::Queue<u64> + Sync>(q: &Q, per_producer: usize) {
    let pushes_started = AtomicUsize::new(0);
    let pops_done = AtomicUsize::new(0);
    let total = 2 * per_producer;
    std::thread::scope(|s| {
        for p in 0..2 {
            let pushes_started = &pushes_started;
            s.spawn(move || {
                for seq in 0..per_producer {
                    let mut value = encode(p, seq);
                    loop {
                        pushes_started.fetch_add(1, Ordering::SeqCst);
                        match q.try_push(value) {
                            Ok(()) => break,
                            Err(back) => {
                                pushes_started.fetch_sub(1, Ordering::SeqCst);
                                value = back;
                                std::thread::yield_now();
                            }
                        }
                    }
                    // Every thread yields after each operation, so that (with more threads
                    // than cores) the queue passes through every length, wrapped and not,
                    // rather than filling and emptying in bursts.
                    std::thread::yield_now();
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                while pops_done.load(Ordering::SeqCst) < total {
                    if q.try_pop().is_some() {
                        pops_done.fetch_add(1, Ordering::SeqCst);
                    }
                    std::thread::yield_now();
                }
            });
        }
        s.spawn(|| {
            while pops_done.load(Ordering::SeqCst) < total {
                // A short burst between yields: more calls land while the others run.
                for _ in 0..8 {
                    let popped = pops_done.load(Ordering::SeqCst);
                    let len = q.len();
                    let pushed = pushes_started.load(Ordering::SeqCst);
                    if let Some(cap) = q.capacity() {
                        assert!(len <= cap, "len() {len} above the capacity {cap}");
                    }
                    assert!(
                        len <= pushed - popped,
                        "len() {len}, but at most {pushed} pushed and at least {popped} popped"
                    );
                }
                // More threads than cores: let the others run.
                std::thread::yield_now();
            }
        });
    });
    assert_eq!(q.len(), 0);
}
