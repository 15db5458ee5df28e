#!/usr/bin/env bash
# vagrant-up.sh [CASE...]: time to SSH-ready of libvirt VMs (QEMU software emulation) brought up
# by `mlk up`, through scripts/e2e-libvirt.sh (so each case is a full, torn-down e2e run).
# Cases: mono (1 VM), distributed-parallel (3 VMs, one `vagrant up --parallel`),
# distributed-sequential (3 VMs, `--no-parallel`). Default: all three. Heavy: run it on an
# otherwise idle machine, and note the load average it prints, since TCG speed is CPU speed.
# SSH-ready = Vagrant's "Machine booted and ready!" (SSH login works, insecure key swapped),
# measured from the first line of the `machines` stage, from mlk.log's timestamps (1 s).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(mono distributed-parallel distributed-sequential)
secs() { date -u -d "$1" +%s; }
for c in "${cases[@]}"; do
  case "$c" in
    mono) profile=mono mode=parallel ;;
    distributed-parallel) profile=distributed mode=parallel ;;
    distributed-sequential) profile=distributed mode=sequential ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
  load=$(cut -d' ' -f1 /proc/loadavg)
  out=$(mktemp)
  MLK_VAGRANT_UP=$mode KEEP_LOGS=1 "$repo/scripts/e2e-libvirt.sh" "$profile" 2>&1 | tee "$out" >&2
  logs=$(grep -m1 -o '/tmp/mlk-[0-9a-f]*-logs' "$out")
  log=$logs/mlk.log
  start=$(grep -m1 ' host machines | ' "$log" | cut -d' ' -f1)
  ready=$(grep 'Machine booted and ready' "$log" | tail -1 | cut -d' ' -f1)
  upd=$(grep -o 'mlk up (machines, os-prep, e2e-probe): [0-9]*s' "$out" | grep -o '[0-9]*s$')
  printf '%-24s ssh-ready %4ss  mlk-up(3 stages) %6s  load-before %s\n' \
    "$c" "$(( $(secs "$ready") - $(secs "$start") ))" "$upd" "$load"
  rm -f "$out"
done
