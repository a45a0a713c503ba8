//! Models of `ArrayQueue`, the bounded Vyukov ring.

#![cfg(loom)]

mod common;

use common::{assert_per_producer_order, model, retry, Drops};
use loom::sync::Arc;
use loom::thread;
use wharf::ArrayQueue;

/// Two producers push, one consumer pops everything: nothing lost or duplicated, and each
/// producer's values come out in the order it pushed them. Producer `p` pushes
/// `10 * p + n` for `n < per_producer[p]`. The queue first passes `warm_up` values through, so
/// the positions the threads use start past slot 0 and the ring wraps during the model.
///
/// Sizes are small on purpose: every producer that finds the ring full and every consumer that
/// finds it empty spins (yields), and loom's state space grows quickly with spinning threads.
fn two_producers_one_consumer(cap: usize, warm_up: usize, per_producer: [usize; 2]) {
    two_producers_one_consumer_on(move || ArrayQueue::new(cap), warm_up, per_producer);
}

/// `two_producers_one_consumer` on the queue `make` builds.
fn two_producers_one_consumer_on(
    make: impl Fn() -> ArrayQueue<usize> + Send + Sync + 'static,
    warm_up: usize,
    per_producer: [usize; 2],
) {
    model(move || {
        let q = Arc::new(make());
        for v in 0..warm_up {
            q.push(1000 + v).unwrap();
            assert_eq!(q.pop(), Some(1000 + v));
        }
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let q = q.clone();
                thread::spawn(move || {
                    for n in 0..per_producer[p] {
                        let mut value = 10 * p + n;
                        retry(|| match q.push(value) {
                            Ok(()) => Some(()),
                            Err(back) => {
                                value = back;
                                None
                            }
                        });
                    }
                })
            })
            .collect();
        let total = per_producer[0] + per_producer[1];
        let mut seen: Vec<usize> = (0..total).map(|_| retry(|| q.pop())).collect();
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(q.pop(), None);
        assert_per_producer_order(&seen);
        seen.sort_unstable();
        let mut expected: Vec<usize> = (0..per_producer[0]).collect();
        expected.extend((0..per_producer[1]).map(|n| 10 + n));
        assert_eq!(seen, expected);
    });
}

#[test]
fn cap1_producer_consumer_wraps() {
    // Two values through the one slot, one after the other. (Two producers racing for the
    // one slot, each retrying while full, exceed loom's branch budget: with three threads in
    // retry loops the schedules do not end. Two writers on the one slot without retries are
    // `cap1_failed_push_means_full` and `cap1_force_push_races_force_push`.)
    two_producers_one_consumer(1, 0, [2, 0]);
}

/// Capacity 2, started one position in so that the ring wraps: producer 0 pushes 0 and 1,
/// producer 1 pushes 10, each push tried once (a producer retrying on a full ring, as in
/// `two_producers_one_consumer`, exceeds loom's branch budget here), while the consumer pops
/// twice. Three values into two slots fill the ring in some schedules, so the full check races
/// the pop that makes room. Every value is refused, popped or left exactly once, and the
/// values that got in keep each producer's order.
#[test]
fn cap2_two_producers_fill_the_ring() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(2));
        q.push(1000).unwrap();
        assert_eq!(q.pop(), Some(1000));
        let producers: Vec<_> = [vec![0, 1], vec![10]]
            .into_iter()
            .map(|values| {
                let q = q.clone();
                thread::spawn(move || {
                    let refused: Vec<usize> =
                        values.into_iter().filter_map(|v| q.push(v).err()).collect();
                    refused
                })
            })
            .collect();
        let mut seen: Vec<usize> = (0..2).filter_map(|_| q.pop()).collect();
        let refused: Vec<usize> = producers
            .into_iter()
            .flat_map(|p| p.join().unwrap())
            .collect();
        seen.extend(std::iter::from_fn(|| q.pop()));
        assert_per_producer_order(&seen);
        let mut all = seen;
        all.extend(refused);
        all.sort_unstable();
        assert_eq!(all, [0, 1, 10]);
    });
}

#[test]
fn cap3_lap_wraps_around_usize() {
    // Positions start one lap (4 positions: capacity 3 skips index 3) before they wrap around
    // `usize`; after one value of warm-up, the three raced values sit at the last two
    // indices of that lap and index 0 past the wrap-around, so the race crosses both the
    // index skip and the wrap. (Two values per producer, as before the stamps became the
    // claims, took loom over 15 minutes: every operation now also loads and stores a hint.)
    two_producers_one_consumer_on(|| ArrayQueue::__with_initial_lap(3, 1), 1, [2, 1]);
}

#[test]
fn cap2_two_producers_one_consumer_wraps() {
    // Positions 1 and 2: the second lands in slot 0 of the next lap (one lap is 2 here, a
    // power of two, so positions are plain counters).
    two_producers_one_consumer(2, 1, [1, 1]);
}

