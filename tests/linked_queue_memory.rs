//! `LinkedQueue` gives memory back as it drains: a node is freed by the last thread to finish
//! with one of its slots, before that thread's `pop` (or `push`) returns, so a drained queue
//! is back to one node at once, with no collector to wait for.
//!
//! A counting global allocator serves the whole test binary, so this file holds one test and
//! nothing else allocates concurrently with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wharf::LinkedQueue;

/// Bytes currently allocated through [`Counting`].
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most bytes live at once since the last [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live and peak bytes.
struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters only observe the layouts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are those `System.alloc` needs.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above (that is, from `System`) with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

#[test]
fn memory_returned() {
    let n = 1_000_000;

    let base = LIVE.load(Ordering::Relaxed);
    let q = LinkedQueue::new();
    let before = LIVE.load(Ordering::Relaxed);
    // The empty queue's one node.
    let node = before - base;
    assert!(
        node > 0,
        "an empty LinkedQueue allocated nothing: the measurement is broken"
    );
    reset_peak();

    for i in 0..n as u64 {
        q.push(i);
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(
        peak >= n * std::mem::size_of::<u64>(),
        "peak {peak} bytes is too small for {n} values: the measurement is broken"
    );

    for i in 0..n as u64 {
        assert_eq!(q.pop(), Some(i));
    }
    assert!(q.is_empty());
    // Drained by `pop`: every node but the current one is freed already.
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(
        kept, 0,
        "a drained queue still holds {kept} bytes (peak was {peak})"
    );

    // The same with two threads pushing and two popping: once they are joined, the queue is
    // back to one node.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for i in 0..n as u64 / 2 {
                    q.push(i);
                }
            });
            s.spawn(|| {
                let mut got = 0;
                while got < n / 2 {
                    if q.pop().is_some() {
                        got += 1;
                    }
                }
            });
        }
    });
    assert!(q.is_empty());
    // Thread spawns allocate too: compare with what the queue alone may hold.
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert!(
        kept < node,
        "after a concurrent burst, a drained queue still holds {kept} bytes"
    );

    // The same through batches (a batch pop counts its run's slots at once).
    let mut values = Vec::with_capacity(1000);
    let mut out = Vec::with_capacity(1000);
    for round in 0..n as u64 / 1000 {
        values.extend(round * 1000..(round + 1) * 1000);
        q.push_batch(&mut values);
    }
    let mut next = 0;
    while q.pop_batch(&mut out, 777) > 0 {
        for v in out.drain(..) {
            assert_eq!(v, next);
            next += 1;
        }
    }
    assert_eq!(next, n as u64);
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert!(
        kept <= values.capacity() * 8 + out.capacity() * 8,
        "a queue drained by batches still holds {kept} bytes"
    );
    drop((values, out));
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(
        kept, 0,
        "a queue drained by batches still holds {kept} bytes"
    );

    // And it is still usable, and the drop frees the last node.
    q.push(1);
    assert_eq!(q.pop(), Some(1));
    let before_drop = LIVE.load(Ordering::Relaxed);
    drop(q);
    let after_drop = LIVE.load(Ordering::Relaxed);
    let freed = before_drop.saturating_sub(after_drop);
    assert_eq!(
        freed, node,
        "dropping the queue freed {freed} bytes, not its last node ({node})"
    );

    // `pop_mut` frees each node it drains before it returns, too.
    let mut q = LinkedQueue::new();
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..n as u64 {
        q.push_mut(i);
    }
    for i in 0..n as u64 {
        assert_eq!(q.pop_mut(), Some(i));
    }
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(
        kept, 0,
        "a queue drained by pop_mut still holds {kept} bytes"
    );
}
