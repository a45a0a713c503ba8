//! The `&mut self` paths of both queues (`push_mut`, `pop_mut`), mixed with the shared ones:
//! whatever one path leaves behind (stamps, counters, nodes), the other must carry on from.
//!
//! Each test runs under a watchdog: a shared push or pop that meets a stamp or state the
//! exclusive paths left wrong spins forever, and the watchdog turns that into a failure.

mod common;

use std::collections::VecDeque;

use common::{scaled, watchdog, DropTracker, Tracked};
use wharf::{ArrayQueue, LinkedQueue};

/// Capacities with their own code paths: the four-state slot (1), the smallest ring (2), a
/// capacity that is not a power of two (3, 5, 7), a power of two (4) and a large ring.
const CAPS: [usize; 7] = [1, 2, 3, 4, 5, 7, 1000];

/// A fixed, unbiased-enough schedule (xorshift).
struct Schedule(u64);

impl Schedule {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs `ops` operations drawn from `push`, `push_mut`, `force_push`, `pop` and `pop_mut` on
/// `q` and on a `VecDeque` model, checking every answer and the length after each.
fn array_model_run(q: &mut ArrayQueue<u64>, cap: usize, ops: usize, seed: u64) {
    let mut model = VecDeque::new();
    let mut next = 0u64;
    let mut schedule = Schedule(seed);
    for _ in 0..ops {
        match schedule.next() % 10 {
            op @ 0..=3 => {
                let r = if op < 2 {
                    q.push(next)
                } else {
                    q.push_mut(next)
                };
                if model.len() < cap {
                    assert_eq!(r, Ok(()), "cap {cap}: push below capacity");
                    model.push_back(next);
                } else {
                    assert_eq!(r, Err(next), "cap {cap}: push when full");
                }
                next += 1;
            }
            4 => {
                let evicted = if model.len() == cap {
                    model.pop_front()
                } else {
                    None
                };
                assert_eq!(q.force_push(next), evicted, "cap {cap}: force_push");
                model.push_back(next);
                next += 1;
            }
            5..=6 => assert_eq!(q.pop(), model.pop_front(), "cap {cap}: pop"),
            _ => assert_eq!(q.pop_mut(), model.pop_front(), "cap {cap}: pop_mut"),
        }
        assert_eq!(q.len(), model.len(), "cap {cap}: len");
        assert_eq!(q.is_full(), model.len() == cap, "cap {cap}: is_full");
    }
    while let Some(v) = model.pop_front() {
        assert_eq!(q.pop_mut(), Some(v), "cap {cap}: drain");
    }
    assert_eq!(q.pop(), None);
}

#[test]
fn array_mixed_model() {
    watchdog("array_mixed_model", || {
        for cap in CAPS {
            for seed in [0x2545_f491_4f6c_dd1d, 0x9e37_79b9_7f4a_7c15] {
                let mut q = ArrayQueue::new(cap);
                array_model_run(&mut q, cap, cap * 40 + 200, seed);
                // Across the wrap-around of the positions, too.
                for laps_before_wrap in [1, 2] {
                    let mut q = ArrayQueue::__with_initial_lap(cap, laps_before_wrap);
                    array_model_run(&mut q, cap, (laps_before_wrap + 3) * cap * 8 + 200, seed);
                }
            }
        }
    });
}

/// One side shared, the other exclusive, lap after lap: fill with one, drain with the other.
#[test]
fn array_fill_one_way_drain_the_other() {
    watchdog("array_fill_one_way_drain_the_other", || {
        for cap in CAPS {
            for laps_before_wrap in [1, 3] {
                let mut q = ArrayQueue::__with_initial_lap(cap, laps_before_wrap);
                let mut next = 0u64;
                let mut head = 0u64;
                for round in 0..2 * laps_before_wrap + 4 {
                    let exclusive_push = round % 2 == 0;
                    // Half a lap first, so that full and empty fall mid-ring on later rounds.
                    let fill = if round == 0 { cap.div_ceil(2) } else { cap };
                    for _ in 0..fill {
                        if exclusive_push {
                            assert_eq!(q.push_mut(next), Ok(()));
                        } else {
                            assert_eq!(q.push(next), Ok(()));
                        }
                        next += 1;
                    }
                    if round > 0 {
                        assert!(q.is_full(), "cap {cap}, round {round}");
                        assert_eq!(q.push_mut(next), Err(next));
                        assert_eq!(q.push(next), Err(next));
                    }
                    loop {
                        let v = if exclusive_push { q.pop() } else { q.pop_mut() };
                        match v {
                            Some(v) => {
                                assert_eq!(v, head, "cap {cap}, round {round}");
                                head += 1;
                            }
                            None => break,
                        }
                    }
                    assert_eq!(head, next);
                    assert!(q.is_empty());
                    assert_eq!(q.pop_mut(), None);
                }
            }
        }
    });
}

/// The concurrent paths carry on from what the exclusive ones left: part-filled with
/// `push_mut` (past the wrap-around), then producers and consumers race, then `pop_mut`.
#[test]
fn array_concurrent_after_exclusive() {
    watchdog("array_concurrent_after_exclusive", || {
        for cap in [1, 2, 3, 8] {
            let mut q = ArrayQueue::__with_initial_lap(cap, 1);
            for round in 0..4u64 {
                for i in 0..cap.div_ceil(2) as u64 {
                    q.push_mut(1 << 40 | round << 20 | i).unwrap();
                }
                for i in 0..cap.div_ceil(2) as u64 {
                    assert_eq!(q.pop_mut(), Some(1 << 40 | round << 20 | i));
                }
                common::stress_threads(&q, 2, 2, scaled(2_000));
                assert_eq!(q.pop_mut(), None);
            }
        }
    });
}

#[test]
fn array_drops() {
    watchdog("array_drops", || {
        for cap in [1, 2, 3] {
            // Filled exclusively, partly popped exclusively, dropped: each value dropped once.
            let t = DropTracker::new(4 * cap + 4);
            let mut q = ArrayQueue::new(cap);
            let mut id = 0;
            // The value a full `push_mut` handed back, pushed again next time (never dropped
            // on the way, so its id counts once).
            let mut pending: Option<Tracked> = None;
            for _ in 0..3 {
                loop {
                    let value = pending.take().unwrap_or_else(|| {
                        id += 1;
                        Tracked::new(&t, id - 1)
                    });
                    if let Err(back) = q.push_mut(value) {
                        assert_eq!(t.drops(back.id), 0, "a refused push_mut dropped its value");
                        pending = Some(back);
                        break;
                    }
                }
                let v = q.pop_mut().unwrap();
                assert_eq!(t.drops(v.id), 0, "pop_mut must not drop the value");
                drop(v);
            }
            assert_eq!(t.total(), 3);
            drop(q);
            drop(pending);
            t.assert_dropped_once(0..id);
        }
    });
}

#[test]
fn array_zero_sized() {
    watchdog("array_zero_sized", || {
        for cap in [1, 2, 3, 1000] {
            let mut q = ArrayQueue::new(cap);
            for i in 0..cap {
                assert_eq!(q.len(), i);
                assert_eq!(q.push_mut(()), Ok(()));
            }
            assert_eq!(q.push_mut(()), Err(()));
            assert_eq!(q.pop(), Some(()));
            assert_eq!(q.push_mut(()), Ok(()));
            for _ in 0..cap {
                assert_eq!(q.pop_mut(), Some(()));
            }
            assert_eq!(q.pop_mut(), None);
            assert!(q.is_empty());
        }
    });
}

/// Slots per node of `LinkedQueue`.
const NODE: usize = LinkedQueue::<u8>::__SLOTS_PER_NODE;

/// Runs `ops` operations drawn from `push`, `push_mut`, `pop` and `pop_mut` on `q` and on a
/// `VecDeque` model. Pushes outnumber pops, so the queue grows across several nodes and its
/// front crosses node boundaries while the back does.
fn linked_model_run(q: &mut LinkedQueue<u64>, ops: usize, seed: u64) {
    let mut model = VecDeque::new();
    let mut next = 0u64;
    let mut schedule = Schedule(seed);
    for _ in 0..ops {
        match schedule.next() % 9 {
            0..=2 => {
                q.push(next);
                model.push_back(next);
                next += 1;
            }
            3..=4 => {
                q.push_mut(next);
                model.push_back(next);
                next += 1;
            }
            5..=6 => assert_eq!(q.pop(), model.pop_front(), "pop"),
            _ => assert_eq!(q.pop_mut(), model.pop_front(), "pop_mut"),
        }
        assert_eq!(q.len(), model.len());
    }
    // Drained half and half.
    while let Some(v) = model.pop_front() {
        let got = if v % 2 == 0 { q.pop() } else { q.pop_mut() };
        assert_eq!(got, Some(v), "drain");
    }
    assert_eq!(q.pop_mut(), None);
    assert_eq!(q.pop(), None);
    assert!(q.is_empty());
}

#[test]
fn linked_mixed_model() {
    watchdog("linked_mixed_model", || {
        for seed in [0x2545_f491_4f6c_dd1d, 0x9e37_79b9_7f4a_7c15] {
            let mut q = LinkedQueue::new();
            linked_model_run(&mut q, NODE * 20 + 7, seed);
            // And again on the same queue: its first node is long gone.
            linked_model_run(&mut q, NODE * 10 + 3, seed ^ 1);
        }
    });
}

/// Fill one way, drain the other, each fill crossing node boundaries.
#[test]
fn linked_fill_one_way_drain_the_other() {
    watchdog("linked_fill_one_way_drain_the_other", || {
        let mut q = LinkedQueue::new();
        let mut next = 0u64;
        let mut head = 0u64;
        for round in 0..6 {
            let exclusive_push = round % 2 == 0;
            // Fills of different lengths, so that the node boundaries fall at different places.
            for _ in 0..NODE * 2 + 1 + round * 17 {
                if exclusive_push {
                    q.push_mut(next);
                } else {
                    q.push(next);
                }
                next += 1;
            }
            assert_eq!(q.len() as u64, next - head);
            loop {
                let v = if exclusive_push { q.pop() } else { q.pop_mut() };
                match v {
                    Some(v) => {
                        assert_eq!(v, head, "round {round}");
                        head += 1;
                    }
                    None => break,
                }
            }
            assert_eq!(head, next);
        }
    });
}

/// Concurrent pops retire nodes through the epoch collector while exclusive pops free others
/// at once; and the concurrent paths carry on from what the exclusive ones left.
#[test]
fn linked_concurrent_and_exclusive() {
    watchdog("linked_concurrent_and_exclusive", || {
        let mut q = LinkedQueue::new();
        for round in 0..4 {
            let n = NODE * 6 + round;
            for i in 0..n as u64 {
                q.push_mut(i);
            }
            // Two threads pop a third of the values, retiring the first nodes.
            let popped: Vec<u64> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..2)
                    .map(|_| s.spawn(|| (0..n / 6).map(|_| q.pop().unwrap()).collect::<Vec<_>>()))
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap())
                    .collect()
            });
            let mut popped = popped;
            popped.sort_unstable();
            assert_eq!(popped, (0..2 * (n / 6) as u64).collect::<Vec<_>>());
            // The rest through `pop_mut`, which frees the remaining drained nodes itself.
            for i in 2 * (n / 6) as u64..n as u64 {
                assert_eq!(q.pop_mut(), Some(i));
            }
            assert_eq!(q.pop_mut(), None);
            common::stress_threads(&q, 2, 2, scaled(NODE * 8));
        }
    });
}