#[test]
fn cap3_two_producers_one_consumer_order() {
    // A capacity that is not a power of two (one lap is 4, index 3 skipped); three values
    // through three slots, two from one producer, so per-producer order is checked. (The
    // ring filling up under a race is `cap2_two_producers_fill_the_ring`.)
    two_producers_one_consumer(3, 0, [2, 1]);
}

/// `force_push` racing `pop` on a full queue: every value pushed is either evicted (returned
/// by `force_push`), popped, or still in the queue, exactly once.
fn force_push_races_pop(cap: usize) {
    model(move || {
        let q = Arc::new(ArrayQueue::new(cap));
        for v in 0..cap {
            q.push(v).unwrap();
        }
        let pusher = {
            let q = q.clone();
            thread::spawn(move || {
                let a = q.force_push(100);
                let b = q.force_push(101);
                [a, b]
            })
        };
        let popped = q.pop();
        let evicted = pusher.join().unwrap();
        let mut all: Vec<usize> = evicted.into_iter().flatten().collect();
        all.extend(popped);
        let rest: Vec<usize> = std::iter::from_fn(|| q.pop()).collect();
        // What remains is in FIFO order, and the newest value is never evicted.
        assert!(rest.windows(2).all(|w| w[0] < w[1]), "{rest:?}");
        if popped != Some(101) {
            assert_eq!(rest.last(), Some(&101));
        }
        all.extend(rest);
        all.sort_unstable();
        let mut expected: Vec<usize> = (0..cap).collect();
        expected.extend([100, 101]);
        assert_eq!(all, expected);
    });
}

#[test]
fn cap1_force_push_races_pop() {
    force_push_races_pop(1);
}

#[test]
fn cap2_force_push_races_pop() {
    force_push_races_pop(2);
}

/// Capacity 1, full: two `force_push`es race. One evicts the original value, the other evicts
/// the first one's value, and the last one in stays: nothing lost, nothing evicted twice.
#[test]
fn cap1_force_push_races_force_push() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(1));
        q.push(0).unwrap();
        let other = {
            let q = q.clone();
            thread::spawn(move || q.force_push(2))
        };
        let mine = q.force_push(1);
        let theirs = other.join().unwrap();
        let rest = q.pop();
        match rest {
            Some(2) => assert_eq!((mine, theirs), (Some(0), Some(1))),
            Some(1) => assert_eq!((mine, theirs), (Some(2), Some(0))),
            other => panic!("left {other:?}, evicted {mine:?} and {theirs:?}"),
        }
        assert_eq!(q.pop(), None);
    });
}

/// Values pushed, popped, evicted and left behind at drop are each dropped exactly once.
fn items_left_at_drop_dropped_once(cap: usize) {
    model(move || {
        let drops = Drops::new(4);
        let q = Arc::new(ArrayQueue::new(cap));
        q.push(drops.make(0)).unwrap();
        let producer = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || {
                let _ = q.push(drops.make(1)); // full or not: an `Err` hands it back to drop
                drop(q.force_push(drops.make(2)));
            })
        };
        let consumer = {
            let q = q.clone();
            thread::spawn(move || drop(q.pop()))
        };
        drop(q.force_push(drops.make(3)));
        producer.join().unwrap();
        consumer.join().unwrap();
        drop(q);
        drops.assert_each_dropped_once();
    });
}

#[test]
fn cap2_items_left_at_drop_dropped_once() {
    items_left_at_drop_dropped_once(2);
}

/// Capacity 1 (the single-slot state machine): a `force_push` and a `push` race a `pop`;
/// whatever is evicted, refused, popped or left behind is dropped exactly once. Two threads:
/// with three, the waits on a busy slot exceed loom's branch budget.
#[test]
fn cap1_items_left_at_drop_dropped_once() {
    model(|| {
        let drops = Drops::new(3);
        let q = Arc::new(ArrayQueue::new(1));
        q.push(drops.make(0)).unwrap();
        let producer = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || {
                drop(q.force_push(drops.make(1)));
                let _ = q.push(drops.make(2)); // full or not: an `Err` hands it back to drop
            })
        };
        drop(q.pop());
        producer.join().unwrap();
        drop(q);
        drops.assert_each_dropped_once();
    });
}

/// Capacity 1: a second push fails exactly when the first value has not been popped yet, and
/// a pop that finds the queue empty is ordered before the first push.
#[test]
fn cap1_push_full_pop_empty_edge() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(1));
        let producer = {
            let q = q.clone();
            thread::spawn(move || (q.push(1), q.push(2)))
        };
        let popped = q.pop();
        let (first, second) = producer.join().unwrap();
        assert_eq!(first, Ok(()));
        match second {
            // Room for 2 means our pop took 1 before it.
            Ok(()) => {
                assert_eq!(popped, Some(1));
                assert_eq!(q.pop(), Some(2));
            }
            Err(back) => {
                assert_eq!(back, 2);
                // Either our pop came first (empty) and 1 is still there, or it came after
                // the failed push and took 1.
                match popped {
                    None => assert_eq!(q.pop(), Some(1)),
                    Some(v) => assert_eq!(v, 1),
                }
            }
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    });
}

