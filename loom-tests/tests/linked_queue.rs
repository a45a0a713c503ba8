//! Models of `LinkedQueue`, the unbounded Michael-Scott queue of blocks (two slots per block
//! under loom), with nodes reclaimed through crossbeam-epoch (itself on loom's atomics).

#![cfg(loom)]

mod common;

use common::{assert_per_producer_order, model, retry, Drops};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use wharf::LinkedQueue;

/// Two producers, one consumer, after one value went through on the main thread: the
/// producers' second value crosses into a second block (`BLOCK` is 2 under loom), so a block
/// is linked and the first one retired while others work.
#[test]
fn two_producers_one_consumer_across_blocks() {
    model(|| {
        let q = Arc::new(LinkedQueue::new());
        q.push(99);
        assert_eq!(q.pop(), Some(99));
        let producers: Vec<_> = [1usize, 1]
            .into_iter()
            .enumerate()
            .map(|(p, count)| {
                let q = q.clone();
                thread::spawn(move || {
                    for n in 0..count {
                        q.push(10 * p + n);
                    }
                })
            })
            .collect();
        let mut seen: Vec<usize> = (0..2).map(|_| retry(|| q.pop())).collect();
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(q.pop(), None);
        assert_per_producer_order(&seen);
        seen.sort_unstable();
        assert_eq!(seen, [0, 10]);
    });
}

/// A pop racing a push on an empty queue may miss it, but a pop that starts after the push
/// returned (ordered by a flag) must see it; and nothing is lost either way.
#[test]
fn pop_races_push_on_empty() {
    model(|| {
        let q = Arc::new(LinkedQueue::new());
        let pushed = Arc::new(AtomicBool::new(false));
        let producer = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                q.push(1);
                pushed.store(true, Ordering::Release);
                q.push(2);
            })
        };
        let was_pushed = pushed.load(Ordering::Acquire);
        let first = q.pop();
        if was_pushed {
            assert_eq!(first, Some(1));
        }
        producer.join().unwrap();
        let mut all: Vec<i32> = first.into_iter().collect();
        all.extend(std::iter::from_fn(|| q.pop()));
        assert_eq!(all, [1, 2]);
    });
}

/// Values popped, and values left in the queue when it is dropped (across a block boundary),
/// are each dropped exactly once.
#[test]
fn items_left_at_drop_dropped_once() {
    model(|| {
        let drops = Drops::new(3);
        let q = Arc::new(LinkedQueue::new());
        let producer = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || {
                q.push(drops.make(0));
                q.push(drops.make(1));
                q.push(drops.make(2));
            })
        };
        let consumer = {
            let q = q.clone();
            thread::spawn(move || drop(q.pop()))
        };
        producer.join().unwrap();
        consumer.join().unwrap();
        drop(q);
        drops.assert_each_dropped_once();
    });
}
