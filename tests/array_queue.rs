//! Integration tests for `ArrayQueue`, the bounded ring.

mod common;

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{scaled, DropTracker, Tracked};
use wharf::{ArrayQueue, Queue};

/// Capacities that cover 1 (the single-slot state machine), powers of two and the skipping
/// path.
const CAPS: [usize; 6] = [1, 2, 3, 7, 1000, 1024];

#[test]
fn smoke() {
    let q = ArrayQueue::new(4);
    assert_eq!(q.pop(), None);
    q.push(7).unwrap();
    assert_eq!(q.pop(), Some(7));
    assert_eq!(q.pop(), None);
    q.push(8).unwrap();
    q.push(9).unwrap();
    assert_eq!(q.pop(), Some(8));
    q.push(10).unwrap();
    assert_eq!(q.pop(), Some(9));
    assert_eq!(q.pop(), Some(10));
    assert_eq!(q.pop(), None);
}

#[test]
fn capacity() {
    for cap in CAPS {
        let q = ArrayQueue::new(cap);
        assert_eq!(q.capacity(), cap);
        assert_eq!(Queue::capacity(&q), Some(cap));
        // Several laps, so each slot is reused.
        for lap in 0..3 {
            for i in 0..cap {
                assert_eq!(q.push(i), Ok(()), "cap {cap}, lap {lap}: push {i} failed");
            }
            assert_eq!(q.len(), cap);
            assert!(q.is_full());
            assert_eq!(
                q.push(usize::MAX),
                Err(usize::MAX),
                "cap {cap}: push past capacity"
            );
            assert_eq!(q.try_push(usize::MAX), Err(usize::MAX));
            // One out, one in, still full.
            assert_eq!(q.pop(), Some(0));
            assert_eq!(q.push(cap), Ok(()));
            assert_eq!(q.push(usize::MAX), Err(usize::MAX));
            for i in 1..=cap {
                assert_eq!(q.pop(), Some(i), "cap {cap}, lap {lap}");
            }
            assert_eq!(q.pop(), None);
        }
    }
}

#[test]
#[should_panic(expected = "ArrayQueue capacity must be non-zero")]
fn zero_capacity() {
    let _ = ArrayQueue::<u8>::new(0);
}

#[test]
#[should_panic(expected = "ArrayQueue capacity must be non-zero")]
fn zero_capacity_with_initial_lap() {
    let _ = ArrayQueue::<u8>::__with_initial_lap(0, 1);
}

#[test]
fn absurd_capacities() {
    let caps = [
        usize::MAX,
        usize::MAX - 1,
        usize::MAX / 2,
        usize::MAX / 2 + 1,
        isize::MAX as usize / 4 + 3,
        1 << 62,
        usize::MAX / 16,
    ];
    for cap in caps {
        let msg = common::panic_message(|| ArrayQueue::<u8>::new(cap));
        assert!(
            msg.contains(&format!("ArrayQueue capacity {cap} is too large")),
            "cap {cap}: unexpected panic message {msg:?}"
        );
        let msg = common::panic_message(|| ArrayQueue::<()>::__with_initial_lap(cap, 1));
        assert!(msg.contains("is too large"), "cap {cap}: {msg:?}");
    }
}

#[test]
fn len_empty_full() {
    for cap in CAPS {
        let q = ArrayQueue::new(cap);
        let mut model = VecDeque::new();
        // Fill and drain partially several times so head and tail sit at every offset.
        let mut next = 0;
        for round in 0..3 * cap.min(50) + 3 {
            let pushes = (round * 7 + 1) % (cap + 1);
            for _ in 0..pushes {
                let r = q.push(next);
                if model.len() < cap {
                    assert_eq!(r, Ok(()));
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(next));
                }
                next += 1;
                assert_eq!(q.len(), model.len());
                assert_eq!(q.is_empty(), model.is_empty());
                assert_eq!(q.is_full(), model.len() == cap);
            }
            let pops = (round * 5 + 2) % (cap + 2);
            for _ in 0..pops {
                assert_eq!(q.pop(), model.pop_front());
                assert_eq!(q.len(), model.len());
                assert_eq!(q.is_empty(), model.is_empty());
                assert_eq!(q.is_full(), model.len() == cap);
                assert_eq!(Queue::len(&q), model.len());
                assert_eq!(Queue::is_empty(&q), model.is_empty());
                assert_eq!(Queue::is_full(&q), model.len() == cap);
            }
        }
    }
}

