//! One [`BenchQueue`] adapter per contender, plus the empty-loop reference.
//!
//! wharf's queues are reached through the `wharf::Queue` trait; each peer through its own
//! non-blocking push and pop. Nothing else differs.

use super::{BenchQueue, Family};
use std::sync::atomic::{AtomicU64, Ordering};
use wharf::Queue;

/// `wharf::ArrayQueue` through `wharf::Queue`.
#[derive(Debug)]
pub struct WharfArray(wharf::ArrayQueue<u64>);

impl BenchQueue for WharfArray {
    const NAME: &'static str = "wharf ArrayQueue";
    const KEY: &'static str = "wharf-array";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = true;

    fn build(capacity: usize) -> Self {
        WharfArray(wharf::ArrayQueue::new(capacity))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        Queue::try_push(&self.0, value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        Queue::try_pop(&self.0)
    }
}

/// `wharf::LinkedQueue` through `wharf::Queue`.
#[derive(Debug)]
pub struct WharfLinked(wharf::LinkedQueue<u64>);

impl BenchQueue for WharfLinked {
    const NAME: &'static str = "wharf LinkedQueue";
    const KEY: &'static str = "wharf-linked";
    const FAMILY: Family = Family::Unbounded;
    const WHARF: bool = true;

    fn build(_capacity: usize) -> Self {
        WharfLinked(wharf::LinkedQueue::new())
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        Queue::try_push(&self.0, value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        Queue::try_pop(&self.0)
    }
}

/// Values per batch of the `-b32` contenders.
const BATCH: usize = 32;

/// `wharf::ArrayQueue` moving runs of [`BATCH`] through `Queue::try_push_batch` and
/// `Queue::try_pop_batch` (the peers have no batch methods, so they move one at a time).
#[derive(Debug)]
pub struct WharfArrayBatch(wharf::ArrayQueue<u64>);

impl BenchQueue for WharfArrayBatch {
    const NAME: &'static str = "wharf ArrayQueue, batches of 32";
    const KEY: &'static str = "wharf-array-b32";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = true;
    const BATCH: usize = BATCH;

    fn build(capacity: usize) -> Self {
        WharfArrayBatch(wharf::ArrayQueue::new(capacity))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        Queue::try_push(&self.0, value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        Queue::try_pop(&self.0)
    }
    #[inline]
    fn push_batch(&self, values: &mut Vec<u64>) -> usize {
        Queue::try_push_batch(&self.0, values)
    }
    #[inline]
    fn pop_batch(&self, out: &mut Vec<u64>, limit: usize) -> usize {
        Queue::try_pop_batch(&self.0, out, limit)
    }
}

/// `wharf::LinkedQueue` moving runs of [`BATCH`], as [`WharfArrayBatch`].
#[derive(Debug)]
pub struct WharfLinkedBatch(wharf::LinkedQueue<u64>);

impl BenchQueue for WharfLinkedBatch {
    const NAME: &'static str = "wharf LinkedQueue, batches of 32";
    const KEY: &'static str = "wharf-linked-b32";
    const FAMILY: Family = Family::Unbounded;
    const WHARF: bool = true;
    const BATCH: usize = BATCH;

    fn build(_capacity: usize) -> Self {
        WharfLinkedBatch(wharf::LinkedQueue::new())
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        Queue::try_push(&self.0, value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        Queue::try_pop(&self.0)
    }
    #[inline]
    fn push_batch(&self, values: &mut Vec<u64>) -> usize {
        Queue::try_push_batch(&self.0, values)
    }
    #[inline]
    fn pop_batch(&self, out: &mut Vec<u64>, limit: usize) -> usize {
        Queue::try_pop_batch(&self.0, out, limit)
    }
}

/// `crossbeam_queue::ArrayQueue`.
#[derive(Debug)]
pub struct CrossbeamArray(crossbeam_queue::ArrayQueue<u64>);

impl BenchQueue for CrossbeamArray {
    const NAME: &'static str = "crossbeam ArrayQueue";
    const KEY: &'static str = "crossbeam-array";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = false;

