//! Rendezvous channels (`bounded(0)`): a send completes only once a receiver has its value,
//! `try_send` needs a waiting receiver and `try_recv` a waiting sender; timeouts take the
//! offer back; disconnects hand values back; nothing is lost or dropped twice.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use support::{scaled, until_blocked, watchdog, Counter, Rng, Tracked};
use wharf::channel::{
    bounded, with_queue_and_strategy, RecvError, RecvTimeoutError, Rendezvous, SendError,
    SendTimeoutError, TryRecvError, TrySendError,
};
use wharf::WaitStrategy;

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::Spin,
    WaitStrategy::SpinYield,
    WaitStrategy::SpinPark,
];

#[test]
fn holds_nothing() {
    let (tx, rx) = bounded::<u8>(0);
    assert_eq!((tx.len(), tx.capacity()), (0, Some(0)));
    assert!(tx.is_empty() && tx.is_full() && rx.is_empty() && rx.is_full());
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        tx.send_timeout(2, Duration::from_millis(5)),
        Err(SendTimeoutError::Timeout(2))
    );
    // The timed-out offer was taken back: nothing waits to be received.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    // The timed-out receive left the takers: nobody waits for a value.
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
}

#[test]
fn send_returns_only_once_received() {
    watchdog("send_returns_only_once_received", || {
        for s in STRATEGIES {
            let (tx, rx) = with_queue_and_strategy(Rendezvous::new(), s);
            let done = Arc::new(AtomicBool::new(false));
            let sender = {
                let done = done.clone();
                thread::spawn(move || {
                    tx.send(7).unwrap();
                    done.store(true, Ordering::SeqCst);
                    tx
                })
            };
            // Give the send every chance to return early, then check that it did not.
            until_blocked(s, || done.load(Ordering::SeqCst) || rx.__waiters().1 == 1);
            for _ in 0..1000 {
                thread::yield_now();
            }
            assert!(
                !done.load(Ordering::SeqCst),
                "{s:?}: send returned unreceived"
            );
            assert_eq!(rx.recv(), Ok(7));
            let _tx = sender.join().unwrap();
            assert!(done.load(Ordering::SeqCst));
        }
    });
}

