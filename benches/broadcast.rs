//! Criterion benchmarks of the suite's broadcast workloads: `cargo bench --bench broadcast`.
//!
//! The same harness code as `benches/suite/` (`common::broadcast`), timed by criterion
//! through `iter_custom` (see `common::criterion_groups`); throughput is messages published.
//!
//! Left out: the burst/pause latency run (its figures are percentiles, and most of its time is
//! pauses) and `disruptor-busyspin` (a run that collapses stops at a time budget, so its time
//! says nothing). Use `cargo bench --bench suite -- blatency` and `-- disruptor-busyspin`.

mod common;

use common::broadcast::{contenders, WORKLOADS};
use common::contender::Unit;

// A plain `main` instead of `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment (the crate warns on `missing_docs`, CI denies warnings).
fn main() {
    let mut contenders = contenders();
    contenders.retain(|c| c.key != "disruptor-busyspin");
    let workloads = WORKLOADS.iter().filter(|w| w.unit() == Unit::MmsgPerSec);
    common::criterion_groups::run(workloads, &contenders);
}