#[test]
fn force_push() {
    for cap in CAPS {
        let q = ArrayQueue::new(cap);
        let n = 3 * cap + 5;
        for i in 0..n {
            let evicted = q.force_push(i);
            if i < cap {
                assert_eq!(evicted, None, "cap {cap}: nothing to evict at {i}");
            } else {
                assert_eq!(evicted, Some(i - cap), "cap {cap}: must evict the oldest");
            }
            assert_eq!(q.len(), (i + 1).min(cap));
        }
        assert!(q.is_full());
        for i in n - cap..n {
            assert_eq!(q.pop(), Some(i));
        }
        assert_eq!(q.pop(), None);
        // Not full: force_push is a plain push.
        assert_eq!(q.force_push(1), None);
        assert_eq!(q.pop(), Some(1));
    }
}

/// Adds one to its counter when dropped, panicking or not.
struct Stopped<'a>(&'a AtomicUsize);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Asserts that `values`, in the order one thread saw them, hold each producer's values in
/// increasing order.
fn assert_per_producer_order(values: &[u64], what: &str) {
    let mut last = std::collections::HashMap::new();
    for &v in values {
        let (p, seq) = common::decode(v);
        if let Some(prev) = last.insert(p, seq) {
            assert!(prev < seq, "{what}: producer {p}'s {seq} after its {prev}");
        }
    }
}

#[test]
fn force_push_concurrent() {
    // Producers force-push, consumers pop: each value ends up popped, evicted (returned to
    // its producer) or left in the queue, exactly once; every thread sees each producer's
    // values in order (eviction keeps FIFO order); and what is evicted is the oldest: with one
    // producer, the queue held `cap` of its values below `seq` when `seq` evicted, so the
    // value evicted is at most `seq - cap`.
    for (producers, cap) in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 3), (2, 8)] {
        let q = ArrayQueue::new(cap);
        let per = scaled(5_000);
        let stop = AtomicUsize::new(0);
        let (popped, evicted) = std::thread::scope(|s| {
            let prods: Vec<_> = (0..producers)
                .map(|p| {
                    let (q, stop) = (&q, &stop);
                    s.spawn(move || {
                        // Counts this producer as stopped even if it panics.
                        let _stopped = Stopped(stop);
                        let mut evicted = Vec::new();
                        for seq in 0..per {
                            if let Some(old) = q.force_push(common::encode(p, seq)) {
                                let (_, old_seq) = common::decode(old);
                                assert!(
                                    producers > 1 || old_seq + cap <= seq,
                                    "cap {cap}: pushing {seq} evicted {old_seq}, not the oldest"
                                );
                                evicted.push(old);
                            }
                        }
                        evicted
                    })
                })
                .collect();
            let cons: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        let mut got = Vec::new();
                        while stop.load(Ordering::SeqCst) < producers {
                            got.extend(q.pop());
                        }
                        got
                    })
                })
                .collect();
            let evicted: Vec<Vec<u64>> = prods.into_iter().map(|h| h.join().unwrap()).collect();
            let popped: Vec<Vec<u64>> = cons.into_iter().map(|h| h.join().unwrap()).collect();
            (popped, evicted)
        });
        let left: Vec<u64> = q.into_iter().collect();
        assert!(left.len() <= cap);
        for (what, seen) in [("evicted", &evicted), ("popped", &popped)] {
            for values in seen {
                assert_per_producer_order(values, &format!("cap {cap}: {what}"));
            }
        }
        assert_per_producer_order(&left, &format!("cap {cap}: left"));
        let mut all: Vec<u64> = popped.into_iter().flatten().collect();
        all.extend(evicted.into_iter().flatten());
        all.extend(left);
        all.sort_unstable();
        let mut expected: Vec<u64> = (0..producers)
            .flat_map(|p| (0..per).map(move |s| common::encode(p, s)))
            .collect();
        expected.sort_unstable();
        assert_eq!(
            all.len(),
            expected.len(),
            "cap {cap}: values lost or duplicated"
        );
        assert!(all == expected, "cap {cap}: values lost or duplicated");
    }
}

