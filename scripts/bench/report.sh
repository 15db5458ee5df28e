#!/usr/bin/env bash
# report.sh [N] - time `mlk report` of two runs (18 charts as SVG+PNG) against a real influxd
# inside a test host, through the SSH tunnel; the export of each run's samples at its end
# (time, points, gzip bytes); and `mlk report` from the exported files; N times (default 3).
# Needs root (namespaces) and the influxdb package. Uses the report::tunnel and
# report::outlive tests' setups; the tests themselves assert nothing on time.
#
# BASE=DIR (another checkout of mlk, e.g. `git worktree add /tmp/base main`): the same
# measurements of that checkout in the same run, alternating with this one, then per line
# the medians and this/base ratios (`ratio=` below 1: this checkout is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-3}
here=$PWD
out=$(mktemp)
trap 'rm -f "$out"' EXIT
trees=("$here")
if [ -n "${BASE:-}" ]; then
  trees=("$BASE" "$here")
fi
for t in "${trees[@]}"; do (cd "$t" && cargo test --quiet --test integration --no-run); done
for i in $(seq 1 "$n"); do
  for t in "${trees[@]}"; do
    label=this
    [ "$t" = "$here" ] || label=base
    for test in report::tunnel report::outlive; do
      (cd "$t" && MLK_BENCH=1 cargo test --quiet --test integration "$test" -- --nocapture 2>&1) |
        grep '^bench:' | sed "s/^/$label run $i: /" | tee -a "$out"
    done
  done
done
if [ -n "${BASE:-}" ]; then
  # Median seconds per measurement (the text up to the first `: N.NN s`), base and this.
  python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(base|this) run \d+: bench: (.*?): ([0-9.]+) s", line)
    if m:
        runs.setdefault(m[2], {}).setdefault(m[1], []).append(float(m[3]))
for what, by in runs.items():
    if "base" in by and "this" in by:
        b, t = statistics.median(by["base"]), statistics.median(by["this"])
        print(f"median: {what}: base {b:.2f} s, this {t:.2f} s, ratio={t / b:.2f}")
PY
fi
