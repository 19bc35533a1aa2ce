#!/usr/bin/env bash
# A one-node SLURM cluster on localhost (Debian's slurm-wlm + munge, run as root) for trying docs/grids.md's
# job-array recipe: `scripts/slurm-local.sh start DIR` writes DIR/slurm.conf and starts munged, slurmctld and
# slurmd; `scripts/slurm-local.sh stop DIR` stops them. Clients need `export SLURM_CONF=DIR/slurm.conf`.
# Needs: apt-get install slurm-wlm munge (see docs/grids.md).
set -euo pipefail
cmd=${1:?usage: slurm-local.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: slurm-local.sh start|stop DIR}" && cd "$2" && pwd)
export SLURM_CONF=$dir/slurm.conf
host=$(hostname -s)
case $cmd in
start)
  for b in munged slurmctld slurmd sbatch; do command -v $b >/dev/null || { echo "slurm-local: $b not found; apt-get install slurm-wlm munge" >&2; exit 3; }; done
  # The node's real CPUs and memory (slurmd refuses a node configured larger than it is).
  node=$(slurmd -C | head -1)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" /run/munge
  chown munge:munge /run/munge
  [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
  cat > "$SLURM_CONF" <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 30); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then sinfo; exit 0; fi
    sleep 1
  done
  echo "slurm-local: the node did not come up; see $dir/log/" >&2; sinfo >&2 || true; exit 1
  ;;
stop)
  # Wait until each daemon has gone: slurmctld saves its state on the way out, and a caller that removes DIR at
  # once would race those writes (rm then fails with "directory not empty").
  for f in slurmd slurmctld; do
    [ -f "$dir/$f.pid" ] || continue
    pid=$(cat "$dir/$f.pid")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  ;;
*) echo "usage: slurm-local.sh start|stop DIR" >&2; exit 2 ;;
esac