#[test]
fn spsc() {
    let n = scaled(50_000);
    for cap in [1, 2, 3, 64] {
        let q = ArrayQueue::new(cap);
        common::spsc(&q, n);
        assert_eq!(q.pop(), None);
    }
}

#[test]
fn mpmc() {
    for cap in [1, 3, 16] {
        let q = ArrayQueue::new(cap);
        common::stress_threads(&q, 4, 4, scaled(5_000));
    }
}

#[test]
fn mpmc_rayon() {
    for cap in [2, 7] {
        let q = ArrayQueue::new(cap);
        common::stress_rayon(&q, 4, 2, scaled(5_000));
    }
}

#[test]
fn oversubscribed_8p8c() {
    let q = ArrayQueue::new(4);
    common::stress_threads(&q, 8, 8, scaled(2_000));
}

#[test]
fn linearizable() {
    let threads = 4;
    for cap in [threads, threads + 3] {
        let q = ArrayQueue::new(cap);
        common::push_then_pop(&q, threads, scaled(20_000));
    }
}

#[test]
fn drops() {
    let n = 50;
    // Dropped full.
    let t = DropTracker::new(n);
    let q = ArrayQueue::new(n);
    for i in 0..n {
        q.push(Tracked::new(&t, i)).unwrap();
    }
    assert_eq!(t.total(), 0);
    drop(q);
    t.assert_all_dropped_once();

    // Partial pops, wrapped around, then dropped: popped values are the caller's.
    let t = DropTracker::new(n + 20);
    let q = ArrayQueue::new(16);
    let mut id = 0;
    for _ in 0..12 {
        q.push(Tracked::new(&t, id)).unwrap();
        id += 1;
    }
    for i in 0..10 {
        let v = q.pop().unwrap();
        assert_eq!(v.id, i);
        assert_eq!(t.drops(i), 0, "pop must not drop the value");
        drop(v);
        assert_eq!(t.drops(i), 1);
    }
    for _ in 0..10 {
        q.push(Tracked::new(&t, id)).unwrap();
        id += 1;
    }
    let rejected = q.push(Tracked::new(&t, id)).err();
    // 12 pushed, 10 popped, 10 pushed: 12 of 16 held; this push fits.
    assert!(rejected.is_none());
    id += 1;
    assert_eq!(t.total(), 10);
    drop(q);
    t.assert_dropped_once(0..id);

    // A value a full queue hands back is not dropped by the queue.
    let t = DropTracker::new(2);
    let q = ArrayQueue::new(1);
    q.push(Tracked::new(&t, 0)).unwrap();
    let back = q.push(Tracked::new(&t, 1)).unwrap_err();
    assert_eq!(back.id, 1);
    assert_eq!(t.total(), 0);
    drop(back);
    drop(q);
    t.assert_all_dropped_once();

    // IntoIterator partially consumed, then dropped.
    let t = DropTracker::new(n);
    let q = ArrayQueue::new(n);
    for i in 0..n {
        q.push(Tracked::new(&t, i)).unwrap();
    }
    let mut it = q.into_iter();
    assert_eq!(it.len(), n);
    for i in 0..5 {
        assert_eq!(it.next().unwrap().id, i);
    }
    assert_eq!(it.len(), n - 5);
    assert_eq!(t.total(), 5);
    drop(it);
    t.assert_all_dropped_once();

    // force_push returns the displaced value without dropping it.
    let t = DropTracker::new(10);
    let q = ArrayQueue::new(3);
    for i in 0..10 {
        if let Some(old) = q.force_push(Tracked::new(&t, i)) {
            assert_eq!(old.id, i - 3);
            assert_eq!(t.drops(old.id), 0);
        }
    }
    assert_eq!(t.total(), 7);
    drop(q);
    t.assert_all_dropped_once();
}

