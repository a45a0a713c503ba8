//! Models of the queues' `&mut self` paths (`push_mut`, `pop_mut`) around shared use: the
//! exclusive accesses read every atomic through `with_mut`, which loom checks to happen after
//! every write of the shared phase, and the shared phase must carry on from what the
//! exclusive one left.

#![cfg(loom)]

mod common;

use common::{model, retry, Drops, Tracked};
use loom::sync::Arc;
use loom::thread;
use wharf::{ArrayQueue, LinkedQueue};

/// Exclusive pushes, then a producer and a consumer share the ring, then exclusive pops and
/// the drop take what is left; every value is dropped exactly once.
fn array_exclusive_around_shared(cap: usize) {
    model(move || {
        let drops = Drops::new(4);
        let mut q = ArrayQueue::new(cap);
        // Move the positions off slot 0 first, so that the shared phase wraps.
        q.push_mut(drops.make(0)).map_err(|_| ()).unwrap();
        assert_eq!(q.pop_mut().map(|v| v.id), Some(0));
        q.push_mut(drops.make(1)).map_err(|_| ()).unwrap();
        let q = Arc::new(q);
        let producer = {
            let (q, drops) = (q.clone(), drops.clone());
            thread::spawn(move || {
                let mut value = Some(drops.make(2));
                retry(|| match q.push(value.take().unwrap()) {
                    Ok(()) => Some(()),
                    Err(back) => {
                        value = Some(back);
                        None
                    }
                });
            })
        };
        let first: Tracked = retry(|| q.pop());
        assert_eq!(first.id, 1);
        producer.join().unwrap();
        let mut q = Arc::try_unwrap(q).ok().expect("the only handle left");
        q.push_mut(drops.make(3)).map_err(|_| ()).unwrap_or(());
        let rest: Vec<usize> = std::iter::from_fn(|| q.pop_mut()).map(|v| v.id).collect();
        match cap {
            1 => assert_eq!(rest, [2]), // value 3 did not fit, and was dropped
            _ => assert_eq!(rest, [2, 3]),
        }
        drop(first);
        drop(q);
        drops.assert_each_dropped_once();
    });
}

#[test]
fn array_cap1_exclusive_around_shared() {
    array_exclusive_around_shared(1);
}

#[test]
fn array_cap2_exclusive_around_shared() {
    array_exclusive_around_shared(2);
}

#[test]
fn array_cap3_exclusive_around_shared() {
    array_exclusive_around_shared(3);
}

/// Exclusive pushes fill past a node boundary (two slots per node under loom), two threads
/// pop concurrently (retiring a node through the collector), then `pop_mut` frees the rest at
/// once and the drop frees the last node; every value is dropped exactly once.
#[test]
fn linked_exclusive_around_shared() {
    model(|| {
        let drops = Drops::new(5);
        let mut q = LinkedQueue::new();
        for id in 0..4 {
            q.push_mut(drops.make(id));
        }
        let q = Arc::new(q);
        let popper = {
            let q = q.clone();
            thread::spawn(move || q.pop().map(|v| v.id))
        };
        let mine = q.pop().map(|v| v.id);
        let theirs = popper.join().unwrap();
        let mut got = [mine.unwrap(), theirs.unwrap()];
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
        let mut q = Arc::try_unwrap(q).ok().expect("the only handle left");
        q.push_mut(drops.make(4));
        let rest: Vec<usize> = std::iter::from_fn(|| q.pop_mut()).map(|v| v.id).collect();
        assert_eq!(rest, [2, 3, 4]);
        drop(q);
        drops.assert_each_dropped_once();
    });
}
