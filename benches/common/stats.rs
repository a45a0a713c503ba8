//! Statistics of the suite: placement classes, ratios of medians with bootstrap intervals, and
//! the verdict of a target.
//!
//! # Why intervals, and why per placement
//!
//! On the 2-vCPU VMs the suite runs on, two adjacent runs of the same pair differ by 0.2× to
//! 2.9×, and most of that is placement: the host moves the two vCPUs between levels that a bare
//! atomic ping-pong tells apart (about 90, 150 and 450 ns round trips), and a design's standing
//! against a peer can differ by level. So every run carries the ping-pong measured just before
//! it ([`Class`]), and a ratio is reported pooled and per class, each as the ratio of medians
//! with a 95% percentile-bootstrap interval ([`interval`]). A target is met only when, in every
//! class with at least [`MIN_CLASS_RUNS`] runs on both sides, the interval clears it
//! ([`verdict`]).

use std::fmt;

/// Round trips (ns) below which a run counts as [`Class::Near`].
pub const NEAR_BELOW_NS: f64 = 115.0;
/// Round trips (ns) from which a run counts as [`Class::Far`].
pub const FAR_FROM_NS: f64 = 300.0;
/// Runs a class needs on each side of a ratio before its interval decides a target.
pub const MIN_CLASS_RUNS: usize = 8;
/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 2000;

/// Where the host had placed the two vCPUs when a run started, by the bare atomic ping-pong
/// round trip measured just before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Round trip below [`NEAR_BELOW_NS`].
    Near,
    /// Between [`NEAR_BELOW_NS`] and [`FAR_FROM_NS`].
    Mid,
    /// [`FAR_FROM_NS`] or more.
    Far,
}

impl Class {
    /// Every class, nearest first.
    pub const ALL: [Class; 3] = [Class::Near, Class::Mid, Class::Far];

    /// The class of a run whose probe took `round_trip_ns`.
    pub fn of(round_trip_ns: f64) -> Class {
        if round_trip_ns < NEAR_BELOW_NS {
            Class::Near
        } else if round_trip_ns < FAR_FROM_NS {
            Class::Mid
        } else {
            Class::Far
        }
    }

    /// Lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Class::Near => "near",
            Class::Mid => "mid",
            Class::Far => "far",
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    median_in_place(&mut v)
}

fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a small, fixed-seed generator, so a report's intervals are reproducible from
/// its samples.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (`n > 0`; the modulo bias is below 2^-50 for the run counts
    /// used here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The median of one bootstrap resample of `values`, drawn with replacement.
fn resampled_median(values: &[f64], rng: &mut Rng, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..values.len()).map(|_| values[rng.below(values.len())]));
    median_in_place(scratch)
}

/// A ratio of medians with its 95% bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The ratio of the samples' medians.
    pub ratio: f64,
    /// 2.5th percentile of the resampled ratios.
    pub lo: f64,
    /// 97.5th percentile of the resampled ratios.
    pub hi: f64,
    /// Runs on wharf's side.
    pub runs_a: usize,
    /// Runs on the peer's side (of the peer with the fewest, when several compete).
    pub runs_b: usize,
}

impl Interval {
    /// Whether both sides have at least [`MIN_CLASS_RUNS`] runs.
    pub fn decides(&self) -> bool {
        self.runs_a >= MIN_CLASS_RUNS && self.runs_b >= MIN_CLASS_RUNS
    }

    /// Whether the interval contains `x`.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}× [{:.2}, {:.2}]", self.ratio, self.lo, self.hi)
    }
}

/// How a ratio is formed from two medians.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    /// Higher figures are better (Mmsg/s): `a / best(b)`, best = highest.
    Speed,
    /// Lower figures are better (ns), shown as a speed-up: `best(b) / a`, best = lowest.
    SpeedOfTime,
    /// Lower figures are better (ns), shown as a cost: `a / best(b)`, best = lowest.
    Cost,
}

impl Sense {
    fn ratio(self, a: f64, best_b: f64) -> f64 {
        match self {
            Sense::Speed | Sense::Cost => a / best_b,
            Sense::SpeedOfTime => best_b / a,
        }
    }

    fn best(self, medians: impl Iterator<Item = f64>) -> f64 {
        match self {
            Sense::Speed => medians.fold(f64::NEG_INFINITY, f64::max),
            Sense::SpeedOfTime | Sense::Cost => medians.fold(f64::INFINITY, f64::min),
        }
    }

    /// Whether a ratio at or beyond `target` is good (speed-ups) rather than at or below it
    /// (costs).
    pub fn higher_is_better(self) -> bool {
        self != Sense::Cost
    }
}

/// The ratio of `a`'s median to the best median among `peers` (see [`Sense`]), with a 95%
/// percentile-bootstrap interval: each resample draws every side's runs with replacement,
/// takes each side's median, and picks the best peer afresh, so choosing the best of several
/// peers is part of what the interval covers. `None` when a side has no runs.
pub fn interval(a: &[f64], peers: &[&[f64]], sense: Sense, rng: &mut Rng) -> Option<Interval> {
    if a.is_empty() || peers.is_empty() || peers.iter().any(|p| p.is_empty()) {
        return None;
    }
    let ratio = sense.ratio(median(a), sense.best(peers.iter().map(|p| median(p))));
    let mut scratch = Vec::new();
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let ma = resampled_median(a, rng, &mut scratch);
            let mb = sense.best(
                peers
                    .iter()
                    .map(|p| resampled_median(p, rng, &mut scratch))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            sense.ratio(ma, mb)
        })
        .collect();
    ratios.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| ratios[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    Some(Interval {
        ratio,
        lo: at(0.025),
        hi: at(0.975),
        runs_a: a.len(),
        runs_b: peers.iter().map(|p| p.len()).min().unwrap_or(0),
    })
}

/// Whether a target holds, by the intervals that decide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every deciding interval clears the target.
    Met,
    /// Some deciding interval lies wholly on the wrong side of it.
    Missed,
    /// Some deciding interval straddles it (and none misses), or no interval decides.
    Unresolved,
}

impl Verdict {
    /// Word for tables.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "MISSED",
            Verdict::Unresolved => "unresolved",
        }
    }
}

/// The verdict of one interval on `target`.
pub fn judge(i: &Interval, target: f64, sense: Sense) -> Verdict {
    let (clears, fails) = if sense.higher_is_better() {
        (i.lo >= target, i.hi < target)
    } else {
        (i.hi <= target, i.lo > target)
    };
    if clears {
        Verdict::Met
    } else if fails {
        Verdict::Missed
    } else {
        Verdict::Unresolved
    }
}

/// The verdict over the per-class intervals: only classes with enough runs on both sides
/// ([`Interval::decides`]) count; any miss is a miss; met needs every counted class met.
pub fn verdict(classes: &[Option<Interval>], target: f64, sense: Sense) -> Verdict {
    let deciding: Vec<Verdict> = classes
        .iter()
        .flatten()
        .filter(|i| i.decides())
        .map(|i| judge(i, target, sense))
        .collect();
    if deciding.is_empty() {
        Verdict::Unresolved
    } else if deciding.contains(&Verdict::Missed) {
        Verdict::Missed
    } else if deciding.iter().all(|&v| v == Verdict::Met) {
        Verdict::Met
    } else {
        Verdict::Unresolved
    }
}
