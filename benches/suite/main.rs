//! wharf against its peers, side by side: `cargo bench --bench suite`.
//!
//! # Method
//!
//! Many short runs, interleaved (see `/work/shared/BENCHMARKING.md` for why):
//!
//! - A calibration pass first runs every (workload, contender) once, small, and sizes each
//!   workload so that its median contender's run takes about [`RUN_TARGET`]; those runs also
//!   warm up and are not counted.
//! - Then [`DEFAULT_ROUNDS`] rounds: each runs every workload once for every contender, in an
//!   order rotated (and on odd rounds reversed) by the round, so a noisy stretch of the machine
//!   hits one run of several contenders, not every run of one.
//! - Before every run, a bare atomic ping-pong between the two pinned CPUs
//!   ([`PROBE_ROUND_TRIPS`] round trips) records where the host had placed the vCPUs; the
//!   report groups runs by it (`common::stats::Class`).
//! - Every run is verified (count, sum, sum of squares, per-producer order) and watched by a
//!   watchdog; `getrusage` around it records CPU time and context switches.
//! - The report (`report.rs`) gives each wharf ÷ peer ratio of medians with its 95% bootstrap
//!   interval, pooled and per placement class, and an A/A row: wharf's ArrayQueue against a
//!   twin of itself on 1P1C, whose interval must contain 1.
//!
//! # Flags (after `--`)
//!
//! - `--quick`: a short smoke run (few rounds, tiny runs).
//! - `--rounds N`: rounds (default [`DEFAULT_ROUNDS`]).
//! - `--write-results`: rewrite `RESULTS.md` and `RESULTS.svg` (keeping the hand-written
//!   analysis and the soak section), and the README's results summary (the block between
//!   `<!-- results-summary -->` and `<!-- /results-summary -->`, see `summary.rs`) from the
//!   same run.
//! - `--ab BASE_SUITE_BINARY`: A/B of two builds (see `benches/ab.sh`, which builds the base):
//!   every wharf contender runs as `KEY@head` (this binary) and `KEY@base` (the other), each run
//!   in a child process of its binary, interleaved as usual, with an A/A row of head against
//!   head.
//! - `--soak`: 10^8 messages through each wharf queue and channel flavor at 4P4C, verified.
//! - `--run-one WORKLOAD CONTENDER --factor F`: one run, printed as one line (the A/B child).
//! - Any other word filters workloads (`1p1c`, `pingpong`, ...) or contenders (`wharf-array`,
//!   `crossbeam-seg`, ...) by substring. Unknown `--flags` (such as cargo's `--bench`) are
//!   ignored.

#[path = "../common/mod.rs"]
mod common;
mod comparisons;
mod files;
mod report;
mod summary;

use common::contender::{Contender, Scale, Workload};
use common::queues::{self, atomic_ping_pong, timer_overhead_ns};
use common::{async_channels, broadcast, channel_adapters, channels, usage};
use report::{Comparison, Results, Run};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Default number of interleaved rounds (runs per contender and workload).
const DEFAULT_ROUNDS: usize = 40;
/// Rounds in a `--quick` run.
const QUICK_ROUNDS: usize = 3;
/// What one run should take, after calibration.
const RUN_TARGET: Duration = Duration::from_millis(15);
/// What one run should take in a `--quick` run.
const QUICK_RUN_TARGET: Duration = Duration::from_millis(2);
/// Fraction of a workload's default size that calibration runs.
const CALIBRATION_FACTOR: f64 = 0.05;
/// Round trips of the bare atomic placement probe run before every run.
const PROBE_ROUND_TRIPS: u64 = 2_000;
/// Messages per soak run.
const SOAK_MESSAGES: u64 = 100_000_000;
/// Key of the A/A twin of wharf's ArrayQueue.
pub const AA_KEY: &str = "wharf-array-aa";
/// Workloads the A/A twin runs.
const AA_WORKLOADS: &[&str] = &["1p1c"];

/// Workloads whose figure is a latency with fixed pauses inside: their size is set, not
/// calibrated (their `Sample::elapsed` is not the run's length).
const FIXED_FACTORS: &[(&str, f64)] = &[
    (channels::WAKE, 1.0 / 3.0),
    (channels::WAKE_P99, 1.0 / 3.0),
    ("blatency", 0.5),
];

