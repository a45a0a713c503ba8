//! Stress runs written for ThreadSanitizer (`.ci/steps/50-sanitizers.sh`), also run by plain
//! `cargo test`.
//!
//! std is not rebuilt with TSan here, so synchronisation that happens inside precompiled std
//! (a `std::sync::Mutex`, the join of `thread::scope`) is invisible to it and shows up as
//! false races in the test code. These tests therefore share state only through atomics and
//! wharf itself, and join every thread explicitly (`pthread_join`, which TSan sees). Values
//! are boxed, so that a read of a value that was not handed over properly is a read of heap
//! memory another thread wrote, which TSan (and ASan, for use after free) reports.
//!
//! The last handle of a channel or broadcast ring is always dropped by the test's main thread
//! after it has joined the others (a thread hands its handle back through `join`). std's `Arc`
//! orders its last drop with an acquire fence, which TSan does not model, so a last drop on a
//! worker thread would show the teardown racing with the other threads' earlier use; dropped
//! after the joins, the teardown is ordered for TSan too, and no suppression has to hide the
//! teardown (or the values it drops) from it.
//!
//! `broadcast.rs` holds the broadcast runs, `channel.rs` the channel runs.

#[path = "../common/mod.rs"]
mod common;

mod broadcast;
mod channel;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use common::{check_received, encode, scaled, PanicFlag};
use wharf::{ArrayQueue, EventCount, LinkedQueue, Queue};

