#!/bin/bash
# Submits an mpsim sweep to Slurm as a job array of N shards (K at a time)
# and a merge job that starts when every shard has succeeded.
# Usage: submit.sh SWEEP OUT N [K]
# Prints the merge job's id; the merged sweep is OUT/merged.
set -euo pipefail
SWEEP=$1
OUT=$2
N=$3
K=${4:-$N}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p logs "$OUT"
ARRAY=$(sbatch --parsable --array="0-$((N - 1))%$K" "$HERE/sweep-array.sbatch" "$SWEEP" "$OUT")
SHARDS=$(for i in $(seq 0 $((N - 1))); do printf '%s ' "$OUT/shard-$i"; done)
sbatch --parsable --job-name=mpsim-merge --output=logs/%x_%j.out \
    --dependency="afterok:$ARRAY" \
    --wrap "mpsim merge --out $OUT/merged $SHARDS"
