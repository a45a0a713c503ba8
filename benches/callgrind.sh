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

# shellcheck source=benches/callgrind_lib.sh
. benches/callgrind_lib.sh
callgrind_init single_thread "$@"
callgrind_count contender 16 empty wharf-array crossbeam-array cq-bounded heapless-mpmc \
    wharf-linked crossbeam-seg cq-unbounded wharf-array-batch32 wharf-linked-batch32

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
