#!/usr/bin/env bash
# open.sh [N] - the first-log-in commands on one test host (root; scripts/testhosts.sh):
#   1. `mlk open chronograf --forward`: one 64 MB download and 20 small requests through mlk's
#      port-forward (a new SSH session per connection), against OpenSSH's `ssh -L` on the same
#      host and file;
#   2. `mlk status` with every dashboard installed: Rancher's password check (PBKDF2-SHA3-512,
#      210000 rounds, per password file), the CA export and three name lookups.
# The node runs python3's http.server on port 80 and a FAKE kubectl with the recorded answers
# of tests/fixtures/contracts/login; mlk runs in a network namespace whose resolver is dnsmasq
# (no query leaves the machine). Medians of N runs (default 3). Prints `bench:` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
n=${1:-3}
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
cargo build --quiet --release
mlk=$repo/target/release/mlk
tmp=$(mktemp -d)
export LAB_PREFIX=mbo$((RANDOM % 10000)) LAB_DIR=$tmp/lab LAB_OWNER=$$
ns=${LAB_PREFIX}dns
dnsmasq_pid=
cleanup() {
  if [ -n "$dnsmasq_pid" ]; then kill "$dnsmasq_pid" 2>/dev/null || true; fi
  # What this script started in its namespace (a forward left by an interrupted run).
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
  scripts/testhosts.sh down >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
scripts/testhosts.sh up 1 >/dev/null
cfg=$LAB_DIR/ssh_config
node() { ssh -F "$cfg" -o BatchMode=yes node1 -- "$@"; }
ip=$(awk '$1 == "HostName" { print $2; exit }' "$cfg")

# The node: files to serve, the HTTP server, the fake kubectl and its answers.
# shellcheck disable=SC2016 # $(id -un) expands on the node
node 'mkdir -p /tmp/www && head -c 67108864 /dev/urandom >/tmp/www/big.bin && echo ok >/tmp/www/small.txt &&
  (sudo setsid python3 -m http.server 80 --bind 127.0.0.1 --directory /tmp/www >/dev/null 2>&1 </dev/null &) &&
  sudo mkdir -p /opt/mlk/bin /opt/mlk/fake && sudo chown -R "$(id -un)" /opt/mlk'
fx=$repo/tests/fixtures/contracts/login
for f in setting-fresh.json admins.json password-bootstrap.json ca-secret.json; do
  node "cat >/opt/mlk/fake/$f" <"$fx/$f"
done
real=$(readlink -f "$repo/.tools/bin/kubectl")
node 'cat >/opt/mlk/bin/kubectl && chmod 755 /opt/mlk/bin/kubectl' <<EOF
#!/bin/bash
# FAKE kubectl for scripts/bench/open.sh
F=/opt/mlk/fake
case "\$*" in
  *" get service "*) printf 127.0.0.1 ;;
  "get settings.management.cattle.io first-login -o json") cat \$F/setting-fresh.json ;;
  "get users.management.cattle.io "*) cat \$F/admins.json ;;
  "-n cattle-local-user-passwords get secret "*) cat \$F/password-bootstrap.json ;;
  "-n cert-manager get secret mlk-ca -o jsonpath="*) a="\$*"; KUBECONFIG=/dev/null exec $real patch --local --type merge -p '{}' -f \$F/ca-secret.json -o "jsonpath=\${a#*-o jsonpath=}" ;;
  *) echo "fake kubectl: \$*" >&2; exit 1 ;;
esac
EOF

