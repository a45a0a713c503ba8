//! The suite's report: wharf ÷ peer ratios of medians with 95% bootstrap intervals, pooled and
//! per placement class, the targets' verdicts, the A/A calibration row, and the per-workload
//! tables (with CPU time and context switches per message), as Markdown and as an SVG chart.

use crate::common::contender::{Kind, Workload};
use crate::common::stats::{self, Class, Interval, Rng, Sense, Verdict};
use crate::common::Usage;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Seed of the bootstrap generator: the same samples always give the same intervals.
const SEED: u64 = 0x5eed_0f3a_11ab_cdef;

/// One verified run and the conditions it ran under.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// The figure, in the workload's unit.
    pub value: f64,
    /// The bare atomic ping-pong round trip (median ns) measured just before the run.
    pub probe_ns: f64,
    /// CPU time and context switches the run cost the process.
    pub usage: Usage,
    /// Messages, round trips or pairs in the run.
    pub ops: u64,
}

/// Every run of one invocation, by (workload key, entry key), in the order they ran.
#[derive(Default)]
pub struct Results {
    pub runs: BTreeMap<(&'static str, &'static str), Vec<Run>>,
}

impl Results {
    fn values(&self, workload: &str, key: &str, class: Option<Class>) -> Option<Vec<f64>> {
        let runs = self
            .runs
            .iter()
            .find(|((w, k), _)| *w == workload && *k == key)
            .map(|(_, r)| r)?;
        Some(
            runs.iter()
                .filter(|r| class.map_or(true, |c| Class::of(r.probe_ns) == c))
                .map(|r| r.value)
                .collect(),
        )
    }

    /// The pooled median of one cell.
    pub fn median(&self, workload: &str, key: &str) -> Option<f64> {
        self.values(workload, key, None)
            .filter(|v| !v.is_empty())
            .map(|v| stats::median(&v))
    }

    fn probes(&self) -> Vec<f64> {
        self.runs.values().flatten().map(|r| r.probe_ns).collect()
    }

    /// Runs whose placement probe put them near, mid and far.
    pub fn placements(&self) -> [usize; 3] {
        let probes = self.probes();
        Class::ALL.map(|c| probes.iter().filter(|&&p| Class::of(p) == c).count())
    }
}

/// A wharf ÷ peer comparison of the report.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Heading.
    pub label: String,
    /// wharf's entry key.
    pub wharf: &'static str,
    /// Peer entry keys; each resample compares against the best of them.
    pub peers: Vec<&'static str>,
    /// Workloads compared (`None`: every workload both sides ran).
    pub only: Option<Vec<&'static str>>,
    /// Shown as a cost (wharf ÷ peer in ns, lower is better) instead of a speed-up.
    pub cost: bool,
    /// The target per workload, if any.
    pub target: fn(&str) -> Option<f64>,
    /// An A/A calibration row: the interval must contain 1.
    pub aa: bool,
}

impl Comparison {
    /// A plain comparison of `wharf` against the best of `peers`, no target.
    pub fn new(label: impl Into<String>, wharf: &'static str, peers: &[&'static str]) -> Self {
        Comparison {
            label: label.into(),
            wharf,
            peers: peers.to_vec(),
            only: None,
            cost: false,
            target: |_| None,
            aa: false,
        }
    }

    /// Restricted to `workloads`.
    pub fn only(mut self, workloads: &[&'static str]) -> Self {
        self.only = Some(workloads.to_vec());
        self
    }

    /// With a target per workload.
    pub fn target(mut self, target: fn(&str) -> Option<f64>) -> Self {
        self.target = target;
        self
    }

    /// Shown as a cost.
    pub fn cost(mut self) -> Self {
        self.cost = true;
        self
    }

    /// An A/A calibration row.
    pub fn aa(mut self) -> Self {
        self.aa = true;
        self
    }

    fn sense(&self, workload: &Workload) -> Sense {
        if self.cost {
            Sense::Cost
        } else if workload.unit().higher_is_better() {
            Sense::Speed
        } else {
            Sense::SpeedOfTime
        }
    }
}

