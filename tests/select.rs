//! `Select`, `select!` and `select_biased!`: readiness (empty, full, disconnected), fairness
//! and bias, waiting without lost wake-ups on receive and send arms, timers and timeouts
//! that never fire early, the macro's syntax and evaluation order, rendezvous channels,
//! spinning strategies, drop accounting, and MPMC traffic through selections with every
//! value checked.

mod support;

use std::cell::Cell;
use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use support::{panic_message, scaled, until_blocked, watchdog, Counter};
use wharf::channel::{
    after, bounded, never, tick, unbounded, with_queue_and_strategy, ReadyTimeoutError, RecvError,
    Select, SelectTimeoutError, SendError, TryReadyError, TrySelectError,
};
use wharf::{select, select_biased, ArrayQueue, WaitStrategy};

/// How long a receiver waits before the test calls it stranded: far beyond a wake-up passed
/// on (microseconds), short enough for the break check of this test to fail in seconds.
const STRANDED: Duration = Duration::from_secs(20);

#[test]
fn nothing_ready_is_an_error_and_a_value_is_taken() {
    let (tx1, rx1) = unbounded::<i32>();
    let (tx2, rx2) = bounded::<i32>(4);
    let mut sel = Select::new();
    let op1 = sel.recv(&rx1);
    let op2 = sel.recv(&rx2);
    assert_ne!(op1, op2);
    assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
    assert_eq!(sel.try_ready(), Err(TryReadyError));
    tx2.send(7).unwrap();
    assert_eq!(sel.try_ready(), Ok(op2));
    let oper = sel.try_select().unwrap();
    assert_eq!(oper.index(), op2);
    assert_eq!(oper.recv(&rx2), Ok(7));
    // The selection took it: nothing is left.
    assert!(rx2.is_empty());
    assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
    drop(tx1);
    // A disconnected channel is ready, and its receive fails.
    let oper = sel.select();
    assert_eq!(oper.index(), op1);
    assert_eq!(oper.recv(&rx1), Err(RecvError));
}

#[test]
fn send_arms_need_room_or_the_disconnect() {
    let (tx, rx) = bounded(1);
    let mut sel = Select::new();
    let op = sel.send(&tx);
    assert_eq!(sel.try_ready(), Ok(op));
    sel.select().send(&tx, 1).unwrap();
    // Full now.
    assert!(sel.try_select().is_err());
    assert_eq!(
        sel.ready_timeout(Duration::from_millis(5)),
        Err(ReadyTimeoutError)
    );
    drop(rx);
    // Every receiver gone: ready, and the send hands the value back.
    assert_eq!(sel.select().send(&tx, 2), Err(SendError(2)));
    // Unbounded channels always have room.
    let (utx, _urx) = unbounded();
    let mut sel = Select::new();
    sel.send(&utx);
    for i in 0..100 {
        sel.try_select().unwrap().send(&utx, i).unwrap();
    }
    assert_eq!(utx.len(), 100);
}

/// Both arms always ready: the fair selection picks each about half the time, the biased one
/// always the first.
#[test]
fn fair_picks_each_ready_arm_biased_picks_the_first() {
    let rounds = 4000;
    let (tx1, rx1) = unbounded();
    let (tx2, rx2) = unbounded();
    let (tx3, rx3) = unbounded();
    for i in 0..rounds {
        tx1.send(i).unwrap();
        tx2.send(i).unwrap();
        tx3.send(i).unwrap();
    }
    let mut counts = [0usize; 3];
    for _ in 0..rounds {
        let mut sel = Select::new();
        let ops = [sel.recv(&rx1), sel.recv(&rx2), sel.recv(&rx3)];
        let oper = sel.select();
        let k = ops.iter().position(|&i| i == oper.index()).unwrap();
        oper.recv([&rx1, &rx2, &rx3][k]).unwrap();
        counts[k] += 1;
    }
    // Each has chance 1/3: 1333 expected, sd about 30; a tolerance of 10 sd.
    for c in counts {
        assert!((1033..=1633).contains(&c), "unfair picks: {counts:?}");
    }
    // The macro's fair selection too, on a reused pair of channels.
    let mut firsts = 0;
    for _ in 0..1000 {
        let (a, b) = (unbounded(), unbounded());
        a.0.send(()).unwrap();
        b.0.send(()).unwrap();
        select! {
            recv(a.1) -> _ => firsts += 1,
            recv(b.1) -> _ => {}
        }
    }
    assert!(
        (350..=650).contains(&firsts),
        "select! unfair: {firsts} of 1000"
    );
    // Biased: always the first added.
    for _ in 0..200 {
        let mut sel = Select::new_biased();
        let first = sel.recv(&rx2);
        sel.recv(&rx3);
        let oper = sel.select();
        assert_eq!(oper.index(), first);
        oper.recv(&rx2).unwrap();
        let got = select_biased! {
            recv(rx3) -> v => v.unwrap(),
            recv(rx1) -> _ => panic!("select_biased! took the second arm"),
        };
        let _ = got;
    }
}

