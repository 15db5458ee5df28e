#!/usr/bin/env bash
# testhosts.sh - throwaway Debian SSH "nodes" for mlk's tests, on this machine only (needs root).
#
# Every node is OpenSSH sshd in its own network + mount + PID + UTS namespace, with a
# copy-on-write root (overlayfs over LAB_ROOTFS, upper layer on tmpfs). The nodes sit on a
# bridge inside a private "lab" namespace that has no default route: 192.168.56.x exists only
# in namespaces this script made, and no packet can leave the machine.
#
#   testhosts.sh up N          start node1..nodeN (192.168.56.10, .11, ...); prints the ssh-config path
#   testhosts.sh down          stop everything `up` started and remove LAB_DIR and the namespaces
#   testhosts.sh ssh-config    print a `vagrant ssh-config`-style file (ProxyCommand: nc in the lab ns;
#                              -N so that nc, and the node's session, end when the client dies)
#   testhosts.sh run CMD...    run CMD inside the lab (client) namespace
#   testhosts.sh gc            `down` every lab whose owner (LAB_OWNER, a PID given to `up`) has died,
#                              e.g. a test run killed before its cleanup; labs of live owners stay
#   testhosts.sh exec I CMD... run CMD as root inside node I (its namespaces and root fs)
#   fault injection for tests:
#   testhosts.sh kill-sshd I   SIGKILL every sshd of node I (listener and sessions); it stays down
#   testhosts.sh start-sshd I  start node I's sshd again (after kill-sshd or rekey)
#   testhosts.sh link I down|up  set node I's link (the lab-side veth) down or up
#   testhosts.sh netem I ARGS  `tc qdisc replace ... netem ARGS` on node I's eth1; `netem I off` removes it
#                              (needs sch_netem in the kernel; the CI kernel has none, so use `loss`)
#   testhosts.sh loss I PCT    drop PCT% of node I's packets both ways (nftables); `loss I off` ends it
#   testhosts.sh rekey I       give node I new host keys and restart its sshd
#   loopback variant (no namespaces): N sshd on 127.0.0.1:LAB_LO_PORT+1.., user = the caller
#   testhosts.sh up-loopback N / down-loopback
#
# Environment: LAB_DIR (state dir, default /tmp/mlk-testhosts), LAB_PREFIX (namespace prefix,
# default mlk; use a unique one per test run), LAB_ROOTFS (lower layer, default /), LAB_USER
# (default vagrant), LAB_TMPFS_SIZE (default 1g), LAB_LO_PORT (default 2200), LAB_OWNER (PID
# whose death makes the lab garbage for `gc`; the Rust tests pass their own).
set -euo pipefail

LAB_DIR=${LAB_DIR:-/tmp/mlk-testhosts}
LAB_PREFIX=${LAB_PREFIX:-mlk}
LAB_ROOTFS=${LAB_ROOTFS:-/}
LAB_USER=${LAB_USER:-vagrant}
LAB_TMPFS_SIZE=${LAB_TMPFS_SIZE:-1g}
LAB_LO_PORT=${LAB_LO_PORT:-2200}
NET=192.168.56
LABNS="$LAB_PREFIX-lab"
REGISTRY=/run/mlk-testhosts
SELF=$(readlink -f "$0")

