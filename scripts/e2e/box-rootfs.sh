#!/usr/bin/env bash
# box-rootfs.sh ROOTDIR: a minimal Debian bookworm root file system for mlk's local libvirt box.
# The Debian mirror is taken from this machine's apt sources when the script runs, so no mirror
# address is ever written into the repository; the image keeps no apt sources or lists either.
# Needs root and debootstrap. About 75 s on a fresh 2-core machine.
set -euo pipefail
root=${1:?usage: box-rootfs.sh ROOTDIR}
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '$1 == "URIs:" { print $2; exit }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "box-rootfs: no Debian mirror in this machine's apt sources" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "box-rootfs: install debootstrap first" >&2; exit 1; }
# What a Vagrant guest and mlk's stages need: sshd, sudo, systemd, ifupdown (Vagrant's Debian
# guest plugin configures private networks through /etc/network/interfaces), python3, and what
# os-prep checks for, since the VMs have no package mirror: kmod (modprobe), git, curl, an NTP
# client (timedatectl set-ntp).
pkgs=linux-image-cloud-amd64,openssh-server,sudo,systemd-sysv,udev,dbus,iproute2,ifupdown
pkgs=$pkgs,isc-dhcp-client,ca-certificates,python3,procps,iputils-ping,netcat-openbsd,curl,rsync,less
pkgs=$pkgs,kmod,git,systemd-timesyncd
debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$mirror"
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
echo "# no apt sources: tests provide their own" > "$root/etc/apt/sources.list"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/var/log/bootstrap.log" "$root"/var/cache/apt/*.bin
if grep -rqs -- "$mirror" "$root/etc/apt" "$root/var/log"; then
  echo "box-rootfs: the mirror address is still inside the image" >&2; exit 1
fi
du -sh "$root"
