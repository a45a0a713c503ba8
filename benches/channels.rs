//! Criterion benchmarks of the suite's channel workloads: `cargo bench --bench channels`.
//!
//! The same harness code as `benches/suite/` (`common::channels`), timed by criterion through
//! `iter_custom` (see `common::criterion_groups`); the bare atomic ping-pong runs in
//! `chan-pingpong` as in the suite.
//!
//! The wake-up latency workloads are left out: a run sleeps a millisecond per message but
//! reports a latency of microseconds, and criterion, which sizes its iteration counts from
//! the reported times, would run them for hours. Use `cargo bench --bench suite -- chan-wake`.

mod common;

use common::channels::{contenders, WAKE, WAKE_P99, WORKLOADS};
use common::queues::atomic_contender;

// A plain `main` instead of `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment (the crate warns on `missing_docs`, CI denies warnings).
fn main() {
    let mut contenders = contenders();
    contenders.push(atomic_contender());
    let workloads = WORKLOADS
        .iter()
        .filter(|w| w.key != WAKE && w.key != WAKE_P99);
    common::criterion_groups::run(workloads, &contenders);
}
