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

# shellcheck source=benches/callgrind_lib.sh
. benches/callgrind_lib.sh
callgrind_init channel_single_thread "$@"
callgrind_count channel 20 empty wharf-send-recv wharf-try wharf-unb-send-recv wharf-unb-try \
    wharf-async wharf-unb-async crossbeam kanal flume std mutex

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