/// Command-line options.
#[derive(Debug, Default)]
struct Options {
    quick: bool,
    rounds: usize,
    write_results: bool,
    soak: bool,
    ab_base: Option<PathBuf>,
    run_one: Option<(String, String)>,
    factor: f64,
    filters: Vec<String>,
    command: String,
}

fn parse_args() -> Options {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut o = Options {
        factor: 1.0,
        ..Options::default()
    };
    let mut shown = Vec::new();
    let mut args = raw.iter();
    let fail = |msg: &str| -> ! {
        eprintln!("{msg}");
        std::process::exit(2)
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--write-results" => o.write_results = true,
            "--soak" => o.soak = true,
            "--rounds" => {
                let n = args.next().and_then(|n| n.parse().ok());
                o.rounds = n
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| fail("--rounds needs a positive number"));
                shown.push(format!("--rounds {}", o.rounds));
                continue;
            }
            "--ab" => {
                let path = args.next().unwrap_or_else(|| fail("--ab needs a binary"));
                o.ab_base = Some(PathBuf::from(path));
                shown.push(format!("--ab {path}"));
                continue;
            }
            "--run-one" => {
                let (w, c) = (args.next(), args.next());
                let (Some(w), Some(c)) = (w, c) else {
                    fail("--run-one needs a workload and a contender")
                };
                o.run_one = Some((w.clone(), c.clone()));
                continue;
            }
            "--factor" => {
                let f = args.next().and_then(|f| f.parse().ok());
                o.factor = f
                    .filter(|&f: &f64| f > 0.0)
                    .unwrap_or_else(|| fail("--factor needs a positive number"));
                continue;
            }
            "--bench" => continue,
            flag if flag.starts_with('-') => {
                eprintln!("(ignoring unknown argument {flag})");
                continue;
            }
            word => o.filters.push(word.to_lowercase()),
        }
        shown.push(arg.clone());
    }
    if o.rounds == 0 {
        o.rounds = if o.quick {
            QUICK_ROUNDS
        } else {
            DEFAULT_ROUNDS
        };
    }
    o.command = if shown.is_empty() {
        "cargo bench --bench suite".into()
    } else {
        format!("cargo bench --bench suite -- {}", shown.join(" "))
    };
    o
}

/// Something the suite runs: a contender, in this process or in a child process of a suite
/// binary (A/B), under a key of its own.
#[derive(Clone, Debug)]
struct Entry {
    /// Key in the results (unique per invocation).
    key: &'static str,
    /// Name in tables.
    name: String,
    /// What runs; its key names it to a child process.
    contender: Contender,
    /// Run in a child process of this suite binary instead of in this process.
    exe: Option<PathBuf>,
    /// Restricted to these workloads (the A/A twin).
    only: Option<&'static [&'static str]>,
}

impl Entry {
    fn local(contender: Contender) -> Entry {
        Entry {
            key: contender.key,
            name: contender.name.to_string(),
            contender,
            exe: None,
            only: None,
        }
    }

    fn applies(&self, workload: &Workload) -> bool {
        self.only.map_or(true, |o| o.contains(&workload.key)) && self.contender.applies(workload)
    }

