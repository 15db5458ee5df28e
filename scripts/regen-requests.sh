#!/usr/bin/env bash
# Rewrites src/profile/requests.yaml from the real artifacts: every Helm release rendered by
# its vendored chart with mlk's values, and the Kubeflow build (tests/requests_table.rs).
# Run after changing a values template, a chart version or the Kubeflow overlay; review the
# diff, then commit it with the change.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
MLK_REGENERATE=requests cargo test --locked --test integration -- requests_table::requests_table_matches_the_rendered_manifests
git diff --stat -- src/profile/requests.yaml
