#!/usr/bin/env bash
# e2e-libvirt.sh mono|distributed: real VMs end to end.
# Debian's vagrant + vagrant-libvirt drive libvirtd + QEMU (software emulation, TCG) inside a
# network namespace this script creates; the Debian box is built locally (scripts/e2e/box-*.sh).
# Runs `mlk up --provider libvirt` through machines, os-prep and a custom stage, then
# `mlk status --json`, `mlk ssh node1 -- hostname`, `mlk stop` / `mlk start` (the VMs halt,
# come back, and the probe file survived), `mlk down --force`, and checks that no
# domain, volume, network, namespace, process or interface is left. Exit 0 only if all passed.
# Needs root and the packages of .ci/setup.d/50-libvirt.sh. Env:
#   BOX_CACHE  folder for the root fs and box, reused between runs (default /var/tmp/mlk-vagrant-box)
#   MLK        the mlk binary (default target/debug/mlk, built if missing)
#   TIMES      file to append "profile seconds" timings to (optional)
#   KEEP_LOGS  non-empty: keep mlk.log and the daemons' logs in /tmp/<prefix>-logs on success too
#   CAPTURE_DIR  save real `vagrant status`/`ssh-config` output of the running VMs there (optional)
#   DISTRIBUTION rke (default) or rke2: with rke2, `mlk up --distribution rke2`, and after the
#              probe the rke2-up stage, which puts each node's RKE2 configuration and token in
#              place first and then fails at the tarball download (the namespace has no
#              internet): the files, their modes and addresses are checked on the VM
set -euo pipefail
dist=${DISTRIBUTION:-rke}
case "$dist" in rke|rke2) ;; *) echo "e2e-libvirt: DISTRIBUTION is rke or rke2" >&2; exit 2 ;; esac
profile=${1:-}
case "$profile" in mono|distributed) ;; *) sed -n '2,12p' "$0"; exit 2 ;; esac
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "e2e-libvirt: needs root (network namespaces, libvirtd)" >&2
  exit 1
fi
for t in vagrant virsh libvirtd virtlogd qemu-system-x86_64 qemu-img debootstrap extlinux python3; do
  command -v "$t" >/dev/null || { echo "e2e-libvirt: $t missing; run .ci/setup.d/50-libvirt.sh" >&2; exit 1; }
done
ls -d /usr/share/rubygems-integration/all/gems/vagrant-libvirt-* >/dev/null 2>&1 ||
  { echo "e2e-libvirt: vagrant-libvirt missing; run .ci/setup.d/50-libvirt.sh" >&2; exit 1; }

prefix=mlk-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
export NS=$prefix-vm NS_DIR=/var/tmp/$prefix
lab=$NS_DIR
cache=${BOX_CACHE:-/var/tmp/mlk-vagrant-box}
box_name=$prefix/bookworm
mlk=${MLK:-$repo/target/debug/mlk}
[ -x "$mlk" ] || (cd "$repo" && cargo build --quiet)
ns() { "$repo/scripts/e2e/libvirt-ns.sh" exec "$@"; }
virsh() { command virsh -q -c qemu:///system "$@"; }
step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }
fail() { echo "e2e-libvirt: FAIL: $*" >&2; exit 1; }

pool_file=/etc/libvirt/storage/default.xml
pool_existed=no; [ -f "$pool_file" ] && pool_existed=yes
links_before=$(ip -o link | awk -F': ' '{print $2}' | sort)

