#!/usr/bin/env bash
# The DKMS build of suite "install", on this machine instead of in the guest:
# `make dkms-install KVER=KVER` chrooted into an overlay of the root
# filesystem, in a private mount namespace, so nothing it writes reaches the
# machine.  Under emulation the module's compile was the longest step of all
# of `make check` (10 minutes and more); here it takes seconds, with the same
# userland (the guest's root is this machine's root), the same headers and
# the same dkms.
#
#   dkms-stage.sh KVER DIR
#
# DIR/root receives what the build wrote under /usr/src/vkmod-*, /var/lib/dkms
# and /lib/modules/KVER (files, directories and symlinks as they are in the
# overlay's upper layer); DIR/log is the build's output; DIR/ok says it passed,
# with the seconds it took.  The guest (install.sh, VK_DKMS_STAGE) copies
# DIR/root into its own writable root and goes on from there: modprobe of
# what DKMS built, dkms status, make dkms-uninstall.
#
# Exit status: 0 when the build passed (DIR/ok exists).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kver=${1:?usage: dkms-stage.sh KVER DIR} dir=${2:?usage: dkms-stage.sh KVER DIR}

rm -rf "$dir" && mkdir -p "$dir/root" "$dir/mnt" || exit 1
t0=$(date +%s)
# Inside the namespace: tmpfs at DIR/mnt (seen only there), the overlay on
# it, the build chrooted there, then the upper layer's part that belongs to
# DKMS packed to DIR/upper.tar.  Overlay whiteouts (character devices) and
# the repository's own path are left out.
unshare -m --propagation private bash -s "$kver" "$dir" "$repo" >"$dir/log" 2>&1 <<'EOF'
set -eux
kver=$1 dir=$2 repo=$3 m=$2/mnt
mount -t tmpfs -o mode=755 tmpfs "$m"
mkdir -p "$m/upper" "$m/work" "$m/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$m/upper,workdir=$m/work" "$m/root"
mount --rbind /dev "$m/root/dev"
mount -t proc proc "$m/root/proc"
mount --rbind /sys "$m/root/sys"
mount -t tmpfs -o mode=1777 tmpfs "$m/root/tmp"
mount -t tmpfs -o mode=755 tmpfs "$m/root/run"
timeout -k 5 600 chroot "$m/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C \
	make -C "$repo" dkms-install KVER="$kver"
cd "$m/upper"
for p in usr/src/vkmod-* var/lib/dkms "lib/modules/$kver" "usr/lib/modules/$kver"; do
	[ -e "$p" ] && find "$p" ! -type c -print0
done | tar --null --no-recursion -T - -cf "$dir/upper.tar"
EOF
rc=$?
if [ "$rc" = 0 ] && tar -C "$dir/root" -xf "$dir/upper.tar" &&
   ls "$dir/root/var/lib/dkms/vkmod" >/dev/null 2>&1; then
	echo "$(($(date +%s) - t0))" >"$dir/ok"
fi
rm -f "$dir/upper.tar"
rmdir "$dir/mnt" 2>/dev/null
[ -e "$dir/ok" ]
