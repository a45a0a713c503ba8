//! Async channels side by side: wharf's `send_async`/`recv_async` against tokio's `mpsc`,
//! async-channel, flume and kanal, all through [`BenchAsync`] and the same generic workloads,
//! on a tokio multi-thread runtime with two workers (one per core of the machines measured).
//!
//! # Workloads (keys start with `async-`)
//!
//! - `async-1p1c`, `async-2p2c`, `async-4p4c`, `async-4p1c`: producer tasks and consumer
//!   tasks, bounded 1024 and unbounded contenders alike; each run checks count, sum, sum of
//!   squares and per-producer order, as the blocking channel workloads do. tokio's `mpsc` has
//!   one receiver, so it sits out 2P2C and 4P4C.
//! - `async-pingpong`: a round trip between two tasks through two capacity-1 channels, each
//!   round trip timed into a histogram (median ns); bounded contenders only.
//! - `async-thread2task`, `async-task2thread`: a thread's blocking send feeding a task's
//!   async receive, and the other way round (the mixed ends a service has at its edges).
//!
//! A fresh runtime is built for every run, outside the timed part; the time runs from just
//! before the tasks are spawned to the last consumer's end marker.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::check::{histogram, message, record, verify, AbortOnPanic, InOrder, Tally, END};
use super::contender::{Contender, Kind, Named, Sample, Scale, Workload};
use super::{Family, Watchdog, CAPACITY, WATCHDOG_LIMIT};

/// Prefix of every async workload and contender key.
pub const PREFIX: &str = "async-";
/// Key of the ping-pong workload.
pub const PINGPONG: &str = "async-pingpong";
/// Key of the thread-feeds-task workload.
pub const THREAD_TO_TASK: &str = "async-thread2task";
/// Key of the task-feeds-thread workload.
pub const TASK_TO_THREAD: &str = "async-task2thread";

/// Histogram ceiling of the async round trips, ns.
const HISTOGRAM_MAX_NS: u64 = 100_000_000;

const fn mpmc(key: &'static str, title: &'static str, p: usize, c: usize) -> Workload {
    Workload::mpmc(key, title, p, c, false, 200_000)
}

/// The async workloads, in the order the suite runs and prints them.
pub const WORKLOADS: &[Workload] = &[
    mpmc("async-1p1c", "async 1P1C tasks (tokio, 2 workers)", 1, 1),
    mpmc("async-2p2c", "async 2P2C tasks", 2, 2),
    mpmc("async-4p4c", "async 4P4C tasks", 4, 4),
    mpmc("async-4p1c", "async 4P1C tasks", 4, 1),
    Workload::round_trip(
        PINGPONG,
        "async ping-pong round trip between two tasks (two capacity-1 channels)",
        4_000,
    ),
    mpmc(
        THREAD_TO_TASK,
        "async: a thread's blocking send feeds a task",
        1,
        1,
    ),
    mpmc(
        TASK_TO_THREAD,
        "async: a task feeds a thread's blocking recv",
        1,
        1,
    ),
];

/// Whether a workload or contender key belongs to the async section of the suite.
pub fn is_async(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// Whether async channel `C` runs `workload`: async workloads only, the single-receiver ones
/// no workload with several consumers, the round trip bounded contenders only.
fn takes_part<C: BenchAsync>(workload: &Workload) -> bool {
    if !is_async(workload.key) {
        return false;
    }
    match workload.kind {
        Kind::Mpmc { consumers, .. } => consumers == 1 || !SINGLE_CONSUMER.contains(&C::KEY),
        _ => C::FAMILY == Family::Bounded,
    }
}

/// Contenders with a single receiver.
const SINGLE_CONSUMER: [&str; 2] = [TokioBounded::KEY, TokioUnbounded::KEY];

/// Every async contender: bounded ones first, then unbounded.
pub fn contenders() -> Vec<Contender> {
    vec![
        contender::<WharfBounded>(),
        contender::<TokioBounded>(),
        contender::<AsyncChannelBounded>(),
        contender::<FlumeBounded>(),
        contender::<KanalBounded>(),
        contender::<WharfUnbounded>(),
        contender::<TokioUnbounded>(),
        contender::<AsyncChannelUnbounded>(),
        contender::<FlumeUnbounded>(),
        contender::<KanalUnbounded>(),
    ]
}

fn contender<C: BenchAsync>() -> Contender {
    Contender::of::<C>(run_async::<C>, takes_part::<C>)
}

/// The adapter every async channel implements. Values are `u64`; [`END`] ends a consumer.
/// Every call panics if the channel is disconnected (no workload does that while running).
pub trait BenchAsync: Named + 'static {
    /// Sending half.
    type Tx: Send + Sync + 'static;
    /// Receiving half.
    type Rx: Send + 'static;

    /// Builds a channel; bounded ones hold `capacity` values, unbounded ones ignore it.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Another sender.
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    /// Another receiver (never called for [`SINGLE_CONSUMER`] contenders).
    fn clone_rx(rx: &Self::Rx) -> Self::Rx;
    /// Sends from a task, waiting while full.
    fn send(tx: &Self::Tx, value: u64) -> impl Future<Output = ()> + Send + '_;
    /// Receives in a task, waiting while empty.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = u64> + Send + '_;
    /// Sends from a plain thread, blocking while full.
    fn send_blocking(tx: &Self::Tx, value: u64);
    /// Receives on a plain thread, blocking while empty.
    fn recv_blocking(rx: &mut Self::Rx) -> u64;
}

