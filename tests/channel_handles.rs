//! Channel handles and iterators as crossbeam-channel's: `same_channel`, and blocking
//! iterators that stay ended (`FusedIterator`). (Split from `channel.rs`, which holds the
//! send/receive contracts.)

use std::sync::Arc;
use std::thread;

use wharf::channel::{bounded, unbounded, with_queue, Receiver, Sender};
use wharf::{LinkedQueue, Queue};

/// A queue the test can still reach once the channel owns it: a side door around the channel.
struct SharedQueue(Arc<LinkedQueue<u32>>);

impl Queue<u32> for SharedQueue {
    fn try_push(&self, value: u32) -> Result<(), u32> {
        self.0.try_push(value)
    }
    fn try_pop(&self) -> Option<u32> {
        self.0.try_pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn capacity(&self) -> Option<usize> {
        None
    }
}

#[test]
fn blocking_iterators_are_fused() {
    fn check((tx, rx): (Sender<u32>, Receiver<u32>)) {
        for i in 0..3 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let rx2 = rx.clone();
        let mut it = rx.iter();
        assert_eq!(it.by_ref().take(3).collect::<Vec<_>>(), [0, 1, 2]);
        for _ in 0..3 {
            assert_eq!(it.next(), None);
        }
        let mut it = rx2.into_iter();
        for _ in 0..3 {
            assert_eq!(it.next(), None);
        }
    }
    check(bounded(3));
    check(unbounded());

    // A queue reachable from outside the channel: once an iterator has ended, a value pushed
    // through the side door does not revive it (though `recv` would take it).
    for owning in [false, true] {
        let side = Arc::new(LinkedQueue::new());
        let (tx, rx) = with_queue(SharedQueue(Arc::clone(&side)));
        tx.send(1).unwrap();
        drop(tx);
        let mut it: Box<dyn Iterator<Item = u32>> = if owning {
            Box::new(rx.into_iter())
        } else {
            Box::new(rx.iter())
        };
        assert_eq!(it.next(), Some(1));
        assert_eq!(it.next(), None);
        side.push(2);
        assert_eq!(it.next(), None, "owning: {owning}");
        assert_eq!(side.pop(), Some(2), "the value stayed in the queue");
    }
}

#[test]
fn same_channel() {
    let (tx, rx) = bounded::<u8>(1);
    let (tx_b, rx_b) = bounded::<u8>(1);
    let (tx_u, rx_u) = unbounded::<u8>();
    let (tx2, rx2) = (tx.clone(), rx.clone());
    // A clone of a clone, made on another thread, after the first handles are gone.
    let (tx3, rx3) = thread::spawn(move || (tx2.clone(), rx2.clone()))
        .join()
        .unwrap();
    for (a, b, same) in [
        (&tx, &tx, true),
        (&tx, &tx3, true),
        (&tx3, &tx, true),
        (&tx, &tx_b, false),
        (&tx_b, &tx, false),
        (&tx, &tx_u, false),
        // Two other channels with as many handles each.
        (&tx_b, &tx_u, false),
    ] {
        assert_eq!(a.same_channel(b), same);
    }
    for (a, b, same) in [
        (&rx, &rx, true),
        (&rx, &rx3, true),
        (&rx3, &rx, true),
        (&rx, &rx_b, false),
        (&rx_u, &rx, false),
        (&rx_b, &rx_u, false),
    ] {
        assert_eq!(a.same_channel(b), same);
    }
    // Still the same channel once it is disconnected.
    drop((tx, tx3, rx_b, tx_u, rx_u));
    assert!(rx.same_channel(&rx3));
    assert!(tx_b.same_channel(&tx_b.clone().clone()));
}
