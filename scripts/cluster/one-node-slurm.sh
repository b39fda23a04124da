#!/bin/bash
# Tests docs/cluster.md: starts a one-node Slurm (Debian's slurmctld, slurmd
# and munge, started by hand: no systemd needed), submits a built-in sweep
# as a job array of shards plus a merge job with submit.sh, runs it again
# with GNU parallel (parallel.sh), and checks that both merged results.csv
# and summary.csv are byte-identical to the unsharded sweep's.
#
# Usage (as root, from the repository): scripts/cluster/one-node-slurm.sh [SWEEP] [N]
# Installs slurmctld, slurmd, slurm-client, munge and parallel with apt-get
# when they are missing. Leaves its files in target/cluster-test.
set -euo pipefail
SWEEP=${1:-aggregate-rtt-ratio}
N=${2:-4}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/scripts/cluster"
WORK="$ROOT/target/cluster-test"

need=()
for c in slurmctld slurmd sbatch munged parallel; do
    command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || need+=("$c")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing Slurm, munge and GNU parallel (missing: ${need[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge parallel >/dev/null
fi

(cd "$ROOT" && cargo build --release --bin mpsim)
export PATH="$ROOT/target/release:$PATH"

rm -rf "$WORK"
mkdir -p "$WORK/etc" "$WORK/spool/ctld" "$WORK/spool/d" "$WORK/log"
cd "$WORK"

# munge: a key, and the daemon, unless one is already answering (one
# started here is stopped on exit: a daemon left behind keeps whatever
# descriptors it inherited, a lock file of the caller's among them).
STARTED_MUNGE=0
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    [ -s /etc/munge/munge.key ] || mungekey --create --force
    chown munge: /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge && chown munge: /run/munge
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGE=1
fi

HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
export SLURM_CONF="$WORK/etc/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=mpsim-test
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
StateSaveLocation=$WORK/spool/ctld
SlurmdSpoolDir=$WORK/spool/d
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

stop_daemons() {
    for p in "$WORK/slurmd.pid" "$WORK/slurmctld.pid"; do
        [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
    done
    if [ "$STARTED_MUNGE" = 1 ]; then
        pkill -x munged 2>/dev/null || true
    fi
}
trap stop_daemons EXIT
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo

echo "== the unsharded sweep"
mpsim sweep "$SWEEP" --out "$WORK/whole" --progress quiet

echo "== Slurm: $N shards, 2 at a time, then the merge job"
MERGE=$("$HERE/submit.sh" "$SWEEP" "$WORK/slurm" "$N" 2)
echo "merge job $MERGE"
for _ in $(seq 600); do
    [ -z "$(squeue -h)" ] && break
    sleep 1
done
if [ -n "$(squeue -h)" ]; then
    squeue
    echo "FAIL: jobs still queued after 10 minutes" >&2
    exit 1
fi
cat logs/mpsim-merge_"$MERGE".out
for f in results.csv summary.csv; do
    cmp "$WORK/whole/$f" "$WORK/slurm/merged/$f"
done
echo "Slurm: merged results.csv and summary.csv are identical to the unsharded sweep's"

echo "== GNU parallel: 3 shards, 2 at a time"
"$HERE/parallel.sh" "$SWEEP" "$WORK/parallel" 3 2
for f in results.csv summary.csv; do
    cmp "$WORK/whole/$f" "$WORK/parallel/merged/$f"
done
echo "GNU parallel: merged results.csv and summary.csv are identical to the unsharded sweep's"
echo "PASS"
