#!/usr/bin/env bash
# Benchmark of the stage executor (docs/development.md, "`mlk up` tests and benchmark"). Needs root (test hosts in
# network namespaces). On 3 test hosts, the same plan of N short commands per node
# (default 30) is run three ways in one session:
#   - mlk up (custom stages, every node concurrently per stage, one SSH session per node),
#   - ansible-playbook (ansible-core in a venv under .tools; linear strategy, pipelining on,
#     ControlPersist: its fastest stock setup),
#   - a plain sequential ssh loop (one ssh per command, node after node),
#   - the physical floor: one multiplexed OpenSSH connection per node (ControlMaster, opened
#     inside the timing), the command lines mlk sends run back to back over it, nodes in
#     parallel: the SSH round trips and remote processes every run needs, nothing else;
# and mlk again on 1 node, to see what running per-node stages on 3 nodes costs, and a no-op
# re-run of the finished 3-node cluster (every stage recorded done: nothing to do).
# Every timed `mlk up` but the no-op starts from a fresh cluster folder, so mlk does all the
# work each time.
# Last lines: ratio_vs_ansible=R ratio_3_vs_1=R ratio_vs_ssh_loop=R ratio_vs_floor=R (mlk time /
# other time), then noop_s=S. Goals (issue 15): ratio_vs_floor <= 1.3, noop_s <= 2.
# Env: MLK_BIN (default: cargo build --release), BENCH_CMDS (30), BENCH_REPS (3),
# ANSIBLE_VENV (default .tools/ansible-venv), BENCH_QUICK=1 (only mlk on 3 nodes, the floor
# and the no-op: for trying a change), MLK_BASE_BIN (another mlk build, e.g. before a change:
# its 3-node run and no-op in the same rounds, with its ratio_vs_floor).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CMDS=${BENCH_CMDS:-30}
REPS=${BENCH_REPS:-3}
[ "$(id -u)" = 0 ] || { echo "executor.sh: needs root (network namespaces)" >&2; exit 1; }

if [ -z "${MLK_BIN:-}" ]; then
  cargo build --release --quiet
  MLK_BIN=$ROOT/target/release/mlk
fi

# Ansible from PyPI, once, into .tools (never the system Python).
VENV=${ANSIBLE_VENV:-$ROOT/.tools/ansible-venv}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" != 1 ] && [ ! -x "$VENV/bin/ansible-playbook" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet ansible-core
fi

