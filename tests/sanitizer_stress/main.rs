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

use common::{check_received, encode, scaled};
use wharf::{ArrayQueue, EventCount, LinkedQueue, Queue};

/// Joins every thread, in order, and returns what each returned.
fn join_all<R>(handles: Vec<JoinHandle<R>>) -> Vec<R> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// `producers` threads push `per` boxed values each, `consumers` threads pop until all have
/// arrived; the multiset and per-producer order are checked.
fn mpmc<Q: Queue<Box<u64>> + Send + Sync + 'static>(q: Q, producers: usize, consumers: usize) {
    let per = scaled(20_000);
    let q = Arc::new(q);
    let taken = Arc::new(AtomicUsize::new(0));
    let total = producers * per;
    let pushers: Vec<_> = (0..producers)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for seq in 0..per {
                    let mut v = Box::new(encode(p, seq));
                    while let Err(back) = q.try_push(v) {
                        v = back;
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let poppers: Vec<_> = (0..consumers)
        .map(|_| {
            let (q, taken) = (q.clone(), taken.clone());
            thread::spawn(move || {
                let mut got = Vec::new();
                while taken.load(Ordering::Relaxed) < total {
                    match q.try_pop() {
                        Some(v) => {
                            got.push(*v);
                            taken.fetch_add(1, Ordering::Relaxed);
                        }
                        None => thread::yield_now(),
                    }
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
        mpmc(ArrayQueue::new(cap), 2, 2);
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
    mpmc(LinkedQueue::new(), 2, 2);
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