    /// Runs once at `factor`.
    fn run(&self, workload: &Workload, factor: f64) -> Outcome {
        match &self.exe {
            None => run_local(&self.contender, workload, factor),
            Some(exe) => run_child(exe, workload.key, self.contender.key, factor),
        }
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn all_contenders() -> Vec<Contender> {
    let mut all = queues::contenders();
    all.extend(channels::contenders());
    all.extend(async_channels::contenders());
    all.extend(broadcast::contenders());
    all
}

fn all_workloads() -> Vec<Workload> {
    queues::WORKLOADS
        .iter()
        .chain(channels::WORKLOADS)
        .chain(async_channels::WORKLOADS)
        .chain(broadcast::WORKLOADS)
        .copied()
        .collect()
}

/// What one run reports.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    /// The figure, in the workload's unit.
    value: f64,
    /// Messages, round trips or pairs.
    ops: u64,
    /// CPU time and context switches of the run.
    usage: common::Usage,
    /// The timed interval.
    elapsed: Duration,
}

/// One run in this process.
fn run_local(contender: &Contender, workload: &Workload, factor: f64) -> Outcome {
    let before = usage();
    let sample = contender.run(workload, &Scale { factor });
    Outcome {
        value: sample.value,
        ops: sample.ops,
        usage: usage().since(before),
        elapsed: sample.elapsed,
    }
}

/// One run in a child process of `exe` (`--run-one`), which prints one line.
fn run_child(exe: &Path, workload: &str, contender: &str, factor: f64) -> Outcome {
    let out = Command::new(exe)
        .args([
            "--run-one",
            workload,
            contender,
            "--factor",
            &factor.to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("wharf-run "));
    let fields: Vec<f64> = line
        .map(|l| l.split(' ').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    if !out.status.success() || fields.len() != 5 {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        panic!(
            "{} --run-one {workload} {contender} failed: {}",
            exe.display(),
            out.status
        );
    }
    Outcome {
        value: fields[0],
        ops: fields[1] as u64,
        usage: common::Usage {
            cpu_ns: fields[2] as u64,
            switches: fields[3] as u64,
        },
        elapsed: Duration::from_nanos(fields[4] as u64),
    }
}

/// The child side of [`run_child`].
fn run_one(workload: &str, contender: &str, factor: f64) {
    let w = all_workloads().into_iter().find(|w| w.key == workload);
    let c = all_contenders().into_iter().find(|c| c.key == contender);
    let (Some(w), Some(c)) = (w, c) else {
        eprintln!("this suite has no workload {workload:?} or contender {contender:?}");
        std::process::exit(2)
    };
    let r = run_local(&c, &w, factor);
    println!(
        "wharf-run {} {} {} {} {}",
        r.value,
        r.ops,
        r.usage.cpu_ns,
        r.usage.switches,
        r.elapsed.as_nanos()
    );
}

/// The entries of a normal run, or of an A/B run against `base`.
fn entries(contenders: &[Contender], base: Option<&Path>) -> Vec<Entry> {
    let Some(base) = base else {
        let mut entries: Vec<Entry> = contenders.iter().copied().map(Entry::local).collect();
        if let Some(array) = contenders.iter().find(|c| c.key == "wharf-array") {
            entries.push(Entry {
                key: AA_KEY,
                name: "wharf ArrayQueue (A/A twin)".into(),
                only: Some(AA_WORKLOADS),
                ..Entry::local(*array)
            });
        }
        return entries;
    };
    let head = std::env::current_exe().expect("path of this binary");
    let mut entries = Vec::new();
    for c in contenders.iter().filter(|c| c.wharf) {
        for (side, exe) in [("head", &head), ("base", &base.to_path_buf())] {
            entries.push(Entry {
                key: leak(format!("{}@{side}", c.key)),
                name: format!("{} @{side}", c.name),
                contender: *c,
                exe: Some(exe.clone()),
                only: None,
            });
        }
    }
    if let Some(first) = entries.first().cloned() {
        entries.push(Entry {
            key: leak(format!("{}@head-aa", first.contender.key)),
            name: format!("{} @head (A/A twin)", first.contender.name),
            ..first
        });
    }
    entries
}

/// The comparisons of an A/B run: head ÷ base per wharf contender, and head ÷ head (A/A).
fn ab_comparisons(entries: &[Entry]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| e.key.ends_with("@head")) {
        let base = leak(format!("{}@base", e.contender.key));
        let aa = leak(format!("{}@head-aa", e.contender.key));
        if entries.iter().any(|x| x.key == aa) {
            out.push(
                Comparison::new(
                    format!("A/A: {} head ÷ head", e.contender.name),
                    e.key,
                    &[aa],
                )
                .aa(),
            );
        }
        out.push(Comparison::new(
            format!("A/B: {} head ÷ base", e.contender.name),
            e.key,
            &[base],
        ));
    }
    out
}

fn fixed_factor(workload: &Workload) -> Option<f64> {
    FIXED_FACTORS
        .iter()
        .find(|(k, _)| *k == workload.key)
        .map(|&(_, f)| f)
}

/// Runs every applicable entry once at a small size and returns the factor that makes the
/// median entry's run take `target`.
fn calibrate(workload: &Workload, entries: &[&Entry], target: Duration, quick: bool) -> f64 {
    if let Some(f) = fixed_factor(workload) {
        return if quick { f / 4.0 } else { f };
    }
    let mut times: Vec<f64> = entries
        .iter()
        .map(|e| e.run(workload, CALIBRATION_FACTOR).elapsed.as_secs_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2].max(1e-6);
    (CALIBRATION_FACTOR * target.as_secs_f64() / median).clamp(1e-4, 10.0)
}

/// The workloads and contenders the filters select (every one when none is given; the
/// references always); exits if a filter matches nothing.
fn select(o: &Options) -> (Vec<Workload>, Vec<Contender>) {
    let matches = |key: &str| o.filters.iter().any(|f| key.contains(f.as_str()));
    let (all_contenders, all_workloads) = (all_contenders(), all_workloads());
    for f in &o.filters {
        if !all_workloads.iter().any(|w| w.key.contains(f.as_str()))
            && !all_contenders.iter().any(|c| c.key.contains(f.as_str()))
        {
            eprintln!("filter {f:?} matches no workload or contender");
            std::process::exit(2);
        }
    }
    let filter_w = o
        .filters
        .iter()
        .any(|f| all_workloads.iter().any(|w| w.key.contains(f.as_str())));
    let filter_c = o
        .filters
        .iter()
        .any(|f| all_contenders.iter().any(|c| c.key.contains(f.as_str())));
    let workloads = all_workloads
        .iter()
        .filter(|w| !filter_w || matches(w.key))
        .copied()
        .collect();
    let contenders = all_contenders
        .iter()
        .filter(|c| !filter_c || matches(c.key) || c.family == common::Family::Reference)
        .copied()
        .collect();
    (workloads, contenders)
}

/// The interleaved rounds: in each, every workload runs once for every entry, in an order
/// rotated (and on odd rounds reversed) by the round, a placement probe before each run.
fn run_rounds(plan: &[(Workload, Vec<&Entry>, f64)], rounds: usize) -> Results {
    let mut results = Results::default();
    for round in 0..rounds {
        let round_start = Instant::now();
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for (w, es, factor) in plan {
            let mut order = es.clone();
            let shift = round % order.len();
            order.rotate_left(shift);
            if round % 2 == 1 {
                // Odd rounds also reverse, so no entry always follows the same one.
                order.reverse();
            }
            for e in order {
                let probe_ns = atomic_ping_pong(PROBE_ROUND_TRIPS).value;
                (lo, hi) = (lo.min(probe_ns), hi.max(probe_ns));
                let r = e.run(w, *factor);
                let run = Run {
                    value: r.value,
                    probe_ns,
                    usage: r.usage,
                    ops: r.ops,
                };
                results.runs.entry((w.key, e.key)).or_default().push(run);
            }
        }
        eprintln!(
            "round {}/{}: {:.1} s, placement probes {lo:.0}–{hi:.0} ns",
            round + 1,
            rounds,
            round_start.elapsed().as_secs_f64()
        );
    }
    results
}

fn main() {
    let o = parse_args();
    if let Some((w, c)) = &o.run_one {
        run_one(w, c, o.factor);
        return;
    }
    let (workloads, contenders) = select(&o);
    if o.soak {
        return soak(&o);
    }
    let entries = entries(&contenders, o.ab_base.as_deref());
    let comparisons = match o.ab_base {
        Some(_) => ab_comparisons(&entries),
        None => comparisons::comparisons(),
    };

    let timer_ns = timer_overhead_ns();
    eprintln!(
        "wharf suite: {} workload(s), {} entries, {} round(s){}; {} CPUs; empty timed round \
         trip {timer_ns:.0} ns",
        workloads.len(),
        entries.len(),
        o.rounds,
        if o.quick { ", quick" } else { "" },
        common::cpus()
    );
    let began = Instant::now();
    let target = if o.quick {
        QUICK_RUN_TARGET
    } else {
        RUN_TARGET
    };
    let plan: Vec<(Workload, Vec<&Entry>, f64)> = workloads
        .iter()
        .filter_map(|w| {
            let es: Vec<&Entry> = entries.iter().filter(|e| e.applies(w)).collect();
            if es.is_empty() {
                return None;
            }
            let factor = calibrate(w, &es, target, o.quick);
            eprintln!("calibrated {:<14} factor {factor:.4}", w.key);
            Some((*w, es, factor))
        })
        .collect();
    let results = run_rounds(&plan, o.rounds);
    let wall = began.elapsed().as_secs_f64();
    let keys: Vec<&'static str> = entries.iter().map(|e| e.key).collect();
    let names = |key: &str| {
        entries
            .iter()
            .find(|e| e.key == key)
            .map_or_else(|| key.to_string(), |e| e.name.clone())
    };
    let (mut table, summary) = report::markdown(&results, &workloads, &comparisons, &keys, &names);
    table.push_str(&broadcast::report());
    table.push_str(&format!(
        "\nChannel notes: crossbeam-channel's and flume's rendezvous channels run {:.0}% of \
         each channel workload's messages, wharf's and kanal's {:.0}%, the Mutex+Condvar \
         baselines {:.0}% (a rate either way; at full size they took over half of the \
         suite's time).\n",
        channel_adapters::PARKING_RENDEZVOUS_SHARE * 100.0,
        channel_adapters::RENDEZVOUS_SHARE * 100.0,
        channel_adapters::BASELINE_SHARE * 100.0
    ));
    println!(
        "\n## wharf suite: {} round(s), {wall:.0} s; empty timed round trip {timer_ns:.0} ns\n",
        o.rounds
    );
    println!("{table}");
    for aa in &summary.uncalibrated {
        eprintln!(
            "\n*** A/A ROW EXCLUDES 1: {aa}; this run's intervals are not to be trusted. ***"
        );
    }
    if o.write_results {
        let chart = report::svg(&results, &workloads, &comparisons);
        files::write_results(&o, &table, &chart, wall, timer_ns);
        if o.ab_base.is_none() {
            files::write_readme_summary(&o, &results, &summary, &names);
        } else {
            eprintln!("(an A/B run leaves the README's results summary as it is)");
        }
    }
}

/// `--soak`: [`SOAK_MESSAGES`] through each wharf queue and channel flavor at 4P4C, every
/// message verified (count, sum, sum of squares, per-producer order) by the workload itself.
fn soak(o: &Options) {
    common::set_watchdog_floor(Duration::from_secs(1200));
    let pairs = [
        ("4p4c", "wharf-array"),
        ("4p4c", "wharf-linked"),
        ("chan-4p4c", "chan-wharf"),
        ("chan-4p4c", "chan-wharf-unb"),
    ];
    let (workloads, contenders) = (all_workloads(), all_contenders());
    let mut md = format!(
        "{}\n## Soak\n\n`cargo bench --bench suite -- --soak`: {SOAK_MESSAGES} messages per \
         row, 4 producers and 4 consumers on {} CPUs, every message verified (count, sum, sum \
         of squares, per-producer order); a failure aborts the run. Run on {}.\n\n\
         | workload | contender | messages | seconds | Mmsg/s | verified |\n|---|---|---:|---:|---:|---|\n",
        files::SOAK.0,
        common::cpus(),
        files::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
    );
    for (w, c) in pairs {
        let (Some(w), Some(c)) = (
            workloads.iter().find(|x| x.key == w),
            contenders.iter().find(|x| x.key == c),
        ) else {
            continue;
        };
        if !o.filters.is_empty() && !o.filters.iter().any(|f| c.key.contains(f.as_str())) {
            continue;
        }
        let factor = SOAK_MESSAGES as f64 / w.ops as f64;
        eprint!("soak {} {} ...", w.key, c.name);
        let start = Instant::now();
        let sample = c.run(w, &Scale { factor });
        let secs = start.elapsed().as_secs_f64();
        eprintln!(" {} messages in {secs:.1} s, verified", sample.ops);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {secs:.1} | {} | yes |",
            w.key,
            c.name,
            sample.ops,
            report::fmt(sample.value)
        );
    }
    md.push_str(files::SOAK.1);
    println!("{md}");
    if o.write_results {
        files::write_soak(&md);
    }
}
