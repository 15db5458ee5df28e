#!/usr/bin/env bash
# report.sh [N] - time `mlk report` of two runs (18 charts as SVG+PNG) against a real influxd
# inside a test host, through the SSH tunnel, N times (default 3). Needs root (namespaces) and
# the influxdb package. Uses the tunnel test's setup; the test itself asserts nothing on time.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-3}
cargo test --quiet --test integration --no-run
for i in $(seq 1 "$n"); do
  MLK_BENCH=1 cargo test --quiet --test integration report::tunnel -- --nocapture 2>&1 |
    grep '^bench:' | sed "s/^/run $i: /"
done
