#!/usr/bin/env bash
# report.sh [N] - time `mlk report` of two runs (18 charts as SVG+PNG) against a real influxd
# inside a test host, through the SSH tunnel; the export of each run's samples at its end
# (time, points, gzip bytes); and `mlk report` from the exported files; N times (default 3).
# Needs root (namespaces) and the influxdb package. Uses the report::tunnel and
# report::outlive tests' setups; the tests themselves assert nothing on time.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-3}
cargo test --quiet --test integration --no-run
for i in $(seq 1 "$n"); do
  for t in report::tunnel report::outlive; do
    MLK_BENCH=1 cargo test --quiet --test integration "$t" -- --nocapture 2>&1 |
      grep '^bench:' | sed "s/^/run $i: /"
  done
done
