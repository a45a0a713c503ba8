#!/usr/bin/env bash
# Instructions per single-thread send+receive pair of the blocking channels, counted by
# callgrind (run by benches/callgrind.sh; also on its own).
#
#   bash benches/callgrind_channels.sh [N1 N2]     (default N1=10000, N2=110000)
#
# Builds benches/channel_single_thread.rs (every loop in one binary), runs each key under
# `valgrind --tool=callgrind` with N1 and N2 pairs, and reports (Ir(N2) - Ir(N1)) / (N2 - N1).
# Nobody ever waits, so this counts each call's fast path, including the check a blocking
# call makes for waiters. Target: wharf bounded send+recv within 10 instructions of
# try_send+try_recv.
set -euo pipefail
cd "$(dirname "$0")/.."

n1=${1:-10000}
n2=${2:-110000}
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }

exe=$(cargo bench --bench channel_single_thread --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*channel_single_thread[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$exe" ] || { echo "could not find the channel_single_thread bench binary" >&2; exit 1; }
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
printf '%-20s %14s %14s %12s\n' channel "Ir(N=$n1)" "Ir(N=$n2)" "instr/pair"
for key in empty wharf-send-recv wharf-try wharf-unb-send-recv wharf-unb-try \
    wharf-async wharf-unb-async crossbeam kanal flume std mutex; do
    a=$(instructions "$key" "$n1")
    b=$(instructions "$key" "$n2")
    per_pair[$key]=$(awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
        'BEGIN { printf "%.1f", (b - a) / (n2 - n1) }')
    printf '%-20s %14s %14s %12s\n' "$key" "$a" "$b" "${per_pair[$key]}"
done

minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", a - b }'; }
echo
echo "Instructions per send+receive pair (includes the loop's own ${per_pair[empty]} per pair):"
d=$(minus "${per_pair[wharf-send-recv]}" "${per_pair[wharf-try]}")
verdict=$(awk -v d="$d" 'BEGIN { print (d <= 10) ? "met" : "MISSED" }')
echo "  wharf bounded send+recv ${per_pair[wharf-send-recv]} vs try_send+try_recv ${per_pair[wharf-try]}: $d (target <= +10: $verdict)"
echo "  wharf unbounded send+recv ${per_pair[wharf-unb-send-recv]} vs try_send+try_recv ${per_pair[wharf-unb-try]}: $(minus "${per_pair[wharf-unb-send-recv]}" "${per_pair[wharf-unb-try]}")"
echo "  wharf bounded send_async+recv_async ${per_pair[wharf-async]} vs try_send+try_recv ${per_pair[wharf-try]}: $(minus "${per_pair[wharf-async]}" "${per_pair[wharf-try]}")"
echo "  wharf unbounded send_async+recv_async ${per_pair[wharf-unb-async]} vs try_send+try_recv ${per_pair[wharf-unb-try]}: $(minus "${per_pair[wharf-unb-async]}" "${per_pair[wharf-unb-try]}")"
for key in crossbeam kanal flume std mutex; do
    echo "  wharf bounded send+recv ${per_pair[wharf-send-recv]} vs $key send+recv ${per_pair[$key]}"
done