    fn build(capacity: usize) -> Self {
        CrossbeamArray(crossbeam_queue::ArrayQueue::new(capacity))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        self.0.push(value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
}

/// `crossbeam_queue::SegQueue`.
#[derive(Debug)]
pub struct CrossbeamSeg(crossbeam_queue::SegQueue<u64>);

impl BenchQueue for CrossbeamSeg {
    const NAME: &'static str = "crossbeam SegQueue";
    const KEY: &'static str = "crossbeam-seg";
    const FAMILY: Family = Family::Unbounded;
    const WHARF: bool = false;

    fn build(_capacity: usize) -> Self {
        CrossbeamSeg(crossbeam_queue::SegQueue::new())
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        self.0.push(value);
        Ok(())
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
}

/// Maps a `concurrent_queue` push result to the harness's; the queues are never closed.
#[inline]
fn concurrent_push(result: Result<(), concurrent_queue::PushError<u64>>) -> Result<(), u64> {
    match result {
        Ok(()) => Ok(()),
        Err(concurrent_queue::PushError::Full(value)) => Err(value),
        Err(concurrent_queue::PushError::Closed(_)) => panic!("benchmark queue was closed"),
    }
}

/// `concurrent_queue::ConcurrentQueue::bounded`.
#[derive(Debug)]
pub struct ConcurrentBounded(concurrent_queue::ConcurrentQueue<u64>);

impl BenchQueue for ConcurrentBounded {
    const NAME: &'static str = "concurrent-queue bounded";
    const KEY: &'static str = "cq-bounded";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = false;

    fn build(capacity: usize) -> Self {
        ConcurrentBounded(concurrent_queue::ConcurrentQueue::bounded(capacity))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        concurrent_push(self.0.push(value))
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.pop().ok()
    }
}

/// `concurrent_queue::ConcurrentQueue::unbounded`.
#[derive(Debug)]
pub struct ConcurrentUnbounded(concurrent_queue::ConcurrentQueue<u64>);

impl BenchQueue for ConcurrentUnbounded {
    const NAME: &'static str = "concurrent-queue unbounded";
    const KEY: &'static str = "cq-unbounded";
    const FAMILY: Family = Family::Unbounded;
    const WHARF: bool = false;

    fn build(_capacity: usize) -> Self {
        ConcurrentUnbounded(concurrent_queue::ConcurrentQueue::unbounded())
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        concurrent_push(self.0.push(value))
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.pop().ok()
    }
}

/// heapless's Vyukov MPMC queue, 1024 slots (its capacity is a const generic). Only the
/// single-thread loop uses it: the reference of the instruction-count target. heapless
/// deprecates it as not lock-free (a preempted thread blocks the others), as wharf's
/// ArrayQueue also is not; it decides "empty" and "full" from the slot's stamp alone, with
/// relaxed compare-and-swaps.
pub struct HeaplessMpmc(Box<heapless::mpmc::Queue<u64, 1024>>);

impl std::fmt::Debug for HeaplessMpmc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeaplessMpmc")
    }
}

impl BenchQueue for HeaplessMpmc {
    const NAME: &'static str = "heapless mpmc::Queue";
    const KEY: &'static str = "heapless-mpmc";
    const FAMILY: Family = Family::Bounded;
    const WHARF: bool = false;

    fn build(capacity: usize) -> Self {
        assert_eq!(capacity, 1024, "the heapless adapter has 1024 slots only");
        #[allow(deprecated)]
        HeaplessMpmc(Box::new(heapless::mpmc::Queue::new()))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        self.0.enqueue(value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.dequeue()
    }
}

/// Not a queue: one slot written and read with relaxed atomics (plain moves on x86). Only
/// the single-thread loop uses it, to measure what the loop itself costs.
#[derive(Debug)]
pub struct EmptyLoop(AtomicU64);

impl BenchQueue for EmptyLoop {
    const NAME: &'static str = "empty loop";
    const KEY: &'static str = "empty";
    const FAMILY: Family = Family::Reference;
    const WHARF: bool = false;

    fn build(_capacity: usize) -> Self {
        EmptyLoop(AtomicU64::new(0))
    }
    #[inline]
    fn push(&self, value: u64) -> Result<(), u64> {
        self.0.store(value, Ordering::Relaxed);
        Ok(())
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed))
    }
}