/// The ratios of one comparison on one workload.
struct Cell {
    /// The peer with the best pooled median.
    peer: &'static str,
    pooled: Interval,
    classes: [Option<Interval>; 3],
    target: Option<f64>,
    sense: Sense,
}

impl Cell {
    fn verdict(&self) -> Option<Verdict> {
        self.target
            .map(|t| stats::verdict(&self.classes, t, self.sense))
    }

    /// For an A/A row: whether every interval that decides (enough runs on each side)
    /// contains 1.
    fn calibrated(&self) -> bool {
        (!self.pooled.decides() || self.pooled.contains(1.0))
            && self
                .classes
                .iter()
                .flatten()
                .filter(|i| i.decides())
                .all(|i| i.contains(1.0))
    }
}

fn cell(results: &Results, c: &Comparison, w: &Workload, rng: &mut Rng) -> Option<Cell> {
    if c.only.as_ref().is_some_and(|o| !o.contains(&w.key)) {
        return None;
    }
    let sense = c.sense(w);
    let side = |key: &str, class| results.values(w.key, key, class).filter(|v| !v.is_empty());
    let ratio = |class: Option<Class>, rng: &mut Rng| {
        let a = side(c.wharf, class)?;
        let peers: Vec<Vec<f64>> = c.peers.iter().filter_map(|p| side(p, class)).collect();
        let refs: Vec<&[f64]> = peers.iter().map(Vec::as_slice).collect();
        stats::interval(&a, &refs, sense, rng)
    };
    let pooled = ratio(None, rng)?;
    let peer = c
        .peers
        .iter()
        .filter_map(|&p| results.median(w.key, p).map(|m| (p, m)))
        .reduce(|a, b| {
            let b_better = if w.unit().higher_is_better() {
                b.1 > a.1
            } else {
                b.1 < a.1
            };
            if b_better {
                b
            } else {
                a
            }
        })?
        .0;
    let classes = Class::ALL.map(|class| ratio(Some(class), rng));
    Some(Cell {
        peer,
        pooled,
        classes,
        target: (c.target)(w.key),
        sense,
    })
}

fn interval_cell(i: &Option<Interval>) -> String {
    match i {
        None => "–".into(),
        Some(i) => {
            let few = if i.decides() { "" } else { "*" };
            format!("{i} ({}/{}){few}", i.runs_a, i.runs_b)
        }
    }
}

/// A name for an entry key, from the suite's list.
pub type Names<'a> = &'a dyn Fn(&str) -> String;

/// What the report found, for the terminal's closing lines.
#[derive(Default)]
pub struct Summary {
    pub met: usize,
    pub missed: usize,
    pub unresolved: usize,
    /// A/A rows whose interval excluded 1.
    pub uncalibrated: Vec<String>,
    /// Every pooled ratio of the report, by (comparison label, workload key), with the key of
    /// the peer whose median was best: the README summary quotes these, so its figures are
    /// the report's own.
    pub pooled: BTreeMap<(String, &'static str), (Interval, &'static str)>,
}

