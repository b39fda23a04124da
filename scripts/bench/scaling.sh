#!/bin/bash
# How the cost of a run grows with link rate and simulated duration, and
# what the pcap trace costs: perf-2path through the perf_run example, each
# under /usr/bin/time -v for wall time and peak RSS. Prints Markdown rows:
# | rate | duration | trace | wall s | events | data packets | events/s |
#   simulated s per wall s | data packets per wall s | ns per data packet | peak RSS |
# Usage: scripts/bench/scaling.sh   (from the repository; builds perf_run)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
cargo build --release -p experiments --example perf_run >/dev/null 2>&1
BIN=target/release/examples/perf_run
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
row() { # seconds rate_mbps [pcap]
    local secs=$1 rate=$2 pcap=${3:-}
    local out
    out=$(/usr/bin/time -v "$BIN" "$secs" "$rate" ${pcap:+"$TMP/trace.pcap"} 2>"$TMP/time")
    local rss wall events pkts
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time")
    wall=$(echo "$out" | sed -E 's/.* ([0-9.]+) s wall.*/\1/')
    events=$(echo "$out" | sed -E 's/.*: ([0-9]+) events.*/\1/')
    pkts=$(echo "$out" | sed -E 's/.*events, ([0-9]+) downlink.*/\1/')
    local trace="off"
    if [ -n "$pcap" ]; then trace="pcap ($(( $(stat -c %s "$TMP/trace.pcap") / 1000000 )) MB)"; fi
    awk -v r="$rate" -v s="$secs" -v t="$trace" -v w="$wall" -v e="$events" -v p="$pkts" -v m="$rss" 'BEGIN {
        printf "| %d Mb/s | %d s | %s | %.3f | %d | %d | %.2f M | %.1f | %.2f M | %.0f | %.1f MB |\n",
            r, s, t, w, e, p, e / w / 1e6, s / w, p / w / 1e6, w * 1e9 / p, m / 1024
    }'
}
echo "| link rate | simulated | trace | wall s | events | data packets | events/s | sim s per wall s | data pkts per wall s | ns per data packet | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for rate in 10 100 1000; do row 10 "$rate"; done
for secs in 6 60 600; do row "$secs" 100; done
row 10 100 pcap
