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
