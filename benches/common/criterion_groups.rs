//! The shared body of the criterion front-ends (`benches/queues.rs`, `benches/channels.rs`,
//! `benches/broadcast.rs`): the suite's workloads and contenders, timed by criterion through
//! `iter_custom`. One criterion iteration is one whole verified run (threads started on a
//! barrier, timed from the earliest worker start to the last consumer's end), and
//! `iter_custom` returns the sum of those runs' own intervals, so thread start-up and
//! verification are not counted. Groups are named by workload, functions by contender.
//!
//! Sizes are a quarter of the suite's ([`FACTOR`]), with 10 samples and a short measurement
//! time. Criterion does not interleave contenders, so prefer the suite for wharf/peer ratios
//! on this noisy 2-CPU machine; these targets are for criterion's history and regression
//! reports.

use super::contender::{Contender, Scale, Workload};
use criterion::{Criterion, SamplingMode, Throughput};
use std::time::Duration;

/// Fraction of the suite's workload sizes used here.
pub const FACTOR: f64 = 0.25;

/// Benches every contender of `contenders` on every workload of `workloads` it takes part in,
/// one criterion group per workload; then criterion's summary.
pub fn run<'a>(workloads: impl IntoIterator<Item = &'a Workload>, contenders: &[Contender]) {
    let mut c = Criterion::default().configure_from_args();
    let scale = Scale { factor: FACTOR };
    for workload in workloads {
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
                        .map(|_| contender.run(workload, &scale).elapsed)
                        .sum()
                })
            });
        }
        group.finish();
    }
    c.final_summary();
}
