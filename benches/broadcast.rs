//! Criterion benchmarks of the suite's broadcast workloads: `cargo bench --bench broadcast`.
//!
//! The same harness code as `benches/suite.rs` (`common::broadcast`), timed by criterion
//! through `iter_custom`: one criterion iteration is one whole verified run (threads started
//! on a barrier, timed from the earliest worker start to the last subscriber's end), and
//! `iter_custom` returns the sum of those runs' own intervals. Groups are named by workload,
//! functions by contender; throughput is messages published.
//!
//! Left out: the burst/pause latency run (its figures are percentiles, and most of its time is
//! pauses) and `disruptor-busyspin` (a run that collapses stops at a time budget, so its time
//! says nothing). Use `cargo bench --bench suite -- blatency` and `-- disruptor-busyspin`.
//!
//! Sizes are a quarter of the suite's, with 10 samples and a short measurement time. Criterion
//! does not interleave contenders, so prefer the suite for wharf/peer ratios on this noisy
//! 2-CPU machine; this target is for criterion's history and regression reports.

mod common;

use common::broadcast;
use common::workloads::{self, Scale};
use criterion::{Criterion, SamplingMode, Throughput};
use std::time::Duration;

/// Fraction of the suite's workload sizes used here.
const FACTOR: f64 = 0.25;

fn benches(c: &mut Criterion) {
    let scale = Scale { factor: FACTOR };
    let contenders: Vec<_> = broadcast::contenders()
        .into_iter()
        .filter(|c| c.key != "disruptor-busyspin")
        .collect();
    for workload in broadcast::WORKLOADS
        .iter()
        .filter(|w| w.unit() == workloads::Unit::MmsgPerSec)
    {
        let mut group = c.benchmark_group(workload.key);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(scale.ops(workload)));
        for contender in contenders
            .iter()
            .filter(|c| broadcast::applies(c.key, workload))
        {
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
