#!/usr/bin/env bash
# Shared by benches/callgrind.sh and benches/callgrind_channels.sh (sourced, not run): builds
# one single-thread bench target and counts instructions per pair under callgrind.
#
#   callgrind_init TARGET [N1 N2]       builds bench TARGET; sets exe, n1, n2 (default 10000,
#                                       110000) and tmp (removed on exit)
#   callgrind_count LABEL WIDTH KEY...  runs each KEY with N1 and with N2 pairs, prints a row
#                                       per key and sets per_pair[KEY] = (Ir(N2) - Ir(N1)) /
#                                       (N2 - N1): start-up, construction and exit cancel out
#   ratio A B, minus A B                A / B and A - B, for the summaries

callgrind_init() {
    local target=$1
    n1=${2:-10000}
    n2=${3:-110000}
    command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }
    exe=$(cargo bench --bench "$target" --no-run --message-format=json 2>/dev/null |
        grep -o "\"executable\":\"[^\"]*$target[^\"]*\"" | tail -1 | cut -d'"' -f4)
    [ -x "$exe" ] || { echo "could not find the $target bench binary" >&2; exit 1; }
    echo "binary: $exe" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}

# Total instructions of one run: callgrind's "Collected" line on stderr.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$exe" "$1" "$2" \
        2>"$tmp/err" >/dev/null || { cat "$tmp/err" >&2; exit 1; }
    grep -o 'Collected : [0-9]*' "$tmp/err" | grep -o '[0-9]*$'
}

declare -A per_pair
callgrind_count() {
    local label=$1 width=$2 key a b
    shift 2
    printf "%-${width}s %14s %14s %12s\n" "$label" "Ir(N=$n1)" "Ir(N=$n2)" "instr/pair"
    for key in "$@"; do
        a=$(instructions "$key" "$n1")
        b=$(instructions "$key" "$n2")
        per_pair[$key]=$(awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
            'BEGIN { printf "%.1f", (b - a) / (n2 - n1) }')
        printf "%-${width}s %14s %14s %12s\n" "$key" "$a" "$b" "${per_pair[$key]}"
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", a - b }'; }
