#!/usr/bin/env bash
# A/B of two builds of wharf, interleaved in one run of the suite:
#
#     bash benches/ab.sh [BASE_REV [HEAD_REV]] [SUITE_ARGS...]
#
# BASE_REV (default HEAD) is built from `git archive`, with the benches/, Cargo.toml and
# Cargo.lock of the work tree copied over it, so both builds run the same harness and only the
# library differs. "head" is the work tree as it is, uncommitted changes included, or HEAD_REV
# built the same way as the base. The suite
# then runs every wharf contender as KEY@head and KEY@base, each run in a child process of its
# own build, interleaved run by run with the placement probe before each, and reports
# head ÷ base with 95% intervals, pooled and per placement class, plus an A/A row (head
# against head) that must contain 1.
#
# Examples:
#     bash benches/ab.sh                       # work tree against the last commit, everything
#     bash benches/ab.sh HEAD~1 wharf-array    # work tree against HEAD~1, ArrayQueue only
#     bash benches/ab.sh HEAD~2 HEAD~1 chan-   # one commit against its parent, channels only
#     bash benches/ab.sh main 1p1c 2p2c --rounds 60
set -euo pipefail
cd "$(dirname "$0")/.."

is_rev() { [ $# -gt 0 ] && git rev-parse --verify --quiet "$1^{commit}" >/dev/null; }
base_rev=HEAD
head_rev=
if is_rev "${1-}"; then
    base_rev=$1
    shift
    if is_rev "${1-}"; then
        head_rev=$1
        shift
    fi
fi
root=target/ab
mkdir -p "$root"

# A source tree of REV with the work tree's harness, in target/ab/src-SHA; prints its path.
tree_of() {
    local sha dir
    sha=$(git rev-parse --short=12 "$1^{commit}")
    dir=$root/src-$sha
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir.tmp"
        git archive "$sha" | tar -x -C "$dir.tmp"
        mv "$dir.tmp" "$dir"
    fi
    # Same harness on both sides: only src/ differs. The manifest is the work tree's (the
    # harness's dev-dependencies) with the revision's own [dependencies] table, so that a
    # library dependency added or removed since then does not break the revision's build.
    rm -rf "$dir/benches"
    cp -r benches "$dir/benches"
    git show "$sha:Cargo.toml" |
        awk '/^\[/ { on = ($0 == "[dependencies]") } on' >"$dir/.library-dependencies"
    awk -v deps="$dir/.library-dependencies" '
        /^\[/ { skip = 0 }
        $0 == "[dependencies]" { while ((getline line < deps) > 0) print line; skip = 1; next }
        !skip' Cargo.toml >"$dir/Cargo.toml"
    cp Cargo.lock "$dir/"
    echo "$dir"
}

executable() {
    grep -o '"executable":"[^"]*suite-[^"]*"' | tail -1 | sed 's/"executable":"\(.*\)"/\1/'
}
# The suite binary of a source tree (shared target directory for the dependencies). Every
# tree's wharf has the same unit hash there, and `git archive` gives files their commit's
# mtime, so cargo would take another tree's build for fresh: touch the sources first.
build() {
    find "$1/src" -type f -exec touch {} +
    (cd "$1" && CARGO_TARGET_DIR="$PWD/../target" \
        cargo bench --bench suite --no-run --message-format=json 2>/dev/null | executable)
}
# Each build is copied out, so that building the other cannot replace it.
echo "ab: building base ($base_rev) and head (${head_rev:-the work tree})" >&2
base_exe=$(build "$(tree_of "$base_rev")")
[ -n "$base_exe" ] && cp "$base_exe" "$root/suite-base" && base_exe=$root/suite-base
if [ -n "$head_rev" ]; then
    head_exe=$(build "$(tree_of "$head_rev")")
else
    head_exe=$(cargo bench --bench suite --no-run --message-format=json 2>/dev/null | executable)
fi
[ -n "$head_exe" ] && cp "$head_exe" "$root/suite-head" && head_exe=$root/suite-head
if [ -z "$base_exe" ] || [ -z "$head_exe" ]; then
    echo "ab: a build failed; run cargo bench --bench suite --no-run in target/ab/src-* to see why" >&2
    exit 1
fi
echo "ab: base $base_exe" >&2
echo "ab: head $head_exe" >&2
exec "$head_exe" --ab "$base_exe" "$@"