teardown() {
  set +e
  if [ -f "$NS_DIR/libvirtd.pid" ]; then
    # Anything `mlk down` did not remove (a failed run): domains, our box volume, networks.
    for d in $(virsh list --all --name | grep "^mlk-e2e-"); do virsh destroy "$d" >/dev/null 2>&1; virsh undefine "$d" --remove-all-storage >/dev/null 2>&1; done
    for v in $(virsh vol-list default 2>/dev/null | awk '{print $1}' | grep -E "^(mlk-e2e-|${prefix}-VAGRANTSLASH-)"); do virsh vol-delete "$v" --pool default >/dev/null; done
    for n in $(virsh net-list --all --name | grep -v '^default$'); do virsh net-destroy "$n" >/dev/null 2>&1; virsh net-undefine "$n" >/dev/null 2>&1; done
    if [ "$pool_existed" = no ]; then virsh pool-destroy default >/dev/null 2>&1; virsh pool-undefine default >/dev/null 2>&1; fi
  fi
  "$repo/scripts/e2e/libvirt-ns.sh" down
  rm -rf "$lab"
  set -e
}
on_exit() {
  local rc=$?
  if [ "$rc" != 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
    # Keep what explains the failure; the lab folder itself is removed.
    mkdir -p "/tmp/$prefix-logs"
    cp "$lab"/clusters/*/mlk.log "$NS_DIR"/*.log "/tmp/$prefix-logs/" 2>/dev/null
  fi
  if [ "$rc" != 0 ]; then
    echo "e2e-libvirt: logs kept in /tmp/$prefix-logs; mlk.log tail:" >&2
    tail -n 30 "$lab"/clusters/*/mlk.log >&2 2>/dev/null
  fi
  teardown
  exit "$rc"
}
trap on_exit EXIT

step "box"
if [ ! -f "$cache/mlk-bookworm.box" ]; then
  [ -d "$cache/rootfs/etc" ] || "$repo/scripts/e2e/box-rootfs.sh" "$cache/rootfs"
  "$repo/scripts/e2e/box-build.sh" "$cache/rootfs" "$cache"
fi

step "libvirtd in namespace $NS"
"$repo/scripts/e2e/libvirt-ns.sh" up
export VAGRANT_HOME=$lab/vagrant-home VAGRANT_CHECKPOINT_DISABLE=1 HOME=$lab/home
mkdir -p "$HOME"
ns vagrant box add --name "$box_name" "$cache/mlk-bookworm.box" >/dev/null

sed "s#@BOX@#$box_name#" "$repo/tests/e2e/libvirt-$profile.yaml" > "$lab/profile.yaml"
cluster=e2e-$profile
m() { ns "$mlk" --dir "$lab/clusters" --progress never "$@"; }

step "mlk up"
t0=$SECONDS
m up --provider libvirt --profile "$lab/profile.yaml" --distribution "$dist" --only machines,os-prep,e2e-probe --destroy-on-failure
up_s=$((SECONDS - t0))
echo "mlk up (machines, os-prep, e2e-probe): ${up_s}s"
[ -n "${TIMES:-}" ] && echo "$profile mlk-up ${up_s}" >> "$TIMES"

if [ -n "${CAPTURE_DIR:-}" ]; then
  # Real output for the parser tests (tests/fixtures/vagrant/).
  (cd "$lab/clusters/$cluster/rendered" && VAGRANT_DEFAULT_PROVIDER=libvirt ns vagrant status --machine-readable) \
    > "$CAPTURE_DIR/status-libvirt-running.txt"
  (cd "$lab/clusters/$cluster/rendered" && ns vagrant ssh-config --machine-readable) \
    > "$CAPTURE_DIR/ssh-config-libvirt-running.txt"
fi

step "mlk status --json"
set +e
m status -c "$cluster" --json > "$lab/status.json"
status_rc=$?
set -e
# Not every stage of the plan ran (docker, rke... were left out), so "not fully up" = 1.
[ "$status_rc" = 1 ] || fail "mlk status exited $status_rc, expected 1 (stages left out)"
python3 - "$lab/status.json" "$cluster" "$dist" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
k8s = {"rke": "rke-up", "rke2": "rke2-up"}[sys.argv[3]]
assert r["cluster"] == sys.argv[2], r["cluster"]
assert r["provider"] == "vagrant/libvirt", r["provider"]
assert r["machines"] and all(m["state"] == "running" for m in r["machines"]), r["machines"]
st = {s["id"]: s["status"] for s in r["stages"]}
for s in ("machines", "os-prep", "e2e-probe"):
    assert st[s] == "done", (s, st[s])
assert st[k8s] == "pending", st
assert (sys.argv[3] == "rke2") == ("docker" not in st), st
assert r["fully_up"] is False
print("status ok:", [m["name"] for m in r["machines"]], {k: st[k] for k in ("machines", "os-prep", "e2e-probe")})
PY
key=$lab/clusters/$cluster/ssh/id_ed25519
[ "$(stat -c %a "$key")" = 600 ] || fail "$key is not 0600"

step "mlk ssh"
got=$(m ssh -c "$cluster" node1 -- hostname)
[ "$got" = node1 ] || fail "mlk ssh node1 -- hostname printed '$got'"
set +e; m ssh -c "$cluster" node1 -- exit 7; rc=$?; set -e
[ "$rc" = 7 ] || fail "mlk ssh did not pass the remote exit code through (got $rc)"
# The endpoint uses mlk's key, which must be in the VM's authorized_keys.
grep -q "$(cut -d' ' -f2 "$key.pub")" <(m ssh -c "$cluster" node1 -- cat .ssh/authorized_keys) ||
  fail "mlk's key is not in node1's authorized_keys"
echo "ssh ok: $got"

if [ "$dist" = rke2 ]; then
  step "rke2-up: configuration in place before the (offline) download"
  set +e
  m up -c "$cluster" --skip-preflight --only rke2-up > "$lab/rke2-up.out" 2>&1
  rc=$?
  set -e
  [ "$rc" != 0 ] || fail "rke2-up succeeded in a namespace without internet"
  grep -q "rke2.linux-amd64.tar.gz" "$lab/rke2-up.out" || { cat "$lab/rke2-up.out" >&2; fail "rke2-up did not fail at the tarball download"; }
  got=$(m ssh -c "$cluster" node1 -- sudo stat -c "'%a %U'" /etc/rancher/rke2/config.yaml /etc/rancher/rke2/mlk-token /var/lib/rancher/rke2/server/manifests/rke2-canal-config.yaml | tr '\n' ' ')
  [ "$got" = "600 root 600 root 600 root " ] || fail "RKE2 files on node1: '$got'"
  m ssh -c "$cluster" node1 -- sudo grep -qx "'node-ip: \"192.168.56.10\"'" /etc/rancher/rke2/config.yaml ||
    fail "node1's config.yaml has no node-ip 192.168.56.10"
  m ssh -c "$cluster" node1 -- test ! -e /opt/mlk/secrets/rke2-token || fail "the staged token was left on node1"
  m ssh -c "$cluster" node1 -- test ! -e /usr/local/bin/rke2 || fail "rke2 installed without its tarball?"
  token=$(cat "$lab/clusters/$cluster/secrets/rke2-token")
  ! grep -qF "$token" "$lab/clusters/$cluster/mlk.log" || fail "the join token is in mlk.log"
  echo "rke2 config ok"
fi

step "mlk stop / mlk start"
m stop -c "$cluster"
left=$(virsh list --name | grep "^mlk-$cluster-" || true)
[ -z "$left" ] || fail "domains still running after mlk stop: $left"
m list --json > "$lab/list.json"
python3 - "$lab/list.json" "$cluster" <<'PY'
import json, sys
c = [c for c in json.load(open(sys.argv[1])) if c["name"] == sys.argv[2]][0]
assert c["state"] == "stopped", c
PY
t0=$SECONDS
m start -c "$cluster" --wait 900
echo "mlk start: $((SECONDS - t0))s"
got=$(m ssh -c "$cluster" node1 -- cat /opt/mlk/e2e-probe)
[ "$got" = node1 ] || fail "after mlk start, node1 lost /opt/mlk/e2e-probe (got '$got')"

step "mlk down"
m down -c "$cluster" --force
left=$(virsh list --all --name | grep "^mlk-$cluster-" || true)
[ -z "$left" ] || fail "domains left after mlk down: $left"
left=$(virsh vol-list default | awk '{print $1}' | grep "^mlk-$cluster-" || true)
[ -z "$left" ] || fail "volumes left after mlk down: $left"
left=$(virsh net-list --all --name | grep -v '^default$' || true)
[ -z "$left" ] || fail "networks left after mlk down: $left"
[ -d "$lab/clusters/$cluster" ] || fail "mlk down without --purge removed the cluster folder"
if [ -n "${KEEP_LOGS:-}" ]; then
  mkdir -p "/tmp/$prefix-logs"; cp "$lab/clusters/$cluster/mlk.log" "/tmp/$prefix-logs/"
fi
m down -c "$cluster" --force
m list --json | python3 -c 'import json,sys; c=json.load(sys.stdin); assert c[0]["state"] == "destroyed", c'
m down -c "$cluster" --force --purge
[ ! -e "$lab/clusters/$cluster" ] || fail "mlk down --purge kept the cluster folder"

step "teardown"
trap - EXIT
if [ -n "${KEEP_LOGS:-}" ]; then
  cp "$NS_DIR"/*.log "/tmp/$prefix-logs/" 2>/dev/null || true
  echo "e2e-libvirt: logs kept in /tmp/$prefix-logs"
fi
teardown
ip netns list | grep -w "^$NS" >/dev/null && fail "namespace $NS left"
for _ in $(seq 50); do pgrep -x libvirtd >/dev/null || break; sleep 0.2; done
pgrep -x libvirtd >/dev/null && fail "libvirtd still running"
pgrep -f "qemu-system.*mlk-$cluster-" >/dev/null && fail "qemu still running"
links_after=$(ip -o link | awk -F': ' '{print $2}' | sort)
[ "$links_before" = "$links_after" ] || fail "host interfaces changed: $(diff <(echo "$links_before") <(echo "$links_after"))"
[ "$pool_existed" = yes ] || [ ! -f "$pool_file" ] || fail "$pool_file left behind"
[ ! -e "$lab" ] || fail "$lab left behind"
echo "e2e-libvirt $profile: PASS in ${SECONDS}s (mlk up ${up_s}s)"