/// Implements [`BenchAsync`] for a crate whose senders are `Clone`, given expressions for its
/// four operations on `$t` (the sender) or `$r` (the receiver) and `$v` (the value) and for a
/// receiver's clone, for each of its flavors (`Type, name, key, family, |capacity|
/// constructor`) with those handles.
macro_rules! async_adapter {
    (
        $wharf:literal, $tx:ty, $rx:ty,
        send: |$t:ident, $v:ident| $send:expr,
        recv: |$r:ident| $recv:expr,
        send_blocking: |$bt:ident, $bv:ident| $send_blocking:expr,
        recv_blocking: |$br:ident| $recv_blocking:expr,
        clone_rx: |$cr:ident| $clone_rx:expr;
        $(
            $(#[$doc:meta])* $ty:ident, $name:literal, $key:literal, $family:ident,
            |$cap:ident| $build:expr
        );+ $(;)?
    ) => {
        $(
            $(#[$doc])*
            pub struct $ty;
            named!($ty, $name, $key, $family, $wharf);

            impl BenchAsync for $ty {
                type Tx = $tx;
                type Rx = $rx;

                #[allow(unused_variables)]
                fn channel($cap: usize) -> (Self::Tx, Self::Rx) {
                    $build
                }
                fn clone_tx(tx: &Self::Tx) -> Self::Tx {
                    tx.clone()
                }
                fn clone_rx($cr: &Self::Rx) -> Self::Rx {
                    $clone_rx
                }
                #[inline]
                fn send($t: &Self::Tx, $v: u64) -> impl Future<Output = ()> + Send + '_ {
                    async move {
                        $send.expect(concat!($name, ": send on a disconnected channel"));
                    }
                }
                #[inline]
                fn recv($r: &mut Self::Rx) -> impl Future<Output = u64> + Send + '_ {
                    async move { $recv.expect(concat!($name, ": recv on a disconnected channel")) }
                }
                #[inline]
                fn send_blocking($bt: &Self::Tx, $bv: u64) {
                    $send_blocking.expect(concat!($name, ": send on a disconnected channel"));
                }
                #[inline]
                fn recv_blocking($br: &mut Self::Rx) -> u64 {
                    $recv_blocking.expect(concat!($name, ": recv on a disconnected channel"))
                }
            }
        )+
    };
}

