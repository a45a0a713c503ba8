//! One [`BenchBroadcast`] adapter per broadcast contender (the disruptor, which runs its own
//! consumer threads, is in [`super::disruptor`]). Each library is used as a synchronous user
//! would use it, with its own blocking calls where it has them: wharf `publish`/`recv`, bus
//! `broadcast`/`recv` (parks), tokio `send`/`blocking_recv`, crossbeam-channel `send`/`recv`.
//! All rings hold [`CAPACITY`] messages; each fan-out channel holds [`CAPACITY`].

use super::broadcast::{BenchBroadcast, Received};
use super::{Wait, CAPACITY};
use tokio::sync::broadcast as tokio_bcast;
use wharf::broadcast::{Builder, Overflow, Publisher, RecvError, SinglePublisher, Subscriber};
use wharf::WaitStrategy;

/// A wharf publisher: the single-producer handle for one publisher, the cloneable one for more.
pub enum WharfPub {
    /// `build_single`.
    Single(SinglePublisher<u64>),
    /// `build`, cloned per publisher.
    Multi(Publisher<u64>),
}

/// wharf's broadcast ring built by `$builder`: `build_single` for one publisher, `build`
/// cloned for more; every subscriber joined before anything is published.
macro_rules! wharf_ring {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $key:literal, $builder:expr) => {
        $(#[$doc])*
        pub struct $ty;
        named!($ty, $name, $key, Bounded, true);

        impl BenchBroadcast for $ty {
            type Pub = WharfPub;
            type Sub = Subscriber<u64>;

            fn build(publishers: usize, subscribers: usize) -> (Vec<WharfPub>, Vec<Self::Sub>) {
                wharf_build($builder, publishers, subscribers)
            }

            fn publish(publisher: &mut WharfPub, value: u64) {
                match publisher {
                    WharfPub::Single(p) => p.publish(value),
                    WharfPub::Multi(p) => p.publish(value),
                }
            }

            fn recv(subscriber: &mut Self::Sub) -> Received {
                match subscriber.recv() {
                    Ok(v) => Received::Value(v),
                    Err(RecvError::Lagged(n)) => Received::Lagged(n),
                    Err(RecvError::Closed) => Received::Closed,
                }
            }
        }
    };
}

wharf_ring!(
    /// wharf's broadcast ring, backpressure, default `SpinPark`.
    WharfBp, "wharf broadcast (backpressure, SpinPark)", "wharf-bcast",
    Builder::new(CAPACITY)
        .overflow(Overflow::Backpressure)
        .wait_strategy(WaitStrategy::SpinPark)
);
wharf_ring!(
    /// wharf's broadcast ring, backpressure, `SpinYield`.
    WharfBpYield, "wharf broadcast (backpressure, SpinYield)", "wharf-bcast-yield",
    Builder::new(CAPACITY)
        .overflow(Overflow::Backpressure)
        .wait_strategy(WaitStrategy::SpinYield)
);
wharf_ring!(
    /// wharf's broadcast ring, lossy, default strategy.
    WharfLossy, "wharf broadcast (lossy, SpinPark)", "wharf-bcast-lossy",
    Builder::new(CAPACITY).overflow(Overflow::Lossy)
);

fn wharf_build(
    builder: Builder,
    publishers: usize,
    subscribers: usize,
) -> (Vec<WharfPub>, Vec<Subscriber<u64>>) {
    let (pubs, first) = if publishers == 1 {
        let (p, s) = builder.build_single::<u64>();
        (vec![WharfPub::Single(p)], s)
    } else {
        let (p, s) = builder.build::<u64>();
        let mut pubs: Vec<WharfPub> = (1..publishers)
            .map(|_| WharfPub::Multi(p.clone()))
            .collect();
        pubs.push(WharfPub::Multi(p));
        (pubs, s)
    };
    let mut subs: Vec<Subscriber<u64>> = (1..subscribers).map(|_| first.resubscribe()).collect();
    subs.push(first);
    (pubs, subs)
}

/// `bus::Bus`: one publisher (`broadcast` takes `&mut self`), parking on both sides.
pub struct BusAdapter;
named!(BusAdapter, "bus", "bus", Bounded, false);

