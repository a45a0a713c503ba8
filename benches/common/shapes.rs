//! The two thread-based workload shapes, written once and generic over [`Flow`]: throughput
//! ([`mpmc`]: P producers, C consumers, one end marker per consumer) and the round trip
//! ([`ping_pong`]). The raw queues (`queues::Raw`, waiting by the shared [`Wait`] policy) and
//! the blocking channels (`channels::Chan`, with their own blocking calls) both run through
//! them, so they are timed and verified by the same code.
//!
//! # Timing
//!
//! Workers wait on a `Barrier` and each stamps its own start `Instant` when released; a run
//! starts at the earliest stamp and ends at the latest consumer's end stamp (taken when it
//! receives its end marker, i.e. after its last real message). The main thread takes no part
//! in timing: on two CPUs it can be descheduled for milliseconds right after the barrier
//! opens, which would shorten (or lengthen) the measured interval arbitrarily.
//!
//! [`Wait`]: super::Wait

use super::check::SEQ_BITS;
use super::check::{histogram, message, record, verify, AbortOnPanic, InOrder, Tally, END};
use super::contender::Sample;
use super::{cpu_pair, pin, Watchdog, WATCHDOG_LIMIT};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

/// The two ends of something messages flow through, as the shapes drive them: a sending
/// handle per producer thread and a receiving handle per consumer thread. Both wait (by the
/// contender's own blocking or by the harness's wait policy) rather than fail.
pub trait Flow {
    /// Name for messages.
    const NAME: &'static str;
    /// A producer's handle.
    type Tx: Send;
    /// A consumer's handle.
    type Rx: Send;

    /// Sends `value`, waiting while there is no room.
    fn send(tx: &mut Self::Tx, value: u64);
    /// Receives a value, waiting while there is none.
    fn recv(rx: &mut Self::Rx) -> u64;
    /// Sends producer `p`'s messages `0..per` in order (one at a time unless overridden).
    fn produce(tx: &mut Self::Tx, p: usize, per: u64) {
        send_each::<Self>(tx, p, per);
    }
    /// Called once a consumer has received its end marker.
    fn ended(rx: &mut Self::Rx) {
        let _ = rx;
    }
}

/// Producer `p`'s messages `0..per`, one [`Flow::send`] each.
#[inline]
pub fn send_each<F: Flow + ?Sized>(tx: &mut F::Tx, p: usize, per: u64) {
    for seq in 0..per {
        F::send(tx, message(p, seq));
    }
}

/// One producer thread per handle in `txs` sends `per_producer` messages; one consumer thread
/// per handle in `rxs` receives until it sees an end marker, which the last producer to finish
/// sends once per consumer. Pinned (producers on the first CPU, consumers on the second) when
/// `pinned`. Verified (count, sum, sum of squares, per-producer order) before returning the
/// sample and the consumers' handles, for the caller's check that nothing is left.
pub fn mpmc<F: Flow>(
    what: &str,
    txs: Vec<F::Tx>,
    rxs: Vec<F::Rx>,
    per_producer: u64,
    pinned: bool,
) -> (Sample, Vec<F::Rx>) {
    assert!(per_producer < 1 << SEQ_BITS);
    let _watchdog = Watchdog::arm(what.to_string(), WATCHDOG_LIMIT);
    let (producers, consumers) = (txs.len(), rxs.len());
    let cores = if pinned { cpu_pair() } else { None };
    let barrier = Barrier::new(producers + consumers);
    let producing = AtomicUsize::new(producers);

    let (starts, results) = thread::scope(|s| {
        let producer_handles: Vec<_> = txs
            .into_iter()
            .enumerate()
            .map(|(p, mut tx)| {
                let (barrier, producing) = (&barrier, &producing);
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.0));
                    barrier.wait();
                    let start = Instant::now();
                    F::produce(&mut tx, p, per_producer);
                    if producing.fetch_sub(1, Ordering::AcqRel) == 1 {
                        for _ in 0..consumers {
                            F::send(&mut tx, END);
                        }
                    }
                    start
                })
            })
            .collect();
        let consumer_handles: Vec<_> = rxs
            .into_iter()
            .map(|mut rx| {
                let barrier = &barrier;
                s.spawn(move || {
                    let _guard = AbortOnPanic;
                    pin(cores.map(|c| c.1));
                    let mut order = InOrder::new(producers);
                    barrier.wait();
                    let start = Instant::now();
                    loop {
                        let value = F::recv(&mut rx);
                        if value == END {
                            F::ended(&mut rx);
                            break;
                        }
                        order.take(value, F::NAME);
                    }
                    (start, Instant::now(), order.tally, rx)
                })
            })
            .collect();
        let starts: Vec<Instant> = producer_handles
            .into_iter()
            .map(|h| h.join().expect("producer panicked"))
            .collect();
        let results: Vec<(Instant, Instant, Tally, F::Rx)> = consumer_handles
            .into_iter()
            .map(|h| h.join().expect("consumer panicked"))
            .collect();
        (starts, results)
    });

    let mut got = Tally::default();
    results.iter().for_each(|r| got.merge(r.2));
    verify(what, got, Tally::of_messages(producers, per_producer));
    let sample = Sample::span(
        starts.into_iter().chain(results.iter().map(|r| r.0)),
        results.iter().map(|r| r.1),
        per_producer * producers as u64,
    );
    (sample, results.into_iter().map(|r| r.3).collect())
}

/// Ping (first CPU) sends `i` through `there` and waits for it to come back through `back`;
/// pong (second CPU) echoes. Each round trip is timed into a histogram of up to `max_ns`; the
/// sample's value is its median in ns. Verified: pong's tally of `1..=round_trips`, and every
/// echo is the value sent.
pub fn ping_pong<F: Flow>(
    what: &str,
    there: (F::Tx, F::Rx),
    back: (F::Tx, F::Rx),
    round_trips: u64,
    max_ns: u64,
) -> Sample {
    let _watchdog = Watchdog::arm(what.to_string(), WATCHDOG_LIMIT);
    let ((mut there_tx, mut there_rx), (mut back_tx, mut back_rx)) = (there, back);
    let cores = cpu_pair();
    let barrier = Barrier::new(2);
    let (hist, elapsed, pong_tally) = thread::scope(|s| {
        let barrier = &barrier;
        let pong = s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.1));
            let mut tally = Tally::default();
            barrier.wait();
            for _ in 0..round_trips {
                let value = F::recv(&mut there_rx);
                tally.add(value);
                F::send(&mut back_tx, value);
            }
            tally
        });
        let ping = s.spawn(move || {
            let _guard = AbortOnPanic;
            pin(cores.map(|c| c.0));
            let mut hist = histogram(max_ns);
            barrier.wait();
            let start = Instant::now();
            for i in 1..=round_trips {
                let t0 = Instant::now();
                F::send(&mut there_tx, i);
                let echoed = F::recv(&mut back_rx);
                record(&mut hist, t0.elapsed().as_nanos() as u64);
                assert_eq!(echoed, i, "{}: ping-pong echoed the wrong value", F::NAME);
            }
            (hist, start.elapsed())
        });
        let (hist, elapsed) = ping.join().expect("ping panicked");
        (hist, elapsed, pong.join().expect("pong panicked"))
    });
    verify(what, pong_tally, Tally::of(1..=round_trips));
    Sample::median(&hist, elapsed, round_trips)
}
