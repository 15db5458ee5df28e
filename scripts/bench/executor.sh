#!/usr/bin/env bash
# Benchmark of the stage executor (docs/development.md, "`mlk up` tests and benchmark"). Needs root (test hosts in
# network namespaces). On 3 test hosts, the same plan of N short commands per node
# (default 30) is run three ways in one session:
#   - mlk up (custom stages, every node concurrently per stage, one SSH session per node),
#   - ansible-playbook (ansible-core in a venv under .tools; linear strategy, pipelining on,
#     ControlPersist: its fastest stock setup),
#   - a plain sequential ssh loop (one ssh per command, node after node).
# and mlk again on 1 node, to see what running per-node stages on 3 nodes costs.
# Every run starts from a fresh cluster folder, so mlk does all the work each time.
# Last line: ratio_vs_ansible=R ratio_3_vs_1=R ratio_vs_ssh_loop=R (mlk time / other time).
# Env: MLK_BIN (default: cargo build --release), BENCH_CMDS (30), BENCH_REPS (3).
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
VENV=$ROOT/.tools/ansible-venv
if [ ! -x "$VENV/bin/ansible-playbook" ]; then
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
# Runs "$@" REPS times; prints the median wall time in seconds.
timeit() {
  local t=() s e r
  for ((r = 0; r < REPS; r++)); do
    s=$(now)
    "$@" >"$WORK/last.out" 2>&1 || { cat "$WORK/last.out" >&2; echo "executor.sh: failed: $*" >&2; exit 1; }
    e=$(now)
    t+=("$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((REPS + 1) / 2))p"
}

run_mlk() { # $1 = node count, $2 = inventory
  local d
  d=$(mktemp -d "$WORK/mlk.XXXX")
  "$MLK_BIN" --dir "$d" --progress never up --provider ssh --inventory "$2" -p "$WORK/bench$1.yaml" --only "$ONLY"
}
run_ansible() {
  ANSIBLE_CONFIG=$WORK/ansible.cfg "$VENV/bin/ansible-playbook" -i "$WORK/hosts.ini" "$WORK/playbook.yml"
}
run_ssh_loop() {
  local n i
  for n in node1 node2 node3; do
    for ((i = 1; i <= CMDS; i++)); do
      ssh -F "$CFG3" -o BatchMode=yes "$n" "$(cmd "$i")"
    done
  done
}

mlk3=$(timeit run_mlk 3 "$CFG3")
mlk1=$(timeit run_mlk 1 "$CFG1")
ans=$(timeit run_ansible)
loop=$(timeit run_ssh_loop)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf 'commands per node: %s, median of %s runs (seconds)\n' "$CMDS" "$REPS"
printf '  mlk, 3 nodes:          %.2f\n' "$mlk3"
printf '  mlk, 1 node:           %.2f\n' "$mlk1"
printf '  ansible-playbook, 3:   %.2f\n' "$ans"
printf '  sequential ssh loop, 3: %.2f\n' "$loop"
echo "ratio_vs_ansible=$(ratio "$mlk3" "$ans") ratio_3_vs_1=$(ratio "$mlk3" "$mlk1") ratio_vs_ssh_loop=$(ratio "$mlk3" "$loop")"