impl BenchBroadcast for BusAdapter {
    type Pub = bus::Bus<u64>;
    type Sub = bus::BusReader<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        assert_eq!(publishers, 1, "bus has a single publisher");
        let mut bus = bus::Bus::new(CAPACITY);
        let subs = (0..subscribers).map(|_| bus.add_rx()).collect();
        (vec![bus], subs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        publisher.broadcast(value);
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        subscriber.recv().map_or(Received::Closed, Received::Value)
    }
}

/// A tokio broadcast channel of [`CAPACITY`] with `subscribers` receivers.
fn tokio_build(subscribers: usize) -> (tokio_bcast::Sender<u64>, Vec<tokio_bcast::Receiver<u64>>) {
    let (tx, first) = tokio_bcast::channel(CAPACITY);
    let mut subs: Vec<_> = (1..subscribers).map(|_| tx.subscribe()).collect();
    subs.push(first);
    (tx, subs)
}

fn tokio_recv(subscriber: &mut tokio_bcast::Receiver<u64>) -> Received {
    use tokio_bcast::error::RecvError as E;
    match subscriber.blocking_recv() {
        Ok(v) => Received::Value(v),
        Err(E::Lagged(n)) => Received::Lagged(n),
        Err(E::Closed) => Received::Closed,
    }
}

/// tokio's broadcast made lossless by its single publisher: it waits while `len()` says the
/// slowest receiver has not seen a whole capacity of values, calling `len()` only when the
/// credit from the last call is spent. A subscriber that lags anyway fails verification.
pub struct TokioLossless;
named!(
    TokioLossless,
    "tokio broadcast (blocking_recv; publisher waits on len())",
    "tokio-bcast",
    Bounded,
    false
);

/// A tokio sender with the credit left from its last `len()`.
pub struct TokioPub {
    tx: tokio_bcast::Sender<u64>,
    credit: usize,
}

impl BenchBroadcast for TokioLossless {
    type Pub = TokioPub;
    type Sub = tokio_bcast::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<TokioPub>, Vec<Self::Sub>) {
        assert_eq!(
            publishers, 1,
            "the len() credit scheme needs a single publisher"
        );
        let (tx, subs) = tokio_build(subscribers);
        (vec![TokioPub { tx, credit: 0 }], subs)
    }

    fn publish(publisher: &mut TokioPub, value: u64) {
        if publisher.credit == 0 {
            let mut wait = Wait::new();
            loop {
                // Only this publisher adds values, so `CAPACITY - len` sends cannot overrun
                // the slowest receiver.
                let queued = publisher.tx.len();
                if queued < CAPACITY {
                    publisher.credit = CAPACITY - queued;
                    break;
                }
                wait.pause();
            }
        }
        publisher.credit -= 1;
        publisher
            .tx
            .send(value)
            .expect("tokio broadcast: no receivers");
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        tokio_recv(subscriber)
    }
}

/// tokio's broadcast as it is: the publisher never waits.
pub struct TokioLossy;
named!(
    TokioLossy,
    "tokio broadcast (lossy, blocking_recv)",
    "tokio-bcast-lossy",
    Bounded,
    false
);

impl BenchBroadcast for TokioLossy {
    type Pub = tokio_bcast::Sender<u64>;
    type Sub = tokio_bcast::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        let (tx, subs) = tokio_build(subscribers);
        ((0..publishers).map(|_| tx.clone()).collect(), subs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        publisher
            .send(value)
            .expect("tokio broadcast: no receivers");
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        tokio_recv(subscriber)
    }
}

/// N bounded crossbeam-channel channels; a publisher sends a copy to each.
pub struct Fanout;
named!(
    Fanout,
    "crossbeam-channel fan-out (N bounded channels)",
    "crossbeam-fanout",
    Bounded,
    false
);

impl BenchBroadcast for Fanout {
    type Pub = Vec<crossbeam_channel::Sender<u64>>;
    type Sub = crossbeam_channel::Receiver<u64>;

    fn build(publishers: usize, subscribers: usize) -> (Vec<Self::Pub>, Vec<Self::Sub>) {
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..subscribers)
            .map(|_| crossbeam_channel::bounded(CAPACITY))
            .unzip();
        ((0..publishers).map(|_| txs.clone()).collect(), rxs)
    }

    fn publish(publisher: &mut Self::Pub, value: u64) {
        for tx in publisher.iter() {
            tx.send(value).expect("fan-out receiver gone");
        }
    }

    fn recv(subscriber: &mut Self::Sub) -> Received {
        subscriber.recv().map_or(Received::Closed, Received::Value)
    }
}
