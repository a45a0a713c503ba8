//! The channels' async ends: tasks and threads mixed on one channel, every value delivered
//! exactly once and in per-producer order, cancellation that loses nothing and strands
//! nobody, on tokio's multi-thread runtime and on `futures::executor`.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::{check_received, encode, scaled, watchdog, DropTracker, Tracked};
use futures::{Sink, SinkExt, StreamExt};
use wharf::channel::{
    bounded, unbounded, with_queue_and_strategy, Receiver, RecvError, SendError, Sender,
};
use wharf::{ArrayQueue, WaitStrategy};

/// A waker that counts its wake-ups.
struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn flag() -> (Arc<Flag>, Waker) {
    let flag = Arc::new(Flag(AtomicUsize::new(0)));
    (flag.clone(), Waker::from(flag))
}

fn wakes(flag: &Flag) -> usize {
    flag.0.load(Ordering::SeqCst)
}

fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Polls a future that has nothing to do yet until it waits registered: a waiting future
/// first asks a few times to be polled again (each a wake-up of its own waker), then leaves
/// its waker and returns `Pending` without waking it. Returns how many polls that took; the
/// flag's count is back where it was before the call.
fn park<F: Future + Unpin>(fut: &mut F, flag: &Flag, waker: &Waker) -> usize
where
    F::Output: std::fmt::Debug,
{
    let start = wakes(flag);
    for polls in 1..=64 {
        let before = wakes(flag);
        let poll = poll_once(fut, waker);
        assert!(poll.is_pending(), "the future was ready: {poll:?}");
        if wakes(flag) == before {
            flag.0.store(start, Ordering::SeqCst);
            return polls;
        }
    }
    panic!("the future never registered: it asked to be polled again 64 times");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// The channels the MPMC tests run over: every flavor, the default and a spinning strategy.
type MakeChannel = fn() -> (Sender<u64>, Receiver<u64>);

fn flavors() -> Vec<(&'static str, MakeChannel)> {
    vec![
        ("bounded(1)", || bounded(1)),
        ("bounded(4)", || bounded(4)),
        ("bounded(1024)", || bounded(1024)),
        ("unbounded", unbounded),
    ]
}

/// `producers` tasks send `encode(p, 0..per)`, `consumers` tasks receive until disconnect.
async fn mpmc_tasks(tx: Sender<u64>, rx: Receiver<u64>, producers: usize, consumers: usize) {
    let per = scaled(20_000);
    let mut sends = Vec::new();
    for p in 0..producers {
        let tx = tx.clone();
        sends.push(tokio::spawn(async move {
            for s in 0..per {
                tx.send_async(encode(p, s)).await.unwrap();
            }
        }));
    }
    drop(tx);
    let mut recvs = Vec::new();
    for _ in 0..consumers {
        let rx = rx.clone();
        recvs.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Ok(v) = rx.recv_async().await {
                got.push(v);
            }
            got
        }));
    }
    drop(rx);
    for s in sends {
        s.await.unwrap();
    }
    let mut received = Vec::new();
    for r in recvs {
        received.push(r.await.unwrap());
    }
    check_received(producers, per, &received);
}

#[test]
fn mpmc_tasks_on_tokio() {
    watchdog("mpmc_tasks_on_tokio", || {
        let rt = runtime();
        for (name, make) in flavors() {
            for (p, c) in [(1, 1), (4, 4), (4, 1), (1, 4)] {
                eprintln!("{name} {p}P{c}C");
                let (tx, rx) = make();
                rt.block_on(mpmc_tasks(tx, rx, p, c));
            }
        }
    });
}

