//! Timer channels (`never`, `after`, `at`, `tick`): messages come when due, never early,
//! once each; tickers do not pile up missed ticks; absurd durations make `never`.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use support::watchdog;
use wharf::channel::{after, at, never, tick, RecvTimeoutError, TryRecvError};

const MS: Duration = Duration::from_millis(1);

#[test]
fn after_fires_once_and_never_early() {
    watchdog("after_fires_once_and_never_early", || {
        let start = Instant::now();
        let rx = after(20 * MS);
        assert_eq!(rx.capacity(), Some(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let fired = rx.recv().unwrap();
        let now = Instant::now();
        assert!(
            fired >= start + 20 * MS,
            "fired {:?} early",
            start + 20 * MS - fired
        );
        assert!(now >= fired, "received before it was due");
        // One message only, and never a disconnect.
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(rx.recv_timeout(5 * MS), Err(RecvTimeoutError::Timeout));
        assert!(rx.is_empty());
    });
}

#[test]
fn at_delivers_its_instant() {
    watchdog("at_delivers_its_instant", || {
        // In the past: at once.
        let past = Instant::now();
        thread::yield_now();
        assert_eq!(at(past).try_recv(), Ok(past));
        // In the future: that very instant, once it has passed.
        let when = Instant::now() + 5 * MS;
        let rx = at(when);
        assert_eq!(rx.recv(), Ok(when));
        assert!(Instant::now() >= when);
    });
}

#[test]
fn timers_fire_in_order() {
    watchdog("timers_fire_in_order", || {
        let start = Instant::now();
        let timers: Vec<_> = [30, 10, 20, 0].map(|ms| (ms, after(ms * MS))).into();
        // Receive whichever is due first, by polling all; each must come no earlier than
        // its duration, and they come in the order of their durations.
        let mut order = Vec::new();
        while order.len() < timers.len() {
            for (ms, rx) in &timers {
                if let Ok(fired) = rx.try_recv() {
                    assert!(Instant::now() >= fired && fired >= start + *ms * MS);
                    order.push(*ms);
                }
            }
            thread::yield_now();
        }
        assert_eq!(order, [0, 10, 20, 30]);
    });
}

#[test]
fn one_message_for_many_receivers() {
    watchdog("one_message_for_many_receivers", || {
        let rx = after(5 * MS);
        let got: usize = (0..4)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || rx.recv_timeout(100 * MS).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(got, 1);
    });
}

#[test]
fn never_gets_nothing() {
    let rx = never::<String>();
    assert_eq!(rx.capacity(), Some(0));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.recv_timeout(2 * MS), Err(RecvTimeoutError::Timeout));
    assert!(rx.is_empty() && rx.try_iter().next().is_none());
    // Every never() is one channel, as in crossbeam-channel; other timers are not.
    assert!(rx.same_channel(&never()) && rx.same_channel(&rx.clone()));
    let (a, b) = (after(MS), after(MS));
    assert!(!a.same_channel(&b) && a.same_channel(&a.clone()));
    assert!(!a.same_channel(&never()) && !never().same_channel(&a));
}

#[test]
fn absurd_durations_never_fire() {
    for rx in [after(Duration::MAX), tick(Duration::MAX)] {
        assert_eq!(rx.capacity(), Some(0));
        assert_eq!(rx.recv_timeout(2 * MS), Err(RecvTimeoutError::Timeout));
    }
    // A receive with an absurd timeout waits without a deadline.
    let fired = after(2 * MS).recv_timeout(Duration::MAX);
    assert!(fired.is_ok());
}

#[test]
fn ticks_come_in_order_and_do_not_pile_up() {
    watchdog("ticks_come_in_order_and_do_not_pile_up", || {
        let period = 3 * MS;
        let start = Instant::now();
        let ticker = tick(period);
        let mut last = start;
        for k in 1..=5u32 {
            let t = ticker.recv().unwrap();
            assert!(t >= start + period * k, "tick {k} early");
            assert!(
                t >= last + period,
                "tick {k} less than a period after the last"
            );
            assert!(Instant::now() >= t);
            last = t;
        }
        // A slow receiver: ticks missed meanwhile are not kept. One is due at once, the
        // next only a period after it was taken.
        let slow = Instant::now() + 5 * period;
        while Instant::now() < slow {
            thread::yield_now();
        }
        let taken = Instant::now();
        assert!(ticker.try_recv().is_ok());
        assert_eq!(ticker.try_recv(), Err(TryRecvError::Empty));
        let next = ticker.recv().unwrap();
        assert!(next >= taken + period, "a missed tick was kept");
    });
}

#[test]
fn batches_wait_for_the_due_message() {
    watchdog("batches_wait_for_the_due_message", || {
        let start = Instant::now();
        let rx = after(5 * MS);
        let mut out = Vec::new();
        assert_eq!(rx.recv_many(&mut out, 8), Ok(1));
        assert!(out[0] >= start + 5 * MS);
    });
}

#[test]
fn async_receives_wake_when_due() {
    watchdog("async_receives_wake_when_due", || {
        use futures::executor::block_on;
        use futures::StreamExt;
        let start = Instant::now();
        let fired = block_on(after(10 * MS).recv_async()).unwrap();
        assert!(fired >= start + 10 * MS && Instant::now() >= fired);

        let ticker = tick(2 * MS);
        let ticks: Vec<Instant> = block_on(ticker.stream().take(3).collect());
        assert!(ticks.windows(2).all(|w| w[1] >= w[0] + 2 * MS));
        assert!(ticks[0] >= start + 2 * MS);
    });
}

/// Dropping the last receiver of a timer takes no messages (a ticker of zero period always
/// has one due: a drain that popped them would never end).
#[test]
fn dropping_a_due_timer_returns() {
    watchdog("dropping_a_due_timer_returns", || {
        for rx in [tick(Duration::ZERO), after(Duration::ZERO), never()] {
            assert!(rx.capacity().is_some());
            drop(rx);
        }
    });
}
