//! wharf against its peers, side by side: `cargo bench --bench suite`.
//!
//! Runs every workload of `common::workloads` for every contender, several rounds, interleaved
//! (round `r` runs the contenders in an order rotated by `r`, so a noisy stretch of the
//! machine hits one run of several contenders rather than every run of one), and prints the
//! median, min–max spread, and wharf/peer ratios of medians with the issue's targets.
//!
//! Flags (after `--`): `--quick` (a short smoke run), `--rounds N` (default 7),
//! `--write-results` (rewrite `RESULTS.md` and `RESULTS.svg`), and any other word filters
//! workloads (`1p1c`, `pingpong`, ...) or contenders (`wharf-array`, `crossbeam-seg`, ...) by
//! substring. Unknown `--flags` (such as the `--bench` that `cargo bench` passes) are ignored.

mod common;

use common::broadcast;
use common::channels;
use common::workloads::{
    self, atomic_ping_pong, Contender, Sample, Scale, Workload, ATOMIC_KEY, WORKLOADS,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

/// Default number of interleaved rounds.
const DEFAULT_ROUNDS: usize = 7;
/// Rounds in a `--quick` run.
const QUICK_ROUNDS: usize = 2;
/// Fraction of each workload's size in a `--quick` run.
const QUICK_FACTOR: f64 = 0.02;
/// Round trips of the bare atomic placement probe run before each round.
const PROBE_ROUND_TRIPS: u64 = 20_000;

/// Markers around the hand-written part of RESULTS.md that `--write-results` keeps.
const ANALYSIS_BEGIN: &str = "<!-- analysis:begin -->";
const ANALYSIS_END: &str = "<!-- analysis:end -->";

/// Command-line options.
#[derive(Debug)]
struct Options {
    quick: bool,
    rounds: usize,
    write_results: bool,
    filters: Vec<String>,
    command: String,
}

fn parse_args() -> Options {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut options = Options {
        quick: false,
        rounds: 0,
        write_results: false,
        filters: Vec::new(),
        command: String::new(),
    };
    let mut shown = Vec::new();
    let mut args = raw.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--write-results" => options.write_results = true,
            "--rounds" => {
                let n = args.next().and_then(|n| n.parse().ok());
                options.rounds = n.filter(|&n| n > 0).unwrap_or_else(|| {
                    eprintln!("--rounds needs a positive number");
                    std::process::exit(2)
                });
                shown.push(format!("--rounds {}", options.rounds));
                continue;
            }
            "--bench" => continue,
            flag if flag.starts_with('-') => {
                eprintln!("(ignoring unknown argument {flag})");
                continue;
            }
            word => options.filters.push(word.to_lowercase()),
        }
        shown.push(arg.clone());
    }
    if options.rounds == 0 {
        options.rounds = if options.quick {
            QUICK_ROUNDS
        } else {
            DEFAULT_ROUNDS
        };
    }
    options.command = if shown.is_empty() {
        "cargo bench --bench suite".into()
    } else {
        format!("cargo bench --bench suite -- {}", shown.join(" "))
    };
    options
}

/// A wharf/peer comparison shown in the ratio table.
struct Comparison {
    /// Column heading.
    label: &'static str,
    /// wharf's contender key.
    wharf: &'static str,
    /// Peer keys; the best median among them is compared against.
    peers: &'static [&'static str],
    /// Workloads compared (`None`: all).
    only: Option<&'static [&'static str]>,
    /// The ratio is a cost (wharf ns / peer ns, lower is better) instead of a speed-up.
    cost: bool,
    /// The issue's target for a workload, if any.
    target: fn(&str) -> Option<f64>,
}

