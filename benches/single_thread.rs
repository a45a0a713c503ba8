//! The single-thread push+pop loop for instruction counts under callgrind
//! (`benches/callgrind.sh`).
//!
//! `single_thread <contender-key> <pairs>` builds the contender's queue and runs `pairs`
//! push+pop pairs through `common::workloads::push_pop_loop` (the loop the suite times),
//! printing a checksum so the work cannot be dropped. Every contender is compiled into this
//! one binary, so they share one build and one inlining context. Any other arguments (such as
//! the `--bench` that `cargo bench` passes) print the usage and exit successfully, so
//! `cargo bench` itself does nothing with this target.

mod common;

use common::adapters::{
    ConcurrentBounded, ConcurrentUnbounded, CrossbeamArray, CrossbeamSeg, EmptyLoop, HeaplessMpmc,
    WharfArray, WharfLinked,
};
use common::workloads::{push_pop_loop, Tally};
use common::{BenchQueue, CAPACITY};
use std::hint::black_box;

fn run<Q: BenchQueue>(pairs: u64) -> Tally {
    let queue = black_box(Q::build(CAPACITY));
    push_pop_loop(&queue, black_box(pairs))
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
         crossbeam-seg|cq-unbounded|empty> <pairs>  (run by benches/callgrind.sh)"
    );
}
