//! The single-thread push+pop loop for instruction counts under callgrind
//! (`benches/callgrind.sh`).
//!
//! `single_thread <contender-key> <pairs>` builds the contender's queue and runs `pairs`
//! push+pop pairs through `common::queues::push_pop_loop` (the loop the suite times),
//! printing a checksum so the work cannot be dropped. The `-batch32` keys move the same
//! values through wharf's batch methods instead, 32 per `push_batch` and per `pop_batch`. Every contender is compiled into this
//! one binary, so they share one build and one inlining context. Any other arguments (such as
//! the `--bench` that `cargo bench` passes) print the usage and exit successfully, so
//! `cargo bench` itself does nothing with this target.

mod common;

use common::check::Tally;
use common::queue_adapters::{
    ConcurrentBounded, ConcurrentUnbounded, CrossbeamArray, CrossbeamSeg, EmptyLoop, HeaplessMpmc,
    WharfArray, WharfLinked,
};
use common::queues::{push_pop_loop, BenchQueue};
use common::CAPACITY;
use std::hint::black_box;

fn run<Q: BenchQueue>(pairs: u64) -> Tally {
    let queue = black_box(Q::build(CAPACITY));
    push_pop_loop(&queue, black_box(pairs))
}

/// Values per batch in the `-batch32` loops.
const BATCH: u64 = 32;

/// `pairs` values (rounded down to whole batches) pushed with `push_batch` and popped with
/// `pop_batch`, `BATCH` at a time, through one pair of reused vectors.
#[inline(never)]
fn run_batches<Q: wharf::Queue<u64>>(queue: Q, pairs: u64) -> Tally {
    let queue = black_box(queue);
    let mut tally = Tally::default();
    let (mut values, mut out) = (Vec::with_capacity(BATCH as usize), Vec::new());
    for b in 0..pairs / BATCH {
        values.extend(b * BATCH..(b + 1) * BATCH);
        assert_eq!(queue.try_push_batch(&mut values), BATCH as usize);
        assert_eq!(
            queue.try_pop_batch(&mut out, BATCH as usize),
            BATCH as usize
        );
        out.drain(..).for_each(|v| tally.add(v));
    }
    tally
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (key, pairs) = match args.as_slice() {
        [key, pairs] if !key.starts_with('-') => match pairs.parse::<u64>() {
            Ok(pairs) => (key.as_str(), pairs),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    let tally = match key {
        "wharf-array" => run::<WharfArray>(pairs),
        "crossbeam-array" => run::<CrossbeamArray>(pairs),
        "cq-bounded" => run::<ConcurrentBounded>(pairs),
        "heapless-mpmc" => run::<HeaplessMpmc>(pairs),
        "wharf-linked" => run::<WharfLinked>(pairs),
        "crossbeam-seg" => run::<CrossbeamSeg>(pairs),
        "cq-unbounded" => run::<ConcurrentUnbounded>(pairs),
        "empty" => run::<EmptyLoop>(pairs),
        "wharf-array-batch32" => run_batches(wharf::ArrayQueue::new(CAPACITY), pairs),
        "wharf-linked-batch32" => run_batches(wharf::LinkedQueue::new(), pairs),
        _ => {
            eprintln!("unknown contender {key:?}");
            std::process::exit(2);
        }
    };
    println!(
        "{key} {pairs} pairs: checksum {:#x}",
        tally.sum ^ tally.squares
    );
}

fn usage() {
    eprintln!(
        "usage: single_thread <wharf-array|crossbeam-array|cq-bounded|heapless-mpmc|wharf-linked|\
         crossbeam-seg|cq-unbounded|empty|wharf-array-batch32|wharf-linked-batch32> <pairs>  (run by benches/callgrind.sh)"
    );
}
