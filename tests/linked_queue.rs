//! Integration tests for `LinkedQueue`, the unbounded list of blocks.

mod common;

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use common::{scaled, DropTracker, Tracked};
use wharf::{LinkedQueue, Queue};

/// Slots per node.
const NODE: usize = LinkedQueue::<u8>::__SLOTS_PER_NODE;

/// More than a few nodes' worth, and not a multiple of a node.
const MANY: usize = NODE * 5 + 7;

#[test]
fn smoke() {
    let q = LinkedQueue::new();
    assert_eq!(q.pop(), None);
    q.push(7);
    assert_eq!(q.pop(), Some(7));
    assert_eq!(q.pop(), None);
    q.push(8);
    q.push(9);
    assert_eq!(q.pop(), Some(8));
    q.push(10);
    assert_eq!(q.pop(), Some(9));
    assert_eq!(q.pop(), Some(10));
    assert_eq!(q.pop(), None);
}

#[test]
fn capacity() {
    let q = LinkedQueue::<u8>::new();
    assert_eq!(Queue::capacity(&q), None);
    for i in 0..MANY {
        assert_eq!(q.try_push(i as u8), Ok(()));
        assert!(!Queue::is_full(&q));
    }
    assert_eq!(q.len(), MANY);
}

#[test]
fn len_empty_full() {
    let q = LinkedQueue::new();
    let mut model = VecDeque::new();
    let mut next = 0;
    // Uneven push and pop bursts so head and tail cross node boundaries at every offset.
    for round in 0..40 {
        for _ in 0..(round * 7 + 3) % 50 {
            q.push(next);
            model.push_back(next);
            next += 1;
            assert_eq!(q.len(), model.len());
            assert!(!q.is_empty());
        }
        for _ in 0..(round * 11 + 5) % 60 {
            assert_eq!(q.pop(), model.pop_front());
            assert_eq!(q.len(), model.len());
            assert_eq!(q.is_empty(), model.is_empty());
            assert_eq!(Queue::len(&q), model.len());
            assert_eq!(Queue::is_empty(&q), model.is_empty());
            assert!(!Queue::is_full(&q));
        }
    }
}

#[test]
fn fifo_across_nodes() {
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(i);
    }
    for i in 0..MANY {
        assert_eq!(q.pop(), Some(i));
    }
    assert_eq!(q.pop(), None);
    assert!(q.is_empty());
}

#[test]
fn spsc() {
    let n = scaled(50_000);
    let q = LinkedQueue::new();
    common::spsc(&q, n);
    assert_eq!(q.pop(), None);
}

#[test]
fn mpmc() {
    let q = LinkedQueue::new();
    common::stress_threads(&q, 4, 4, scaled(10_000));
}

#[test]
fn mpmc_rayon() {
    let q = LinkedQueue::new();
    common::stress_rayon(&q, 4, 2, scaled(10_000));
}

#[test]
fn oversubscribed_8p8c() {
    let q = LinkedQueue::new();
    common::stress_threads(&q, 8, 8, scaled(3_000));
}

#[test]
fn linearizable() {
    let q = LinkedQueue::new();
    common::push_then_pop(&q, 4, scaled(20_000));
}

#[test]
fn drops() {
    // Dropped holding several nodes.
    let t = DropTracker::new(MANY);
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(Tracked::new(&t, i));
    }
    assert_eq!(t.total(), 0);
    drop(q);
    t.assert_all_dropped_once();

    // Partial pops (past node boundaries), then dropped.
    let t = DropTracker::new(MANY);
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(Tracked::new(&t, i));
    }
    let popped = 2 * NODE + 6;
    for i in 0..popped {
        let v = q.pop().unwrap();
        assert_eq!(v.id, i);
        assert_eq!(t.drops(i), 0, "pop must not drop the value");
    }
    assert_eq!(t.total(), popped);
    drop(q);
    t.assert_all_dropped_once();

    // Drained completely, then dropped: nothing more to drop.
    let t = DropTracker::new(40);
    let q = LinkedQueue::new();
    for i in 0..40 {
        q.push(Tracked::new(&t, i));
    }
    while q.pop().is_some() {}
    t.assert_all_dropped_once();
    drop(q);
    t.assert_all_dropped_once();

    // IntoIterator partially consumed, then dropped.
    let t = DropTracker::new(MANY);
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(Tracked::new(&t, i));
    }
    let mut it = q.into_iter();
    let taken = NODE + 40;
    for i in 0..taken {
        assert_eq!(it.next().unwrap().id, i);
    }
    assert_eq!(t.total(), taken);
    drop(it);
    t.assert_all_dropped_once();
}