# The cluster folder: inventory, secrets, every stage done.
name=bench
mkdir -p "$tmp/mlk/$name/secrets" && chmod 700 "$tmp/mlk/$name/secrets"
cp "$cfg" "$tmp/mlk/$name/ssh-config"
printf 'A1b2C3d4E5f6G7h8I9j0K1l2' >"$tmp/mlk/$name/secrets/rancher-bootstrap-password"
chmod 600 "$tmp/mlk/$name/secrets/rancher-bootstrap-password"
cat >"$tmp/$name.yaml" <<EOF
apiVersion: mlk.io/v1alpha1
kind: Profile
name: $name
provider: libvirt
box: {name: mlk/bookworm}
nodes:
  - {name: node1, ip: $ip, cpus: 8, memory: 18432, roles: [controlplane, etcd, worker]}
EOF
python3 - "$tmp/mlk/$name/state.json" "$name" <<'PY'
import json, sys
stages = ["machines", "os-prep", "docker", "binaries", "secrets", "rke-up", "kubeconfig",
          "storage", "cert-manager", "rancher", "tick", "kubeflow", "summary"]
host = {"machines", "binaries", "secrets", "rke-up", "kubeconfig", "summary"}
rec = {"status": "done", "input_hash": "bench"}
json.dump({"format": 1, "cluster": sys.argv[2],
           "stages": {s: {("host" if s in host else "node1"): rec} for s in stages}}, open(sys.argv[1], "w"))
PY

# mlk's namespace and its resolver.
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns" && echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --listen-address=127.0.0.1 \
  --bind-interfaces --user=root --pid-file= "--address=/$ip.sslip.io/$ip" "--address=/$ip.sslip.io/" &
dnsmasq_pid=$!
sleep 1
inns() { ip netns exec "$ns" "$@"; }
m() { inns "$mlk" --dir "$tmp/mlk" --progress never "$@" --profile "$tmp/$name.yaml"; }

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }

forward_times() { # port -> "big small20"
  local t big small
  t=$(now); inns curl -fsS -o /dev/null "http://127.0.0.1:$1/big.bin"; big=$(elapsed "$t")
  t=$(now); for _ in $(seq 20); do inns curl -fsS -o /dev/null "http://127.0.0.1:$1/small.txt"; done; small=$(elapsed "$t")
  echo "$big $small"
}

: >"$tmp/mlk.txt"; : >"$tmp/ssh.txt"; : >"$tmp/status.txt"
for _ in $(seq "$n"); do
  # Started directly (not through a function), so $! is mlk itself.
  ip netns exec "$ns" "$mlk" --dir "$tmp/mlk" --progress never open chronograf --profile "$tmp/$name.yaml" \
    --forward --no-browser --port 18081 >"$tmp/open.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do inns curl -fsS -o /dev/null http://127.0.0.1:18081/small.txt 2>/dev/null && break; sleep 0.1; done
  forward_times 18081 >>"$tmp/mlk.txt"
  kill "$pid" 2>/dev/null || { echo "mlk open ended early:" >&2; cat "$tmp/open.out" >&2; exit 1; }
  wait "$pid" 2>/dev/null || true
  # OpenSSH: the same forward (its ProxyCommand reaches the lab from any namespace).
  ip netns exec "$ns" ssh -F "$cfg" -o BatchMode=yes -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
    -N -L 127.0.0.1:18082:127.0.0.1:80 node1 &
  pid=$!
  for _ in $(seq 100); do inns curl -fsS -o /dev/null http://127.0.0.1:18082/small.txt 2>/dev/null && break; sleep 0.1; done
  forward_times 18082 >>"$tmp/ssh.txt"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  t=$(now); m status --json >/dev/null; elapsed "$t" >>"$tmp/status.txt"
done
for f in mlk ssh; do
  big=$(cut -d' ' -f1 "$tmp/$f.txt" | median)
  small=$(cut -d' ' -f2 "$tmp/$f.txt" | median)
  echo "bench: forward $f: 64 MB in ${big}s ($(awk -v t="$big" 'BEGIN { printf "%.1f", 64 / t }') MB/s), 20 small requests in ${small}s"
done
echo "bench: mlk status (Rancher check of 1 password file, CA export, 3 lookups): $(median <"$tmp/status.txt")s"
