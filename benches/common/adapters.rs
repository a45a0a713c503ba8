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

/// A wharf queue moving runs of `$batch` values through `Queue::try_push_batch` and
/// `Queue::try_pop_batch` (the peers have no batch methods, so they move one at a time).
macro_rules! batch_adapter {
    ($ty:ident, $queue:ident, $family:ident, $batch:literal, $name:literal, $key:literal,
     |$cap:ident| $build:expr) => {
        #[doc = concat!("`wharf::", stringify!($queue), "` in batches of ", $batch, ".")]
        #[derive(Debug)]
        pub struct $ty(wharf::$queue<u64>);

        impl BenchQueue for $ty {
            const NAME: &'static str = $name;
            const KEY: &'static str = $key;
            const FAMILY: Family = Family::$family;
            const WHARF: bool = true;
            const BATCH: usize = $batch;

            #[allow(unused_variables)]
            fn build($cap: usize) -> Self {
                $ty($build)
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
    };
}

batch_adapter!(
    WharfArrayB1,
    ArrayQueue,
    Bounded,
    1,
    "wharf ArrayQueue, batches of 1",
    "wharf-array-b1",
    |cap| wharf::ArrayQueue::new(cap)
);
batch_adapter!(
    WharfArrayB8,
    ArrayQueue,
    Bounded,
    8,
    "wharf ArrayQueue, batches of 8",
    "wharf-array-b8",
    |cap| wharf::ArrayQueue::new(cap)
);
batch_adapter!(
    WharfArrayB32,
    ArrayQueue,
    Bounded,
    32,
    "wharf ArrayQueue, batches of 32",
    "wharf-array-b32",
    |cap| wharf::ArrayQueue::new(cap)
);
batch_adapter!(
    WharfArrayB256,
    ArrayQueue,
    Bounded,
    256,
    "wharf ArrayQueue, batches of 256",
    "wharf-array-b256",
    |cap| wharf::ArrayQueue::new(cap)
);
batch_adapter!(
    WharfLinkedB1,
    LinkedQueue,
    Unbounded,
    1,
    "wharf LinkedQueue, batches of 1",
    "wharf-linked-b1",
    |cap| wharf::LinkedQueue::new()
);
batch_adapter!(
    WharfLinkedB8,
    LinkedQueue,
    Unbounded,
    8,
    "wharf LinkedQueue, batches of 8",
    "wharf-linked-b8",
    |cap| wharf::LinkedQueue::new()
);
batch_adapter!(
    WharfLinkedB32,
    LinkedQueue,
    Unbounded,
    32,
    "wharf LinkedQueue, batches of 32",
    "wharf-linked-b32",
    |cap| wharf::LinkedQueue::new()
);
batch_adapter!(
    WharfLinkedB256,
    LinkedQueue,
    Unbounded,
    256,
    "wharf LinkedQueue, batches of 256",
    "wharf-linked-b256",
    |cap| wharf::LinkedQueue::new()
);

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
