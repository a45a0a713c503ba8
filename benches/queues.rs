//! Criterion benchmarks of the suite's queue workloads: `cargo bench --bench queues`.
//!
//! The same harness code as `benches/suite/` (`common::queues`), timed by criterion through
//! `iter_custom` (see `common::criterion_groups`).

mod common;

use common::queues::{contenders, WORKLOADS};

// A plain `main` instead of `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment (the crate warns on `missing_docs`, CI denies warnings).
fn main() {
    common::criterion_groups::run(WORKLOADS, &contenders());
}
