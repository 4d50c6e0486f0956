#!/usr/bin/env bash
# Host side of the test runner: boot a Debian kernel in QEMU (KVM when
# /dev/kvm is usable, software emulation otherwise) with the host root
# shared read-only, run suites in the guest, print their TAP and a summary,
# and fail on anything the kernel reports or on a guest that does not finish.
#
#   run.sh [-k KVER] [-m check|demo|bench] [-s "suite ..."] [-t SECONDS] [-S SECONDS]
#          [-o DIR] [-i IMAGE] [-d KMODDIR] [-A "kernel args"] [-L]
#
#   -k  kernel release (names build/kmod/KVER, the initramfs, the output)
#   -t  whole guest timeout, -S per-suite timeout (both times VK_TIMEOUT_SCALE);
#       a guest that has not started guest.sh after VK_BOOT_TIMEOUT seconds
#       (default 300 times the scale) is stopped then, not at -t
#   -i  kernel image (or VK_KERNEL_IMAGE; default /boot/vmlinuz-KVER)
#   -d  directory of the vkmod.ko to load (or VK_KMOD_DIR; default
#       build/kmod/KVER); on the host root, which the guest sees read-only
#   -A  more kernel command line (or VK_CMDLINE_EXTRA)
#   VK_QEMU_ARGS: more QEMU arguments (split at spaces; bench.sh's plugin)
#   -L  kmemleak: the guest scans before loading vkmod (baseline, cleared)
#       and after unloading it; anything listed then fails the run, and so
#       does a kernel without kmemleak
#
# Exit status: 0 when every test passed and the guest was clean.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build

kver="" mode=check suites="" timeout=3600 outdir="" stimeout=900
image=${VK_KERNEL_IMAGE:-} kmoddir=${VK_KMOD_DIR:-} extra_args=${VK_CMDLINE_EXTRA:-} kmemleak=0
while getopts "k:m:s:t:o:S:i:d:A:L" o; do
	case $o in
	k) kver=$OPTARG ;;
	m) mode=$OPTARG ;;
	s) suites=$OPTARG ;;
	t) timeout=$OPTARG ;;
	S) stimeout=$OPTARG ;;
	o) outdir=$OPTARG ;;
	i) image=$OPTARG ;;
	d) kmoddir=$OPTARG ;;
	A) extra_args=$OPTARG ;;
	L) kmemleak=1 ;;
	*) echo "usage: $0 [-k KVER] [-m check|demo|bench] [-s SUITES] [-t SECS] [-S SECS] [-o DIR]" \
		"[-i IMAGE] [-d KMODDIR] [-A ARGS] [-L]" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || { echo "run.sh: -k KVER required" >&2; exit 2; }
image=${image:-/boot/vmlinuz-$kver}
kmoddir=$(cd "${kmoddir:-$build/kmod/$kver}" 2>/dev/null && pwd) ||
	{ echo "run.sh: no module directory ${kmoddir:-$build/kmod/$kver}" >&2; exit 2; }
