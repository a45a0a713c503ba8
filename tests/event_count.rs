//! `EventCount`: the prepare / re-check / wait protocol, timeouts, and wake-ups.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use wharf::EventCount;

/// Waits on `ec` until `cond` holds, by the protocol of the `EventCount` docs.
fn wait_until(ec: &EventCount, cond: impl Fn() -> bool) {
    loop {
        if cond() {
            return;
        }
        let key = ec.prepare_wait();
        if cond() {
            key.cancel();
            return;
        }
        key.wait();
    }
}

#[test]
fn notify_without_waiters_is_harmless() {
    let ec = EventCount::new();
    for _ in 0..1000 {
        ec.notify_one();
        ec.notify_all();
    }
    // A waiter that prepares afterwards did not get those notifications banked.
    assert!(!ec.prepare_wait().wait_timeout(Duration::from_millis(10)));
    let ec = EventCount::default();
    ec.notify_all();
    assert!(!format!("{ec:?}").is_empty());
}

#[test]
fn prepare_and_cancel() {
    let ec = EventCount::new();
    for _ in 0..100 {
        let key = ec.prepare_wait();
        assert!(!format!("{key:?}").is_empty());
        key.cancel();
    }
    // Dropping a key cancels too.
    for _ in 0..100 {
        drop(ec.prepare_wait());
    }
    // Cancelled waiters are not counted: with no waiter left, this notify takes the fast
    // path, and a fresh waiter still times out (it was prepared after the notify).
    ec.notify_one();
    assert!(!ec.prepare_wait().wait_timeout(Duration::from_millis(5)));
    // Several keys at once, from one thread.
    let (a, b) = (ec.prepare_wait(), ec.prepare_wait());
    ec.notify_all();
    assert!(a.wait_timeout(Duration::ZERO));
    assert!(b.wait_deadline(Instant::now()));
}

#[test]
fn notify_between_prepare_and_wait_is_not_lost() {
    support::watchdog("notify_between_prepare_and_wait_is_not_lost", || {
        let ec = EventCount::new();
        let key = ec.prepare_wait();
        ec.notify_one();
        key.wait(); // returns at once: the notify came after the prepare

        let key = ec.prepare_wait();
        ec.notify_all();
        assert!(key.wait_timeout(Duration::MAX));

        // And from another thread, with the waiter committed before the notify is likely.
        let ec = Arc::new(EventCount::new());
        for _ in 0..50 {
            let key = ec.prepare_wait();
            let notifier = {
                let ec = ec.clone();
                thread::spawn(move || ec.notify_one())
            };
            key.wait();
            notifier.join().unwrap();
        }
    });
}

#[test]
fn wait_timeout_false_on_timeout_true_when_notified() {
    let ec = Arc::new(EventCount::new());
    let timeout = Duration::from_millis(30);
    let start = Instant::now();
    assert!(!ec.prepare_wait().wait_timeout(timeout));
    assert!(start.elapsed() >= timeout);

    let deadline = Instant::now() + timeout;
    assert!(!ec.prepare_wait().wait_deadline(deadline));
    assert!(Instant::now() >= deadline);

    assert!(!ec.prepare_wait().wait_timeout(Duration::ZERO));

    // Notified from another thread while (likely) asleep, with a long timeout.
    let flag = Arc::new(AtomicBool::new(false));
    let notifier = {
        let (ec, flag) = (ec.clone(), flag.clone());
        thread::spawn(move || {
            while ec.__waiters() == 0 {
                thread::yield_now();
            }
            flag.store(true, Ordering::Relaxed);
            ec.notify_one();
        })
    };
    loop {
        let key = ec.prepare_wait();
        if flag.load(Ordering::Relaxed) {
            key.cancel();
            break;
        }
        // Spurious wake-ups are allowed; a timeout is not (the notify comes long before).
        assert!(key.wait_timeout(Duration::from_secs(60)), "timed out");
    }
    notifier.join().unwrap();
}

#[test]
fn huge_timeouts_do_not_overflow() {
    support::watchdog("huge_timeouts_do_not_overflow", || {
        let ec = Arc::new(EventCount::new());
        // Representable as a deadline (35,000 years) or not (Duration::MAX): both wait.
        for timeout in [Duration::from_secs(1 << 40), Duration::MAX] {
            let key = ec.prepare_wait();
            let notifier = {
                let ec = ec.clone();
                thread::spawn(move || {
                    // The key is registered already; give the waiter time to get to its wait
                    // (the notify is correct whenever it comes).
                    thread::yield_now();
                    ec.notify_all();
                })
            };
            assert!(key.wait_timeout(timeout));
            notifier.join().unwrap();
        }
    });
}

