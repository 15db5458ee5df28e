#!/usr/bin/env bash
# kubernetes-validate (PyPI) for the schema tests: it bundles the OpenAPI schemas of
# Kubernetes 1.25-1.37 (strict and non-strict, `.0` of each minor) and validates offline.
# Installed into a venv (Debian 12's python3 refuses system-wide pip installs, PEP 668;
# python3-venv is in .ci/apt-packages), pinned with its dependencies, and linked into
# .tools/bin where the tests look. KV_DIR/BIN_DIR move it elsewhere. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
KV_DIR=${KV_DIR:-.tools/kubernetes-validate}
BIN_DIR=${BIN_DIR:-.tools/bin}
PINS=(
  kubernetes-validate==1.37.0
  jsonschema==4.26.0
  jsonschema-specifications==2025.9.1
  referencing==0.37.0
  rpds-py==2026.9.1
  attrs==26.1.0
  PyYAML==6.0.4
  importlib_resources==7.1.0
  packaging==26.4
  typing_extensions==4.16.0
)
if [ -x "$KV_DIR/bin/kubernetes-validate" ] &&
  [ "$("$KV_DIR/bin/python" -c 'import kubernetes_validate.version as v; print(v.__version__)')" = 1.37.0 ]; then
  echo "kubernetes-validate 1.37.0 already in $KV_DIR"
else
  rm -rf "$KV_DIR"
  python3 -m venv "$KV_DIR"
  "$KV_DIR/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}"
fi
mkdir -p "$BIN_DIR"
ln -sfn "$(cd "$KV_DIR" && pwd)/bin/kubernetes-validate" "$BIN_DIR/kubernetes-validate"
"$BIN_DIR/kubernetes-validate" --version
