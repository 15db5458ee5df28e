#!/usr/bin/env bash
# Long kill -9 soak of `mlk up` (docs/development.md, docs/reliability.md) on the release binary.
# Each kill lands at a random point of a run on real sshd test hosts (scripts/testhosts.sh);
# a kill point is correct when, right after it, no stage is recorded done that did not finish,
# and the run that resumes then finishes every stage exactly once per node. Needs root.
#   scripts/soak-kill.sh [N]   N kill points in all (default 200): half on 1 node, half on 3
# Prints `correct=K/N` last; exits non-zero unless K = N.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "usage: $0 [N >= 1]" >&2; exit 2; }
cargo build --release --locked
export MLK_BIN="$PWD/target/release/mlk"
export MLK_SOAK=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
one=$((n - n / 2))
three=$((n / 2))
for spec in "one_node:$one" "three_nodes:$three"; do
  test=${spec%%:*}
  kills=${spec##*:}
  [ "$kills" -gt 0 ] || continue
  MLK_KILLS=$kills cargo test --locked --test integration \
    "up::kill::kill_9_at_random_points_then_resume_$test" -- --exact --nocapture \
    2>&1 | tee -a "$out" || status=1
done
# `soak: nodes=1 correct=K/N` per test; a test that died early has no line, so N is ours.
correct=$(awk -F'correct=' '/^soak: /{split($2, a, "/"); k += a[1]} END {print k + 0}' "$out")
echo "correct=$correct/$n"
[ "$status" -eq 0 ] && [ "$correct" -eq "$n" ]