#[test]
fn drops_concurrent() {
    // Values still queued when a stress run stops are dropped once, with the queue.
    let per = scaled(2_000);
    let t = DropTracker::new(2 * per);
    let q = ArrayQueue::new(64);
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        for p in 0..2 {
            let (q, t, failed) = (&q, &t, &failed);
            s.spawn(move || {
                let _flag = common::PanicFlag(failed);
                for i in 0..per {
                    common::push_until_ok(q, Tracked::new(t, p * per + i));
                }
            });
        }
        // Pop all but (about) what fits, dropping as we go.
        let mut popped = 0;
        while popped < 2 * per - 64 {
            if q.pop().is_some() {
                popped += 1;
            } else {
                assert!(!failed.load(Ordering::SeqCst), "a producer panicked");
            }
        }
    });
    assert_eq!(t.total(), 2 * per - 64);
    assert_eq!(q.len(), 64);
    drop(q);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_drop() {
    let n = 10;
    let t = DropTracker::new(n);
    let q = ArrayQueue::new(n);
    for i in 0..n {
        let v = if i == 3 {
            Tracked::panicking(&t, i)
        } else {
            Tracked::new(&t, i)
        };
        q.push(v).unwrap();
    }
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(q)));
    assert!(r.is_err(), "the value's panic must propagate");
    t.assert_all_dropped_once();

    // Same through a partly consumed IntoIter, after a wrap-around.
    let t = DropTracker::new(n + 4);
    let q = ArrayQueue::new(7);
    for i in 0..4 {
        q.push(Tracked::new(&t, i)).unwrap();
    }
    for _ in 0..4 {
        drop(q.pop());
    }
    for i in 4..11 {
        let v = if i == 8 {
            Tracked::panicking(&t, i)
        } else {
            Tracked::new(&t, i)
        };
        q.push(v).unwrap();
    }
    let mut it = q.into_iter();
    assert_eq!(it.next().unwrap().id, 4);
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(it)));
    assert!(r.is_err());
    t.assert_dropped_once(0..11);
}

#[test]
fn zero_sized() {
    let q = ArrayQueue::new(1000);
    for i in 0..1000 {
        assert_eq!(q.len(), i);
        q.push(()).unwrap();
    }
    assert!(q.is_full());
    assert_eq!(q.push(()), Err(()));
    for i in (0..1000).rev() {
        assert_eq!(q.pop(), Some(()));
        assert_eq!(q.len(), i);
    }
    assert_eq!(q.pop(), None);
    assert!(q.is_empty());
}

/// Runs a fixed mix of push, force_push and pop against a `VecDeque` model.
fn model_run(q: &ArrayQueue<u64>, cap: usize, ops: usize) {
    let mut model = VecDeque::new();
    let mut next = 0u64;
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..ops {
        // xorshift: a fixed, unbiased-enough schedule.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match x % 8 {
            0..=3 => {
                let r = q.push(next);
                if model.len() < cap {
                    assert_eq!(r, Ok(()));
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(next));
                }
                next += 1;
            }
            4 => {
                let evicted = if model.len() == cap {
                    model.pop_front()
                } else {
                    None
                };
                assert_eq!(q.force_push(next), evicted);
                model.push_back(next);
                next += 1;
            }
            _ => assert_eq!(q.pop(), model.pop_front()),
        }
        assert_eq!(q.len(), model.len());
        assert_eq!(q.is_empty(), model.is_empty());
        assert_eq!(q.is_full(), model.len() == cap);
    }
}