[ -e "$image" ] || { echo "run.sh: no kernel image $image" >&2; exit 2; }
[ -e "$kmoddir/vkmod.ko" ] || { echo "run.sh: no vkmod.ko in $kmoddir (not built for $kver?)" >&2; exit 2; }
# The guest sees the repository at /mnt/repo (it may be under /tmp, which the
# guest hides) and the rest of the host root where it is.
case "$kmoddir/" in
"$repo"/*) gkmoddir=/mnt/repo${kmoddir#"$repo"} ;;
/tmp/*) echo "run.sh: $kmoddir: the guest hides /tmp" >&2; exit 2 ;;
*) gkmoddir=$kmoddir ;;
esac
outdir=${outdir:-$build/run/$mode-$kver}
rm -rf "$outdir" && mkdir -p "$outdir"

# Guests of a pool (check.sh) start together: the first makes the initramfs
# and probes KVM, the others wait for it (the lock goes with fd 9).
exec 9>"$build/.guest-prep.lock"
flock 9
initrd=$build/initramfs-$kver.cpio.gz
if [ ! -e "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$kver" "$initrd" || exit 1
fi

# KVM when /dev/kvm works, software emulation otherwise (VK_ACCEL=tcg|kvm
# forces one).  /dev/kvm can exist and still not work: nested KVM on these
# machines refuses the arch-capabilities MSR with most CPU models and hangs
# before the kernel prints with the others.  So a real boot is tried once
# (the initramfs powers off at once with vkmode=probe) and the answer kept.
accel=(-accel tcg -cpu max,la57=off)
kvm=(-accel kvm -cpu host,-arch-capabilities)
probe=$build/accel-probe
if [ "${VK_ACCEL:-}" = kvm ]; then
	accel=("${kvm[@]}")
elif [ "${VK_ACCEL:-}" != tcg ] && [ -w /dev/kvm ]; then
	if [ ! -e "$probe" ]; then
		if timeout -k 2 20 qemu-system-x86_64 -machine q35 "${kvm[@]}" -m 256M -nographic \
			-no-reboot -kernel "$image" -initrd "$initrd" \
			-append "console=ttyS0 panic=-1 vkmode=probe" </dev/null 2>&1 |
			grep -q vk-probe-ok; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	[ "$(cat "$probe")" = kvm ] && accel=("${kvm[@]}")
fi
exec 9>&-
echo "# qemu: ${accel[*]}"
scale=${VK_TIMEOUT_SCALE:-1}
timeout=$((timeout * scale)) stimeout=$((stimeout * scale))
cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
cmdline+=" vkrepo=$repo vkkver=$kver vkmode=$mode vksuites=${suites// /,}"
cmdline+=" vkstimeout=$stimeout vkscale=$scale vkargs=${VK_GUEST_ENV:-}"
cmdline+=" vkkmod=$gkmoddir vkleakscan=$kmemleak${extra_args:+ $extra_args}"
echo "# kernel: $image, vkmod: $kmoddir/vkmod.ko, scale $scale (guest ${timeout} s, suite ${stimeout} s)"

boot_s=${VK_BOOT_TIMEOUT:-$((300 * scale))}
t0=$(date +%s.%N)
# One boot; qrc, and noboot when the watchdog stopped it.
boot() {
	timeout -k 10 "$timeout" qemu-system-x86_64 -machine q35 "${accel[@]}" -smp 2 -m 1G \
		-nographic -no-reboot -kernel "$image" -initrd "$initrd" \
		-append "$cmdline" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-device pvpanic -action panic=exit-failure ${VK_QEMU_ARGS:-} \
		-serial mon:stdio -serial "file:$outdir/result.txt" \
		</dev/null >"$outdir/console.log" 2>&1 &
	qpid=$!
	# Boot watchdog: a kernel that hangs before guest.sh says "# vk-boot"
	# would otherwise hold the run for the whole guest timeout (an hour,
	# four with the debug kernel's scale).
	local b0=$(date +%s)
	noboot=0
	while kill -0 "$qpid" 2>/dev/null && ! grep -aqs '^# vk-boot' "$outdir/result.txt"; do
		if [ "$(($(date +%s) - b0))" -ge "$boot_s" ]; then
			noboot=$boot_s
			kill -TERM "$qpid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$qpid"
	qrc=$?
}
trap 'kill -TERM "$qpid" 2>/dev/null; exit 130' INT TERM
boot
# A guest that died or hung before guest.sh started (no "# vk-boot":
# vkmod not loaded yet, nothing of ours ran) is booted once more.  Under
# emulation the kernels rarely fail that early (6.12: "Oops: int3" in a
# timer softirq while the tracer initialises; the debug kernel: a hang at
# "Running RCU-tasks wait API self tests", stopped by the watchdog; each
# seen in 2026-12 runs).  The first console is kept as console-boot1.log
# and the retry is said.
if ! grep -aqs '^# vk-boot' "$outdir/result.txt"; then
	mv "$outdir/console.log" "$outdir/console-boot1.log"
	rm -f "$outdir/result.txt"
	if [ "$noboot" != 0 ]; then
		echo "# guest did not boot within $noboot s (VK_BOOT_TIMEOUT):" \
			"$(tail -n 1 "$outdir/console-boot1.log" | tr -cd '[:print:]')"
	else
		echo "# guest died before its suites started (qemu status $qrc):" \
			"$(grep -a -m1 -E 'Oops|BUG:|Kernel panic' "$outdir/console-boot1.log" | tr -d '\r')"
	fi
	echo "# booting it again (first console: $outdir/console-boot1.log)"
	boot
fi
t1=$(date +%s.%N)

exec awk -v qrc="$qrc" -v noboot="$noboot" -v t0="$t0" -v t1="$t1" -v kver="$kver" -v mode="$mode" \
	-v want="$suites" -v console="$outdir/console.log" -v outdir="$outdir" \
	-f "$here/report.awk" "$outdir/result.txt"