#[test]
fn linked_drops() {
    watchdog("linked_drops", || {
        let total = NODE * 3 + 5;
        let t = DropTracker::new(total);
        let mut q = LinkedQueue::new();
        for i in 0..total {
            if i % 3 == 0 {
                q.push(Tracked::new(&t, i));
            } else {
                q.push_mut(Tracked::new(&t, i));
            }
        }
        assert_eq!(t.total(), 0);
        let popped = NODE + 9;
        for i in 0..popped {
            let v = q.pop_mut().unwrap();
            assert_eq!(v.id, i);
            assert_eq!(t.drops(i), 0, "pop_mut must not drop the value");
        }
        assert_eq!(t.total(), popped);
        drop(q);
        t.assert_all_dropped_once();
    });
}

#[test]
fn linked_zero_sized() {
    watchdog("linked_zero_sized", || {
        let mut q = LinkedQueue::new();
        for _ in 0..NODE * 2 + 1 {
            q.push_mut(());
        }
        assert_eq!(q.len(), NODE * 2 + 1);
        for _ in 0..NODE * 2 + 1 {
            assert_eq!(q.pop_mut(), Some(()));
        }
        assert_eq!(q.pop_mut(), None);
        assert!(q.is_empty());
    });
}

/// The owning iterators end for good: they own the queue, so nothing can refill it.
#[test]
fn owning_iterators_stay_ended() {
    let q = ArrayQueue::new(3);
    q.push(1).unwrap();
    let mut it = q.into_iter();
    assert_eq!(it.next(), Some(1));
    assert_eq!(it.len(), 0);
    assert_eq!((it.next(), it.next()), (None, None));

    let q = LinkedQueue::new();
    for i in 0..NODE + 1 {
        q.push(i);
    }
    let mut it = q.into_iter();
    assert_eq!(it.by_ref().count(), NODE + 1);
    assert_eq!((it.next(), it.next()), (None, None));
}
