#!/bin/bash
# Runs an mpsim sweep as N shards with GNU parallel (J at a time) on one
# machine, or over SSH with parallel's -S, then merges them.
# Usage: parallel.sh SWEEP OUT N [J]
set -euo pipefail
SWEEP=$1
OUT=$2
N=$3
J=${4:-2}
mkdir -p "$OUT"
parallel -j "$J" --joblog "$OUT/joblog.tsv" --halt now,fail=1 \
    mpsim sweep "$SWEEP" --out "$OUT/shard-{}" --shard "{}/$N" --jobs 1 --resume --progress quiet \
    ::: $(seq 0 $((N - 1)))
mpsim merge --out "$OUT/merged" $(for i in $(seq 0 $((N - 1))); do printf '%s ' "$OUT/shard-$i"; done)