/// The whole Markdown report.
pub fn markdown(
    results: &Results,
    workloads: &[Workload],
    comparisons: &[Comparison],
    keys: &[&'static str],
    names: Names<'_>,
) -> (String, Summary) {
    let mut out = String::new();
    let mut summary = Summary::default();
    let mut rng = Rng::new(SEED);
    let _ = writeln!(
        out,
        "Ratios are wharf ÷ peer of medians (>1: wharf faster; a cost row is wharf ÷ peer in ns, \
         <1 better), with the 95% bootstrap interval ({} resamples of each side's runs; with \
         several peers each resample takes the best of them) and the run counts (wharf/peer). \
         Classes group runs by the bare atomic ping-pong measured just before each: near < {} \
         ns ≤ mid < {} ns ≤ far. A target is met when, in every class with at least {} runs on \
         each side, the interval's lower end clears it (a cost: its upper end); missed when \
         some such interval lies wholly on the wrong side; unresolved otherwise. `*`: fewer \
         than {} runs on a side, shown but not counted.\n",
        stats::RESAMPLES,
        stats::NEAR_BELOW_NS,
        stats::FAR_FROM_NS,
        stats::MIN_CLASS_RUNS,
        stats::MIN_CLASS_RUNS
    );
    let mut targets = String::new();
    for c in comparisons {
        let cells: Vec<(&Workload, Cell)> = workloads
            .iter()
            .filter_map(|w| cell(results, c, w, &mut rng).map(|cell| (w, cell)))
            .collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n#### {}\n\n| workload | peer | pooled | near | mid | far | target |\n|---|---|---|---|---|---|---|",
            c.label
        );
        for (w, cell) in &cells {
            summary
                .pooled
                .insert((c.label.clone(), w.key), (cell.pooled, cell.peer));
            let verdict = if c.aa {
                let ok = cell.calibrated();
                if !ok {
                    summary
                        .uncalibrated
                        .push(format!("{} on {}", c.label, w.key));
                }
                if ok {
                    "A/A: contains 1 (ok)"
                } else {
                    "A/A: EXCLUDES 1 — intervals not to be trusted"
                }
                .to_string()
            } else {
                match (cell.target, cell.verdict()) {
                    (Some(t), Some(v)) => {
                        let op = if cell.sense.higher_is_better() {
                            "≥"
                        } else {
                            "≤"
                        };
                        match v {
                            Verdict::Met => summary.met += 1,
                            Verdict::Missed => summary.missed += 1,
                            Verdict::Unresolved => summary.unresolved += 1,
                        }
                        let _ = writeln!(
                            targets,
                            "- [{}] {} on {}: {} (target {op}{t}: {})",
                            if v == Verdict::Met { "x" } else { " " },
                            c.label,
                            w.key,
                            cell.pooled,
                            v.word()
                        );
                        format!("{op}{t}: {}", v.word())
                    }
                    _ => "–".into(),
                }
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {verdict} |",
                w.key,
                names(cell.peer),
                interval_cell(&Some(cell.pooled)),
                interval_cell(&cell.classes[0]),
                interval_cell(&cell.classes[1]),
                interval_cell(&cell.classes[2]),
            );
        }
    }
    let _ = writeln!(
        out,
        "\n### Targets\n\n{targets}\n{} met, {} missed, {} unresolved.",
        summary.met, summary.missed, summary.unresolved
    );
    if !summary.uncalibrated.is_empty() {
        let _ = writeln!(
            out,
            "\n**WARNING: the A/A row's interval excludes 1 ({}): this run's intervals are not \
             to be trusted.**",
            summary.uncalibrated.join("; ")
        );
    }
    workload_tables(&mut out, results, workloads, keys, names);
    probe_summary(&mut out, results);
    (out, summary)
}

fn workload_tables(
    out: &mut String,
    results: &Results,
    workloads: &[Workload],
    keys: &[&'static str],
    names: Names<'_>,
) {
    for w in workloads {
        let unit = w.unit();
        let better = if unit.higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        };
        let mpmc = matches!(w.kind, Kind::Mpmc { .. });
        let _ = write!(
            out,
            "\n### {} — {} ({better})\n\n| contender | median {} | min–max | runs (near/mid/far) |",
            w.key,
            w.title,
            unit.label()
        );
        if mpmc {
            let _ = write!(out, " CPU ms per M msgs | switches per M msgs |");
        }
        let _ = writeln!(
            out,
            "\n|---|---:|---:|---:|{}",
            if mpmc { "---:|---:|" } else { "" }
        );
        for &key in keys {
            let Some(runs) = results.runs.get(&(w.key, key)) else {
                continue;
            };
            let v: Vec<f64> = runs.iter().map(|r| r.value).collect();
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            let by_class =
                Class::ALL.map(|c| runs.iter().filter(|r| Class::of(r.probe_ns) == c).count());
            let _ = write!(
                out,
                "| {} | {} | {}–{} | {} ({}/{}/{}) |",
                names(key),
                fmt(stats::median(&v)),
                fmt(lo),
                fmt(hi),
                v.len(),
                by_class[0],
                by_class[1],
                by_class[2]
            );
            if mpmc {
                let per_m = |f: fn(&Run) -> f64| {
                    let x: Vec<f64> = runs.iter().map(|r| f(r) / r.ops as f64 * 1e6).collect();
                    fmt(stats::median(&x))
                };
                // ns of CPU per message is ms per million messages.
                let cpu = per_m(|r| r.usage.cpu_ns as f64 / 1e6);
                let csw = per_m(|r| r.usage.switches as f64);
                let _ = write!(out, " {cpu} | {csw} |");
            }
            let _ = writeln!(out);
        }
    }
}

