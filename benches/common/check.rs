//! What every run checks, whatever it runs on.
//!
//! A message is its producer's index above [`SEQ_BITS`] and its sequence number below; [`END`]
//! (never a message) tells a consumer to stop, one per consumer after the last real message.
//! A consumer tallies what it receives ([`Tally`]: count, sum and sum of squares, so a lost,
//! duplicated or corrupted value shows, and a swap is caught by the order check) and checks
//! each producer's order as it sees it ([`InOrder`]); the run then [`verify`]s the merged tally
//! against what was sent and panics loudly on a mismatch. Every worker holds an
//! [`AbortOnPanic`], so a failed check aborts the process instead of leaving its peers waiting
//! on a queue nobody serves.

use hdrhistogram::Histogram;
use std::thread;

/// The end marker: one is sent per consumer after the last real message.
pub const END: u64 = u64::MAX;

/// Bits of a message value that carry the sequence number; the producer index sits above.
pub const SEQ_BITS: u32 = 40;

/// The value producer `p` sends as its `seq`-th message (never [`END`]).
#[inline]
pub fn message(p: usize, seq: u64) -> u64 {
    ((p as u64) << SEQ_BITS) | seq
}

/// The producer index and sequence number of a message.
#[inline]
pub fn split(value: u64) -> (usize, u64) {
    ((value >> SEQ_BITS) as usize, value & ((1 << SEQ_BITS) - 1))
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

    /// The tally of `values`.
    pub fn of(values: impl IntoIterator<Item = u64>) -> Tally {
        let mut tally = Tally::default();
        values.into_iter().for_each(|v| tally.add(v));
        tally
    }

    /// The tally of `producers` × `per_producer` messages ([`message`]).
    pub fn of_messages(producers: usize, per_producer: u64) -> Tally {
        Tally::of((0..producers).flat_map(|p| (0..per_producer).map(move |seq| message(p, seq))))
    }
}

/// Panics loudly unless `got == expected`.
pub fn verify(what: &str, got: Tally, expected: Tally) {
    if got != expected {
        eprintln!("\n*** VERIFICATION FAILED: {what}: got {got:?}, expected {expected:?} ***");
        panic!("verification failed: {what}");
    }
}

/// What one consumer checks as values arrive: every producer's messages come in order (later
/// sequence numbers only), and the tally of everything taken.
#[derive(Debug)]
pub struct InOrder {
    /// Last sequence number seen from each producer, +1 (0: none yet).
    next: Vec<u64>,
    /// What was taken.
    pub tally: Tally,
}

impl InOrder {
    /// A consumer of `producers` producers' messages.
    pub fn new(producers: usize) -> Self {
        InOrder {
            next: vec![0; producers],
            tally: Tally::default(),
        }
    }

    /// Takes one message (not [`END`]); panics, naming `who`, if it is out of order or not a
    /// message of a known producer.
    #[inline]
    pub fn take(&mut self, value: u64, who: &str) {
        let (p, seq) = split(value);
        match self.next.get_mut(p) {
            Some(n) if seq >= *n => *n = seq + 1,
            _ => {
                panic!("{who}: out of order or corrupt value {value:#x} (producer {p}, seq {seq})")
            }
        }
        self.tally.add(value);
    }
}

/// Held by every worker thread and task: if the worker panics (a failed check), the whole
/// process aborts at once instead of leaving its peers spinning on a queue nobody drains until
/// the watchdog fires.
#[derive(Debug)]
pub struct AbortOnPanic;

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("\n*** a benchmark worker panicked (see above); aborting. ***");
            std::process::abort();
        }
    }
}

/// A histogram of nanoseconds, 1 ns to `max_ns`, 3 significant digits.
pub fn histogram(max_ns: u64) -> Histogram<u64> {
    Histogram::new_with_bounds(1, max_ns, 3).expect("histogram bounds")
}

/// Records one interval, clamping outliers into the histogram's range.
#[inline]
pub fn record(histogram: &mut Histogram<u64>, ns: u64) {
    let ns = ns.clamp(1, histogram.high());
    histogram.record(ns).expect("value in bounds");
}