/// Joins every thread, in order, and returns what each returned.
fn join_all<R>(handles: Vec<JoinHandle<R>>) -> Vec<R> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// `producers` threads push `per` boxed values each, `consumers` threads pop until all have
/// arrived; the multiset and per-producer order are checked. With `batch` above 1, pushes and
/// pops go through the batch methods, in runs of 1 to `batch` values (cycling). A thread that
/// panics sets `failed`, and the others then stop and fail instead of waiting forever.
fn mpmc<Q: Queue<Box<u64>> + Send + Sync + 'static>(
    q: Q,
    producers: usize,
    consumers: usize,
    batch: usize,
) {
    let per = scaled(20_000);
    let q = Arc::new(q);
    let taken = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let total = producers * per;
    let pushers: Vec<_> = (0..producers)
        .map(|p| {
            let (q, failed) = (q.clone(), failed.clone());
            thread::spawn(move || {
                let _flag = PanicFlag(&failed);
                let mut seq = 0;
                let mut pending = Vec::new();
                while seq < per || !pending.is_empty() {
                    if pending.is_empty() {
                        let n = (1 + seq % batch).min(per - seq);
                        pending.extend((seq..seq + n).map(|s| Box::new(encode(p, s))));
                        seq += n;
                    }
                    let pushed = if batch == 1 {
                        match q.try_push(pending.pop().unwrap()) {
                            Ok(()) => 1,
                            Err(back) => {
                                pending.push(back);
                                0
                            }
                        }
                    } else {
                        q.try_push_batch(&mut pending)
                    };
                    if pushed == 0 {
                        // Relaxed: a stop flag; it hands over no data.
                        assert!(!failed.load(Ordering::Relaxed), "another thread panicked");
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let poppers: Vec<_> = (0..consumers)
        .map(|c| {
            let (q, taken, failed) = (q.clone(), taken.clone(), failed.clone());
            thread::spawn(move || {
                let _flag = PanicFlag(&failed);
                let mut got = Vec::new();
                let mut boxes = Vec::new();
                let mut round = c;
                while taken.load(Ordering::Relaxed) < total {
                    let popped = if batch == 1 {
                        q.try_pop().map(|v| boxes.push(v)).is_some() as usize
                    } else {
                        round += 1;
                        q.try_pop_batch(&mut boxes, 1 + round % batch)
                    };
                    if popped == 0 {
                        // Relaxed: as above.
                        assert!(!failed.load(Ordering::Relaxed), "another thread panicked");
                        thread::yield_now();
                        continue;
                    }
                    got.extend(boxes.drain(..).map(|v| *v));
                    taken.fetch_add(popped, Ordering::Relaxed);
                }
                got
            })
        })
        .collect();
    join_all(pushers);
    check_received(producers, per, &join_all(poppers));
    assert!(q.is_empty());
    assert_eq!(q.try_pop(), None);
}

#[test]
fn array_queue_mpmc() {
    // 1: the single-slot state machine; 2 and 3: many laps over a small ring (a power of two
    // and not); 64: the common case.
    for cap in [1, 2, 3, 64] {
        mpmc(ArrayQueue::new(cap), 2, 2, 1);
    }
}

#[test]
fn array_queue_batches_mpmc() {
    // Runs straddling the wrap of a small ring, and runs well inside a larger one.
    for cap in [3, 64] {
        mpmc(ArrayQueue::new(cap), 2, 2, 8);
    }
}

/// MPMC across the wrap-around of positions: each queue starts 8 laps before its positions
/// wrap around `usize` (`__with_initial_lap`), so the run crosses it early and goes on for
/// hundreds to thousands of laps after; every value arrives exactly once, in each producer's
/// order. Capacities 2 and 64 are powers of two (a position reaches `usize::MAX`), 3 is not
/// (its last lap skips the unused index); the batches' runs straddle the wrap too.
#[test]
fn array_queue_mpmc_across_the_wrap() {
    for cap in [2, 3, 64] {
        mpmc(ArrayQueue::__with_initial_lap(cap, 8), 2, 2, 1);
    }
    for cap in [3, 64] {
        mpmc(ArrayQueue::__with_initial_lap(cap, 8), 2, 2, 8);
    }
}

#[test]
fn array_queue_laps_in_order() {
    // One producer, one consumer, tens of thousands of laps of a tiny ring: each value must
    // come out exactly once, in order, whatever lap its slot's stamp is on.
    let n = scaled(30_000) as u64;
    for cap in [1, 2, 3] {
        let q = Arc::new(ArrayQueue::new(cap));
        let producer = {
            let q = q.clone();
            thread::spawn(move || {
                for v in 0..n {
                    let mut b = Box::new(v);
                    while let Err(back) = q.push(b) {
                        b = back;
                        thread::yield_now();
                    }
                }
            })
        };
        let mut expected = 0;
        while expected < n {
            match q.pop() {
                Some(v) => {
                    assert_eq!(*v, expected, "capacity {cap}: out of order or lost");
                    expected += 1;
                }
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(q.pop(), None, "capacity {cap}: a value beyond the last");
    }
}

#[test]
fn array_queue_force_push_races_pop() {
    // Capacity 1 is the single-slot state machine, 2 the smallest ring.
    for cap in [1, 2] {
        force_push_races_pop(cap);
    }
}

fn force_push_races_pop(cap: usize) {
    let per = scaled(20_000) as u64;
    let q = Arc::new(ArrayQueue::new(cap));
    let evicted = {
        let q = q.clone();
        thread::spawn(move || {
            (0..per)
                .filter_map(|v| q.force_push(Box::new(v)))
                .map(|b| *b)
                .collect::<Vec<_>>()
        })
    };
    let done = Arc::new(AtomicBool::new(false));
    let popper = {
        let (q, done) = (q.clone(), done.clone());
        thread::spawn(move || {
            let mut got = Vec::new();
            while !done.load(Ordering::Acquire) {
                if let Some(v) = q.pop() {
                    got.push(*v);
                }
            }
            got
        })
    };
    let evicted = evicted.join().unwrap();
    done.store(true, Ordering::Release);
    let popped = popper.join().unwrap();
    // One producer: whatever leaves the queue, by eviction or pop, leaves oldest first.
    for (what, values) in [("evicted", &evicted), ("popped", &popped)] {
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "capacity {cap}: {what} values out of order"
        );
    }
    let mut all = evicted;
    all.extend(popped);
    while let Some(v) = q.pop() {
        all.push(*v);
    }
    all.sort_unstable();
    assert_eq!(all, (0..per).collect::<Vec<_>>(), "lost or duplicated");
}

#[test]
fn linked_queue_mpmc() {
    mpmc(LinkedQueue::new(), 2, 2, 1);
}

#[test]
fn linked_queue_batches_mpmc() {
    // Short runs (consumers catch them half-written) and runs longer than a node (fresh
    // nodes linked already full).
    let block = LinkedQueue::<Box<u64>>::__SLOTS_PER_NODE;
    for batch in [4, 2 * block + 1] {
        mpmc(LinkedQueue::new(), 2, 2, batch);
    }
}

#[test]
fn event_count_handoff() {
    // A token passes back and forth through two flags; each side waits with the
    // prepare / re-check / wait protocol. A lost wake-up hangs the test.
    let rounds = scaled(5_000) as u64;
    let ec = Arc::new(EventCount::new());
    let turn = Arc::new(AtomicU64::new(0));
    let other = {
        let (ec, turn) = (ec.clone(), turn.clone());
        thread::spawn(move || {
            for r in 0..rounds {
                let mine = 2 * r + 1;
                while turn.load(Ordering::SeqCst) != mine - 1 {
                    let key = ec.prepare_wait();
                    if turn.load(Ordering::SeqCst) == mine - 1 {
                        key.cancel();
                    } else {
                        key.wait();
                    }
                }
                turn.store(mine, Ordering::SeqCst);
                ec.notify_all();
            }
        })
    };
    for r in 0..rounds {
        let want = 2 * r + 1;
        while turn.load(Ordering::SeqCst) != want {
            let key = ec.prepare_wait();
            if turn.load(Ordering::SeqCst) == want {
                key.cancel();
            } else {
                key.wait();
            }
        }
        turn.store(want + 1, Ordering::SeqCst);
        ec.notify_all();
    }
    other.join().unwrap();
    assert_eq!(turn.load(Ordering::SeqCst), 2 * rounds);
}
