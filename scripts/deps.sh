#!/usr/bin/env bash
# Install what building and testing vkmod needs, on a Debian bookworm machine.
# Idempotent and quiet when everything is present: `make check` and `make demo`
# call it first, so a fresh machine needs nothing installed by hand.
set -euo pipefail

log() { printf 'deps: %s\n' "$*" >&2; }

pkgs=(qemu-system-x86 busybox-static cpio libnl-3-dev libnl-genl-3-dev
      linux-source-6.1 sparse gcc-multilib iproute2 xz-utils make gcc
      pkg-config bc flex bison libelf-dev kmod dkms gnuplot-nox g++ python3
      libfuse3-dev fuse3 sqlite3 git fio stress-ng nfs-kernel-server)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

# Kernels: the 6.1 LTS meta-packages and the newest 6.12 build that has both
# an image and headers (superseded builds leave the archive, headers exist for
# some builds only, so this is decided at install time, never hard-coded).
ls /boot/vmlinuz-6.1.*-amd64 >/dev/null 2>&1 && ls -d /lib/modules/6.1.*-amd64/build >/dev/null 2>&1 ||
	missing+=(linux-image-amd64 linux-headers-amd64)

need_612=1
for b in /lib/modules/6.12.*-amd64/build; do
	[ -d "$b" ] && [ -e "/boot/vmlinuz-$(basename "$(dirname "$b")")" ] && need_612=0
done

stamp=/var/lib/apt/periodic/vkmod-update-stamp
if [ ${#missing[@]} -gt 0 ] || [ $need_612 = 1 ]; then
	if [ ! -e $stamp ] || [ -n "$(find $stamp -mmin +360 2>/dev/null)" ]; then
		log "apt-get update"
		apt-get update -q >/dev/null
		mkdir -p "$(dirname $stamp)" && touch $stamp
	fi
fi

if [ $need_612 = 1 ]; then
	v=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V -r |
		while read -r ver; do
			if apt-cache show "linux-image-$ver" >/dev/null 2>&1 ||
			   apt-cache show "linux-image-$ver-unsigned" >/dev/null 2>&1; then
				echo "$ver"; break
			fi
		done)
	if [ -n "$v" ]; then
		if apt-cache show "linux-image-$v" >/dev/null 2>&1; then
			missing+=("linux-image-$v" "linux-headers-$v")
		else
			missing+=("linux-image-$v-unsigned" "linux-headers-$v")
		fi
	else
		log "no 6.12 kernel with headers in the archive; 6.12 builds will be skipped"
	fi
fi

if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	# nfs-kernel-server is make bench's baseline, run only inside the
	# guest: its services must not start on this machine.  policy-rc.d
	# (exit 101) forbids that while apt runs, unless one is there already.
	own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d &&
			own_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/tmp/vkmod-apt.log 2>&1 || {
		[ $own_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
		tail -30 /tmp/vkmod-apt.log >&2; exit 1; }
	[ $own_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
fi

# The kernel source tarball is where kselftest_harness.h and checkpatch.pl come
# from; unpack just those parts once, outside the repository.
src=/usr/src/vkmod-linux-6.1
if [ ! -e $src/.done ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -1)
	log "unpacking selftest harness and checkpatch from $tarball"
	rm -rf $src && mkdir -p $src
	tar -xf "$tarball" -C $src --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' \
		'*/Documentation/userspace-api/ioctl/ioctl-number.rst' 
	touch $src/.done
fi