const COMPARISONS: &[Comparison] = &[
    Comparison {
        label: "ArrayQueue vs crossbeam ArrayQueue",
        wharf: "wharf-array",
        peers: &["crossbeam-array"],
        only: None,
        cost: false,
        target: |w| match w {
            "1p1c" | "2p2c" | "4p1c" => Some(1.3),
            "4p4c" => Some(2.0),
            _ => None,
        },
    },
    Comparison {
        label: "ArrayQueue vs concurrent-queue bounded",
        wharf: "wharf-array",
        peers: &["cq-bounded"],
        only: None,
        cost: false,
        target: |_| None,
    },
    Comparison {
        label: "LinkedQueue vs best of SegQueue, concurrent-queue unbounded",
        wharf: "wharf-linked",
        peers: &["crossbeam-seg", "cq-unbounded"],
        only: None,
        cost: false,
        target: |_| Some(1.25),
    },
    Comparison {
        label: "ArrayQueue ping-pong / bare atomic (cost, lower is better)",
        wharf: "wharf-array",
        peers: &[ATOMIC_KEY],
        only: Some(&["pingpong"]),
        cost: true,
        target: |_| Some(1.2),
    },
    Comparison {
        label: "channel bounded vs best of crossbeam-channel, kanal",
        wharf: "chan-wharf",
        peers: &["chan-crossbeam", "chan-kanal"],
        only: None,
        cost: false,
        target: |w| match w {
            "chan-1p1c" | "chan-2p2c" | "chan-4p4c" | "chan-4p1c" => Some(1.25),
            _ => None,
        },
    },
    Comparison {
        label: "channel unbounded vs best of crossbeam-channel, kanal",
        wharf: "chan-wharf-unb",
        peers: &["chan-crossbeam-unb", "chan-kanal-unb"],
        only: None,
        cost: false,
        target: |w| match w {
            "chan-1p1c" | "chan-2p2c" | "chan-4p4c" | "chan-4p1c" => Some(1.25),
            _ => None,
        },
    },
    Comparison {
        label: "channel ping-pong / bare atomic (cost, lower is better)",
        wharf: "chan-wharf",
        peers: &[ATOMIC_KEY],
        only: Some(&["chan-pingpong"]),
        cost: true,
        target: |_| Some(1.5),
    },
    Comparison {
        label: "broadcast (SpinPark) vs disruptor (SP for 1 publisher, MP for 2)",
        wharf: "wharf-bcast",
        peers: &["disruptor"],
        only: Some(&["b1to2", "b1to4", "b2to2"]),
        cost: false,
        target: |w| match w {
            "b2to2" => Some(2.0),
            _ => Some(1.25),
        },
    },
    Comparison {
        label: "broadcast (SpinPark) vs bus",
        wharf: "wharf-bcast",
        peers: &["bus"],
        only: Some(&["b1to2", "b1to4"]),
        cost: false,
        target: |_| Some(4.0),
    },
    Comparison {
        label: "broadcast (SpinPark) vs tokio broadcast (publisher waits on len())",
        wharf: "wharf-bcast",
        peers: &["tokio-bcast"],
        only: Some(&["b1to2", "b1to4"]),
        cost: false,
        target: |_| Some(4.0),
    },
    Comparison {
        label: "broadcast lossy vs tokio broadcast (both lossy)",
        wharf: "wharf-bcast-lossy",
        peers: &["tokio-bcast-lossy"],
        only: Some(&["blossy1to2"]),
        cost: false,
        target: |_| None,
    },
];

/// All samples of one run of the suite.
#[derive(Default)]
struct Results {
    /// (workload key, contender key) -> figures, one per round.
    samples: BTreeMap<(&'static str, &'static str), Vec<f64>>,
    /// Bare atomic ping-pong median (ns) before each round.
    probes: Vec<f64>,
}