/// The busy-polling strategies: nobody notifies, the tasks poll again through the executor.
#[test]
fn mpmc_tasks_with_spinning_strategies() {
    watchdog("mpmc_tasks_with_spinning_strategies", || {
        let rt = runtime();
        for strategy in [WaitStrategy::Spin, WaitStrategy::SpinYield] {
            let (tx, rx) = with_queue_and_strategy(ArrayQueue::new(4), strategy);
            let per = scaled(5_000);
            rt.block_on(async move {
                let mut sends = Vec::new();
                for p in 0..2 {
                    let tx = tx.clone();
                    sends.push(tokio::spawn(async move {
                        for s in 0..per {
                            tx.send_async(encode(p, s)).await.unwrap();
                        }
                    }));
                }
                drop(tx);
                let consumer = tokio::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv_async().await {
                        got.push(v);
                    }
                    got
                });
                for s in sends {
                    s.await.unwrap();
                }
                check_received(2, per, &[consumer.await.unwrap()]);
            });
        }
    });
}

/// Each task on a thread of its own, driven by `futures::executor::block_on`: no tokio.
#[test]
fn mpmc_tasks_on_futures_executor() {
    watchdog("mpmc_tasks_on_futures_executor", || {
        for (name, make) in flavors() {
            eprintln!("{name}");
            let (tx, rx) = make();
            let per = scaled(20_000);
            let producers: Vec<_> = (0..3)
                .map(|p| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        futures::executor::block_on(async move {
                            for s in 0..per {
                                tx.send_async(encode(p, s)).await.unwrap();
                            }
                        })
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..3)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || {
                        futures::executor::block_on(async move {
                            let mut got = Vec::new();
                            while let Ok(v) = rx.recv_async().await {
                                got.push(v);
                            }
                            got
                        })
                    })
                })
                .collect();
            drop(rx);
            for p in producers {
                p.join().unwrap();
            }
            let received: Vec<_> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
            check_received(3, per, &received);
        }
    });
}

/// Threads' blocking ends against tasks' async ends on one channel, both ways round.
#[test]
fn threads_and_tasks_mixed() {
    watchdog("threads_and_tasks_mixed", || {
        let rt = runtime();
        for (name, make) in flavors() {
            eprintln!("{name}");
            let per = scaled(20_000);
            // Threads send, tasks receive.
            let (tx, rx) = make();
            let senders: Vec<_> = (0..2)
                .map(|p| {
                    let tx = tx.clone();
                    thread::spawn(move || (0..per).for_each(|s| tx.send(encode(p, s)).unwrap()))
                })
                .collect();
            drop(tx);
            let received = rt.block_on(async move {
                let tasks: Vec<_> = (0..2)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            let mut got = Vec::new();
                            while let Ok(v) = rx.recv_async().await {
                                got.push(v);
                            }
                            got
                        })
                    })
                    .collect();
                let mut received = Vec::new();
                for t in tasks {
                    received.push(t.await.unwrap());
                }
                received
            });
            senders.into_iter().for_each(|s| s.join().unwrap());
            check_received(2, per, &received);

            // Tasks send, threads receive.
            let (tx, rx) = make();
            let receivers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || rx.iter().collect::<Vec<_>>())
                })
                .collect();
            drop(rx);
            rt.block_on(async move {
                let tasks: Vec<_> = (0..2)
                    .map(|p| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for s in 0..per {
                                tx.send_async(encode(p, s)).await.unwrap();
                            }
                        })
                    })
                    .collect();
                drop(tx);
                for t in tasks {
                    t.await.unwrap();
                }
            });
            let received: Vec<_> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
            check_received(2, per, &received);
        }
    });
}