#[test]
fn drops_concurrent() {
    // Values left when a stress run stops are dropped once, with the queue.
    let per = scaled(3_000);
    let t = DropTracker::new(2 * per);
    let q = LinkedQueue::new();
    let keep = 100;
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        for p in 0..2 {
            let (q, t, failed) = (&q, &t, &failed);
            s.spawn(move || {
                let _flag = common::PanicFlag(failed);
                for i in 0..per {
                    q.push(Tracked::new(t, p * per + i));
                }
            });
        }
        s.spawn(|| {
            let mut popped = 0;
            while popped < 2 * per - keep {
                match q.pop() {
                    Some(_) => popped += 1,
                    None => {
                        assert!(!failed.load(Ordering::SeqCst), "a producer panicked");
                        std::thread::yield_now();
                    }
                }
            }
        });
    });
    assert_eq!(t.total(), 2 * per - keep);
    assert_eq!(q.len(), keep);
    drop(q);
    t.assert_all_dropped_once();
}

#[test]
fn panicking_drop() {
    let t = DropTracker::new(MANY);
    let q = LinkedQueue::new();
    for i in 0..MANY {
        // In a middle node, so nodes before and after it must still be handled.
        q.push(if i == 2 * NODE + 13 {
            Tracked::panicking(&t, i)
        } else {
            Tracked::new(&t, i)
        });
    }
    for i in 0..10 {
        assert_eq!(q.pop().unwrap().id, i);
    }
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(q)));
    assert!(r.is_err(), "the value's panic must propagate");
    t.assert_all_dropped_once();

    // Same through a partly consumed IntoIter.
    let t = DropTracker::new(MANY);
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(if i == 3 * NODE + 4 {
            Tracked::panicking(&t, i)
        } else {
            Tracked::new(&t, i)
        });
    }
    let mut it = q.into_iter();
    assert_eq!(it.next().unwrap().id, 0);
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(it)));
    assert!(r.is_err());
    t.assert_all_dropped_once();
}

#[test]
fn zero_sized() {
    let q = LinkedQueue::new();
    for i in 0..1000 {
        assert_eq!(q.len(), i);
        q.push(());
    }
    assert_eq!(q.len(), 1000);
    for i in (0..1000).rev() {
        assert_eq!(q.pop(), Some(()));
        assert_eq!(q.len(), i);
    }
    assert_eq!(q.pop(), None);
    assert!(q.is_empty());
}

#[test]
fn into_iter() {
    let q = LinkedQueue::new();
    for i in 0..MANY {
        q.push(i);
    }
    // Past the first node boundary, so the iterator starts in the second node.
    let popped = NODE + 1;
    for i in 0..popped {
        assert_eq!(q.pop(), Some(i));
    }
    assert_eq!(
        q.into_iter().collect::<Vec<_>>(),
        (popped..MANY).collect::<Vec<_>>()
    );
}

#[test]
fn default() {
    let q: LinkedQueue<String> = LinkedQueue::default();
    assert!(q.is_empty());
    assert_eq!(q.len(), 0);
    q.push("x".to_owned());
    assert_eq!(q.pop().as_deref(), Some("x"));
}

#[test]
fn debug() {
    let q = LinkedQueue::new();
    q.push(1);
    q.push(2);
    let s = format!("{q:?}");
    assert!(s.starts_with("LinkedQueue"), "{s}");
    assert!(s.contains("len: 2"), "{s}");
    let s = format!("{:?}", q.into_iter());
    assert!(s.starts_with("IntoIter(LinkedQueue"), "{s}");
}

#[test]
fn queue_trait() {
    fn use_queue<Q: Queue<u32>>(q: &Q) {
        assert_eq!(q.capacity(), None);
        assert!(q.is_empty());
        for i in 0..100 {
            assert_eq!(q.try_push(i), Ok(()));
        }
        assert!(!q.is_full());
        assert_eq!(q.len(), 100);
        for i in 0..100 {
            assert_eq!(q.try_pop(), Some(i));
        }
        assert_eq!(q.try_pop(), None);
    }
    use_queue(&LinkedQueue::new());
    let dynamic: &dyn Queue<u32> = &LinkedQueue::new();
    assert_eq!(dynamic.capacity(), None);
}

/// A node is built in place on the heap: 128 slots of a 64 KiB value (8 MiB) would overflow
/// the 1 MiB stack of this thread if the node were built on the stack and moved.
#[test]
fn large_values_small_stack() {
    type Big = [u8; 64 * 1024];
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let q = LinkedQueue::<Box<Big>>::new();
            q.push(Box::new([7; 64 * 1024]));
            assert_eq!(q.pop().map(|b| b[12_345]), Some(7));
            let inline = LinkedQueue::<Big>::new();
            assert!(inline.pop().is_none());
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The store-buffering pattern of `cap1_store_buffering` in tests/array_queue.rs, over two
/// LinkedQueues: a push into one, then a pop from the other, on each of two threads; at
/// least one pop must find a value.
#[test]
fn store_buffering() {
    common::store_buffering("LinkedQueue", LinkedQueue::new);
}

#[test]
fn len_bounded_under_contention() {
    common::len_stays_bounded(&LinkedQueue::new(), scaled(5_000));
}
