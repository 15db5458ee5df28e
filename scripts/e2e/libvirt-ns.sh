#!/usr/bin/env bash
# libvirt-ns.sh up|exec|down: libvirtd and virtlogd (no systemd needed) inside a private network
# namespace, so every bridge, dnsmasq and NAT rule that vagrant-libvirt creates exists only
# there. vagrant and anything that talks to a VM must run inside too (`libvirt-ns.sh exec ...`).
#   NS       namespace name (required; make it unique per run)
#   NS_DIR   folder for pid files and daemon logs (required)
# Needs root. libvirtd's control socket is machine-wide, so only one such run at a time:
# `up` refuses when a libvirtd is already running.
set -euo pipefail
: "${NS:?set NS}" "${NS_DIR:?set NS_DIR}"

alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
stop() {
  local f=$NS_DIR/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$f"
}

case "${1:-}" in
up)
  if pgrep -x libvirtd >/dev/null; then
    echo "libvirt-ns: a libvirtd is already running (pid $(pgrep -o -x libvirtd)); one run at a time" >&2
    exit 1
  fi
  mkdir -p "$NS_DIR"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  # Foreground daemons (no --daemon): their pids are the ones recorded.
  ip netns exec "$NS" virtlogd >"$NS_DIR/virtlogd.log" 2>&1 &
  echo $! >"$NS_DIR/virtlogd.pid"
  ip netns exec "$NS" libvirtd >"$NS_DIR/libvirtd.log" 2>&1 &
  echo $! >"$NS_DIR/libvirtd.pid"
  # The first start probes QEMU's capabilities: about 8 s on a fresh machine.
  for _ in $(seq 300); do virsh -q -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
  virsh -q -c qemu:///system version >/dev/null
  ;;
exec)
  shift
  exec ip netns exec "$NS" "$@"
  ;;
down)
  stop libvirtd
  stop virtlogd
  # dnsmasq instances libvirt started for its networks live in the namespace too.
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
  if ip netns list | grep -w "^$NS" >/dev/null; then ip netns del "$NS"; fi
  ;;
*)
  sed -n '2,9p' "$0"; exit 2
  ;;
esac
