#!/usr/bin/env bash
# box-build.sh ROOTDIR OUTDIR: turn a box-rootfs.sh root into the libvirt Vagrant box
# OUTDIR/mlk-bookworm.box (qcow2 + metadata.json).
# The guest: user vagrant with Vagrant's insecure public key (Vagrant swaps it at first `up`),
# passwordless sudo, DHCP on eth0 through ifupdown, serial console, host keys made at first boot.
# Disk layout: one unpartitioned ext4 booted by extlinux. Why: the CI kernel does not scan
# partitions on loop devices, so no partitioned image (and no grub-install) can be made here.
# Needs root, a loop device, extlinux, qemu-utils. About 5 s.
set -euo pipefail
root=${1:?usage: box-build.sh ROOTDIR OUTDIR}; out=${2:?usage: box-build.sh ROOTDIR OUTDIR}
size_gb=${BOX_SIZE_GB:-4}
pub=${BOX_PUBKEY:-}
if [ -z "$pub" ]; then
  for k in /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub \
           /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub; do
    [ -f "$k" ] && { pub=$k; break; }
  done
fi
[ -f "$pub" ] || { echo "box-build: Vagrant's insecure public key not found; set BOX_PUBKEY" >&2; exit 1; }
mkdir -p "$out"

# --- guest configuration (idempotent)
echo mlk-box > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 mlk-box\n' > "$root/etc/hosts"
echo 'LABEL=mlkroot / ext4 defaults,errors=remount-ro 0 1' > "$root/etc/fstab"
printf 'auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n' \
  > "$root/etc/network/interfaces"
chroot "$root" sh -c 'id -u vagrant >/dev/null 2>&1 || useradd -m -s /bin/bash -G sudo vagrant; echo vagrant:vagrant | chpasswd'
install -m 0440 /dev/stdin "$root/etc/sudoers.d/vagrant" <<<'vagrant ALL=(ALL) NOPASSWD:ALL'
install -d -m 0700 "$root/home/vagrant/.ssh"
install -m 0600 "$pub" "$root/home/vagrant/.ssh/authorized_keys"
chroot "$root" chown -R vagrant:vagrant /home/vagrant/.ssh
echo 'UseDNS no' > "$root/etc/ssh/sshd_config.d/50-vagrant.conf"
# Like Ubuntu (the profiles' bento boxes): sbin folders in every SSH session's PATH (pam_env
# reads this), so stage scripts find modprobe/sysctl without sudo.
echo 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"' > "$root/etc/environment"
# Each VM makes its own host keys at first boot; RSA is left out because generating it takes
# about 12 s under software emulation (TCG).
rm -f "$root"/etc/ssh/ssh_host_*
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' \
  > "$root/etc/ssh/sshd_config.d/40-hostkeys.conf"
# A script, not inline shell in the unit: systemd would expand its `$t` itself.
cat > "$root/usr/local/sbin/mlk-hostkeys" <<'SH'
#!/bin/sh
for t in ed25519 ecdsa; do
  f=/etc/ssh/ssh_host_${t}_key
  [ -f "$f" ] || ssh-keygen -q -t "$t" -N "" -f "$f"
done
SH
chmod 0755 "$root/usr/local/sbin/mlk-hostkeys"
mkdir -p "$root/etc/systemd/system/ssh.service.d"
printf '%s\n' '[Service]' 'ExecStartPre=' 'ExecStartPre=/usr/local/sbin/mlk-hostkeys' \
  'ExecStartPre=/usr/sbin/sshd -t' > "$root/etc/systemd/system/ssh.service.d/firstboot-keys.conf"
: > "$root/etc/machine-id"

# --- disk image
raw="$out/disk.raw"; mnt="$out/mnt"
rm -f "$raw"; truncate -s "${size_gb}G" "$raw"
# syslinux 6.04 cannot read ext4 with 64bit, metadata_csum or orphan_file
mkfs.ext4 -q -F -L mlkroot -O ^64bit,^metadata_csum,^orphan_file "$raw"
mkdir -p "$mnt"
mount -o loop "$raw" "$mnt"
trap 'mountpoint -q "$mnt" && umount "$mnt"' EXIT
cp -a "$root/." "$mnt/"
kver=$(find "$mnt/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -1)
[ -n "$kver" ] || { echo "box-build: no kernel in $root/boot" >&2; exit 1; }
mkdir -p "$mnt/boot/extlinux"
cat > "$mnt/boot/extlinux/extlinux.conf" <<CONF
DEFAULT linux
TIMEOUT 1
PROMPT 0
SERIAL 0 115200
LABEL linux
  LINUX /boot/vmlinuz-$kver
  INITRD /boot/initrd.img-$kver
  APPEND root=LABEL=mlkroot rw net.ifnames=0 biosdevname=0 console=tty0 console=ttyS0,115200
CONF
# Guard: extlinux must write into the image, never into the host's /boot.
[ "$(stat -c %d "$mnt")" != "$(stat -c %d /)" ] || { echo "box-build: $mnt is not a mount" >&2; exit 1; }
extlinux --install "$mnt/boot/extlinux"
umount "$mnt"; trap - EXIT
qemu-img convert -O qcow2 "$raw" "$out/box.img"
rm -f "$raw"
printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "$size_gb" > "$out/metadata.json"
tar -C "$out" -cf "$out/mlk-bookworm.box" metadata.json box.img
rm -f "$out/box.img"
ls -la "$out/mlk-bookworm.box"