WORK=$(mktemp -d /tmp/mlk-bench.XXXXXX)
LAB_PREFIX="mbx$(printf '%04x' $((RANDOM % 65536)))"
export LAB_PREFIX LAB_DIR=$WORK/lab
cleanup() { bash "$ROOT/scripts/testhosts.sh" down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
CFG3=$(bash "$ROOT/scripts/testhosts.sh" up 3 | tail -n1)
# The 1-node inventory: node1's block only (mlk refuses hosts that are not profile nodes).
CFG1=$WORK/ssh_config1
awk '/^Host /{keep = ($2 == "node1")} keep' "$CFG3" >"$CFG1"

cmd() { echo "echo step $1 on \$(hostname) >/dev/null"; }
# The command line mlk sends for stage step$1 on node $2 (executor/node.rs, custom stages).
wire() { printf "MLK_STAGE='step%s' MLK_NODE='%s' bash -c '%s'" "$1" "$2" "$(cmd "$1" | sed "s/'/'\\\\''/g")"; }

profile() { # $1 = node count
  local n=$1 i
  {
    echo "apiVersion: mlk.io/v1alpha1"
    echo "kind: Profile"
    echo "name: bench$n"
    echo "provider: libvirt"
    echo "box: {name: mlk/bookworm}"
    echo "nodes:"
    for ((i = 1; i <= n; i++)); do
      roles="[worker]"; [ "$i" = 1 ] && roles="[controlplane, etcd, worker]"
      echo "  - {name: node$i, ip: 192.168.56.$((9 + i)), cpus: 2, memory: 2048, roles: $roles}"
    done
    echo "components:"
    for c in local-path cert-manager rancher tick kubeflow; do echo "  $c: {enabled: false}"; done
    echo "stages:"
    local after=docker
    for ((i = 1; i <= CMDS; i++)); do
      echo "  - {id: step$i, after: $after, run: '$(cmd "$i")'}"
      after=step$i
    done
  } >"$WORK/bench$n.yaml"
}
profile 1
profile 3
ONLY=$(seq -s, -f 'step%g' 1 "$CMDS")

{
  echo "- hosts: all"
  echo "  gather_facts: false"
  echo "  tasks:"
  for ((i = 1; i <= CMDS; i++)); do
    echo "    - name: step$i"
    echo "      shell: $(cmd "$i")"
  done
} >"$WORK/playbook.yml"
{
  echo "[all]"
  for i in 1 2 3; do echo "node$i"; done
  echo "[all:vars]"
  echo "ansible_ssh_common_args=-F $CFG3"
  echo "ansible_python_interpreter=/usr/bin/python3"
} >"$WORK/hosts.ini"
cat >"$WORK/ansible.cfg" <<CFG
[defaults]
host_key_checking = False
forks = 10
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = $WORK/cp
CFG

now() { date +%s.%N; }
# Runs each function named in "$@" once per round, REPS rounds (interleaved, so a change in the
# machine's load hits all alike); the median wall time of each, in seconds, goes to
# $WORK/t.<name>.
timeall() {
  local r f s e
  for ((r = 0; r < REPS; r++)); do
    for f in "$@"; do
      s=$(now)
      "$f" >"$WORK/last.out" 2>&1 || { cat "$WORK/last.out" >&2; echo "executor.sh: failed: $f" >&2; exit 1; }
      e=$(now)
      awk -v a="$s" -v b="$e" 'BEGIN { print b - a }' >>"$WORK/times.$f"
    done
  done
  for f in "$@"; do sort -n "$WORK/times.$f" | sed -n "$(((REPS + 1) / 2))p" >"$WORK/t.$f"; done
}
t() { cat "$WORK/t.$1"; }

run_mlk() { # $1 = node count, $2 = inventory, $3 = parent of the cluster folder (default $WORK)
  local d
  d=$(mktemp -d "${3:-$WORK}/mlk.XXXX")
  "$MLK_BIN" --dir "$d" --progress never up --provider ssh --inventory "$2" -p "$WORK/bench$1.yaml" --only "$ONLY"
}
ansible() {
  ANSIBLE_CONFIG=$WORK/ansible.cfg "$VENV/bin/ansible-playbook" -i "$WORK/hosts.ini" "$WORK/playbook.yml"
}
ssh_loop() {
  local n i
  for n in node1 node2 node3; do
    for ((i = 1; i <= CMDS; i++)); do
      ssh -F "$CFG3" -o BatchMode=yes "$n" "$(cmd "$i")"
    done
  done
}

floor() {
  local n
  for n in node1 node2 node3; do
    (
      local sock=$WORK/cm-$n i
      ssh -F "$CFG3" -o BatchMode=yes -o ControlMaster=yes -o ControlPath="$sock" -o ControlPersist=no -f -N "$n"
      for ((i = 1; i <= CMDS; i++)); do
        ssh -F "$CFG3" -o BatchMode=yes -o ControlPath="$sock" "$n" "$(wire "$i" "$n")"
      done
      ssh -F "$CFG3" -o ControlPath="$sock" -O exit "$n" 2>/dev/null
    ) &
  done
  wait
}
# The finished cluster of the no-op: one full run first, then the timed re-runs.
NOOP=$WORK/noop
"$MLK_BIN" --dir "$NOOP" --progress never up --provider ssh --inventory "$CFG3" -p "$WORK/bench3.yaml" --only "$ONLY" >"$WORK/noop.out" 2>&1 ||
  { cat "$WORK/noop.out" >&2; exit 1; }
noop() {
  "$MLK_BIN" --dir "$NOOP" --progress never up -c bench3 --only "$ONLY"
  grep -q 'nothing to do' "$WORK/last.out"
}

mlk3() { run_mlk 3 "$CFG3"; }
mlk1() { run_mlk 1 "$CFG1"; }
# The same run with the cluster folder on tmpfs, where fsync costs nothing: the difference is
# what the durable state writes cost.
SHM=$(mktemp -d /dev/shm/mlk-bench.XXXXXX)
trap 'cleanup; rm -rf "$SHM"' EXIT
mlk3_tmpfs() { run_mlk 3 "$CFG3" "$SHM"; }
start() { "$MLK_BIN" version; }
# OpenSSH's connection setup alone: the floor's three masters opened and closed, in parallel.
connect() {
  local n
  for n in node1 node2 node3; do
    (
      ssh -F "$CFG3" -o BatchMode=yes -o ControlMaster=yes -o ControlPath="$WORK/cc-$n" -o ControlPersist=no -f -N "$n"
      ssh -F "$CFG3" -o ControlPath="$WORK/cc-$n" -O exit "$n" 2>/dev/null
    ) &
  done
  wait
}
# One durable state write as mlk makes it (temp file, fsync, rename, fsync of the folder), of
# the finished state's size, in the same file system; 20 of them.
state_writes() {
  python3 - "$NOOP" <<'PY'
import os, sys
d = sys.argv[1]
data = open(os.path.join(d, "bench3", "state.json"), "rb").read()
for _ in range(20):
    tmp = os.path.join(d, ".bench-tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(d, ".bench-state"))
    fd = os.open(d, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
PY
}

base_mlk3() { MLK_BIN=$MLK_BASE_BIN run_mlk 3 "$CFG3"; }
base_noop() {
  "$MLK_BASE_BIN" --dir "$NOOP" --progress never up -c bench3 --only "$ONLY"
  grep -q 'nothing to do' "$WORK/last.out"
}
jobs=(mlk3 floor noop mlk3_tmpfs)
[ -z "${MLK_BASE_BIN:-}" ] || jobs+=(base_mlk3 base_noop)
[ "$QUICK" = 1 ] || jobs+=(start connect state_writes mlk1 ansible ssh_loop)
timeall "${jobs[@]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ms() { awk -v a="$1" -v n="${2:-1}" 'BEGIN { printf "%.1f", 1000 * a / n }'; }
writes=$(python3 -c 'import json,sys; print(2 * sum(len(v) for v in json.load(open(sys.argv[1]))["stages"].values()))' "$NOOP/bench3/state.json")
printf 'commands per node: %s, median of %s interleaved rounds (seconds)\n' "$CMDS" "$REPS"
printf '  mlk, 3 nodes:                    %.2f\n' "$(t mlk3)"
printf '  floor (ControlMaster), 3:        %.2f\n' "$(t floor)"
printf '  mlk, 3 nodes, folder on tmpfs:   %.2f  (durable state writes cost %.2f)\n' "$(t mlk3_tmpfs)" \
  "$(awk -v a="$(t mlk3)" -v b="$(t mlk3_tmpfs)" 'BEGIN { print a - b }')"
printf '  mlk no-op re-run, 3:             %.2f\n' "$(t noop)"
if [ -n "${MLK_BASE_BIN:-}" ]; then
  printf '  base mlk, 3 nodes:               %.2f  (%s)\n' "$(t base_mlk3)" "$MLK_BASE_BIN"
  printf '  base mlk no-op re-run, 3:        %.2f\n' "$(t base_noop)"
  echo "base_ratio_vs_floor=$(ratio "$(t base_mlk3)" "$(t floor)") base_noop_s=$(t base_noop)"
fi
if [ "$QUICK" != 1 ]; then
  printf '  mlk, 1 node:                     %.2f\n' "$(t mlk1)"
  printf '  ansible-playbook, 3:             %.2f\n' "$(t ansible)"
  printf '  sequential ssh loop, 3:          %.2f\n' "$(t ssh_loop)"
  echo "where the time goes:"
  printf '  process start (mlk version):     %s ms\n' "$(ms "$(t start)")"
  printf '  SSH connection setup (OpenSSH, 3 in parallel): %s ms\n' "$(ms "$(t connect)")"
  printf '  one durable state write here:    %s ms; a 3-node run records %s changes\n' "$(ms "$(t state_writes)" 20)" "$writes"
  echo "ratio_vs_ansible=$(ratio "$(t mlk3)" "$(t ansible)") ratio_3_vs_1=$(ratio "$(t mlk3)" "$(t mlk1)") ratio_vs_ssh_loop=$(ratio "$(t mlk3)" "$(t ssh_loop)") ratio_vs_floor=$(ratio "$(t mlk3)" "$(t floor)")"
else
  echo "ratio_vs_floor=$(ratio "$(t mlk3)" "$(t floor)")"
fi
echo "noop_s=$(awk -v a="$(t noop)" 'BEGIN { printf "%.3f", a }')"