die() { echo "testhosts: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "missing $1 (apt-get install -y $2)"; }
ip_of() { echo "$NET.$((9 + $1))"; }
nodens() { echo "$LAB_PREFIX-node$1"; }
count() { cat "$LAB_DIR/count" 2>/dev/null || echo 0; }
check_node() {
  if ! [[ "${1:-}" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ] || [ "$1" -gt "$(count)" ]; then
    die "no node '${1:-}' (have 1..$(count))"
  fi
}
# Start time of a process (field 22 of /proc/PID/stat), to tell a PID from its reuse.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
# PID (in the host's PID namespace) of node I's supervisor, the PID 1 of its PID namespace.
init_pid() { cat "$LAB_DIR/node$1/init.pid"; }

# ---------------------------------------------------------------- inside a node
# PID 1 of the node: builds the root, then supervises sshd. sshd is not PID 1 so that tests
# can kill it (and every session) and start it again without losing the node's file system.
node_init() {
  local i=$1 n=$2 d="$LAB_DIR/node$1" r="$LAB_DIR/node$1/root" hp _
  # /proc here is still the host's, so this is our PID as the host sees it
  read -r hp _ </proc/self/stat
  echo "$hp" >"$d/init.pid"
  hostname "node$i"
  mkdir -p "$d/rw" "$r"
  mount -t tmpfs -o "size=$LAB_TMPFS_SIZE,mode=0755" tmpfs "$d/rw"
  mkdir -p "$d/rw/upper" "$d/rw/work"
  mount -t overlay overlay -o "lowerdir=$LAB_ROOTFS,upperdir=$d/rw/upper,workdir=$d/rw/work" "$r"
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs -o mode=0755 tmpfs "$r/run"
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  mkdir -p "$r/run/sshd" "$r/run/mlk"
  cp "$LAB_DIR/id_ed25519.pub" "$r/run/mlk/authorized_keys"
  {
    echo "127.0.0.1 localhost"
    echo "127.0.1.1 node$i"
    for j in $(seq 1 "$n"); do echo "$(ip_of "$j") node$j"; done
  } >"$r/run/mlk/hosts"
  cat >"$r/run/mlk/setup.sh" <<EOF
set -e
echo node$i > /etc/hostname
cp /run/mlk/hosts /etc/hosts
id -u $LAB_USER >/dev/null 2>&1 || useradd -m -s /bin/bash -p '*' $LAB_USER
mkdir -p /etc/sudoers.d
echo '$LAB_USER ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/$LAB_USER
chmod 0440 /etc/sudoers.d/$LAB_USER
install -d -m 0700 -o $LAB_USER -g $LAB_USER /home/$LAB_USER/.ssh
install -m 0600 -o $LAB_USER -g $LAB_USER /run/mlk/authorized_keys /home/$LAB_USER/.ssh/authorized_keys
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
mkdir -p /etc/ssh/sshd_config.d
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\nUsePAM no\n' > /etc/ssh/sshd_config.d/50-mlk.conf
EOF
  chroot "$r" /bin/sh /run/mlk/setup.sh
  # Supervisor loop; `kill-sshd` creates sshd.stopped so the loop waits instead of restarting.
  while :; do
    if [ ! -e "$d/sshd.stopped" ]; then
      chroot "$r" /usr/sbin/sshd -D -e -o "ListenAddress=$(ip_of "$i")" -o ListenAddress=127.0.0.1 &
      echo $! >"$d/sshd.nspid"
      wait $! || true
    fi
    sleep 0.1
  done
}

# ---------------------------------------------------------------- up / down
wait_banner() {  # wait_banner I: until node I's sshd greets, at most 30 s
  local t0=$SECONDS
  while [ $((SECONDS - t0)) -lt 30 ]; do
    if ip netns exec "$LABNS" timeout 2 bash -c "exec 3<>/dev/tcp/$(ip_of "$1")/22 && head -c 4 <&3" 2>/dev/null | grep SSH- >/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  cat "$LAB_DIR/node$1/node.log" >&2 || true
  die "node$1: sshd not answering after 30 s"
}

cmd_up() {
  local n=${1:-1} i ns
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 50 ]; then die "up N: N must be 1..50"; fi
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, mounts)"
  need ip iproute2; need unshare util-linux; need ssh-keygen openssh-client; need nc netcat-openbsd
  [ -x "$LAB_ROOTFS/usr/sbin/sshd" ] || die "$LAB_ROOTFS has no /usr/sbin/sshd (apt-get install -y openssh-server)"
  [ -x "$LAB_ROOTFS/usr/bin/sudo" ] || die "$LAB_ROOTFS has no sudo (apt-get install -y sudo)"
  ip netns list | grep "^$LABNS\b" >/dev/null && die "$LABNS already exists; run: LAB_PREFIX=$LAB_PREFIX $0 down"
  mkdir -p "$LAB_DIR"
  chmod 0755 "$LAB_DIR"
  echo "$n" >"$LAB_DIR/count"
  if [ -n "${LAB_OWNER:-}" ]; then
    mkdir -p "$REGISTRY"
    printf '%s\n' "$LAB_DIR" "$LAB_OWNER" "$(start_time "$LAB_OWNER")" >"$REGISTRY/$LAB_PREFIX"
  fi
  [ -f "$LAB_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mlk-testhosts -f "$LAB_DIR/id_ed25519"

  # The lab namespace plays VirtualBox's host-only adapter (192.168.56.1); the client runs here.
  ip netns add "$LABNS"
  ip -n "$LABNS" link set lo up
  ip -n "$LABNS" link add br0 type bridge
  ip -n "$LABNS" addr add "$NET.1/24" dev br0
  ip -n "$LABNS" link set br0 up
  for i in $(seq 1 "$n"); do
    ns=$(nodens "$i")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # Made inside the lab ns with the peer moved straight into the node: the host ns never sees it.
    ip -n "$LABNS" link add "veth$i" type veth peer name eth1 netns "$ns"
    ip -n "$LABNS" link set "veth$i" master br0 up
    ip -n "$ns" addr add "$(ip_of "$i")/24" dev eth1
    ip -n "$ns" link set eth1 up
    mkdir -p "$LAB_DIR/node$i"
    # --kill-child: SIGKILL of this unshare kills the node's PID 1 and so every process in it.
    ip netns exec "$ns" unshare --mount --uts --pid --fork --propagation private --kill-child \
      "$SELF" __node-init "$i" "$n" >"$LAB_DIR/node$i/node.log" 2>&1 &
    echo $! >"$LAB_DIR/node$i/unshare.pid"
  done
  cmd_ssh_config >"$LAB_DIR/ssh_config"
  for i in $(seq 1 "$n"); do wait_banner "$i"; done
  echo "$LAB_DIR/ssh_config"
}

alive() {  # running and not a zombie (this machine's PID 1 reaps orphans late)
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

cmd_down() {
  local i n ns pid
  n=$(count)
  for i in $(seq 1 "$n"); do
    # unshare blocks SIGTERM while it waits for its child: SIGKILL it; --kill-child does the rest.
    pid=$(cat "$LAB_DIR/node$i/unshare.pid" 2>/dev/null) || continue
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 50); do
      [ -z "$(ip netns pids "$(nodens "$i")" 2>/dev/null)" ] && break
      sleep 0.1
    done
  done
  # Also catches what an interrupted `up` left behind.
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$LAB_PREFIX-(lab|node[0-9]+)$" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns"
  done
  if grep -q " $LAB_DIR/" /proc/mounts; then
    grep " $LAB_DIR/" /proc/mounts >&2
    die "mounts left under $LAB_DIR (listed above); not removing it"
  fi
  rm -rf "$LAB_DIR"
  rm -f "$REGISTRY/$LAB_PREFIX"
}

cmd_gc() {
  local f prefix dir owner started
  for f in "$REGISTRY"/*; do
    [ -f "$f" ] || continue
    prefix=$(basename "$f")
    { read -r dir; read -r owner; read -r started; } <"$f" || continue
    if alive "$owner" && [ "$(start_time "$owner")" = "$started" ]; then continue; fi
    echo "gc: $prefix (owner $owner gone)" >&2
    LAB_PREFIX=$prefix LAB_DIR=$dir "$SELF" down || true
    rm -f "$f"
  done
}

cmd_ssh_config() {
  local i
  for i in $(seq 1 "$(count)"); do
    cat <<EOF
Host node$i
  HostName $(ip_of "$i")
  User $LAB_USER
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile $LAB_DIR/id_ed25519
  IdentitiesOnly yes
  LogLevel FATAL
  ProxyCommand ip netns exec $LABNS nc -N %h %p

EOF
  done
}

# ---------------------------------------------------------------- faults
node_exec() {  # node_exec I CMD...: run CMD as root in node I's namespaces and root fs
  local i=$1 pid
  shift
  pid=$(init_pid "$i")
  nsenter -t "$pid" -m -u -n -p -- chroot "$LAB_DIR/node$i/root" "$@"
}

cmd_kill_sshd() {
  local i=$1 pid
  touch "$LAB_DIR/node$i/sshd.stopped"
  # Every sshd of the node: the listener and the per-connection processes (a crash of the daemon
  # host-wide, as a reboot would look to the client), but not the node's file system.
  for pid in $(ip netns pids "$(nodens "$i")"); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 50); do
    ip netns exec "$LABNS" nc -z -w 1 "$(ip_of "$i")" 22 2>/dev/null || return 0
    sleep 0.1
  done
  die "node$i: sshd still answering after kill"
}

cmd_start_sshd() {
  rm -f "$LAB_DIR/node$1/sshd.stopped"
  wait_banner "$1"
}

cmd_rekey() {
  local i=$1
  node_exec "$i" sh -c 'rm -f /etc/ssh/ssh_host_*key* && ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
  cmd_kill_sshd "$i"
  cmd_start_sshd "$i"
}

cmd_link() {
  case "${2:-}" in up | down) ;; *) die "link I up|down" ;; esac
  ip -n "$LABNS" link set "veth$1" "$2"
}

cmd_netem() {
  local i=$1
  shift
  if [ "${1:-}" = off ]; then
    ip netns exec "$(nodens "$i")" tc qdisc del dev eth1 root 2>/dev/null || true
  else
    ip netns exec "$(nodens "$i")" tc qdisc replace dev eth1 root netem "$@"
  fi
}

# Random packet loss with nftables: the CI kernel (6.18-fc) is built without sch_netem, but has
# nft's numgen. Drops PCT% of the packets node I sends and receives on eth1; `loss I off` ends it.
cmd_loss() {
  local i=$1 pct=${2:-} ns
  ns=$(nodens "$i")
  ip netns exec "$ns" nft delete table inet mlkloss 2>/dev/null || true
  [ "$pct" = off ] && return 0
  if ! [[ "$pct" =~ ^[0-9]+$ ]] || [ "$pct" -gt 100 ]; then die "loss I PCT|off: PCT must be 0..100"; fi
  need nft nftables
  local sample="numgen random mod 100 < $pct"
  [ "$pct" = 100 ] && sample=""  # nft rejects `< 100` (out of range for mod 100)
  ip netns exec "$ns" nft -f - <<EOF
table inet mlkloss {
  chain in { type filter hook input priority 0; iifname "eth1" $sample drop; }
  chain out { type filter hook output priority 0; oifname "eth1" $sample drop; }
}
EOF
}

# ---------------------------------------------------------------- loopback variant
cmd_up_loopback() {
  local n=${1:-1} d="$LAB_DIR/lo" i port
  need ssh-keygen openssh-client
  [ -x /usr/sbin/sshd ] || die "missing /usr/sbin/sshd (apt-get install -y openssh-server)"
  mkdir -p "$d"
  [ -f "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C mlk-lo -f "$d/id_ed25519"
  cp "$d/id_ed25519.pub" "$d/authorized_keys"
  chmod 600 "$d/authorized_keys"
  echo "$n" >"$d/count"
  # sshd refuses to start as root without its privilege-separation directory
  [ "$(id -u)" != 0 ] || [ -d /run/sshd ] || install -d -m 0755 /run/sshd
  for i in $(seq 1 "$n"); do
    port=$((LAB_LO_PORT + i))
    [ -f "$d/host$i" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host$i"
    cat >"$d/sshd$i.conf" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host$i
PidFile none
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
Subsystem sftp internal-sftp
EOF
    /usr/sbin/sshd -D -e -f "$d/sshd$i.conf" >"$d/sshd$i.log" 2>&1 &
    echo $! >"$d/sshd$i.pid"
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 100); do
      nc -z 127.0.0.1 $((LAB_LO_PORT + i)) 2>/dev/null && break
      sleep 0.1
    done
  done
  for i in $(seq 1 "$n"); do
    printf 'Host node%s\n  HostName 127.0.0.1\n  Port %s\n  User %s\n  IdentityFile %s\n\n' \
      "$i" $((LAB_LO_PORT + i)) "$(id -un)" "$d/id_ed25519"
  done >"$d/ssh_config"
  echo "$d/ssh_config"
}

cmd_down_loopback() {
  local d="$LAB_DIR/lo" f pid
  for f in "$d"/sshd*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    # Only the listener we started; its session children exit when their clients go.
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$d"
  rmdir "$LAB_DIR" 2>/dev/null || true
}

case "${1:-}" in
  up) cmd_up "${2:-1}" ;;
  down) cmd_down ;;
  ssh-config) cmd_ssh_config ;;
  gc) cmd_gc ;;
  run) shift; exec ip netns exec "$LABNS" "$@" ;;
  exec) check_node "${2:-}"; i=$2; shift 2; node_exec "$i" "$@" ;;
  kill-sshd) check_node "${2:-}"; cmd_kill_sshd "$2" ;;
  start-sshd) check_node "${2:-}"; cmd_start_sshd "$2" ;;
  rekey) check_node "${2:-}"; cmd_rekey "$2" ;;
  link) check_node "${2:-}"; cmd_link "$2" "${3:-}" ;;
  netem) check_node "${2:-}"; i=$2; shift 2; cmd_netem "$i" "$@" ;;
  loss) check_node "${2:-}"; cmd_loss "$2" "${3:-}" ;;
  up-loopback) cmd_up_loopback "${2:-1}" ;;
  down-loopback) cmd_down_loopback ;;
  __node-init) node_init "$2" "$3" ;;
  *) sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "$SELF"; exit 2 ;;
esac
