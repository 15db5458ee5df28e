#!/usr/bin/env bash
# Real VMs for scripts/e2e-libvirt.sh: Debian's vagrant + vagrant-libvirt, libvirtd and QEMU
# (software emulation: this CI has no usable KVM), extlinux and debootstrap for the local box,
# then the box itself (cached in /var/tmp/mlk-vagrant-box). Measured on a fresh machine: about
# 25 s of packages + 75 s debootstrap + 10 s box.
# MLK_E2E_LIBVIRT=off skips all of it (then 90-e2e-libvirt.sh must be off too).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${MLK_E2E_LIBVIRT:-mono}" = off ]; then
  echo "50-libvirt: MLK_E2E_LIBVIRT=off, skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
# vagrant-libvirt comes through Recommends of vagrant; ask for it by name instead of taking
# every recommendation (which includes a kernel and initramfs-tools).
apt_get vagrant vagrant-libvirt ruby-libvirt
# The CI image may carry a newer qemu-utils (from backports) that Breaks the qemu-system of
# Debian 12; take the qemu-utils that matches qemu-system-x86, downgrading if needed.
# The readers consume all their input: a reader that stops early (`awk '... exit'`, `head`,
# `grep -q`) makes apt-cache die of SIGPIPE, and pipefail turns that into exit 141 whenever
# madison lists more than one qemu-utils (bookworm and bookworm-security both do).
sys_v=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/ && !v {v = $2} END {print v}')
utils_v=$(apt-cache madison qemu-utils | awk -v v="$sys_v" '!u && ($3 == v || index($3, v "+b") == 1) {u = $3} END {print u}')
apt_get --allow-downgrades qemu-system-x86 "qemu-utils${utils_v:+=$utils_v}"
apt_get libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base iptables \
  debootstrap extlinux syslinux-common
cache=${BOX_CACHE:-/var/tmp/mlk-vagrant-box}
if [ ! -f "$cache/mlk-bookworm.box" ]; then
  [ -d "$cache/rootfs/etc" ] || scripts/e2e/box-rootfs.sh "$cache/rootfs" >/dev/null
  scripts/e2e/box-build.sh "$cache/rootfs" "$cache" >/dev/null
fi
ls -la "$cache/mlk-bookworm.box"
