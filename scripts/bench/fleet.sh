#!/usr/bin/env bash
# Benchmark of `mlk fleet up` (docs/fleet.md, "Benchmark"). Needs root (test hosts in network
# namespaces). 12 test hosts (sshd in namespaces on this machine) make up to 6 clusters of 2
# nodes; each cluster runs STAGES custom stages (default 6), each a short shell loop and a
# 0.3 s pause on both nodes, through one inventory of `Host lab-NN-nodeJ` blocks. For
# N = 1, 3 and 6 clusters, a fresh mlk home and `mlk fleet up --count N` at the default K
# (from this host's CPUs: 4 per CPU for --provider ssh), BENCH_REPS times (default 3); the
# median is kept. Last line: ratio_6_vs_1=R k=K cpus=C (time for 6 clusters / time for 1).
# Env: MLK_BIN (default: cargo build --release), BENCH_REPS (3), BENCH_STAGES (6).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REPS=${BENCH_REPS:-3}
STAGES=${BENCH_STAGES:-6}
[ "$(id -u)" = 0 ] || { echo "fleet.sh: needs root (network namespaces)" >&2; exit 1; }

if [ -z "${MLK_BIN:-}" ]; then
  cargo build --release --quiet
  MLK_BIN=$ROOT/target/release/mlk
fi

WORK=$(mktemp -d /tmp/mlk-bench-fleet.XXXXXX)
LAB_PREFIX="mbf$(printf '%04x' $((RANDOM % 65536)))"
export LAB_PREFIX LAB_DIR=$WORK/lab
cleanup() { bash "$ROOT/scripts/testhosts.sh" down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
CFG=$(bash "$ROOT/scripts/testhosts.sh" up 12 | tail -n1)

# node K of the lab is lab-NN-nodeJ: cluster NN = (K+1)/2, node J = 1 or 2.
INV=$WORK/fleet.cfg
sed -E 's/^Host node([0-9]+)$/Host \1/' "$CFG" | while IFS= read -r line; do
  if [[ "$line" =~ ^Host\ ([0-9]+)$ ]]; then
    k=${BASH_REMATCH[1]}
    printf 'Host lab-%02d-node%d\n' $(((k + 1) / 2)) $(((k - 1) % 2 + 1))
  else
    printf '%s\n' "$line"
  fi
done >"$INV"

PROFILE=$WORK/course.yaml
{
  echo "apiVersion: mlk.io/v1alpha1"
  echo "kind: Profile"
  echo "name: course"
  echo "provider: libvirt"
  echo "box: {name: mlk/bookworm}"
  echo "nodes:"
  echo "  - {name: node1, ip: 192.168.56.10, cpus: 2, memory: 2048, roles: [controlplane, etcd, worker]}"
  echo "  - {name: node2, ip: 192.168.56.11, cpus: 2, memory: 2048, roles: [worker]}"
  echo "components:"
  for c in local-path cert-manager rancher tick kubeflow; do echo "  $c: {enabled: false}"; done
  echo "stages:"
  after=os-prep
  for ((s = 1; s <= STAGES; s++)); do
    echo "  - {id: work$s, after: $after, target: all-nodes, run: \"for i in \$(seq 200); do echo \$i; done >/dev/null; sleep 0.3\"}"
    after=work$s
  done
} >"$PROFILE"
ONLY=$(seq -s, -f 'work%g' 1 "$STAGES")

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

declare -A T
for n in 1 3 6; do
  times=()
  for ((r = 1; r <= REPS; r++)); do
    home=$WORK/home-$n-$r
    t0=$(date +%s.%N)
    if ! "$MLK_BIN" --dir "$home" --progress never fleet up -p "$PROFILE" --count "$n" \
      --provider ssh --inventory "$INV" --only "$ONLY" >"$WORK/out-$n-$r" 2>&1; then
      cat "$WORK/out-$n-$r" >&2
      echo "fleet.sh: fleet up --count $n failed" >&2
      exit 1
    fi
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
  done
  T[$n]=$(printf '%s\n' "${times[@]}" | median)
  k=$(grep -o '[0-9]* at a time' "$WORK/out-$n-1" | cut -d' ' -f1)
  printf 'N=%d clusters: %.2fs (median of %d; K=%s; runs: %s)\n' "$n" "${T[$n]}" "$REPS" "$k" "${times[*]}"
done
printf 'ratio_6_vs_1=%.2f k=%s cpus=%s\n' "$(awk -v a="${T[6]}" -v b="${T[1]}" 'BEGIN {print a / b}')" "$k" "$(nproc)"