#[test]
fn wrap_around() {
    for cap in [1, 2, 3, 4, 5, 1000] {
        for laps_before_wrap in [1, 2, 3] {
            // Fill and drain across the wrap: the full and empty tests compare positions.
            let q = ArrayQueue::__with_initial_lap(cap, laps_before_wrap);
            let mut next = 0u64;
            let mut head = 0u64;
            for _ in 0..2 * laps_before_wrap + 2 {
                // Half a lap in, then fill up: the full state straddles the wrap at some point.
                for _ in 0..cap.div_ceil(2) {
                    q.push(next).unwrap();
                    next += 1;
                }
                while q.push(next).is_ok() {
                    next += 1;
                }
                assert_eq!(q.len(), cap);
                assert!(q.is_full());
                assert_eq!(q.force_push(next), Some(head));
                head += 1;
                next += 1;
                while let Some(v) = q.pop() {
                    assert_eq!(v, head, "cap {cap}, laps {laps_before_wrap}");
                    head += 1;
                }
                assert_eq!(head, next);
                assert!(q.is_empty());
                assert_eq!(q.len(), 0);
            }
            // A mixed run through the wrap against a model.
            let q = ArrayQueue::__with_initial_lap(cap, laps_before_wrap);
            model_run(&q, cap, (laps_before_wrap + 2) * cap * 4 + 64);
        }
    }
}

#[test]
fn wrap_around_spsc() {
    for cap in [1, 2, 3, 4, 5, 1000] {
        let laps = 3;
        let q = ArrayQueue::__with_initial_lap(cap, laps);
        // Enough to cross the wrap several times over, whatever the fill level.
        let n = (laps + 4) * cap + scaled(10_000);
        common::spsc(&q, n);
        assert!(q.is_empty());
    }
}

#[test]
fn wrap_around_mpmc() {
    for cap in [1, 3, 4] {
        let q = ArrayQueue::__with_initial_lap(cap, 2);
        common::stress_threads(&q, 2, 2, scaled(3_000));
    }
}