#[test]
fn try_recv_takes_from_a_waiting_sender() {
    watchdog("try_recv_takes_from_a_waiting_sender", || {
        let (tx, rx) = bounded(0);
        let sender = thread::spawn(move || tx.send("offered"));
        until_blocked(WaitStrategy::SpinPark, || rx.__waiters().1 == 1);
        assert_eq!(rx.try_recv(), Ok("offered"));
        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

/// Two senders wait with an offer each; each take must wake the sender that owns the offer
/// taken, not merely some sender (a `notify_one` might wake the other, which goes back to
/// sleep, and the owner would wait forever). Many rounds, as the sleepers' wake order varies.
#[test]
fn each_take_wakes_its_own_sender() {
    watchdog("each_take_wakes_its_own_sender", || {
        for _ in 0..20 {
            let (tx, rx) = bounded(0);
            let mut senders: Vec<_> = (0..2)
                .map(|v| {
                    let tx = tx.clone();
                    Some(thread::spawn(move || tx.send(v)))
                })
                .collect();
            until_blocked(WaitStrategy::SpinPark, || rx.__waiters().1 == 2);
            for _ in 0..2 {
                let v = rx.try_recv().unwrap();
                // The owner of the offer taken returns; the other may still be asleep.
                assert_eq!(senders[v].take().unwrap().join().unwrap(), Ok(()));
            }
        }
    });
}

#[test]
fn try_send_gives_to_a_waiting_receiver() {
    watchdog("try_send_gives_to_a_waiting_receiver", || {
        let (tx, rx) = bounded(0);
        let receiver = thread::spawn(move || (rx.recv(), rx));
        until_blocked(WaitStrategy::SpinPark, || tx.__waiters().0 == 1);
        assert_eq!(tx.try_send(5), Ok(()));
        // One receiver waited, and it is served: a second try_send finds nobody.
        assert_eq!(tx.try_send(6), Err(TrySendError::Full(6)));
        let (got, _rx) = receiver.join().unwrap();
        assert_eq!(got, Ok(5));
    });
}

#[test]
fn disconnects_hand_values_back() {
    watchdog("disconnects_hand_values_back", || {
        for s in STRATEGIES {
            // The last receiver goes while a send waits (or, with a spinning strategy, maybe
            // before it starts): either way the send gets its value back.
            // The drop's drain races with the woken send's retraction: many rounds, so that
            // both orders come up.
            for round in 0..50 {
                let (tx, rx) = with_queue_and_strategy(Rendezvous::new(), s);
                let sender = thread::spawn(move || tx.send(round));
                until_blocked(s, || rx.__waiters().1 == 1);
                drop(rx);
                assert_eq!(sender.join().unwrap(), Err(SendError(round)), "{s:?}");
            }

            // The last sender goes while a receive waits.
            let (tx, rx) = with_queue_and_strategy(Rendezvous::<u8>::new(), s);
            let receiver = thread::spawn(move || rx.recv());
            until_blocked(s, || tx.__waiters().0 == 1);
            drop(tx);
            assert_eq!(receiver.join().unwrap(), Err(RecvError));
        }
        let (tx, rx) = bounded(0);
        drop(rx);
        assert_eq!(tx.send(2), Err(SendError(2)));
        assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    });
}

/// A value given to a waiting receive whose future is then dropped stays in line for the
/// next receive, and is dropped exactly once with the channel if none comes.
#[test]
fn value_given_to_a_dropped_future_is_not_lost() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    let counter = Counter::with_ids(2);
    let (tx, rx) = bounded::<Tracked>(0);
    for id in 0..2 {
        {
            let mut fut = pin!(rx.recv_async());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            // The future waits as a taker, so the value is given to it...
            assert!(tx.try_send(counter.track(id, ())).is_ok());
        } // ...and the future is dropped before it runs again.
        if id == 0 {
            assert_eq!(rx.try_recv().map(|t| t.id), Ok(0));
        }
    }
    assert_eq!((counter.drops_of(0), counter.drops_of(1)), (1, 0));
    // Both futures left the takers when dropped: nobody waits, so a try_send fails.
    assert!(matches!(
        tx.try_send(counter.track(9, ())),
        Err(TrySendError::Full(_))
    ));
    drop(rx); // the last receiver drops the value still in line
    assert_eq!((counter.drops_of(1), counter.live()), (1, 0));
    drop(tx);
}

#[test]
fn async_ends_pair_with_every_kind() {
    watchdog("async_ends_pair_with_every_kind", || {
        use futures::executor::block_on;
        let n = scaled(2_000) as u64;
        // Task to task, task to thread, thread to task.
        for (async_send, async_recv) in [(true, true), (true, false), (false, true)] {
            let (tx, rx) = bounded::<u64>(0);
            let sender = thread::spawn(move || {
                for i in 0..n {
                    if async_send {
                        block_on(tx.send_async(i)).unwrap();
                    } else {
                        tx.send(i).unwrap();
                    }
                }
            });
            for i in 0..n {
                let got = if async_recv {
                    block_on(rx.recv_async())
                } else {
                    rx.recv()
                };
                assert_eq!(got, Ok(i));
            }
            sender.join().unwrap();
        }
    });
}

#[test]
fn batches_pass_one_by_one() {
    watchdog("batches_pass_one_by_one", || {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send_batch((0..100).collect()));
        let mut got = Vec::new();
        while got.len() < 100 {
            rx.recv_many(&mut got, 8).unwrap();
        }
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// Senders and receivers of every kind (waiting, timed, trying) at once, more threads than
/// cores: every value arrives exactly once, in each sender's order, and is dropped once.
fn mixed_traffic(s: WaitStrategy, senders: usize, receivers: usize, per_sender: usize) {
    let counter = Counter::new();
    let (tx, rx) = with_queue_and_strategy(Rendezvous::<Tracked<(usize, usize)>>::new(), s);
    let start = Arc::new(Barrier::new(senders + receivers));
    let producers: Vec<_> = (0..senders)
        .map(|p| {
            let (tx, start, counter) = (tx.clone(), start.clone(), counter.clone());
            thread::spawn(move || {
                let mut rng = Rng::new(p as u64 + 1);
                start.wait();
                for i in 0..per_sender {
                    let mut value = counter.track(0, (p, i));
                    loop {
                        value = match rng.below(3) {
                            0 => match tx.send(value) {
                                Ok(()) => break,
                                Err(e) => panic!("send failed: {e}"),
                            },
                            1 => match tx.send_timeout(value, Duration::from_micros(50)) {
                                Ok(()) => break,
                                Err(SendTimeoutError::Timeout(v)) => v,
                                Err(e) => panic!("send_timeout failed: {e}"),
                            },
                            _ => match tx.try_send(value) {
                                Ok(()) => break,
                                Err(TrySendError::Full(v)) => {
                                    thread::yield_now();
                                    v
                                }
                                Err(e) => panic!("try_send failed: {e}"),
                            },
                        };
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..receivers)
        .map(|c| {
            let (rx, start) = (rx.clone(), start.clone());
            thread::spawn(move || {
                let mut rng = Rng::new(100 + c as u64);
                let mut got = Vec::new();
                start.wait();
                loop {
                    let value = match rng.below(3) {
                        0 => match rx.recv() {
                            Ok(v) => v,
                            Err(RecvError) => break,
                        },
                        1 => match rx.recv_timeout(Duration::from_micros(50)) {
                            Ok(v) => v,
                            Err(RecvTimeoutError::Timeout) => continue,
                            Err(RecvTimeoutError::Disconnected) => break,
                        },
                        _ => match rx.try_recv() {
                            Ok(v) => v,
                            Err(TryRecvError::Empty) => {
                                thread::yield_now();
                                continue;
                            }
                            Err(TryRecvError::Disconnected) => break,
                        },
                    };
                    got.push(value.value);
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in producers {
        p.join().unwrap();
    }
    let received: Vec<_> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
    support::check_pairs(senders, per_sender, &received);
    assert_eq!(counter.created(), senders * per_sender);
    assert_eq!(counter.live(), 0, "values leaked");
}

#[test]
fn mixed_traffic_every_strategy() {
    watchdog("mixed_traffic_every_strategy", || {
        for s in STRATEGIES {
            mixed_traffic(s, 2, 2, scaled(3_000));
        }
    });
}

#[test]
fn mixed_traffic_oversubscribed() {
    watchdog("mixed_traffic_oversubscribed", || {
        mixed_traffic(WaitStrategy::SpinPark, 4, 4, scaled(2_000));
        mixed_traffic(WaitStrategy::SpinPark, 6, 1, scaled(1_000));
        mixed_traffic(WaitStrategy::SpinPark, 1, 6, scaled(3_000));
    });
}