fn probe_summary(out: &mut String, results: &Results) {
    let probes = results.probes();
    if probes.is_empty() {
        return;
    }
    let counts = results.placements();
    let (lo, hi) = probes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let _ = writeln!(
        out,
        "\nBare atomic ping-pong before each run (placement probe): {} runs, median {} ns, \
         min {} – max {} ns; near {}, mid {}, far {} runs.",
        probes.len(),
        fmt(stats::median(&probes)),
        fmt(lo),
        fmt(hi),
        counts[0],
        counts[1],
        counts[2]
    );
}

/// A figure with three significant digits or so.
pub fn fmt(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A hand-written SVG: one bar per (comparison, workload) pooled ratio with its interval as a
/// whisker, a dashed line at 1×, a tick at the target; green when met, red when missed, amber
/// when unresolved, grey without a target.
pub fn svg(results: &Results, workloads: &[Workload], comparisons: &[Comparison]) -> String {
    let mut rng = Rng::new(SEED);
    let mut rows: Vec<(String, Option<Cell>)> = Vec::new();
    for c in comparisons.iter().filter(|c| !c.aa) {
        let cells: Vec<_> = workloads
            .iter()
            .filter_map(|w| cell(results, c, w, &mut rng).map(|cell| (w.key, cell)))
            .collect();
        if cells.is_empty() {
            continue;
        }
        rows.push((c.label.clone(), None));
        rows.extend(
            cells
                .into_iter()
                .map(|(w, cell)| (w.to_string(), Some(cell))),
        );
    }
    let max = rows
        .iter()
        .filter_map(|(_, c)| c.as_ref().map(|c| c.pooled.hi.max(c.target.unwrap_or(0.0))))
        .filter(|x| x.is_finite())
        .fold(2.5f64, f64::max)
        .min(8.0)
        * 1.05;
    let (label_w, bar_w, row_h, top) = (120.0, 600.0, 18.0, 40.0);
    let width = label_w + bar_w + 170.0;
    let height = top + rows.len() as f64 * row_h + 20.0;
    let x = |v: f64| label_w + v.min(max) / max * bar_w;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="13" font-weight="bold">wharf ÷ peer, pooled ratio of medians with 95% interval (cost rows: lower is better)</text>"#
    );
    for (i, (label, c)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let Some(c) = c else {
            let _ = writeln!(
                s,
                r#"<text x="10" y="{:.1}" font-weight="bold">{}</text>"#,
                y + 13.0,
                escape(label)
            );
            continue;
        };
        let color = match c.verdict() {
            Some(Verdict::Met) => "#2e8b57",
            Some(Verdict::Missed) => "#c0392b",
            Some(Verdict::Unresolved) => "#d68910",
            None => "#8c8c8c",
        };
        let p = c.pooled;
        let _ = writeln!(
            s,
            r#"<text x="20" y="{:.1}">{}</text><rect x="{label_w}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y + 13.0,
            escape(label),
            y + 3.0,
            x(p.ratio) - label_w,
            row_h - 6.0,
            x(p.lo),
            x(p.hi),
            y + row_h / 2.0,
            y + row_h / 2.0,
            x(p.hi.max(p.ratio)) + 4.0,
            y + 13.0,
            escape(&p.to_string())
        );
        if let Some(t) = c.target {
            let _ = writeln!(
                s,
                r#"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="black" stroke-width="2"/>"#,
                x(t),
                y + 1.0,
                y + row_h - 1.0
            );
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