/// Receive futures raced against a timer in `select!`, so that many are dropped while
/// registered or just notified: every value still arrives exactly once, in order.
#[test]
fn recv_raced_against_timers() {
    watchdog("recv_raced_against_timers", || {
        let rt = runtime();
        for (name, make) in flavors() {
            eprintln!("{name}");
            let per = scaled(5_000);
            let (tx, rx) = make();
            let (received, timeouts) = rt.block_on(async move {
                let producers: Vec<_> = (0..2)
                    .map(|p| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for s in 0..per {
                                tx.send_async(encode(p, s)).await.unwrap();
                                if s % 64 == 0 {
                                    tokio::time::sleep(Duration::from_micros(200)).await;
                                }
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..2)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            let (mut got, mut timeouts) = (Vec::new(), 0usize);
                            loop {
                                tokio::select! {
                                    r = rx.recv_async() => match r {
                                        Ok(v) => got.push(v),
                                        Err(RecvError) => break,
                                    },
                                    _ = tokio::time::sleep(Duration::from_micros(50)) => timeouts += 1,
                                }
                            }
                            (got, timeouts)
                        })
                    })
                    .collect();
                drop(rx);
                for p in producers {
                    p.await.unwrap();
                }
                let (mut received, mut timeouts) = (Vec::new(), 0);
                for c in consumers {
                    let (got, t) = c.await.unwrap();
                    received.push(got);
                    timeouts += t;
                }
                (received, timeouts)
            });
            check_received(2, per, &received);
            eprintln!("  {timeouts} receive futures dropped by the timer");
        }
    });
}

/// A pending receive future that is dropped took nothing: the value sent afterwards is
/// still there.
#[test]
fn dropped_recv_future_takes_nothing() {
    let (tx, rx) = bounded(2);
    let (_flag, waker) = flag();
    let mut fut = rx.recv_async();
    assert!(poll_once(&mut fut, &waker).is_pending());
    drop(fut);
    assert_eq!(
        rx.__waiters(),
        (0, 0),
        "the dropped future is still registered"
    );
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
}

/// The probe that found kanal 0.1.1's receive futures destroying values (ferrotunnel#170):
/// park a receive future with one poll, complete a send from the other side (which wakes
/// it), then drop the future without polling it again, as a `timeout` does on expiry. The
/// value must still be in the channel, for every flavor and many rounds.
#[test]
fn value_sent_to_a_parked_future_survives_its_drop() {
    for (name, make) in flavors() {
        let (tx, rx) = make();
        let (flag, waker) = flag();
        for i in 0..200u64 {
            let mut fut = rx.recv_async();
            park(&mut fut, &flag, &waker);
            tx.send(i).unwrap();
            drop(fut);
            assert_eq!(
                rx.try_recv(),
                Ok(i),
                "{name}: the dropped future took value {i}"
            );
        }
        assert_eq!(
            wakes(&flag),
            200,
            "{name}: every send woke the parked future"
        );
    }
}

/// Two receive futures wait; a send wakes the oldest only; when that one is dropped
/// without polling, its wake-up passes to the other, which gets the value.
#[test]
fn notified_then_dropped_passes_the_wake_up_on() {
    let (tx, rx) = unbounded();
    let (flag_a, waker_a) = flag();
    let (flag_b, waker_b) = flag();
    let mut a = rx.recv_async();
    let mut b = rx.recv_async();
    park(&mut a, &flag_a, &waker_a);
    park(&mut b, &flag_b, &waker_b);
    assert_eq!(rx.__waiters(), (2, 0));
    tx.send(1).unwrap();
    assert_eq!(
        (wakes(&flag_a), wakes(&flag_b)),
        (1, 0),
        "notify_one wakes the oldest"
    );
    drop(a);
    assert_eq!(wakes(&flag_b), 1, "the dropped future kept its wake-up");
    assert_eq!(poll_once(&mut b, &waker_b), Poll::Ready(Ok(1)));
    assert_eq!(rx.__waiters(), (0, 0));
}