/// A blocked selection is woken by a send on any of its channels, after it registered (the
/// test waits on the waiter count, no sleep).
#[test]
fn blocked_select_wakes_on_either_channel() {
    for which in 0..2 {
        watchdog("blocked select", move || {
            let (tx1, rx1) = bounded::<u32>(1);
            let (tx2, rx2) = unbounded::<u32>();
            let selector = thread::spawn(move || {
                let mut sel = Select::new();
                let op1 = sel.recv(&rx1);
                let op2 = sel.recv(&rx2);
                let oper = sel.select();
                if oper.index() == op1 {
                    (1, oper.recv(&rx1).unwrap())
                } else {
                    assert_eq!(oper.index(), op2);
                    (2, oper.recv(&rx2).unwrap())
                }
            });
            // Registered on both: one waiter on each channel's receive side.
            until_blocked(WaitStrategy::SpinPark, || {
                tx1.__waiters().0 == 1 && tx2.__waiters().0 == 1
            });
            if which == 0 {
                tx1.send(10).unwrap();
                assert_eq!(selector.join().unwrap(), (1, 10));
            } else {
                tx2.send(20).unwrap();
                assert_eq!(selector.join().unwrap(), (2, 20));
            }
            // The selection left both event counts.
            assert_eq!((tx1.__waiters().0, tx2.__waiters().0), (0, 0));
        });
    }
}

/// A selection blocked on a send to a full channel is woken by a receive.
#[test]
fn blocked_send_arm_wakes_on_room() {
    watchdog("blocked send arm", || {
        let (tx, rx) = bounded(1);
        tx.send(0).unwrap();
        let (_keep, empty) = unbounded::<i32>();
        let selector = {
            let tx = tx.clone();
            thread::spawn(move || {
                select! {
                    send(tx, 1) -> res => res.unwrap(),
                    recv(empty) -> _ => panic!("nothing comes on this one"),
                }
            })
        };
        until_blocked(WaitStrategy::SpinPark, || tx.__waiters().1 == 1);
        assert_eq!(rx.recv(), Ok(0));
        selector.join().unwrap();
        assert_eq!(rx.recv(), Ok(1));
    });
}

/// A selection notified by one channel that completes another passes the notification on,
/// so another waiter on the first channel is not stranded. The other waiter is a selection
/// too: a thread blocked in `recv` is released by every notify's epoch bump, but a notify
/// wakes only one waker, so between wakers a notification can be lost.
#[test]
fn a_notification_the_selection_did_not_use_is_passed_on() {
    watchdog("passing notifications on", || {
        for _ in 0..scaled(200) {
            let (tx_c, rx_c) = unbounded::<u32>();
            let (tx_d, rx_d) = unbounded::<u32>();
            let first = {
                let (rx_c, rx_d) = (rx_c.clone(), rx_d.clone());
                thread::spawn(move || {
                    select_biased! {
                        recv(rx_d) -> v => ('d', v.unwrap()),
                        recv(rx_c) -> v => ('c', v.unwrap()),
                    }
                })
            };
            until_blocked(WaitStrategy::SpinPark, || tx_c.__waiters().0 == 1);
            // Registered after the first, so C's one notify goes to the first.
            let second = {
                let rx_c = rx_c.clone();
                thread::spawn(move || {
                    let mut sel = Select::new();
                    sel.recv(&rx_c);
                    let start = Instant::now();
                    let got = match sel.select_timeout(STRANDED) {
                        Ok(oper) => oper.recv(&rx_c).ok(),
                        Err(_) => None,
                    };
                    // A stranded selection still finds the value at its deadline's last
                    // attempt: so it must not have waited that long.
                    assert!(
                        start.elapsed() < STRANDED,
                        "the second selection was stranded"
                    );
                    got
                })
            };
            until_blocked(WaitStrategy::SpinPark, || tx_c.__waiters().0 == 2);
            // D first, then C: the first selection prefers D, and D's value is in before C's
            // is, so it takes D's; C's notify, which went to it, must reach the second.
            tx_d.send(1).unwrap();
            tx_c.send(2).unwrap();
            assert_eq!(first.join().unwrap(), ('d', 1));
            assert_eq!(
                second.join().unwrap(),
                Some(2),
                "the second selection was stranded"
            );
        }
    });
}

