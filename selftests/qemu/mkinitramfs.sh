#!/usr/bin/env bash
# Build the small busybox initramfs that boots a Debian kernel under QEMU,
# loads the virtio/9p modules, mounts the host's root read-only over 9p and
# switches to it (see init).  Usage: mkinitramfs.sh KVER OUTPUT
#
# Modules are taken from /lib/modules/KVER.  A kernel with none there (the
# debug kernel of `make check-debug`, built from source) must have them built
# in: then the initramfs carries no module at all.
set -euo pipefail
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,newroot,lib/mod}
cp /bin/busybox "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init"

# Load order matters: each module after what it depends on.  Modules built
# into a kernel (6.12 has virtio and fscache built in) are skipped.
: >"$work/modules.order"
[ -d "/lib/modules/$kver" ] ||
	echo "mkinitramfs: no /lib/modules/$kver: virtio, 9p and pvpanic must be built in" >&2
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	 netfs fscache 9pnet 9pnet_virtio 9p pvpanic pvpanic-mmio; do
	f=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
	case "$f" in
	*.ko) cp "$f" "$work/lib/mod/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$work/lib/mod/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$work/lib/mod/$m.ko" ;;
	*) continue ;;
	esac
	echo "$m" >>"$work/modules.order"
done

(cd "$work" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