/// The last sender's drop wakes every waiting receive future with the disconnect, and the
/// last receiver's drop every waiting send future, each handing its own value back.
#[test]
fn disconnect_wakes_every_waiting_task() {
    let (tx, rx) = bounded::<u32>(1);
    let flags: Vec<_> = (0..4).map(|_| flag()).collect();
    let mut futs: Vec<_> = (0..4).map(|_| rx.recv_async()).collect();
    for (fut, (flag, waker)) in futs.iter_mut().zip(&flags) {
        park(fut, flag, waker);
    }
    drop(tx);
    for (fut, (flag, waker)) in futs.iter_mut().zip(&flags) {
        assert_eq!(wakes(flag), 1);
        assert_eq!(poll_once(fut, waker), Poll::Ready(Err(RecvError)));
    }

    let (tx, rx) = bounded::<u32>(1);
    tx.send(0).unwrap();
    let flags: Vec<_> = (0..4).map(|_| flag()).collect();
    let mut futs: Vec<_> = (1..5).map(|v| tx.send_async(v)).collect();
    for (fut, (flag, waker)) in futs.iter_mut().zip(&flags) {
        park(fut, flag, waker);
    }
    assert_eq!(tx.__waiters(), (0, 4));
    drop(rx);
    for (i, (fut, (flag, waker))) in futs.iter_mut().zip(&flags).enumerate() {
        assert_eq!(wakes(flag), 1);
        assert_eq!(
            poll_once(fut, waker),
            Poll::Ready(Err(SendError(i as u32 + 1)))
        );
    }
}

/// A send future dropped while it waits for room drops its value, exactly once, and never
/// sends it; a sink dropped with an item not yet sent likewise.
#[test]
fn dropped_send_future_drops_its_value_once() {
    let tracker = DropTracker::new(4);
    let (tx, rx) = bounded(1);
    tx.send(Tracked::new(&tracker, 0)).unwrap();
    let (_flag, waker) = flag();
    let mut fut = tx.send_async(Tracked::new(&tracker, 1));
    assert!(poll_once(&mut fut, &waker).is_pending());
    assert_eq!(tracker.drops(1), 0);
    drop(fut);
    assert_eq!(
        tracker.drops(1),
        1,
        "the unsent value was not dropped with its future"
    );
    assert_eq!(tx.__waiters(), (0, 0));

    let mut sink = tx.sink();
    let (_flag, waker) = flag();
    let mut cx = Context::from_waker(&waker);
    // Room is not there, so the item waits in the sink.
    assert!(Pin::new(&mut sink).poll_ready(&mut cx).is_ready());
    Pin::new(&mut sink)
        .start_send(Tracked::new(&tracker, 2))
        .unwrap();
    assert!(Pin::new(&mut sink).poll_flush(&mut cx).is_pending());
    drop(sink);
    assert_eq!(
        tracker.drops(2),
        1,
        "the sink's unsent item was not dropped"
    );

    assert_eq!(rx.recv().unwrap().id, 0);
    assert!(rx.try_recv().is_err(), "a dropped send went through");
    tx.send(Tracked::new(&tracker, 3)).unwrap();
    drop((tx, rx));
    tracker.assert_all_dropped_once();
}

/// A waker is stored once: polling again with the same waker does not clone it, a new
/// waker replaces the old one, and finishing releases it.
#[test]
fn waker_replaced_only_when_it_changed() {
    let (tx, rx) = unbounded();
    let (flag_1, waker_1) = flag();
    let (flag_2, waker_2) = flag();
    let mut fut = rx.recv_async();
    // Ours, the `Waker` we hold, and the registered clone.
    park(&mut fut, &flag_1, &waker_1);
    assert_eq!(Arc::strong_count(&flag_1), 3);
    assert!(poll_once(&mut fut, &waker_1).is_pending());
    assert_eq!(
        Arc::strong_count(&flag_1),
        3,
        "the same waker was stored twice"
    );
    assert!(poll_once(&mut fut, &waker_2).is_pending());
    assert_eq!(Arc::strong_count(&flag_1), 2, "the old waker was kept");
    assert_eq!(Arc::strong_count(&flag_2), 3);
    tx.send(9).unwrap();
    assert_eq!(wakes(&flag_2), 1);
    assert_eq!(wakes(&flag_1), 0, "the replaced waker was woken");
    assert_eq!(poll_once(&mut fut, &waker_2), Poll::Ready(Ok(9)));
    assert_eq!(Arc::strong_count(&flag_2), 2);
}