#[test]
fn timeouts_and_timers_never_fire_early() {
    let (_tx, rx) = unbounded::<i32>();
    let mut sel = Select::new();
    sel.recv(&rx);
    let start = Instant::now();
    assert_eq!(
        sel.select_timeout(Duration::from_millis(20)).unwrap_err(),
        SelectTimeoutError
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    // A deadline in the past: one attempt, then the error.
    assert!(sel.select_deadline(Instant::now()).is_err());
    // Duration::MAX means no deadline: a ready operation is still picked.
    let (tx2, rx2) = unbounded();
    tx2.send(1).unwrap();
    let mut sel = Select::new();
    sel.recv(&rx2);
    assert_eq!(sel.select_timeout(Duration::MAX).unwrap().recv(&rx2), Ok(1));

    // Timer channels in a selection: `after` fires once, not before its time, and wakes a
    // parked selection (timers notify nobody; the park ends at the due instant).
    let start = Instant::now();
    let timer = after(Duration::from_millis(30));
    let nothing = never::<i32>();
    let fired = select! {
        recv(nothing) -> _ => panic!("never() delivered"),
        recv(timer) -> at => at.unwrap(),
    };
    assert!(fired >= start + Duration::from_millis(30));
    assert!(Instant::now() >= start + Duration::from_millis(30));
    // `tick` delivers in order, each no earlier than its period.
    let ticker = tick(Duration::from_millis(5));
    let mut last = start;
    for _ in 0..3 {
        let t = select! { recv(ticker) -> t => t.unwrap() };
        assert!(t > last);
        last = t;
    }
    assert!(Instant::now() >= start + Duration::from_millis(45));
    // `default(timeout)`: runs after the timeout, not before.
    let start = Instant::now();
    let r = select! {
        recv(nothing) -> _ => 0,
        default(Duration::from_millis(15)) => 1,
    };
    assert_eq!(r, 1);
    assert!(start.elapsed() >= Duration::from_millis(15));
}

#[test]
fn macro_syntax_and_evaluation() {
    let (tx, rx) = bounded(1);
    let evaluated = Cell::new(0);
    let message = |v: i32| {
        evaluated.set(evaluated.get() + 1);
        v
    };
    // The channel expression is evaluated once; the message only if its arm is picked.
    tx.send(0).unwrap();
    let r = select! {
        send(tx, message(1)) -> _ => "sent",
        recv(&rx) -> v => { assert_eq!(v, Ok(0)); "received" }
    };
    assert_eq!((r, evaluated.get()), ("received", 0));
    let r = select! {
        send(&tx, message(2)) -> res => { res.unwrap(); "sent" },
        default => "full",
    };
    assert_eq!((r, evaluated.get()), ("sent", 1));
    let r = select! {
        send(tx, message(3)) -> res => { res.unwrap(); "sent" },
        default => "full",
    };
    assert_eq!((r, evaluated.get()), ("full", 1));
    // A temporary as the channel expression, trailing commas, blocks without commas, and
    // `break`/`continue` out of the loop around.
    let mut seen = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        select! {
            recv(rx.clone()) -> v => {
                seen.push(v.unwrap());
                continue;
            }
            default => break,
        }
    }
    assert_eq!((seen, rounds), (vec![2], 2));
    // Refutable-free patterns, `_` and a destructuring one.
    let (ptx, prx) = unbounded();
    ptx.send((1, 'x')).unwrap();
    select! { recv(prx) -> res => { let (n, c) = res.unwrap(); assert_eq!((n, c), (1, 'x')); } }
    ptx.send((2, 'y')).unwrap();
    select! { recv(prx) -> _ => {}, }
    assert!(prx.is_empty());
    // Only a default.
    assert_eq!(select! { default => 5 }, 5);
}

