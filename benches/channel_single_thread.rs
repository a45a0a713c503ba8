//! Single-thread channel loops for instruction counts under callgrind
//! (`benches/callgrind_channels.sh`, run by `benches/callgrind.sh`).
//!
//! `channel_single_thread <key> <pairs>` runs `pairs` send+receive pairs on one thread
//! through a bounded channel of `CAPACITY` that is never full or empty when it matters, so
//! nobody ever waits: what is counted is each call's own fast path, including the wake-up
//! check a blocking call makes for waiters that are not there. Keys:
//!
//! - `empty`: the loop alone (a `black_box` and the tally), the harness's own share;
//! - `wharf-send-recv`: wharf `bounded` `send` + `recv` (blocking API);
//! - `wharf-try`: wharf `bounded` `try_send` + `try_recv` (the target: `send`+`recv` within
//!   10 instructions of this);
//! - `wharf-unb-send-recv`, `wharf-unb-try`: the same over `unbounded`;
//! - `wharf-async`, `wharf-unb-async`: `send_async` + `recv_async` over each, every future
//!   polled once (the async fast path: the target is `try_send`+`try_recv` plus a few
//!   instructions, and no atomic read-modify-write more);
//! - `crossbeam`, `kanal`, `flume`, `std`, `mutex`: the peers' blocking `send` + `recv`
//!   through their `BenchChannel` adapters, for scale.
//!
//! Every loop is compiled into this one binary, so they share one build and one inlining
//! context. Any other arguments (such as the `--bench` that `cargo bench` passes) print the
//! usage and exit successfully, so `cargo bench` itself does nothing with this target.

mod common;

use common::channel_adapters::{
    CrossbeamBounded, FlumeBounded, KanalBounded, MutexBounded, StdSync,
};
use common::channels::BenchChannel;
use common::check::Tally;
use common::CAPACITY;
use std::hint::black_box;
use wharf::channel::{Receiver, Sender};

/// The loop every key runs: `pair` on each of `0..pairs` (through `black_box`), tallying
/// what it returns. Inlined into each key's own `#[inline(never)]` function.
#[inline(always)]
fn pair_loop(pairs: u64, mut pair: impl FnMut(u64) -> u64) -> Tally {
    let mut tally = Tally::default();
    for i in 0..pairs {
        tally.add(pair(black_box(i)));
    }
    tally
}

/// The loop with no channel in it.
#[inline(never)]
fn empty_loop(pairs: u64) -> Tally {
    pair_loop(pairs, |i| i)
}

/// wharf's blocking `send` + `recv`.
#[inline(never)]
fn wharf_send_recv(tx: &Sender<u64>, rx: &Receiver<u64>, pairs: u64) -> Tally {
    pair_loop(pairs, |i| {
        if tx.send(i).is_err() {
            panic!("wharf: send failed");
        }
        rx.recv().unwrap_or_else(|_| panic!("wharf: recv failed"))
    })
}

/// wharf's non-blocking `try_send` + `try_recv`.
#[inline(never)]
fn wharf_try(tx: &Sender<u64>, rx: &Receiver<u64>, pairs: u64) -> Tally {
    pair_loop(pairs, |i| {
        if tx.try_send(i).is_err() {
            panic!("wharf: try_send into an empty channel failed");
        }
        rx.try_recv()
            .unwrap_or_else(|_| panic!("wharf: try_recv after a send found nothing"))
    })
}

/// wharf's `send_async` + `recv_async`, each future polled once with a no-op waker (it is
/// ready at once: the channel is never full or empty when it matters).
#[inline(never)]
fn wharf_async(tx: &Sender<u64>, rx: &Receiver<u64>, pairs: u64) -> Tally {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    pair_loop(pairs, |i| {
        match pin!(tx.send_async(i)).poll(&mut cx) {
            Poll::Ready(Ok(())) => {}
            _ => panic!("wharf: send_async into an empty channel was not ready"),
        }
        match pin!(rx.recv_async()).poll(&mut cx) {
            Poll::Ready(Ok(value)) => value,
            _ => panic!("wharf: recv_async after a send was not ready"),
        }
    })
}

/// A peer's blocking `send` + `recv` through its adapter.
#[inline(never)]
fn adapter_send_recv<C: BenchChannel>(tx: &C::Tx, rx: &C::Rx, pairs: u64) -> Tally {
    pair_loop(pairs, |i| {
        C::send(tx, i);
        C::recv(rx)
    })
}

fn peer<C: BenchChannel>(pairs: u64) -> Tally {
    let (tx, rx) = black_box(C::channel(CAPACITY));
    adapter_send_recv::<C>(&tx, &rx, pairs)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (key, pairs) = match args.as_slice() {
        [key, pairs] if !key.starts_with('-') => match pairs.parse::<u64>() {
            Ok(pairs) => (key.as_str(), black_box(pairs)),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    let tally = match key {
        "empty" => empty_loop(pairs),
        "crossbeam" => peer::<CrossbeamBounded>(pairs),
        "kanal" => peer::<KanalBounded>(pairs),
        "flume" => peer::<FlumeBounded>(pairs),
        "std" => peer::<StdSync>(pairs),
        "mutex" => peer::<MutexBounded>(pairs),
        _ => {
            // wharf-KIND over `bounded(CAPACITY)`, wharf-unb-KIND over `unbounded()`.
            let (kind, (tx, rx)) = match key.strip_prefix("wharf-unb-") {
                Some(kind) => (kind, wharf::channel::unbounded::<u64>()),
                None => (
                    key.strip_prefix("wharf-").unwrap_or(key),
                    wharf::channel::bounded::<u64>(CAPACITY),
                ),
            };
            let run = match kind {
                "send-recv" => wharf_send_recv,
                "try" => wharf_try,
                "async" => wharf_async,
                _ => {
                    eprintln!("unknown key {key:?}");
                    std::process::exit(2);
                }
            };
            let (tx, rx) = black_box((tx, rx));
            run(&tx, &rx, pairs)
        }
    };
    let mut expected = Tally::default();
    (0..pairs).for_each(|i| expected.add(i));
    if key != "empty" && tally != expected {
        eprintln!("{key}: got {tally:?}, expected {expected:?}");
        std::process::exit(1);
    }
    println!(
        "{key} {pairs} pairs: checksum {:#x}",
        tally.sum ^ tally.squares
    );
}

fn usage() {
    eprintln!(
        "usage: channel_single_thread <empty|wharf-send-recv|wharf-try|wharf-unb-send-recv|\
         wharf-unb-try|wharf-async|wharf-unb-async|crossbeam|kanal|flume|std|mutex> <pairs>  (run by \
         benches/callgrind_channels.sh)"
    );
}
