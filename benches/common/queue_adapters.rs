//! One [`BenchQueue`] adapter per contender, plus the empty-loop reference.
//!
//! wharf's queues are reached through the `wharf::Queue` trait; each peer through its own
//! non-blocking push and pop. Nothing else differs.

use super::queues::BenchQueue;
use std::sync::atomic::{AtomicU64, Ordering};
use wharf::Queue;

/// Declares adapter `$ty` around a `$inner`: how to build it, push and pop (`$q` is the inner
/// queue), and, with `batch: N`, runs of N through `Queue::try_push_batch`/`try_pop_batch`.
macro_rules! queue_adapter {
    (
        $(#[$doc:meta])* $ty:ident($inner:ty), $name:expr, $key:expr, $family:ident, $wharf:literal,
        |$cap:ident| $build:expr, push: |$q:ident, $v:ident| $push:expr, pop: |$p:ident| $pop:expr
        $(, batch: $batch:expr)? $(,)?
    ) => {
        $(#[$doc])*
        pub struct $ty($inner);
        named!($ty, $name, $key, $family, $wharf);

        impl BenchQueue for $ty {
            #[allow(unused_variables)]
            fn build($cap: usize) -> Self {
                $ty($build)
            }
            #[inline]
            fn push(&self, $v: u64) -> Result<(), u64> {
                let $q = &self.0;
                $push
            }
            #[inline]
            fn pop(&self) -> Option<u64> {
                let $p = &self.0;
                $pop
            }
            $(
                const BATCH: usize = $batch;
                #[inline]
                fn push_batch(&self, values: &mut Vec<u64>) -> usize {
                    Queue::try_push_batch(&self.0, values)
                }
                #[inline]
                fn pop_batch(&self, out: &mut Vec<u64>, limit: usize) -> usize {
                    Queue::try_pop_batch(&self.0, out, limit)
                }
            )?
        }
    };
}

/// A wharf queue through `wharf::Queue`, one value at a time and (`$batched`) in batches of
/// each `$n`: "wharf ArrayQueue, batches of 8", key "wharf-array-b8" (the peers have no batch
/// methods, so they move one at a time).
macro_rules! wharf_queue {
    (
        $ty:ident: $queue:ident, $key:literal, $family:ident, |$cap:ident| $build:expr;
        $($batched:ident: $n:literal),*
    ) => {
        queue_adapter!(
            #[doc = concat!("`wharf::", stringify!($queue), "` through `wharf::Queue`.")]
            $ty(wharf::$queue<u64>), concat!("wharf ", stringify!($queue)), $key, $family, true,
            |$cap| $build, push: |q, v| Queue::try_push(q, v), pop: |q| Queue::try_pop(q),
        );
        $(queue_adapter!(
            #[doc = concat!("`wharf::", stringify!($queue), "` in batches of ", $n, ".")]
            $batched(wharf::$queue<u64>),
            concat!("wharf ", stringify!($queue), ", batches of ", $n), concat!($key, "-b", $n),
            $family, true,
            |$cap| $build, push: |q, v| Queue::try_push(q, v), pop: |q| Queue::try_pop(q),
            batch: $n,
        );)*
    };
}

wharf_queue!(
    WharfArray: ArrayQueue, "wharf-array", Bounded, |cap| wharf::ArrayQueue::new(cap);
    WharfArrayB1: 1, WharfArrayB8: 8, WharfArrayB32: 32, WharfArrayB256: 256
);
wharf_queue!(
    WharfLinked: LinkedQueue, "wharf-linked", Unbounded, |cap| wharf::LinkedQueue::new();
    WharfLinkedB1: 1, WharfLinkedB8: 8, WharfLinkedB32: 32, WharfLinkedB256: 256
);

queue_adapter!(
    /// `crossbeam_queue::ArrayQueue`.
    CrossbeamArray(crossbeam_queue::ArrayQueue<u64>), "crossbeam ArrayQueue", "crossbeam-array",
    Bounded, false,
    |cap| crossbeam_queue::ArrayQueue::new(cap), push: |q, v| q.push(v), pop: |q| q.pop(),
);
queue_adapter!(
    /// `crossbeam_queue::SegQueue`.
    CrossbeamSeg(crossbeam_queue::SegQueue<u64>), "crossbeam SegQueue", "crossbeam-seg",
    Unbounded, false,
    |cap| crossbeam_queue::SegQueue::new(), push: |q, v| {
        q.push(v);
        Ok(())
    },
    pop: |q| q.pop(),
);
queue_adapter!(
    /// `concurrent_queue::ConcurrentQueue::bounded`.
    ConcurrentBounded(concurrent_queue::ConcurrentQueue<u64>), "concurrent-queue bounded",
    "cq-bounded", Bounded, false,
    |cap| concurrent_queue::ConcurrentQueue::bounded(cap),
    push: |q, v| concurrent_push(q.push(v)), pop: |q| q.pop().ok(),
);
queue_adapter!(
    /// `concurrent_queue::ConcurrentQueue::unbounded`.
    ConcurrentUnbounded(concurrent_queue::ConcurrentQueue<u64>), "concurrent-queue unbounded",
    "cq-unbounded", Unbounded, false,
    |cap| concurrent_queue::ConcurrentQueue::unbounded(),
    push: |q, v| concurrent_push(q.push(v)), pop: |q| q.pop().ok(),
);

/// Maps a `concurrent_queue` push result to the harness's; the queues are never closed.
#[inline]
fn concurrent_push(result: Result<(), concurrent_queue::PushError<u64>>) -> Result<(), u64> {
    match result {
        Ok(()) => Ok(()),
        Err(concurrent_queue::PushError::Full(value)) => Err(value),
        Err(concurrent_queue::PushError::Closed(_)) => panic!("benchmark queue was closed"),
    }
}

queue_adapter!(
    /// heapless's Vyukov MPMC queue, 1024 slots (its capacity is a const generic). Only the
    /// single-thread loop uses it: the reference of the instruction-count target. heapless
    /// deprecates it as not lock-free (a preempted thread blocks the others), as wharf's
    /// ArrayQueue also is not; it decides "empty" and "full" from the slot's stamp alone, with
    /// relaxed compare-and-swaps.
    HeaplessMpmc(Box<heapless::mpmc::Queue<u64, 1024>>), "heapless mpmc::Queue",
    "heapless-mpmc", Bounded, false,
    |cap| {
        assert_eq!(cap, 1024, "the heapless adapter has 1024 slots only");
        #[allow(deprecated)]
        let queue = heapless::mpmc::Queue::new();
        Box::new(queue)
    },
    push: |q, v| q.enqueue(v), pop: |q| q.dequeue(),
);

queue_adapter!(
    /// Not a queue: one slot written and read with relaxed atomics (plain moves on x86). Only
    /// the single-thread loop uses it, to measure what the loop itself costs.
    EmptyLoop(AtomicU64), "empty loop", "empty", Reference, false,
    |cap| AtomicU64::new(0),
    push: |q, v| {
        q.store(v, Ordering::Relaxed);
        Ok(())
    },
    pop: |q| Some(q.load(Ordering::Relaxed)),
);