/// A pop that starts after a push has returned (ordered by a flag) never sees an empty queue.
#[test]
fn pop_after_completed_push_sees_it() {
    use loom::sync::atomic::{AtomicBool, Ordering};
    model(|| {
        let q = Arc::new(ArrayQueue::new(2));
        let pushed = Arc::new(AtomicBool::new(false));
        let producer = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                q.push(7).unwrap();
                pushed.store(true, Ordering::Release);
                q.push(8).unwrap();
            })
        };
        if pushed.load(Ordering::Acquire) {
            assert_eq!(q.pop(), Some(7));
        }
        producer.join().unwrap();
    });
}

/// A capacity-1 queue holding 1, and a thread that is `force_push`ing 2 into it.
fn full_cap1_being_force_pushed() -> (Arc<ArrayQueue<i32>>, thread::JoinHandle<Option<i32>>) {
    let q = Arc::new(ArrayQueue::new(1));
    q.push(1).unwrap();
    let pusher = {
        let q = q.clone();
        thread::spawn(move || q.force_push(2))
    };
    (q, pusher)
}

/// Capacity 1 (the single-slot state machine): a `force_push` on a full queue keeps it full
/// throughout, so a racing `pop` always gets a value, the old one or the new one.
#[test]
fn cap1_pop_during_force_push_never_empty() {
    model(|| {
        let (q, pusher) = full_cap1_being_force_pushed();
        let popped = q.pop();
        let evicted = pusher.join().unwrap();
        let rest = q.pop();
        match popped {
            Some(1) => assert_eq!((evicted, rest), (None, Some(2))),
            Some(2) => assert_eq!((evicted, rest), (Some(1), None)),
            other => panic!("pop of a full queue returned {other:?}"),
        }
    });
}

/// Capacity 1: a push that fails because another push is filling the slot may only fail
/// once that value is in: a pop ordered after the failure (by a flag) must find it.
#[test]
fn cap1_failed_push_means_full() {
    use loom::sync::atomic::{AtomicBool, Ordering};
    model(|| {
        let q = Arc::new(ArrayQueue::new(1));
        let failed = Arc::new(AtomicBool::new(false));
        let first = {
            let q = q.clone();
            thread::spawn(move || q.push(1))
        };
        let second = {
            let (q, failed) = (q.clone(), failed.clone());
            thread::spawn(move || {
                let result = q.push(2);
                if result.is_err() {
                    failed.store(true, Ordering::Release);
                }
                result
            })
        };
        let popped = if failed.load(Ordering::Acquire) {
            let popped = q.pop();
            assert!(
                popped.is_some(),
                "a push failed as full, then a pop found it empty"
            );
            popped
        } else {
            None
        };
        let (a, b) = (first.join().unwrap(), second.join().unwrap());
        // Every value is accounted for exactly once: refused, popped, or still queued.
        let mut all: Vec<i32> = [a.err(), b.err(), popped, q.pop()]
            .into_iter()
            .flatten()
            .collect();
        all.sort_unstable();
        assert_eq!(all, [1, 2]);
    });
}

/// Capacity 1: what `len`, `is_empty` and `is_full` report while another thread is inside.
/// A full queue stays full through a `force_push` (it evicts and refills in one step); and
/// while a pop is under way, the queue goes from full to empty once, never back.
#[test]
fn cap1_len_while_busy() {
    model(|| {
        let (q, pusher) = full_cap1_being_force_pushed();
        assert_eq!((q.len(), q.is_full(), q.is_empty()), (1, true, false));
        assert_eq!(pusher.join().unwrap(), Some(1));

        let popper = {
            let q = q.clone();
            thread::spawn(move || q.pop())
        };
        let (first, second) = (q.len(), q.is_empty());
        assert!(first <= 1);
        if first == 0 {
            assert!(second, "the queue refilled itself during a pop");
        }
        assert_eq!(popper.join().unwrap(), Some(2));
        assert_eq!((q.len(), q.is_full(), q.is_empty()), (0, false, true));
    });
}