async_adapter!(
    true, wharf::channel::Sender<u64>, wharf::channel::Receiver<u64>,
    send: |tx, v| tx.send_async(v).await,
    recv: |rx| rx.recv_async().await,
    send_blocking: |tx, v| tx.send(v),
    recv_blocking: |rx| rx.recv(),
    clone_rx: |rx| rx.clone();
    /// `wharf::channel::bounded`, async ends.
    WharfBounded, "wharf channel bounded async", "async-wharf", Bounded,
    |cap| wharf::channel::bounded(cap);
    /// `wharf::channel::unbounded`, async ends.
    WharfUnbounded, "wharf channel unbounded async", "async-wharf-unb", Unbounded,
    |cap| wharf::channel::unbounded();
);
async_adapter!(
    false, tokio::sync::mpsc::Sender<u64>, tokio::sync::mpsc::Receiver<u64>,
    send: |tx, v| tx.send(v).await,
    recv: |rx| rx.recv().await.ok_or(()),
    send_blocking: |tx, v| tx.blocking_send(v),
    recv_blocking: |rx| rx.blocking_recv().ok_or(()),
    clone_rx: |_rx| unreachable!("tokio mpsc has one receiver");
    /// `tokio::sync::mpsc::channel`.
    TokioBounded, "tokio mpsc bounded", "async-tokio", Bounded,
    |cap| tokio::sync::mpsc::channel(cap);
);
async_adapter!(
    false, tokio::sync::mpsc::UnboundedSender<u64>, tokio::sync::mpsc::UnboundedReceiver<u64>,
    send: |tx, v| tx.send(v),
    recv: |rx| rx.recv().await.ok_or(()),
    send_blocking: |tx, v| tx.send(v),
    recv_blocking: |rx| rx.blocking_recv().ok_or(()),
    clone_rx: |_rx| unreachable!("tokio mpsc has one receiver");
    /// `tokio::sync::mpsc::unbounded_channel`.
    TokioUnbounded, "tokio mpsc unbounded", "async-tokio-unb", Unbounded,
    |cap| tokio::sync::mpsc::unbounded_channel();
);
async_adapter!(
    false, async_channel::Sender<u64>, async_channel::Receiver<u64>,
    send: |tx, v| tx.send(v).await,
    recv: |rx| rx.recv().await,
    send_blocking: |tx, v| tx.send_blocking(v),
    recv_blocking: |rx| rx.recv_blocking(),
    clone_rx: |rx| rx.clone();
    /// `async_channel::bounded`.
    AsyncChannelBounded, "async-channel bounded", "async-achan", Bounded,
    |cap| async_channel::bounded(cap);
    /// `async_channel::unbounded`.
    AsyncChannelUnbounded, "async-channel unbounded", "async-achan-unb", Unbounded,
    |cap| async_channel::unbounded();
);
async_adapter!(
    false, flume::Sender<u64>, flume::Receiver<u64>,
    send: |tx, v| tx.send_async(v).await,
    recv: |rx| rx.recv_async().await,
    send_blocking: |tx, v| tx.send(v),
    recv_blocking: |rx| rx.recv(),
    clone_rx: |rx| rx.clone();
    /// `flume::bounded`, async ends.
    FlumeBounded, "flume bounded async", "async-flume", Bounded,
    |cap| flume::bounded(cap);
    /// `flume::unbounded`, async ends.
    FlumeUnbounded, "flume unbounded async", "async-flume-unb", Unbounded,
    |cap| flume::unbounded();
);
async_adapter!(
    false, kanal::AsyncSender<u64>, kanal::AsyncReceiver<u64>,
    send: |tx, v| tx.send(v).await,
    recv: |rx| rx.recv().await,
    send_blocking: |tx, v| tx.as_sync().send(v),
    recv_blocking: |rx| rx.as_sync().recv(),
    clone_rx: |rx| rx.clone();
    /// `kanal::bounded_async`.
    KanalBounded, "kanal bounded async", "async-kanal", Bounded,
    |cap| kanal::bounded_async(cap);
    /// `kanal::unbounded_async`.
    KanalUnbounded, "kanal unbounded async", "async-kanal-unb", Unbounded,
    |cap| kanal::unbounded_async();
);

/// Runs one async workload once for `C`; `None` when `C` does not take part.
pub fn run_async<C: BenchAsync>(workload: &Workload, scale: &Scale) -> Option<Sample> {
    if !takes_part::<C>(workload) {
        return None;
    }
    let ops = scale.ops(workload);
    match (workload.key, workload.kind) {
        (PINGPONG, _) => Some(ping_pong::<C>(ops)),
        (THREAD_TO_TASK, _) => Some(edge::<C>(ops, true)),
        (TASK_TO_THREAD, _) => Some(edge::<C>(ops, false)),
        (
            _,
            Kind::Mpmc {
                producers,
                consumers,
                ..
            },
        ) => Some(tasks::<C>(producers, consumers, ops / producers as u64)),
        _ => None,
    }
}

/// A multi-thread tokio runtime with one worker per core of the measured machines.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime")
}

/// Receives until [`END`], checking per-producer order; returns the tally.
async fn consume<C: BenchAsync>(mut rx: C::Rx, producers: usize) -> Tally {
    let _guard = AbortOnPanic;
    let mut order = InOrder::new(producers);
    loop {
        let value = C::recv(&mut rx).await;
        if value == END {
            return order.tally;
        }
        order.take(value, C::NAME);
    }
}

