#!/usr/bin/env bash
# The test command (README "Development", docs/development.md): lints, then the whole suite. Needs root for the
# network-namespace test hosts, and the packages .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
# Windows: a compile check (check + clippy for x86_64-pc-windows-gnu), docs/platforms.md.
scripts/windows-check.sh
cargo test --locked