/// Under a spinning strategy nobody notifies, so a pending future asks to be polled again.
#[test]
fn spinning_strategy_repolls() {
    let (_tx, rx) = with_queue_and_strategy(ArrayQueue::<u8>::new(2), WaitStrategy::Spin);
    let (flag, waker) = flag();
    let mut fut = rx.recv_async();
    assert!(poll_once(&mut fut, &waker).is_pending());
    assert_eq!(wakes(&flag), 1);
    assert_eq!(
        rx.__waiters(),
        (0, 0),
        "a spinning strategy registered a task"
    );
}

/// Under the default strategy a waiting receive asks to be polled again a few times before
/// it registers (while unregistered it costs senders nothing); once registered, a send
/// wakes it, and it gets the value. A stream starts its count again for every item.
#[test]
fn parking_strategy_yields_then_registers() {
    let (tx, rx) = bounded::<u32>(2);
    let (flag, waker) = flag();
    let mut fut = rx.recv_async();
    assert!(poll_once(&mut fut, &waker).is_pending());
    assert_eq!(wakes(&flag), 1, "the first miss asks to be polled again");
    assert_eq!(rx.__waiters(), (0, 0), "registered at the first miss");
    let polls = park(&mut fut, &flag, &waker);
    assert!(polls >= 2, "registered without asking to be polled again");
    assert_eq!(rx.__waiters(), (1, 0));
    let before = wakes(&flag);
    tx.send(5).unwrap();
    assert_eq!(
        wakes(&flag),
        before + 1,
        "the send did not wake the registered future"
    );
    assert_eq!(poll_once(&mut fut, &waker), Poll::Ready(Ok(5)));
    assert_eq!(rx.__waiters(), (0, 0));

    let mut stream = rx.stream();
    let mut next = || poll_once(&mut futures::StreamExt::next(&mut stream), &waker);
    for round in 0..3 {
        let mut yields = 0;
        let before = wakes(&flag);
        assert!(next().is_pending());
        while wakes(&flag) > before + yields {
            yields += 1;
            assert!(next().is_pending());
        }
        assert!(yields >= 1, "round {round}: the stream registered at once");
        tx.send(round).unwrap();
        assert_eq!(next(), Poll::Ready(Some(round)));
    }
}

/// A stream forwarded into a sink, through a small bounded channel and back out through a
/// stream: in order, and the stream ends when the sink is gone.
#[test]
fn stream_and_sink() {
    watchdog("stream_and_sink", || {
        let rt = runtime();
        let n = scaled(10_000) as u64;
        let (tx, rx) = bounded(4);
        let got = rt.block_on(async move {
            let feeder = tokio::spawn(async move {
                let mut sink = tx.into_sink();
                let mut source = futures::stream::iter(0..n).map(Ok);
                sink.send_all(&mut source).await.unwrap();
            });
            let got: Vec<u64> = rx.stream().collect().await;
            feeder.await.unwrap();
            got
        });
        assert_eq!(got, (0..n).collect::<Vec<_>>());
    });
}

/// Ping-pong between two tasks over capacity-1 channels: each side waits for the other on
/// every message.
#[test]
fn ping_pong_between_tasks() {
    watchdog("ping_pong_between_tasks", || {
        let rt = runtime();
        let rounds = scaled(20_000) as u64;
        let (ping_tx, ping_rx) = bounded(1);
        let (pong_tx, pong_rx) = bounded(1);
        rt.block_on(async move {
            let echo = tokio::spawn(async move {
                while let Ok(v) = ping_rx.recv_async().await {
                    pong_tx.send_async(v + 1).await.unwrap();
                }
            });
            for i in 0..rounds {
                ping_tx.send_async(i).await.unwrap();
                assert_eq!(pong_rx.recv_async().await, Ok(i + 1));
            }
            drop(ping_tx);
            echo.await.unwrap();
        });
    });
}