/// `producers` tasks each send `per_producer` messages; `consumers` tasks receive until an
/// end marker, which the last producer to finish sends once per consumer.
fn tasks<C: BenchAsync>(producers: usize, consumers: usize, per_producer: u64) -> Sample {
    let what = format!("{} {producers}P{consumers}C tasks", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let rt = runtime();
    let (tx, rx) = C::channel(CAPACITY);
    let mut rxs = vec![rx];
    while rxs.len() < consumers {
        rxs.push(C::clone_rx(&rxs[0]));
    }
    let txs: Vec<C::Tx> = (0..producers).map(|_| C::clone_tx(&tx)).collect();
    let producing = Arc::new(AtomicUsize::new(producers));
    let (elapsed, got) = rt.block_on(async move {
        let start = Instant::now();
        let senders: Vec<_> = txs
            .into_iter()
            .enumerate()
            .map(|(p, tx)| {
                let producing = producing.clone();
                tokio::spawn(async move {
                    let _guard = AbortOnPanic;
                    for seq in 0..per_producer {
                        C::send(&tx, message(p, seq)).await;
                    }
                    if producing.fetch_sub(1, Ordering::AcqRel) == 1 {
                        for _ in 0..consumers {
                            C::send(&tx, END).await;
                        }
                    }
                })
            })
            .collect();
        let receivers: Vec<_> = rxs
            .into_iter()
            .map(|rx| tokio::spawn(consume::<C>(rx, producers)))
            .collect();
        for s in senders {
            s.await.expect("producer task panicked");
        }
        let mut got = Tally::default();
        for r in receivers {
            got.merge(r.await.expect("consumer task panicked"));
        }
        (start.elapsed(), got)
    });
    verify(&what, got, Tally::of_messages(producers, per_producer));
    drop(tx);
    Sample::rate(elapsed, per_producer * producers as u64)
}

/// A plain thread and a task, one producing and one consuming (`thread_sends` says which),
/// through one channel of [`CAPACITY`] (or unbounded).
fn edge<C: BenchAsync>(messages: u64, thread_sends: bool) -> Sample {
    let what = format!("{} thread-task edge", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let rt = runtime();
    let (tx, mut rx) = C::channel(CAPACITY);
    let start = Instant::now();
    let got = if thread_sends {
        let feeder = thread::spawn(move || {
            let _guard = AbortOnPanic;
            (0..messages).for_each(|seq| C::send_blocking(&tx, message(0, seq)));
            C::send_blocking(&tx, END);
            tx
        });
        let got = rt.block_on(rt.spawn(consume::<C>(rx, 1)));
        drop(feeder.join().expect("feeding thread panicked"));
        got.expect("consumer task panicked")
    } else {
        let drain = thread::spawn(move || {
            let _guard = AbortOnPanic;
            let mut order = InOrder::new(1);
            loop {
                let value = C::recv_blocking(&mut rx);
                if value == END {
                    return order.tally;
                }
                order.take(value, C::NAME);
            }
        });
        rt.block_on(rt.spawn(async move {
            for seq in 0..messages {
                C::send(&tx, message(0, seq)).await;
            }
            C::send(&tx, END).await;
        }))
        .expect("producer task panicked");
        drain.join().expect("draining thread panicked")
    };
    let elapsed = start.elapsed();
    verify(&what, got, Tally::of_messages(1, messages));
    Sample::rate(elapsed, messages)
}

/// Ping sends `i` through one capacity-1 channel and awaits it back through another; pong
/// echoes; both are tasks on the runtime. Each round trip is timed into a histogram; the
/// value is its median in ns.
fn ping_pong<C: BenchAsync>(round_trips: u64) -> Sample {
    let what = format!("{} async ping-pong", C::NAME);
    let _watchdog = Watchdog::arm(what.clone(), WATCHDOG_LIMIT);
    let rt = runtime();
    let (there_tx, mut there_rx) = C::channel(1);
    let (back_tx, mut back_rx) = C::channel(1);
    let (hist, elapsed, pong_tally) = rt.block_on(async move {
        let pong = tokio::spawn(async move {
            let _guard = AbortOnPanic;
            let mut tally = Tally::default();
            for _ in 0..round_trips {
                let value = C::recv(&mut there_rx).await;
                tally.add(value);
                C::send(&back_tx, value).await;
            }
            tally
        });
        let ping = tokio::spawn(async move {
            let _guard = AbortOnPanic;
            let mut hist = histogram(HISTOGRAM_MAX_NS);
            let start = Instant::now();
            for i in 1..=round_trips {
                let t0 = Instant::now();
                C::send(&there_tx, i).await;
                let echoed = C::recv(&mut back_rx).await;
                record(&mut hist, t0.elapsed().as_nanos() as u64);
                assert_eq!(echoed, i, "{}: ping-pong echoed the wrong value", C::NAME);
            }
            (hist, start.elapsed())
        });
        let (hist, elapsed) = ping.await.expect("ping panicked");
        (hist, elapsed, pong.await.expect("pong panicked"))
    });
    verify(&what, pong_tally, Tally::of(1..=round_trips));
    Sample::median(&hist, elapsed, round_trips)
}