/// Each arm's body is written once in the expansion, whether the first pass or the wait
/// picks its arm: a `static` in a body is one item (two copies would each count half), and
/// the code of nested selections grows with their number, not with 2 to their depth.
#[test]
fn an_arm_body_is_one_item_on_either_path() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    watchdog("arm body once", || {
        let (tx, rx) = bounded(1);
        let (_keep, empty) = unbounded::<i32>();
        let mut counts = Vec::new();
        for round in 0..4 {
            let sender = (round % 2 == 1).then(|| {
                // Odd rounds: the value comes once the selection waits (the wait path).
                let tx = tx.clone();
                thread::spawn(move || {
                    until_blocked(WaitStrategy::SpinPark, || tx.__waiters().0 == 1);
                    tx.send(round).unwrap();
                })
            });
            if sender.is_none() {
                tx.send(round).unwrap(); // even rounds: ready at the first pass
            }
            let count = select! {
                recv(rx) -> v => {
                    static PICKED: AtomicUsize = AtomicUsize::new(0);
                    assert_eq!(v, Ok(round));
                    PICKED.fetch_add(1, Ordering::Relaxed) + 1
                }
                recv(empty) -> _ => panic!("nothing comes on this one"),
            };
            counts.push(count);
            if let Some(sender) = sender {
                sender.join().unwrap();
            }
        }
        assert_eq!(
            counts,
            [1, 2, 3, 4],
            "the arm's static was split between two copies"
        );
    });
}

#[test]
fn rendezvous_channels_meet_waiting_peers() {
    watchdog("select over rendezvous", || {
        // A receive arm takes from a sender blocked in `send`.
        let (tx, rx) = bounded::<u32>(0);
        let sender = {
            let tx = tx.clone();
            thread::spawn(move || tx.send(5))
        };
        let got = select! { recv(rx) -> v => v.unwrap() };
        assert_eq!(got, 5);
        sender.join().unwrap().unwrap();
        // A send arm gives to a receiver blocked in `recv`.
        let receiver = {
            let rx = rx.clone();
            thread::spawn(move || rx.recv())
        };
        select! { send(tx, 6) -> res => res.unwrap() }
        assert_eq!(receiver.join().unwrap(), Ok(6));
        // With nobody waiting, neither is ready.
        let mut sel = Select::new();
        sel.send(&tx);
        sel.recv(&rx);
        assert!(sel.try_select().is_err());
    });
}

/// Channels whose strategy never parks send no notifications; a selection over one polls.
#[test]
fn spinning_strategies_are_polled() {
    for strategy in [WaitStrategy::Spin, WaitStrategy::SpinYield] {
        watchdog("select over spinning channels", move || {
            let (tx, rx) = with_queue_and_strategy(ArrayQueue::new(2), strategy);
            let (ptx, prx) = bounded::<u32>(1);
            let sender = thread::spawn(move || {
                for i in 0..100u32 {
                    tx.send(i).unwrap();
                }
            });
            for i in 0..100u32 {
                let got = select! {
                    recv(rx) -> v => v.unwrap(),
                    recv(prx) -> _ => panic!("nothing comes on the parked one"),
                };
                assert_eq!(got, i);
            }
            sender.join().unwrap();
            drop(ptx);
        });
    }
}

#[test]
fn bad_use_panics_clearly_and_drops_once() {
    let (tx, rx) = unbounded();
    let (tx2, rx2) = unbounded::<i32>();
    let counter = Counter::new();
    tx.send(counter.track(0, ())).unwrap();
    // Completing with another channel's receiver panics; the value is dropped once.
    let mut sel = Select::new();
    sel.recv(&rx);
    let oper = sel.select();
    let msg = panic_message(|| oper.recv(&unbounded::<support::Tracked>().1));
    assert!(
        msg.contains("not the selected operation's receiver"),
        "{msg}"
    );
    assert_eq!((counter.created(), counter.dropped()), (1, 1));
    // A receive selected and dropped without completing: panics, and the value it took is
    // dropped exactly once.
    tx.send(counter.track(1, ())).unwrap();
    let msg = panic_message(|| drop(sel.select()));
    assert!(msg.contains("without completing"), "{msg}");
    assert_eq!((counter.created(), counter.dropped()), (2, 2));
    // A send completed on a receiver's operation, or the other way round.
    let mut sel = Select::new();
    sel.send(&tx2);
    let msg = panic_message(|| sel.select().recv(&rx2));
    assert!(msg.contains("not the selected"), "{msg}");
    // Empty selections and unknown indices.
    let msg = panic_message(|| Select::new().select());
    assert!(msg.contains("no operations"), "{msg}");
    let msg = panic_message(|| Select::new().ready());
    assert!(msg.contains("no operations"), "{msg}");
    let mut sel = Select::new();
    let op = sel.recv(&rx2);
    sel.remove(op);
    let msg = panic_message(|| sel.remove(op));
    assert!(msg.contains("no operation"), "{msg}");
    assert!(Select::new().try_select().is_err());
    assert!(Select::new()
        .select_timeout(Duration::from_millis(1))
        .is_err());
    // Another handle of the selected channel completes it (wharf checks the channel).
    tx2.send(3).unwrap();
    let rx2b = rx2.clone();
    let mut sel = Select::new();
    sel.recv(&rx2);
    assert_eq!(sel.select().recv(&rx2b), Ok(3));
}