#[test]
fn wait_deadline_in_the_past() {
    let ec = EventCount::new();
    assert!(!ec
        .prepare_wait()
        .wait_deadline(Instant::now() - Duration::from_secs(1)));
    // Notified already: true even with the deadline gone.
    let key = ec.prepare_wait();
    ec.notify_one();
    assert!(key.wait_deadline(Instant::now() - Duration::from_secs(1)));
}

#[test]
fn notify_all_wakes_every_waiter() {
    support::watchdog("notify_all_wakes_every_waiter", || {
        const N: usize = 6;
        let ec = Arc::new(EventCount::new());
        let go = Arc::new(AtomicBool::new(false));
        let prepared = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..N)
            .map(|_| {
                let (ec, go, prepared) = (ec.clone(), go.clone(), prepared.clone());
                thread::spawn(move || {
                    prepared.fetch_add(1, Ordering::SeqCst);
                    wait_until(&ec, || go.load(Ordering::Relaxed));
                })
            })
            .collect();
        // All registered: only the notify can release them.
        while prepared.load(Ordering::SeqCst) < N || ec.__waiters() < N {
            thread::yield_now();
        }
        go.store(true, Ordering::Relaxed);
        ec.notify_all(); // one call for all of them
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn notify_one_per_item_wakes_enough_waiters() {
    support::watchdog("notify_one_per_item_wakes_enough_waiters", || {
        // N consumers each take one token; the producer adds N tokens, one notify_one each.
        const N: usize = 4;
        let ec = Arc::new(EventCount::new());
        let tokens = Arc::new(AtomicUsize::new(0));
        let take = |tokens: &AtomicUsize| {
            tokens
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1))
                .is_ok()
        };
        let consumers: Vec<_> = (0..N)
            .map(|_| {
                let (ec, tokens) = (ec.clone(), tokens.clone());
                thread::spawn(move || wait_until(&ec, || take(&tokens)))
            })
            .collect();
        while ec.__waiters() < N {
            thread::yield_now();
        }
        for _ in 0..N {
            tokens.fetch_add(1, Ordering::AcqRel);
            ec.notify_one();
        }
        for c in consumers {
            c.join().unwrap();
        }
        assert_eq!(tokens.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn handoff_stress() {
    support::watchdog("handoff_stress", || {
        // Ping-pong through one counter: each side waits for its parity, then bumps it. A lost
        // wake-up hangs the test.
        let rounds = support::scaled(50_000);
        let ec = Arc::new(EventCount::new());
        let turn = Arc::new(AtomicUsize::new(0));
        let other = {
            let (ec, turn) = (ec.clone(), turn.clone());
            thread::spawn(move || {
                for i in 0..rounds {
                    wait_until(&ec, || turn.load(Ordering::Acquire) == 2 * i + 1);
                    turn.store(2 * i + 2, Ordering::Release);
                    ec.notify_all();
                }
            })
        };
        for i in 0..rounds {
            wait_until(&ec, || turn.load(Ordering::Acquire) == 2 * i);
            turn.store(2 * i + 1, Ordering::Release);
            ec.notify_all();
        }
        other.join().unwrap();
        assert_eq!(turn.load(Ordering::SeqCst), 2 * rounds);
    });
}

#[test]
fn producer_consumer_stress() {
    support::watchdog("producer_consumer_stress", || {
        // Several producers bump a counter with notify_one each; several consumers each wait for
        // their share. Every unit is consumed and nobody hangs.
        const PRODUCERS: usize = 2;
        const CONSUMERS: usize = 3;
        let per_consumer = support::scaled(10_000);
        let total = per_consumer * CONSUMERS;
        let ec = Arc::new(EventCount::new());
        let available = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(PRODUCERS + CONSUMERS));
        let mut threads = Vec::new();
        for p in 0..PRODUCERS {
            let (ec, available, start) = (ec.clone(), available.clone(), start.clone());
            let share = total / PRODUCERS + usize::from(p < total % PRODUCERS);
            threads.push(thread::spawn(move || {
                start.wait();
                for i in 0..share {
                    available.fetch_add(1, Ordering::Release);
                    ec.notify_one();
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                }
            }));
        }
        for _ in 0..CONSUMERS {
            let (ec, available, start) = (ec.clone(), available.clone(), start.clone());
            threads.push(thread::spawn(move || {
                start.wait();
                for _ in 0..per_consumer {
                    wait_until(&ec, || {
                        available
                            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| a.checked_sub(1))
                            .is_ok()
                    });
                }
            }));
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(available.load(Ordering::SeqCst), 0);
    });
}
