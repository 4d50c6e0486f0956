#!/usr/bin/env bash
# Build the small busybox initramfs that boots a Debian kernel under QEMU,
# loads the virtio/9p modules, mounts the host's root read-only over 9p and
# switches to it (see init).  Usage: mkinitramfs.sh KVER OUTPUT
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
