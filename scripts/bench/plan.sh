#!/usr/bin/env bash
# plan.sh [N] - time `mlk plan` of the embedded profiles (goal, issue 15: 50 ms), next to
# `mlk version` (process start alone), N runs each (default 21), interleaved. Prints per
# command the median wall time and the median CPU time (user + sys: what the machine's load
# does not stretch), then plan_ms=MEDIAN_WALL (of `plan -p mono`). Needs nothing but the build.
# Env: MLK_BIN (default: cargo build --release); MLK_BASE_BIN (another build, e.g. before a
# change: the same commands, interleaved, as `base ...` lines).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-21}
if [ -z "${MLK_BIN:-}" ]; then
  cargo build --release --quiet
  MLK_BIN=$PWD/target/release/mlk
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
python3 - "$MLK_BIN" "$n" "$home" "${MLK_BASE_BIN:-}" <<'PY'
import os, resource, statistics, subprocess, sys, time

mlk, n, home, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
args = {
    "version": ["version"],
    "plan -p mono": ["plan", "-p", "mono"],
    "plan -p distributed": ["plan", "-p", "distributed"],
}
cmds = {k: [mlk, *a] for k, a in args.items()}
if base:
    cmds.update({f"base {k}": [base, *a] for k, a in args.items()})
env = dict(os.environ, MLK_HOME=home)
wall = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
for _ in range(n):
    for k, args in cmds.items():
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[k].append(1000 * (t1 - t0))
        cpu[k].append(1000 * (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
print(f"median of {n} runs (ms)")
for k in cmds:
    print(f"  mlk {k:27} wall {statistics.median(wall[k]):6.1f}  cpu {statistics.median(cpu[k]):6.1f}")
print(f"plan_ms={statistics.median(wall['plan -p mono']):.1f}", end="")
if base:
    print(f" base_plan_ms={statistics.median(wall['base plan -p mono']):.1f}", end="")
print()
PY
