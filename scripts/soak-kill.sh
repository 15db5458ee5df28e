#!/usr/bin/env bash
# Long kill -9 soak of `mlk up` (docs/development.md, "`mlk up` tests and benchmark"): the suite's kill test with many more
# kills. Each kill lands at a random point of a run on real sshd test hosts; after every kill
# no stage may be recorded done that did not finish, and the final run must complete with
# every stage finished exactly once per node. Needs root.
#   scripts/soak-kill.sh [KILLS_PER_TEST]   (default 200, on 1 node and on 3 nodes)
set -euo pipefail
cd "$(dirname "$0")/.."
MLK_KILLS=${1:-200} exec cargo test --test integration up::kill -- --nocapture --test-threads 2