/// Two producers per channel, two channels, two consumers selecting over both: every value
/// arrives exactly once, each producer's values in order per consumer, and the selections
/// leave no waiter registered.
#[test]
fn mpmc_through_selections() {
    watchdog("mpmc select", || {
        let per = scaled(20_000) as u64;
        let (atx, arx) = bounded::<(u64, u64)>(4);
        let (btx, brx) = unbounded::<(u64, u64)>();
        let mut producers = Vec::new();
        for p in 0..4u64 {
            let tx = if p < 2 { atx.clone() } else { btx.clone() };
            // Producers 1 and 3 send through selections too.
            producers.push(thread::spawn(move || {
                for seq in 0..per {
                    if p % 2 == 1 {
                        select! { send(tx, (p, seq)) -> res => res.unwrap() }
                    } else {
                        tx.send((p, seq)).unwrap();
                    }
                }
            }));
        }
        drop((atx, btx));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (arx, brx) = (arx.clone(), brx.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    let (mut a_open, mut b_open) = (true, true);
                    while a_open || b_open {
                        let mut sel = Select::new();
                        let a = a_open.then(|| sel.recv(&arx));
                        let b = b_open.then(|| sel.recv(&brx));
                        let oper = sel.select();
                        let (rx, open) = if Some(oper.index()) == a {
                            (&arx, &mut a_open)
                        } else {
                            assert_eq!(Some(oper.index()), b);
                            (&brx, &mut b_open)
                        };
                        match oper.recv(rx) {
                            Ok(v) => got.push(v),
                            Err(RecvError) => *open = false,
                        }
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut all: HashMap<(u64, u64), usize> = HashMap::new();
        for c in consumers {
            let got = c.join().unwrap();
            let mut last = [None::<u64>; 4];
            for &(p, seq) in &got {
                let prev = last[p as usize].replace(seq);
                assert!(prev.map_or(true, |x| x < seq), "producer {p} out of order");
                *all.entry((p, seq)).or_default() += 1;
            }
        }
        assert_eq!(all.len() as u64, 4 * per, "values lost");
        assert!(all.values().all(|&n| n == 1), "a value received twice");
        assert_eq!(arx.__waiters(), (0, 0));
        assert_eq!(brx.__waiters(), (0, 0));
    });
}

/// `try_select` answers as of one instant. While it runs, the other thread puts a value in
/// `b` before taking the one in `a`, so at every instant one of the two has a value: a
/// selection that checked `b` before the value came and `a` after it went would wrongly
/// answer "none".
#[test]
fn try_select_is_one_instant() {
    for bounded_pair in [true, false] {
        watchdog("try_select linearizable", move || {
            let (go_tx, go_rx) = bounded::<()>(0);
            let (done_tx, done_rx) = bounded::<()>(0);
            let ((atx, arx), (btx, brx)) = if bounded_pair {
                (bounded::<u8>(1), bounded::<u8>(1))
            } else {
                (unbounded::<u8>(), unbounded::<u8>())
            };
            let rounds = scaled(20_000);
            let selector = {
                let (arx, brx) = (arx.clone(), brx.clone());
                thread::spawn(move || {
                    for _ in 0..rounds {
                        go_rx.recv().unwrap();
                        atx.send(1).unwrap();
                        let mut sel = Select::new();
                        let a = sel.recv(&arx);
                        sel.recv(&brx);
                        let oper = sel.try_select().expect("one of the two always has a value");
                        if oper.index() == a {
                            oper.recv(&arx).unwrap();
                        } else {
                            oper.recv(&brx).unwrap();
                        }
                        done_tx.send(()).unwrap();
                        let _ = brx.try_recv();
                    }
                })
            };
            for _ in 0..rounds {
                go_tx.send(()).unwrap();
                btx.send(1).unwrap();
                let _ = arx.try_recv();
                done_rx.recv().unwrap();
            }
            selector.join().unwrap();
        });
    }
}