impl Results {
    fn median(&self, workload: &str, contender: &str) -> Option<f64> {
        self.samples
            .iter()
            .find(|((w, c), _)| *w == workload && *c == contender)
            .map(|(_, v)| median(v))
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// One cell of the ratio table.
struct Ratio {
    ratio: f64,
    peer: &'static str,
    target: Option<f64>,
    cost: bool,
}

impl Ratio {
    fn met(&self) -> Option<bool> {
        self.target.map(|t| {
            if self.cost {
                self.ratio <= t
            } else {
                self.ratio >= t
            }
        })
    }

    fn cell(&self) -> String {
        let mut s = format!("{:.2}×", self.ratio);
        if let (Some(t), Some(met)) = (self.target, self.met()) {
            let op = if self.cost { "≤" } else { "≥" };
            let verdict = if met { "met" } else { "MISSED" };
            let _ = write!(s, " ({op}{t} {verdict})");
        }
        s
    }
}

fn ratio(results: &Results, cmp: &Comparison, workload: &Workload) -> Option<Ratio> {
    if cmp.only.is_some_and(|only| !only.contains(&workload.key)) {
        return None;
    }
    let wharf = results.median(workload.key, cmp.wharf)?;
    let higher = workload.unit().higher_is_better();
    let (peer, peer_median) = cmp
        .peers
        .iter()
        .filter_map(|&p| results.median(workload.key, p).map(|m| (p, m)))
        .reduce(|a, b| {
            let b_better = if higher { b.1 > a.1 } else { b.1 < a.1 };
            if b_better {
                b
            } else {
                a
            }
        })?;
    // A cost ratio is wharf ns / peer ns; a speed-up is wharf / peer in Mmsg/s and
    // peer / wharf in ns.
    let ratio = if cmp.cost || higher {
        wharf / peer_median
    } else {
        peer_median / wharf
    };
    Some(Ratio {
        ratio,
        peer,
        target: (cmp.target)(workload.key),
        cost: cmp.cost,
    })
}

fn contender_name(contenders: &[Contender], key: &str) -> &'static str {
    contenders
        .iter()
        .find(|c| c.key == key)
        .map_or("?", |c| c.name)
}

/// The per-workload tables, the ratio table and the target list, as Markdown.
fn report(results: &Results, workloads: &[Workload], contenders: &[Contender]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Ratios of medians (wharf ÷ peer; for ns workloads peer ÷ wharf, so >1 means \
         wharf is faster)\n"
    );
    let columns: Vec<&Comparison> = COMPARISONS.iter().collect();
    let _ = write!(out, "| workload |");
    for c in &columns {
        let _ = write!(out, " {} |", c.label);
    }
    let _ = write!(out, "\n|---|");
    for _ in &columns {
        let _ = write!(out, "---|");
    }
    let _ = writeln!(out);
    for w in workloads {
        let _ = write!(out, "| {} |", w.key);
        for c in &columns {
            match ratio(results, c, w) {
                Some(r) if c.peers.len() > 1 => {
                    let _ = write!(
                        out,
                        " {} vs {} |",
                        r.cell(),
                        contender_name(contenders, r.peer)
                    );
                }
                Some(r) => {
                    let _ = write!(out, " {} |", r.cell());
                }
                None => {
                    let _ = write!(out, " – |");
                }
            }
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "\n### Targets\n");
    let (mut met, mut total) = (0, 0);
    for c in COMPARISONS {
        for w in workloads {
            if let Some(r) = ratio(results, c, w) {
                if let Some(ok) = r.met() {
                    total += 1;
                    met += usize::from(ok);
                    let _ = writeln!(
                        out,
                        "- [{}] {} on {}: {}",
                        if ok { "x" } else { " " },
                        c.label,
                        w.key,
                        r.cell()
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "\n{met} of {total} targets met.");

    for w in workloads {
        let unit = w.unit();
        let better = if unit.higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        };
        let _ = writeln!(
            out,
            "\n### {} — {} ({better})\n\n| contender | median {} | min–max | runs |\n|---|---:|---:|---:|",
            w.key,
            w.title,
            unit.label()
        );
        for c in contenders {
            if let Some(v) = results.samples.get(&(w.key, c.key)) {
                let (lo, hi) = min_max(v);
                let _ = writeln!(
                    out,
                    "| {} | {} | {}–{} | {} |",
                    c.name,
                    fmt(median(v)),
                    fmt(lo),
                    fmt(hi),
                    v.len()
                );
            }
        }
    }
    if !results.probes.is_empty() {
        let (lo, hi) = min_max(&results.probes);
        let _ = writeln!(
            out,
            "\nBare atomic ping-pong before each round (median ns per round trip; shows whether \
             the host moved the vCPUs mid-run): {} (min {} – max {}).",
            results
                .probes
                .iter()
                .map(|p| fmt(*p))
                .collect::<Vec<_>>()
                .join(", "),
            fmt(lo),
            fmt(hi)
        );
    }
    out
}

fn fmt(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Whether `contender` runs `workload`: the channel section (`chan-` keys) pairs its own
/// contenders and workloads (and says where a reference takes part); the rest is the queues'.
fn applies(contender: &Contender, workload: &Workload) -> bool {
    if broadcast::is_workload(workload) || broadcast::is_contender(contender.key) {
        return broadcast::applies(contender.key, workload);
    }
    if channels::is_channel(workload.key) || channels::is_channel(contender.key) {
        return channels::applies(contender, workload);
    }
    contender.applies(workload)
}

fn main() {
    let options = parse_args();
    let scale = Scale {
        factor: if options.quick { QUICK_FACTOR } else { 1.0 },
    };
    let matches = |key: &str| options.filters.iter().any(|f| key.contains(f.as_str()));
    let mut all_contenders = workloads::contenders();
    all_contenders.extend(channels::contenders());
    all_contenders.extend(broadcast::contenders());
    let all_workloads: Vec<Workload> = WORKLOADS
        .iter()
        .chain(channels::WORKLOADS)
        .chain(broadcast::WORKLOADS)
        .copied()
        .collect();
    let filter_workloads = options
        .filters
        .iter()
        .any(|f| all_workloads.iter().any(|w| w.key.contains(f.as_str())));
    let filter_contenders = options
        .filters
        .iter()
        .any(|f| all_contenders.iter().any(|c| c.key.contains(f.as_str())));
    for f in &options.filters {
        if !all_workloads.iter().any(|w| w.key.contains(f.as_str()))
            && !all_contenders.iter().any(|c| c.key.contains(f.as_str()))
        {
            eprintln!("filter {f:?} matches no workload or contender");
            std::process::exit(2);
        }
    }
    let workloads: Vec<Workload> = all_workloads
        .iter()
        .filter(|w| !filter_workloads || matches(w.key))
        .copied()
        .collect();
    let contenders: Vec<Contender> = all_contenders
        .iter()
        .filter(|c| !filter_contenders || matches(c.key) || c.family == common::Family::Reference)
        .copied()
        .collect();

    let timer_ns = workloads::timer_overhead_ns();
    eprintln!(
        "wharf suite: {} workload(s), {} contender(s), {} round(s){}; {} CPUs; empty timed \
         round trip {timer_ns:.0} ns",
        workloads.len(),
        contenders.len(),
        options.rounds,
        if options.quick { ", quick" } else { "" },
        common::cpus()
    );
    let began = Instant::now();
    let mut results = Results::default();
    for round in 0..options.rounds {
        let probe = atomic_ping_pong(PROBE_ROUND_TRIPS);
        results.probes.push(probe.value);
        eprintln!(
            "round {}/{}: bare atomic ping-pong {:.0} ns",
            round + 1,
            options.rounds,
            probe.value
        );
        for w in &workloads {
            let mut order: Vec<&Contender> = contenders.iter().filter(|c| applies(c, w)).collect();
            if order.is_empty() {
                continue;
            }
            let shift = round % order.len();
            order.rotate_left(shift);
            if round % 2 == 1 {
                // Odd rounds also reverse, so no contender always follows the same one.
                order.reverse();
            }
            for c in order {
                eprint!(
                    "  round {}/{} {:<9} {:<27}",
                    round + 1,
                    options.rounds,
                    w.key,
                    c.name
                );
                let Sample { value, .. } = workloads::run(c, w, &scale);
                eprintln!(" {:>9} {}", fmt(value), w.unit().label());
                results
                    .samples
                    .entry((w.key, c.key))
                    .or_default()
                    .push(value);
            }
        }
    }
    let wall = began.elapsed();
    let mut table = report(&results, &workloads, &contenders);
    table.push_str(&broadcast::report(&|w, c| results.median(w, c)));
    println!(
        "\n## wharf suite: {} round(s), {:.0} s; empty timed round trip {timer_ns:.0} ns\n",
        options.rounds,
        wall.as_secs_f64()
    );
    println!("{table}");

    if options.write_results {
        write_results(
            &options,
            &results,
            &workloads,
            &table,
            wall.as_secs_f64(),
            timer_ns,
        );
    }
}

/// Runs a command and returns its trimmed standard output, or `"unknown"`.
fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn write_results(
    options: &Options,
    results: &Results,
    workloads: &[Workload],
    table: &str,
    wall_secs: f64,
    timer_ns: f64,
) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let md_path = root.join("RESULTS.md");
    let svg_path = root.join("RESULTS.svg");
    let old = std::fs::read_to_string(&md_path).unwrap_or_default();
    let analysis = match (old.find(ANALYSIS_BEGIN), old.find(ANALYSIS_END)) {
        (Some(b), Some(e)) if b < e => old[b..e + ANALYSIS_END.len()].to_string(),
        _ => format!(
            "{ANALYSIS_BEGIN}\n_No analysis written yet. Text between these markers is kept \
             when the suite rewrites this file._\n{ANALYSIS_END}"
        ),
    };
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# wharf benchmark results\n\n\
         Generated by `benches/suite.rs` (`--write-results`); everything outside the Analysis \
         section is rewritten on each run. Figures are medians of {rounds} interleaved rounds \
         in one run: compare ratios, never absolute figures across runs (see \
         BENCHMARKING notes: the host places the two vCPUs differently between invocations).\n\n\
         ## Machine and run\n\n\
         - CPUs (nproc): {cpus}\n\
         - CPU model: {model}\n\
         - Compiler: {rustc}\n\
         - Command: `{command}`\n\
         - Date: {date}\n\
         - Suite wall time: {wall_secs:.0} s; empty timed round trip (two `Instant::now()` + \
         histogram record): {timer_ns:.0} ns\n\
         - Throughput workloads report Mmsg/s from the earliest worker start to the last \
         consumer's end; ping-pong reports the median round trip (HDR histogram); single-thread \
         reports ns per push+pop pair. Every run verified count, sum, sum of squares and \
         per-producer order.\n\n\
         ![ratios](RESULTS.svg)\n\n\
         ## Results\n\n{table}\n\
         ## Analysis\n\n{analysis}\n",
        rounds = options.rounds,
        cpus = common::cpus(),
        model = cpu_model(),
        rustc = command_output("rustc", &["-V"]),
        command = options.command,
    );
    std::fs::write(&md_path, md).expect("write RESULTS.md");
    std::fs::write(&svg_path, svg(results, workloads)).expect("write RESULTS.svg");
    eprintln!("wrote {} and {}", md_path.display(), svg_path.display());
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A hand-written SVG: one horizontal bar per (comparison, workload) ratio, a line at 1×,
/// a tick at the target; green when the target is met, red when missed, grey without one.
fn svg(results: &Results, workloads: &[Workload]) -> String {
    let mut rows: Vec<(String, Option<Ratio>)> = Vec::new();
    for c in COMPARISONS {
        rows.push((c.label.to_string(), None));
        for w in workloads {
            if let Some(r) = ratio(results, c, w) {
                rows.push((format!("{} (vs {})", w.key, r.peer), Some(r)));
            }
        }
    }
    let max = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().map(|r| r.ratio.max(r.target.unwrap_or(0.0))))
        .fold(2.5f64, f64::max)
        * 1.05;
    let (label_w, bar_w, row_h, top) = (230.0, 520.0, 20.0, 40.0);
    let width = label_w + bar_w + 80.0;
    let height = top + rows.len() as f64 * row_h + 20.0;
    let x = |v: f64| label_w + v / max * bar_w;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="14" font-weight="bold">wharf / peer ratios of medians (speed-up; ping-pong row is a cost)</text>"#
    );
    for (i, (label, r)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        match r {
            None => {
                let _ = writeln!(
                    s,
                    r#"<text x="10" y="{:.1}" font-weight="bold">{}</text>"#,
                    y + 14.0,
                    escape(label)
                );
            }
            Some(r) => {
                let color = match r.met() {
                    Some(true) => "#2e8b57",
                    Some(false) => "#c0392b",
                    None => "#8c8c8c",
                };
                let _ = writeln!(
                    s,
                    r#"<text x="20" y="{:.1}">{}</text><rect x="{label_w}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/><text x="{:.1}" y="{:.1}">{:.2}×</text>"#,
                    y + 14.0,
                    escape(label),
                    y + 3.0,
                    x(r.ratio) - label_w,
                    row_h - 6.0,
                    x(r.ratio) + 4.0,
                    y + 14.0,
                    r.ratio
                );
                if let Some(t) = r.target {
                    let _ = writeln!(
                        s,
                        r#"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="black" stroke-width="2"/>"#,
                        x(t),
                        y + 1.0,
                        y + row_h - 1.0
                    );
                }
            }
        }
    }
    let _ = writeln!(
        s,
        r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2:.1}" stroke="#444" stroke-dasharray="4 3"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">1×</text>"##,
        x(1.0),
        top - 4.0,
        height - 20.0,
        height - 6.0
    );
    let _ = writeln!(s, "</svg>");
    s
}
