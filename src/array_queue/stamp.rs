//! A slot's stamp: the position it is on, and the state of that position.
//!
//! The stamp is the claim. A producer takes position `p` by a compare-and-swap of slot
//! `p`'s stamp from `EMPTY` to `WRITING`, and a consumer by one from `FULL` to `READING`;
//! `head` and `tail` only say where to start looking (see the module docs of
//! `array_queue`). So each stamp names a position as well as a state:
//! `stamp = position * 4 + state`, wrapping as positions do. A stamp is compared with a
//! position by the signed distance between the position it names and that one: within a
//! few laps, and a lap is at most `MAX_LAP` positions, so four times the distance always
//! fits an `isize`.
//!
//! Positions are claimed in order on each side: a thread claims `p` only after it has seen
//! `p`'s predecessor claimed (its own walk saw that slot's stamp, or a claimer of the
//! predecessor stored `p` as the hint). That is what lets one stamp answer for the whole
//! queue: a consumer that finds its position `EMPTY` knows that no later position is
//! claimed either, so the queue is empty; a producer that finds the previous lap's value
//! still `FULL` (or `WRITING`) knows that no consumer has claimed anything later, so the
//! queue is full.
//!
//! # Runs
//!
//! A batch claims a run of positions `p ..= q` with one compare-and-swap of slot `p` alone,
//! to the `WRITING` (or `READING`) stamp of `q`, the run's *last* position. The other slots
//! of the run keep their stamps until the batch fills (empties) them. A stamp that names a
//! position less than a lap ahead of the slot's own can only be such a marker (a slot's own
//! stamps name positions a whole number of laps apart), so every thread that meets it skips
//! to the position after `q`, or, a consumer meeting a producer's run, waits for `p`'s
//! value. The batch publishes slot `p` last, so nobody reaches the rest of the run before
//! its slots are settled.

use super::Laps;

/// The state of a position: no value, and no producer has claimed it.
pub(super) const EMPTY: usize = 0;
/// A producer has claimed the position and is writing its value.
pub(super) const WRITING: usize = 1;
/// The position's value is in the slot, and no consumer has claimed it.
pub(super) const FULL: usize = 2;
/// A consumer has claimed the position and is reading its value out.
pub(super) const READING: usize = 3;
/// The state bits of a stamp.
const STATE: usize = 3;

/// The stamp of `pos` in `state`.
#[inline(always)]
pub(super) const fn stamp(pos: usize, state: usize) -> usize {
    debug_assert!(state <= STATE);
    pos.wrapping_mul(4) | state
}

/// What a producer at a position should do, from the stamp of the position's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Push {
    /// The slot is empty for this position: claim it.
    Claim,
    /// The position is claimed already: go on at the one given.
    Skip(usize),
    /// The slot has moved on a lap or more: the position was claimed long ago, so the
    /// thread is far behind and should look at the hint.
    Behind,
    /// The slot still holds (or is being given) the previous lap's value, which no consumer
    /// has claimed: the queue is full.
    Full,
    /// A consumer of the previous lap is reading the slot out: wait for it.
    Wait,
}

/// What a consumer at a position should do, from the stamp of the position's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pop {
    /// The slot holds this position's value: claim it.
    Claim,
    /// The position is claimed already: go on at the one given.
    Skip(usize),
    /// The slot has moved on a lap or more, as for [`Push::Behind`].
    Behind,
    /// No producer has claimed the position: the queue is empty.
    Empty,
    /// A producer has claimed the position and is writing: wait for the value.
    Wait,
}

impl Laps {
    /// How far ahead of `pos` the position named by `stamp` is, times 4 (negative: behind).
    #[inline(always)]
    fn ahead(pos: usize, stamp: usize) -> isize {
        (stamp & !STATE).wrapping_sub(pos.wrapping_mul(4)) as isize
    }

    /// One lap, in the units of [`ahead`](Self::ahead).
    #[inline(always)]
    fn lap4(self) -> isize {
        // `one_lap` is at most `MAX_LAP`, `isize::MAX / 8` (`ArrayQueue::one_lap_for`).
        (self.one_lap * 4) as isize
    }

    /// The position after a run marker's last position, when `stamp` is a run marker seen
    /// at `pos` (named position less than a lap ahead).
    #[inline(always)]
    fn past_run(self, pos: usize, ahead: isize) -> usize {
        self.advance(pos.wrapping_add((ahead / 4) as usize))
    }

    /// What a producer at `pos` does, given the stamp of `pos`'s slot.
    #[inline(always)]
    pub(super) fn for_push(self, pos: usize, stamp: usize) -> Push {
        let ahead = Self::ahead(pos, stamp);
        let state = stamp & STATE;
        if ahead == 0 {
            if state == EMPTY {
                Push::Claim
            } else {
                Push::Skip(self.advance(pos))
            }
        } else if ahead > 0 {
            if ahead < self.lap4() {
                // A run marker (either side's): `pos` is inside a claimed run.
                Push::Skip(self.past_run(pos, ahead))
            } else {
                // The slot has moved on to a later lap: `pos` was claimed long ago.
                Push::Behind
            }
        } else if state == FULL || state == WRITING {
            Push::Full
        } else {
            Push::Wait
        }
    }

    /// What a consumer at `pos` does, given the stamp of `pos`'s slot.
    #[inline(always)]
    pub(super) fn for_pop(self, pos: usize, stamp: usize) -> Pop {
        let ahead = Self::ahead(pos, stamp);
        let state = stamp & STATE;
        if ahead == 0 {
            match state {
                EMPTY => Pop::Empty,
                WRITING => Pop::Wait,
                FULL => Pop::Claim,
                _ => Pop::Skip(self.advance(pos)),
            }
        } else if ahead > 0 {
            if ahead >= self.lap4() {
                // The slot has moved on to a later lap: `pos` was emptied long ago.
                Pop::Behind
            } else if state == READING {
                // A consumer's run marker: `pos` is inside a claimed run.
                Pop::Skip(self.past_run(pos, ahead))
            } else {
                // A producer's run marker: its first value, ours, is being written.
                Pop::Wait
            }
        } else if state == READING {
            // The previous lap's consumer is still reading: this position is not claimed by
            // any producer yet, so neither is any later one.
            Pop::Empty
        } else {
            // Not reachable by a consumer that got here in order; look again.
            Pop::Wait
        }
    }
}
