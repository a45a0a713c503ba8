#!/usr/bin/env bash
# A/B of two builds of wharf, interleaved in one run of the suite:
#
#     bash benches/ab.sh [BASE_REV] [SUITE_ARGS...]
#
# BASE_REV (default HEAD) is built from `git archive`, with the benches/, Cargo.toml and
# Cargo.lock of the work tree copied over it, so both builds run the same harness and only the
# library differs. "head" is the work tree as it is, uncommitted changes included. The suite
# then runs every wharf contender as KEY@head and KEY@base, each run in a child process of its
# own build, interleaved run by run with the placement probe before each, and reports
# head ÷ base with 95% intervals, pooled and per placement class, plus an A/A row (head
# against head) that must contain 1.
#
# Examples:
#     bash benches/ab.sh                       # work tree against the last commit, everything
#     bash benches/ab.sh HEAD~1 wharf-array    # last commit against its parent, ArrayQueue only
#     bash benches/ab.sh main 1p1c 2p2c --rounds 60
set -euo pipefail
cd "$(dirname "$0")/.."

base_rev=HEAD
if [ $# -gt 0 ] && git rev-parse --verify --quiet "$1^{commit}" >/dev/null; then
    base_rev=$1
    shift
fi
sha=$(git rev-parse --short=12 "$base_rev^{commit}")
root=target/ab
base=$root/base-$sha
mkdir -p "$root"
if [ ! -d "$base" ]; then
    mkdir -p "$base.tmp"
    git archive "$sha" | tar -x -C "$base.tmp"
    mv "$base.tmp" "$base"
fi
# Same harness on both sides: only src/ differs.
rm -rf "$base/benches"
cp -r benches "$base/benches"
cp Cargo.toml Cargo.lock "$base/"

executable() {
    grep -o '"executable":"[^"]*suite-[^"]*"' | tail -1 | sed 's/"executable":"\(.*\)"/\1/'
}
echo "ab: building base ($base_rev = $sha) and head (work tree)" >&2
base_exe=$(cd "$base" && CARGO_TARGET_DIR="$PWD/../target" \
    cargo bench --bench suite --no-run --message-format=json 2>/dev/null | executable)
head_exe=$(cargo bench --bench suite --no-run --message-format=json 2>/dev/null | executable)
if [ -z "$base_exe" ] || [ -z "$head_exe" ]; then
    echo "ab: a build failed; run cargo bench --bench suite --no-run in $base to see why" >&2
    exit 1
fi
echo "ab: base $base_exe" >&2
echo "ab: head $head_exe" >&2
exec "$head_exe" --ab "$base_exe" "$@"
