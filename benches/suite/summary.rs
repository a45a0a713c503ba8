//! The README's results summary, generated from the run that writes RESULTS.md
//! (`--write-results`): a short paragraph (rounds, machine, placement mix, the A/A row), a
//! table of the headline ratios with their 95% intervals, and the targets' counts. Every
//! figure is one the report computed ([`Summary::pooled`]), so the README and RESULTS.md
//! always agree.

use crate::common::stats::MIN_CLASS_RUNS;
use crate::comparisons::{
    ARRAY, ARRAY_PINGPONG_COST, ASYNC, ASYNC_PINGPONG_COST, BROADCAST, CHANNEL,
    CHANNEL_PINGPONG_COST, CHANNEL_UNBOUNDED, LINKED,
};
use crate::report::{fmt, Names, Results, Summary};
use std::cell::Cell;
use std::fmt::Write as _;

/// The markers around the README's generated block.
pub const MARKERS: (&str, &str) = ("<!-- results-summary -->", "<!-- /results-summary -->");

/// Label of the A/A comparison.
const AA: &str = "A/A: wharf ArrayQueue against itself";

/// What the paragraph says about the run.
pub struct RunInfo<'a> {
    /// Interleaved rounds.
    pub rounds: usize,
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model.
    pub model: &'a str,
}

/// A column of the table: heading, comparison, and the workload of each throughput row.
struct Column {
    heading: &'static str,
    label: &'static str,
    /// Workload keys of the rows 1P1C, 2P2C, 4P4C, 4P1C, 8P8C (`None`: not run), each with
    /// a prefix for the cell.
    rows: [Option<(&'static str, &'static str)>; 5],
}

/// Headings of the throughput rows.
const ROWS: [&str; 5] = ["1P1C", "2P2C", "4P4C", "4P1C", "8P8C"];

