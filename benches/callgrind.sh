#!/usr/bin/env bash
# Instructions per single-thread push+pop pair, per contender, counted by callgrind.
#
#   bash benches/callgrind.sh [N1 N2]     (default N1=10000, N2=110000)
#
# Builds benches/single_thread.rs (every contender in one binary, so they share one build and
# one inlining context), runs it under `valgrind --tool=callgrind` with N1 and with N2 pairs
# per contender, and reports (Ir(N2) - Ir(N1)) / (N2 - N1): start-up, queue construction and
# exit cancel out. The empty loop (a relaxed store and load instead of a queue) shows the
# harness loop's own share. Targets (issue 8): wharf ArrayQueue no more than heapless's
# mpmc::Queue; wharf LinkedQueue no more than crossbeam's SegQueue.
set -euo pipefail
cd "$(dirname "$0")/.."

n1=${1:-10000}
n2=${2:-110000}
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }

exe=$(cargo bench --bench single_thread --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*single_thread[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$exe" ] || { echo "could not find the single_thread bench binary" >&2; exit 1; }
echo "binary: $exe" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Total instructions of one run: callgrind's "Collected" line on stderr.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$exe" "$1" "$2" \
        2>"$tmp/err" >/dev/null || { cat "$tmp/err" >&2; exit 1; }
    grep -o 'Collected : [0-9]*' "$tmp/err" | grep -o '[0-9]*$'
}

declare -A per_pair
printf '%-16s %14s %14s %12s\n' contender "Ir(N=$n1)" "Ir(N=$n2)" "instr/pair"
for key in empty wharf-array crossbeam-array cq-bounded heapless-mpmc wharf-linked crossbeam-seg cq-unbounded \
    wharf-array-batch32 wharf-linked-batch32; do
    a=$(instructions "$key" "$n1")
    b=$(instructions "$key" "$n2")
    per_pair[$key]=$(awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
        'BEGIN { printf "%.1f", (b - a) / (n2 - n1) }')
    printf '%-16s %14s %14s %12s\n' "$key" "$a" "$b" "${per_pair[$key]}"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "Instructions per push+pop pair (includes the loop's own ${per_pair[empty]} per pair):"
verdict=$(awk -v a="${per_pair[wharf-array]}" -v h="${per_pair[heapless-mpmc]}" 'BEGIN { print (a <= h) ? "met" : "MISSED" }')
echo "  wharf ArrayQueue ${per_pair[wharf-array]} vs heapless mpmc::Queue ${per_pair[heapless-mpmc]}: $(ratio "${per_pair[wharf-array]}" "${per_pair[heapless-mpmc]}")x (target: no more than heapless: $verdict)"
echo "  wharf ArrayQueue ${per_pair[wharf-array]} vs crossbeam ArrayQueue ${per_pair[crossbeam-array]}: $(ratio "${per_pair[wharf-array]}" "${per_pair[crossbeam-array]}")x"
net() { awk -v a="$1" -v e="${per_pair[empty]}" 'BEGIN { printf "%.1f", a - e }'; }
echo "  net of the loop: wharf ArrayQueue $(net "${per_pair[wharf-array]}") vs crossbeam ArrayQueue $(net "${per_pair[crossbeam-array]}"): $(ratio "$(net "${per_pair[wharf-array]}")" "$(net "${per_pair[crossbeam-array]}")")x"
echo "  wharf ArrayQueue ${per_pair[wharf-array]} vs concurrent-queue bounded ${per_pair[cq-bounded]}: $(ratio "${per_pair[wharf-array]}" "${per_pair[cq-bounded]}")x"
verdict=$(awk -v a="${per_pair[wharf-linked]}" -v s="${per_pair[crossbeam-seg]}" 'BEGIN { print (a <= s) ? "met" : "MISSED" }')
echo "  wharf LinkedQueue ${per_pair[wharf-linked]} vs crossbeam SegQueue ${per_pair[crossbeam-seg]}: $(ratio "${per_pair[wharf-linked]}" "${per_pair[crossbeam-seg]}")x (target: no more than SegQueue: $verdict)"
echo "  wharf LinkedQueue ${per_pair[wharf-linked]} vs concurrent-queue unbounded ${per_pair[cq-unbounded]}: $(ratio "${per_pair[wharf-linked]}" "${per_pair[cq-unbounded]}")x"
echo "  batches of 32 (per value, vectors' own work included): wharf ArrayQueue ${per_pair[wharf-array-batch32]} ($(ratio "${per_pair[wharf-array-batch32]}" "${per_pair[wharf-array]}")x its single pair), wharf LinkedQueue ${per_pair[wharf-linked-batch32]} ($(ratio "${per_pair[wharf-linked-batch32]}" "${per_pair[wharf-linked]}")x its single pair)"

echo
# The blocking channels' send+recv against try_send+try_recv, in a binary of their own.
bash benches/callgrind_channels.sh "$n1" "$n2"
