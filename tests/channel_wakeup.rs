//! The wake-up path the channels use after a successful push or pop (the fence-free check of
//! `EventCount::notify_one_after` over wharf's queues, the fenced one over capacity 1).
//!
//! Request/reply ping-pong over parked (`SpinPark`) channels, with a clone of every handle
//! kept alive for the whole run: no disconnect happens, so the `notify_all` of a disconnect
//! cannot rescue a lost "not empty" or "not full" wake-up, which instead shows as a receive
//! that times out after [`REPLY_LIMIT`]. Some rounds wait until the other side is registered
//! as a waiter before answering (so the notify must wake a sleeper); the rest answer at once
//! (so the notifier's check races with the waiter's registration).

mod support;

use std::thread;
use std::time::{Duration, Instant};

use support::scaled;
use wharf::channel::{with_queue_and_strategy, Flavor, Receiver, Sender};
use wharf::{ArrayQueue, LinkedQueue, WaitStrategy};

/// Far longer than any honest reply takes, even on a loaded machine.
const REPLY_LIMIT: Duration = Duration::from_secs(30);

/// Requests in flight per round: more than a capacity-2 channel holds, so that the client's
/// third send waits for "not full", and so does the server's third reply.
const DEPTH: u64 = 3;

fn parked(cap: Option<usize>) -> (Sender<u64>, Receiver<u64>) {
    let queue = match cap {
        Some(cap) => Flavor::Bounded(ArrayQueue::new(cap)),
        None => Flavor::Unbounded(LinkedQueue::new()),
    };
    with_queue_and_strategy(queue, WaitStrategy::SpinPark)
}

/// Receives with [`REPLY_LIMIT`], failing with `what` on a timeout.
fn recv(rx: &Receiver<u64>, what: &str) -> u64 {
    rx.recv_timeout(REPLY_LIMIT)
        .unwrap_or_else(|e| panic!("{what}: {e:?} after {REPLY_LIMIT:?}: a lost wake-up"))
}

/// Sends with [`REPLY_LIMIT`], failing with `what` on a timeout.
fn send(tx: &Sender<u64>, value: u64, what: &str) {
    tx.send_timeout(value, REPLY_LIMIT)
        .unwrap_or_else(|e| panic!("{what}: {e:?} after {REPLY_LIMIT:?}: a lost wake-up"))
}

/// Waits (bounded) until the peer is registered as a waiter on the channel: `.0` counts
/// blocked receivers, `.1` blocked senders.
/// Fails after [`REPLY_LIMIT`] (the peer itself failed, or never blocked).
fn until_parked(rx: &Receiver<u64>, side: impl Fn((usize, usize)) -> usize) {
    let start = Instant::now();
    while side(rx.__waiters()) == 0 {
        assert!(start.elapsed() < REPLY_LIMIT, "the peer never blocked");
        thread::yield_now();
    }
}

fn ping_pong(cap: Option<usize>) {
    let what = format!("ping-pong over capacity {cap:?}");
    let (req_tx, req_rx) = parked(cap);
    let (rep_tx, rep_rx) = parked(cap);
    // Every handle stays alive until both threads are done: no disconnect wakes anybody.
    let keep = (
        req_tx.clone(),
        req_rx.clone(),
        rep_tx.clone(),
        rep_rx.clone(),
    );
    // Only a ring smaller than DEPTH makes the client's sends block.
    let sends_block = cap.is_some_and(|cap| cap < DEPTH as usize);
    let rounds = scaled(1_500) as u64;
    let server = {
        let what = what.clone();
        let replies = rep_rx.clone();
        thread::spawn(move || {
            for round in 0..rounds {
                for k in 0..DEPTH {
                    if sends_block && round % 4 == 2 && k == 0 {
                        // The client fills the ring and blocks on its next send: wait until it
                        // is registered, so only our pop's "not full" wake-up can free it.
                        until_parked(&req_rx, |w| w.1);
                    }
                    let request = recv(&req_rx, &format!("{what}: server, round {round}"));
                    assert_eq!(request, round * DEPTH + k, "{what}: request order");
                    if round % 4 == 1 && k == DEPTH - 1 {
                        // The client has sent everything and blocks on a reply: wait until it
                        // is registered, so only our send's "not empty" wake-up can free it.
                        until_parked(&replies, |w| w.0);
                    }
                    send(
                        &rep_tx,
                        request + 1,
                        &format!("{what}: server, round {round}"),
                    );
                }
            }
        })
    };
    for round in 0..rounds {
        if round % 4 == 3 {
            // The other way round: the server is blocked on the next request.
            until_parked(&keep.1, |w| w.0);
        }
        for k in 0..DEPTH {
            send(
                &req_tx,
                round * DEPTH + k,
                &format!("{what}: client, round {round}"),
            );
        }
        for k in 0..DEPTH {
            let reply = recv(&rep_rx, &format!("{what}: client, round {round}"));
            assert_eq!(reply, round * DEPTH + k + 1, "{what}: reply order");
        }
    }
    server.join().unwrap();
    drop(keep);
}

#[test]
fn ping_pong_bounded_2() {
    support::watchdog("ping_pong_bounded_2", || ping_pong(Some(2)));
}

#[test]
fn ping_pong_bounded_1024() {
    support::watchdog("ping_pong_bounded_1024", || ping_pong(Some(1024)));
}

#[test]
fn ping_pong_unbounded() {
    support::watchdog("ping_pong_unbounded", || ping_pong(None));
}

/// Capacity 1 takes the fenced wake-up check; the same protocol must hold there.
#[test]
fn ping_pong_bounded_1() {
    support::watchdog("ping_pong_bounded_1", || ping_pong(Some(1)));
}