#[test]
fn into_iter() {
    let q = ArrayQueue::new(5);
    for i in 0..5 {
        q.push(i).unwrap();
    }
    q.pop();
    q.push(5).unwrap();
    let it = q.into_iter();
    assert_eq!(it.size_hint(), (5, Some(5)));
    assert_eq!(it.collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}

#[test]
fn debug() {
    let q = ArrayQueue::new(5);
    q.push(1).unwrap();
    q.push(2).unwrap();
    let s = format!("{q:?}");
    assert!(s.starts_with("ArrayQueue"), "{s}");
    assert!(s.contains("len: 2"), "{s}");
    assert!(s.contains("capacity: 5"), "{s}");
    let s = format!("{:?}", q.into_iter());
    assert!(s.starts_with("IntoIter(ArrayQueue"), "{s}");
}

#[test]
fn queue_trait() {
    fn use_queue<Q: Queue<u32>>(q: &Q) {
        assert_eq!(q.capacity(), Some(2));
        assert!(q.is_empty());
        assert_eq!(q.try_push(1), Ok(()));
        assert_eq!(q.try_push(2), Ok(()));
        assert!(q.is_full());
        assert_eq!(q.try_push(3), Err(3));
        assert_eq!(q.len(), 2);
        assert_eq!(q.try_pop(), Some(1));
        assert_eq!(q.try_pop(), Some(2));
        assert_eq!(q.try_pop(), None);
    }
    use_queue(&ArrayQueue::new(2));
    let dynamic: &dyn Queue<u32> = &ArrayQueue::new(2);
    assert_eq!(dynamic.capacity(), Some(2));
}

/// Operations on two different queues are ordered too (the store-buffering pattern): each
/// thread pushes into one empty queue, then pops from the other (see
/// `common::store_buffering`; capacity 1 is the single-slot machine, 2 a power of two, 3 the
/// remainder path). Whatever the
/// interleaving, the later of the two pops comes after both pushes, so at least one of them
/// must find a value. With `Acquire`/`Release` decisions (or a push that counted as "not yet"
/// while it writes) both pops can come back empty on x86. The payload is large so that a
/// push spends long enough between claiming the slot and publishing its value for the two
/// threads to overlap there often, and the threads are pinned to two CPUs so that they run at
/// once (a capacity-1 queue with the `Acquire`/`Release` decisions failed 767 of 100,000
/// rounds).
#[test]
fn cap1_store_buffering() {
    for cap in [1, 2, 3] {
        common::store_buffering(&format!("ArrayQueue capacity {cap}"), || {
            ArrayQueue::new(cap)
        });
    }
}

/// Capacities 5 and 6 leave several unused indices per lap (`one_lap` 8), where a distance
/// that counted them would exceed the capacity.
#[test]
fn len_bounded_under_contention() {
    for cap in [1, 2, 3, 5, 6, 8] {
        common::len_stays_bounded(&ArrayQueue::new(cap), scaled(5_000));
    }
}

/// Hints that lag behind the real head and tail, as a claimer preempted between its
/// compare-and-swap and its hint store leaves them when it resumes (by at most a lap):
/// every operation walks on from the hint to the real position, and `len`, `is_empty` and
/// `is_full` stay exact. Covers single, batch, `force_push` and `&mut` operations, with the
/// ring a few laps in, at every fill level and every lag.
#[test]
fn lagging_hints() {
    for cap in [2, 3, 5, 8] {
        for fill in 0..=cap {
            for lag in 0..=cap {
                let mut q = ArrayQueue::new(cap);
                let mut model = VecDeque::new();
                let mut next = 0u64;
                // A few laps in, ending with `fill` values in the ring.
                for _ in 0..2 * cap + 1 {
                    q.push(next).unwrap();
                    model.push_back(next);
                    next += 1;
                    assert_eq!(q.pop(), model.pop_front());
                }
                for _ in 0..fill {
                    q.push(next).unwrap();
                    model.push_back(next);
                    next += 1;
                }
                let what = format!("cap {cap}, fill {fill}, lag {lag}");
                q.__lag_hints(lag);
                assert_eq!(q.len(), fill, "{what}");
                assert_eq!(q.is_empty(), fill == 0, "{what}");
                assert_eq!(q.is_full(), fill == cap, "{what}");
                // Single push to full, from the lagging tail.
                while q.push(next).is_ok() {
                    model.push_back(next);
                    next += 1;
                }
                assert_eq!(q.len(), cap, "{what}");
                // force_push evicts the real oldest, from lagging hints.
                q.__lag_hints(lag);
                assert_eq!(q.force_push(next), model.pop_front(), "{what}");
                model.push_back(next);
                next += 1;
                // A single pop, then a batch pop, from a lagging head.
                q.__lag_hints(lag);
                assert_eq!(q.pop(), model.pop_front(), "{what}");
                q.__lag_hints(lag);
                let mut out = Vec::new();
                let k = q.pop_batch(&mut out, 2);
                assert_eq!(out, model.drain(..k).collect::<Vec<_>>(), "{what}");
                // A batch push into the room made, from a lagging tail.
                q.__lag_hints(lag);
                let mut values: Vec<u64> = (next..next + 3).collect();
                let pushed = q.push_batch(&mut values);
                assert_eq!(pushed, (cap - model.len()).min(3), "{what}");
                model.extend(next..next + pushed as u64);
                next += 3;
                // `&mut` operations, from lagging hints.
                q.__lag_hints(lag);
                assert_eq!(q.pop_mut(), model.pop_front(), "{what}");
                q.__lag_hints(lag);
                assert_eq!(q.push_mut(next), Ok(()), "{what}");
                model.push_back(next);
                q.__lag_hints(lag);
                assert_eq!(q.len(), model.len(), "{what}");
                let rest: Vec<u64> = std::iter::from_fn(|| q.pop()).collect();
                assert_eq!(rest, Vec::from(model), "{what}");
                assert!(q.is_empty(), "{what}");
            }
        }
    }
}