const fn plain(keys: [&'static str; 5]) -> [Option<(&'static str, &'static str)>; 5] {
    let [a, b, c, d, e] = keys;
    [
        Some(("", a)),
        Some(("", b)),
        Some(("", c)),
        Some(("", d)),
        Some(("", e)),
    ]
}

/// The queue throughput workloads, by row.
const QUEUE_ROWS: [Option<(&str, &str)>; 5] = plain(["1p1c", "2p2c", "4p4c", "4p1c", "8p8c"]);

/// The channel throughput workloads, by row.
const CHANNEL_ROWS: [Option<(&str, &str)>; 5] = plain([
    "chan-1p1c",
    "chan-2p2c",
    "chan-4p4c",
    "chan-4p1c",
    "chan-8p8c",
]);

const COLUMNS: [Column; 6] = [
    Column {
        heading: "ArrayQueue ÷ crossbeam ArrayQueue",
        label: ARRAY,
        rows: QUEUE_ROWS,
    },
    Column {
        heading: "LinkedQueue ÷ best of SegQueue, concurrent-queue",
        label: LINKED,
        rows: QUEUE_ROWS,
    },
    Column {
        heading: "bounded channel ÷ best of crossbeam-channel, kanal",
        label: CHANNEL,
        rows: CHANNEL_ROWS,
    },
    Column {
        heading: "unbounded channel ÷ best of crossbeam-channel, kanal",
        label: CHANNEL_UNBOUNDED,
        rows: CHANNEL_ROWS,
    },
    Column {
        heading: "async bounded ÷ best of tokio, async-channel, flume, kanal",
        label: ASYNC,
        rows: [
            Some(("", "async-1p1c")),
            Some(("", "async-2p2c")),
            Some(("", "async-4p4c")),
            Some(("", "async-4p1c")),
            None,
        ],
    },
    Column {
        heading: "broadcast ÷ disruptor",
        label: BROADCAST,
        rows: [
            Some(("1→2: ", "b1to2")),
            Some(("1→4: ", "b1to4")),
            Some(("2→2: ", "b2to2")),
            None,
            None,
        ],
    },
];

/// The block between the README's [`MARKERS`] (markers excluded).
pub fn readme_block(
    results: &Results,
    summary: &Summary,
    names: Names<'_>,
    run: &RunInfo<'_>,
) -> String {
    // Whether a cell shown has fewer than MIN_CLASS_RUNS runs on a side.
    let few_runs = Cell::new(false);
    let ratio = |label: &str, workload: &'static str| {
        summary
            .pooled
            .get(&(label.to_string(), workload))
            .map(|(i, peer)| {
                few_runs.set(few_runs.get() || !i.decides());
                let few = if i.decides() { "" } else { "*" };
                (format!("{i}{few}"), *peer)
            })
    };
    let mut out = String::new();
    let [near, mid, far] = results.placements();
    // The verdict is the report's (pooled and per-class intervals, `Cell::calibrated`).
    let aa = match summary.pooled.get(&(AA.to_string(), "1p1c")) {
        None => "did not run".into(),
        Some((i, _)) if !summary.uncalibrated.is_empty() => format!(
            "came out at {i}; an interval of that row EXCLUDES 1, so this run's intervals are \
             not to be trusted"
        ),
        Some((i, _)) if i.decides() => format!("came out at {i}, which contains 1"),
        Some((i, _)) => format!("came out at {i} (too few runs to judge)"),
    };
    let intro = format!(
        "Ratios of medians wharf ÷ peer (>1: wharf faster) with 95% bootstrap intervals, from \
         one run of `cargo bench --bench suite -- --write-results`: {} interleaved rounds on \
         {} CPUs ({}); placement probes before each run: {near} near, {mid} mid, {far} far. \
         The A/A row (wharf's ArrayQueue against itself, 1P1C) {aa}.",
        run.rounds, run.cpus, run.model
    );
    let _ = writeln!(out, "{}\n", wrap(&intro));
    let _ = writeln!(
        out,
        "| workload | {} |\n|{}",
        COLUMNS.map(|c| c.heading).join(" | "),
        " --- |".repeat(COLUMNS.len() + 1)
    );
    for (r, heading) in ROWS.iter().enumerate() {
        let cells = COLUMNS.map(|c| match c.rows[r] {
            Some((prefix, w)) => {
                ratio(c.label, w).map_or(String::new(), |(i, _)| prefix.to_owned() + &i)
            }
            None => String::new(),
        });
        let _ = writeln!(out, "| {heading} | {} |", cells.join(" | "));
    }
    let cost = |label: &str, w: &'static str, what: &str| {
        ratio(label, w).map_or(String::new(), |(i, _)| format!(" ({i} {what})"))
    };
    let pingpong = [
        ratio(ARRAY, "pingpong").map_or(String::new(), |(i, _)| i)
            + &cost(ARRAY_PINGPONG_COST, "pingpong", "the bare atomic"),
        ratio(LINKED, "pingpong").map_or(String::new(), |(i, _)| i),
        ratio(CHANNEL, "chan-pingpong").map_or(String::new(), |(i, _)| i)
            + &cost(CHANNEL_PINGPONG_COST, "chan-pingpong", "the bare atomic"),
        String::new(),
        ratio(ASYNC_PINGPONG_COST, "async-pingpong").map_or(String::new(), |(i, peer)| {
            let median = |key| {
                results
                    .median("async-pingpong", key)
                    .map_or("?".into(), fmt)
            };
            format!(
                "cost {i}: {} ns against {}'s {}",
                median("async-wharf"),
                names(peer),
                median(peer)
            )
        }),
        String::new(),
    ];
    let _ = writeln!(out, "| ping-pong | {} |", pingpong.join(" | "));
    let outro = format!(
        "Ping-pong cells are speed-ups (peer's round trip ÷ wharf's); a cost is wharf's round \
         trip ÷ the other's (<1 better).{} Targets: {} met, {} missed, {} unresolved (decided \
         per placement class; see RESULTS.md for every table, the intervals per class, and \
         what limits each miss).",
        if few_runs.get() {
            format!(" `*`: fewer than {MIN_CLASS_RUNS} runs on a side.")
        } else {
            String::new()
        },
        summary.met,
        summary.missed,
        summary.unresolved
    );
    let _ = writeln!(out, "\n{}", wrap(&outro));
    out
}

/// `text` wrapped at the README's width, between words.
fn wrap(text: &str) -> String {
    const WIDTH: usize = 95;
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > WIDTH {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// `readme` with the text between its [`MARKERS`] replaced by `block`; `None` when the
/// markers are missing.
pub fn replace_block(readme: &str, block: &str) -> Option<String> {
    let (begin, end) = MARKERS;
    let i = readme.find(begin)? + begin.len();
    let j = i + readme[i..].find(end)?;
    Some(format!("{}\n{block}{}", &readme[..i], &readme[j..]))
}
