//! Criterion benchmarks of the suite's workloads: `cargo bench --bench queues`.
//!
//! The same harness code as `benches/suite.rs` (`common::workloads`), timed by criterion
//! through `iter_custom`: one criterion iteration is one whole verified run (threads started
//! on a barrier, timed from the earliest worker start to the last consumer's end), and
//! `iter_custom` returns the sum of those runs' own intervals, so thread start-up and
//! verification are not counted. Groups are named by workload, functions by contender.
//!
//! Sizes are a quarter of the suite's, with 10 samples and a short measurement time, so the
//! whole run takes a few minutes. Criterion does not interleave contenders, so prefer
//! `benches/suite.rs` for wharf/peer ratios on this noisy 2-CPU machine; this target is for
//! criterion's history and regression reports.

mod common;

use common::workloads::{self, Scale, WORKLOADS};
use criterion::{Criterion, SamplingMode, Throughput};
use std::time::Duration;

/// Fraction of the suite's workload sizes used here.
const FACTOR: f64 = 0.25;

fn benches(c: &mut Criterion) {
    let scale = Scale { factor: FACTOR };
    let contenders = workloads::contenders();
    for workload in WORKLOADS {
        let mut group = c.benchmark_group(workload.key);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(scale.ops(workload)));
        for contender in contenders.iter().filter(|c| c.applies(workload)) {
            group.bench_function(contender.key, |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| workloads::run(contender, workload, &scale).elapsed)
                        .sum()
                })
            });
        }
        group.finish();
    }
}

// Written out instead of `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment (the crate warns on `missing_docs`, CI denies warnings).
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