/// `len` on a ring of two or more slots while another thread pushes and pops one value at a
/// time, once round a ring of two (after a lap of warm-up, so that each slot is on its second
/// lap): the queue never holds more than one value, so `len` never says more. A `len` that
/// found the tail and then the head without finding the tail again could see the head a lap
/// past the tail it found, and answer 2 (the stress test `len_bounded_under_contention`
/// cannot see this: the tear needs a preemption between two adjacent loads, and a preemption
/// that long loosens its bound). With the hints loaded and stored `Relaxed`, this fails at
/// once: `len` could start its head walk at a hinted position whose earlier claims it had
/// not seen. (Four passes from the start took loom over 20 minutes; two after the warm-up
/// take seconds and still catch both.) `len` runs on the spawned thread: loom's DPOR
/// remembers only the last access to each atomic (tokio-rs/loom#166), so with `len` on the
/// main thread the passer's own loads just before its compare-and-swap hide the race.
#[test]
fn len_never_tears_while_values_pass() {
    const WARM_UP: usize = 2;
    const PASSES: usize = 2;
    model(|| {
        let q = Arc::new(ArrayQueue::new(2));
        for v in 0..WARM_UP {
            q.push(v).unwrap();
            assert_eq!(q.pop(), Some(v));
        }
        let observer = {
            let q = q.clone();
            thread::spawn(move || q.len())
        };
        for v in WARM_UP..WARM_UP + PASSES {
            q.push(v).unwrap();
            assert_eq!(q.pop(), Some(v));
        }
        let len = observer.join().unwrap();
        assert!(
            len <= 1,
            "len() {len} while the queue held at most one value"
        );
    });
}

/// A batch pop races single pushes (one producer, capacity 3, the ring wrapping): the batch
/// takes only slots whose values are published, in order, and never one twice.
#[test]
fn batch_pop_races_single_pushes() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(3));
        q.push(100).unwrap();
        assert_eq!(q.pop(), Some(100));
        let producer = {
            let q = q.clone();
            thread::spawn(move || {
                for v in 0..3 {
                    q.push(v).unwrap();
                }
            })
        };
        let mut got = Vec::new();
        while got.len() < 3 {
            if q.pop_batch(&mut got, 3) == 0 {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(q.pop(), None);
    });
}

/// A batch push races a single consumer at capacity 2: the run goes in only where slots are
/// free, the consumer sees the values in order, and what did not fit stays with the caller.
#[test]
fn batch_push_races_single_pops() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(2));
        q.push(7).unwrap();
        let consumer = {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while got.len() < 3 {
                    match q.pop() {
                        Some(v) => got.push(v),
                        None => thread::yield_now(),
                    }
                }
                got
            })
        };
        let mut values = vec![1, 2];
        while !values.is_empty() {
            if q.push_batch(&mut values) == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(consumer.join().unwrap(), [7, 1, 2]);
    });
}

/// A batch pop races a `force_push` on a full ring of two: the batch's run marker sits on
/// its first slot only, so this checks that the eviction (which claims the head from the
/// producers' side) can never take a value inside the batch's run. Every value comes out
/// exactly once, through the batch, the eviction, or what is left, and in FIFO order.
#[test]
fn batch_pop_races_force_push() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(2));
        q.push(100).unwrap();
        assert_eq!(q.pop(), Some(100));
        q.push(0).unwrap();
        q.push(1).unwrap();
        let pusher = {
            let q = q.clone();
            thread::spawn(move || q.force_push(2))
        };
        let mut got = Vec::new();
        q.pop_batch(&mut got, 2);
        let evicted = pusher.join().unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        let rest: Vec<usize> = std::iter::from_fn(|| q.pop()).collect();
        assert!(rest.windows(2).all(|w| w[0] < w[1]), "{rest:?}");
        let mut all = got;
        all.extend(evicted);
        all.extend(rest);
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2]);
    });
}

/// Two batch pushes of two values and a single push race into a ring of five (three
/// positions in, so that a run can cross the end of the lap and its index skip): every producer that meets another's run marker skips the whole
/// run, so each batch's values sit together and in order, and nothing is lost, duplicated or
/// written twice (loom checks every slot's value cell for concurrent access).
#[test]
fn batch_pushes_race_a_single_push() {
    model(|| {
        let q = Arc::new(ArrayQueue::new(5));
        for v in 0..3 {
            q.push(100 + v).unwrap();
            assert_eq!(q.pop(), Some(100 + v));
        }
        let batches: Vec<_> = [[0, 1], [10, 11]]
            .into_iter()
            .map(|batch| {
                let q = q.clone();
                thread::spawn(move || {
                    let mut values = batch.to_vec();
                    assert_eq!(q.push_batch(&mut values), 2, "room for every value");
                })
            })
            .collect();
        q.push(20).unwrap();
        for b in batches {
            b.join().unwrap();
        }
        let got: Vec<usize> = std::iter::from_fn(|| q.pop()).collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 10, 11, 20], "{got:?}");
        let at = |v| got.iter().position(|&x| x == v).unwrap();
        assert_eq!(at(1), at(0) + 1, "{got:?}");
        assert_eq!(at(11), at(10) + 1, "{got:?}");
    });
}
