#!/usr/bin/env bash
# Real VMs end to end in CI: `scripts/e2e-libvirt.sh mono` (1 VM: mlk up through machines,
# os-prep and a custom stage, status, ssh, down, nothing left behind). About 2-3 min on an idle
# 2-core machine (the VM runs under software emulation). MLK_E2E_LIBVIRT=mono (default),
# `mono distributed` (adds the 3-VM run, about 3 min more) or off.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${MLK_E2E_LIBVIRT:-mono}
if [ "$runs" = off ]; then
  echo "90-e2e-libvirt: MLK_E2E_LIBVIRT=off, skipped"
  exit 0
fi
cargo build --locked --quiet
for p in $runs; do
  scripts/e2e-libvirt.sh "$p"
done
