#!/usr/bin/env bash
# Debian's docker.io engine (dockerd 20.10 + containerd) and docker-registry (distribution
# 2.8) for tests/registry_mirror.rs, installed WITHOUT starting their services: the test runs
# each daemon inside a test-host namespace, and a dockerd or registry in this machine's own
# namespace would add docker0 and iptables rules and listen on :5000. Both packages ship
# init.d scripts that invoke-rc.d would start, so a policy-rc.d that refuses every start is in
# place during the install (an existing one, as CI images often have, is left as it is).
# Idempotent: nothing to do once both are installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in docker.io docker-registry; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "60-registry: docker.io and docker-registry are installed"
  exit 0
fi
policy=/usr/sbin/policy-rc.d
created=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from .ci/setup.d/60-registry.sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  created=1
fi
trap '[ -z "$created" ] || rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "60-registry: installed ${missing[*]} (services not started)"
