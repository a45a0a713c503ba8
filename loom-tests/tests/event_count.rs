//! Models of `EventCount`: no lost wake-ups. A waiter that never wakes shows up as a loom
//! deadlock (every thread blocked).

#![cfg(loom)]

mod common;

use common::model;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use wharf::EventCount;

/// The documented protocol: check, prepare, re-check, cancel or wait. The flag is `Relaxed`,
/// as the ordering contract allows.
fn wait_for_flag(ec: &EventCount, flag: &AtomicBool) {
    loop {
        if flag.load(Ordering::Relaxed) {
            return;
        }
        let key = ec.prepare_wait();
        if flag.load(Ordering::Relaxed) {
            key.cancel();
            return;
        }
        key.wait();
    }
}

fn flag_model(waiters: usize, all: bool) {
    model(move || {
        let ec = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..waiters)
            .map(|_| {
                let (ec, flag) = (ec.clone(), flag.clone());
                thread::spawn(move || wait_for_flag(&ec, &flag))
            })
            .collect();
        flag.store(true, Ordering::Relaxed);
        if all {
            ec.notify_all();
        } else {
            ec.notify_one();
        }
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn one_waiter_notify_one_no_lost_wakeup() {
    flag_model(1, false);
}

#[test]
fn one_waiter_notify_all_no_lost_wakeup() {
    flag_model(1, true);
}

#[test]
fn two_waiters_notify_all_no_lost_wakeup() {
    flag_model(2, true);
}

/// Two waiters each need a token; the notifier adds one token and `notify_one`s, twice. A
/// waiter that finds a token on its re-check cancels: since `notify_one` only signals waiters
/// that committed to sleep, the cancelled waiter never swallows a wake-up meant for the other,
/// and both finish.
#[test]
fn cancelled_waiter_does_not_swallow_notify_one() {
    fn take(tokens: &AtomicUsize) -> bool {
        tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
            .is_ok()
    }
    model(|| {
        let ec = Arc::new(EventCount::new());
        let tokens = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (ec, tokens) = (ec.clone(), tokens.clone());
                thread::spawn(move || loop {
                    if take(&tokens) {
                        return;
                    }
                    let key = ec.prepare_wait();
                    if take(&tokens) {
                        key.cancel();
                        return;
                    }
                    key.wait();
                })
            })
            .collect();
        for _ in 0..2 {
            tokens.fetch_add(1, Ordering::Relaxed);
            ec.notify_one();
        }
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(tokens.load(Ordering::Relaxed), 0);
    });
}

/// `notify_all` wakes every waiter that prepared before it, with no condition to re-check:
/// the waiters commit unconditionally, and the notifier waits until both have prepared.
#[test]
fn notify_all_wakes_every_prepared_waiter() {
    model(|| {
        let ec = Arc::new(EventCount::new());
        let prepared = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (ec, prepared) = (ec.clone(), prepared.clone());
                thread::spawn(move || {
                    let key = ec.prepare_wait();
                    prepared.fetch_add(1, Ordering::Relaxed);
                    key.wait();
                })
            })
            .collect();
        while prepared.load(Ordering::Relaxed) < 2 {
            thread::yield_now();
        }
        ec.notify_all();
        for h in handles {
            h.join().unwrap();
        }
    });
}

/// `notify_one` with one prepared waiter always wakes it.
#[test]
fn notify_one_wakes_the_prepared_waiter() {
    model(|| {
        let ec = Arc::new(EventCount::new());
        let prepared = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (ec, prepared) = (ec.clone(), prepared.clone());
            thread::spawn(move || {
                let key = ec.prepare_wait();
                prepared.store(true, Ordering::Relaxed);
                key.wait();
            })
        };
        while !prepared.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        ec.notify_one();
        waiter.join().unwrap();
    });
}

/// Two notifiers, each adding a token and calling `notify_one` from its own thread, and two
/// waiters that each need a token: concurrent notifies do not merge into one wake-up.
#[test]
fn concurrent_notifiers_wake_both_waiters() {
    fn take(tokens: &AtomicUsize) -> bool {
        tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
            .is_ok()
    }
    model(|| {
        let ec = Arc::new(EventCount::new());
        let tokens = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (ec, tokens) = (ec.clone(), tokens.clone());
                thread::spawn(move || loop {
                    if take(&tokens) {
                        return;
                    }
                    let key = ec.prepare_wait();
                    if take(&tokens) {
                        key.cancel();
                        return;
                    }
                    key.wait();
                })
            })
            .collect();
        let notifier = {
            let (ec, tokens) = (ec.clone(), tokens.clone());
            thread::spawn(move || {
                tokens.fetch_add(1, Ordering::Relaxed);
                ec.notify_one();
            })
        };
        tokens.fetch_add(1, Ordering::Relaxed);
        ec.notify_one();
        notifier.join().unwrap();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(tokens.load(Ordering::Relaxed), 0);
    });
}

/// A deadline wait whose deadline has passed still reports a notify that came after its
/// `prepare_wait` and before the wait (ordered by flags): it checks the epoch before the
/// clock. (Under loom a wait with time left never times out: loom's `wait_timeout` waits like
/// `wait`; so only deadlines already past are modelled.)
#[test]
fn past_deadline_wait_reports_an_earlier_notify() {
    model(|| {
        let ec = Arc::new(EventCount::new());
        let prepared = Arc::new(AtomicBool::new(false));
        let notified = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (ec, prepared, notified) = (ec.clone(), prepared.clone(), notified.clone());
            thread::spawn(move || {
                while !prepared.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                ec.notify_one();
                notified.store(true, Ordering::Release);
            })
        };
        let key = ec.prepare_wait();
        prepared.store(true, Ordering::Release);
        let was_notified = notified.load(Ordering::Acquire);
        let woke = key.wait_deadline(std::time::Instant::now());
        if was_notified {
            assert!(
                woke,
                "a notify after prepare_wait was reported as a timeout"
            );
        }
        notifier.join().unwrap();
    });
}

/// A waiter that times out (deadline already past) while another waiter waits for the flag:
/// the timed-out one registered as a sleeper and left, and the `notify_one` after the flag is
/// set still wakes the other.
#[test]
fn timed_out_waiter_does_not_swallow_notify_one() {
    model(|| {
        let ec = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let timing_out = {
            let ec = ec.clone();
            thread::spawn(move || {
                let key = ec.prepare_wait();
                let _ = key.wait_deadline(std::time::Instant::now());
            })
        };
        let waiter = {
            let (ec, flag) = (ec.clone(), flag.clone());
            thread::spawn(move || wait_for_flag(&ec, &flag))
        };
        flag.store(true, Ordering::Relaxed);
        ec.notify_one();
        timing_out.join().unwrap();
        waiter.join().unwrap();
    });
}
