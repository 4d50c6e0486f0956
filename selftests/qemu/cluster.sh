#!/usr/bin/env bash
# Host side of the "cluster" suite: two QEMU guests, two V hosts, joined by
# tap devices on a bridge inside a network namespace this script creates
# (vkcl-PID; the machine's own interfaces are never touched).
#
#   cluster.sh [-k KVER] [-m cluster|bench] [-t SECONDS] [-S SECONDS] [-o DIR]
#
# Guest A (vkrole=a) runs selftests/cluster_peer.c, guest B (vkrole=b) the
# suite selftests/cluster.c; both through guest.sh in vkmode=cluster and
# selftests/cluster-guest.sh.  With -m bench (make bench, bench.sh) guest A
# runs "vbench --serve" (vkrole=serve) and guest B, with two CPUs, the
# whole of vbench in guest.sh's bench mode, its peer_ rows against A
# (addresses ip[] below); the report is then run.sh's for -m bench.
# When B prints "# vk-cluster: kill-a" on its result stream, this script
# kills A's QEMU (the host disappears: that is what the last test checks;
# A's death is not a failure).  Everything else fails the run: B's TAP
# through report.awk, a kernel warning or oops in either console, A ending
# before it was killed, either guest outliving the timeout (both are
# killed then).  The network namespace (bridge, taps)
# is deleted and both QEMUs are killed on every exit path.
#
# Exit status: 0 when every test passed and both guests were clean.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build

kver="" mode=cluster timeout=300 stimeout="" outdir=""
while getopts "k:m:t:S:o:" o; do
	case $o in
	k) kver=$OPTARG ;;
	m) mode=$OPTARG ;;
	t) timeout=$OPTARG ;;
	S) stimeout=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) echo "usage: $0 [-k KVER] [-m cluster|bench] [-t SECS] [-S SECS] [-o DIR]" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || { echo "cluster.sh: -k KVER required" >&2; exit 2; }
case $mode in
cluster|bench) ;;
*) echo "cluster.sh: -m cluster or bench, not '$mode'" >&2; exit 2 ;;
esac
stimeout=${stimeout:-$timeout}
outdir=${outdir:-$build/run/$mode-$kver}
rm -rf "$outdir" && mkdir -p "$outdir" || exit 2
problems=$outdir/host-problems.txt
: >"$problems"
problem() { echo "$*" >>"$problems"; }

ns=vkcl-$$
br=vkclbr
declare -A mac=([a]=52:54:00:76:6b:01 [b]=52:54:00:76:6b:02)
declare -A ip=([a]=10.198.0.1 [b]=10.198.0.2)
declare -A qpid=()
t0=$(date +%s.%N)

report() {
	local qrc=${1:-1}
	trap - EXIT
	cleanup
	local rmode=check want=cluster
	[ "$mode" = bench ] && rmode=bench want=""
	exec awk -v qrc="$qrc" -v t0="$t0" -v t1="$(date +%s.%N)" -v kver="$kver" -v mode="$rmode" \
		-v want="$want" -v console="$outdir/console-b.log" -v outdir="$outdir" \
		-v more_consoles="$outdir/console-a.log $outdir/result-a.txt" \
		-v host_problems="$problems" -f "$here/report.awk" "$outdir/result-b.txt"
}

running() { [ -n "${qpid[$1]:-}" ] && [ ! -e "$outdir/qrc-$1" ]; }

cleanup() {
	local r
	for r in a b; do
		running "$r" && kill -KILL "${qpid[$r]}" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'problem "cluster.sh: interrupted"; report 1' INT TERM

# Preconditions: each missing one is reported as a failure of the suite.
touch "$outdir/result-b.txt" "$outdir/console-b.log" "$outdir/console-a.log" "$outdir/result-a.txt"
needs=("$build/tests/cluster" "$build/tests/cluster_peer" "$build/daemons/vexecd" "$build/tools/vrun")
[ "$mode" = bench ] && needs=("$build/tools/vbench")
for f in "/boot/vmlinuz-$kver" "$build/kmod/$kver/vkmod.ko" "${needs[@]}" "$build/tools/vctl"; do
	[ -e "$f" ] || problem "cluster.sh: $f missing"
done
[ "$(id -u)" = 0 ] || problem "cluster.sh: network namespaces need root"
command -v qemu-system-x86_64 >/dev/null || problem "cluster.sh: qemu-system-x86_64 missing"
[ -s "$problems" ] && report 1

initrd=$build/initramfs-$kver.cpio.gz
exec 9>"$build/.guest-prep.lock"	# run.sh's lock: one makes it, the others wait
flock 9
if [ ! -e "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$kver" "$initrd" || { problem "cluster.sh: mkinitramfs failed"; report 1; }
fi
exec 9>&-

# KVM only where run.sh found it working (build/accel-probe) or when forced.
accel=(-accel tcg -cpu max,la57=off)
if [ "${VK_ACCEL:-}" = kvm ] ||
   { [ "${VK_ACCEL:-}" != tcg ] && [ "$(cat "$build/accel-probe" 2>/dev/null)" = kvm ]; }; then
	accel=(-accel kvm -cpu host,-arch-capabilities)
fi
echo "# qemu: ${accel[*]}, two guests, netns $ns"

# Namespaces left behind by a run that was killed (its script is gone).
for n in $(ip netns list 2>/dev/null | awk '/^vkcl-[0-9]+/ { print $1 }'); do
	kill -0 "${n#vkcl-}" 2>/dev/null || ip netns del "$n" 2>/dev/null
done

# The wire: a bridge and one persistent tap per guest, all inside $ns.
setup_net() {
	local r
	ip netns add "$ns" &&
	ip -n "$ns" link set lo up &&
	ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0 &&
	ip -n "$ns" link set "$br" up || return 1
	for r in a b; do
		ip -n "$ns" tuntap add dev "vkcl$r" mode tap &&
		ip -n "$ns" link set "vkcl$r" master "$br" &&
		ip -n "$ns" link set "vkcl$r" up || return 1
	done
}
if ! setup_net >"$outdir/netns.log" 2>&1; then
	problem "cluster.sh: network setup failed: $(tr '\n' ' ' <"$outdir/netns.log")"
	report 1
fi

scale=${VK_TIMEOUT_SCALE:-1}
start_guest() {
	local r=$1 cmdline gmode=cluster role=$1 smp=1
	if [ "$mode" = bench ]; then
		if [ "$r" = a ]; then role=serve; else gmode=bench smp=2; fi
	fi
	cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1"
	cmdline+=" vkrepo=$repo vkkver=$kver vkmode=$gmode vkrole=$role vkmac=${mac[$r]}"
	[ "$mode" = bench ] && cmdline+=" vkip=${ip[$r]} vkpeer=${ip[a]}"
	cmdline+=" vkstimeout=$stimeout vkscale=$scale vkargs=${VK_GUEST_ENV:-}"
	(
		ip netns exec "$ns" qemu-system-x86_64 -machine q35 "${accel[@]}" -smp "$smp" -m 1G \
			-nographic -no-reboot -kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
			-append "$cmdline" \
			-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
			-netdev "tap,id=n0,ifname=vkcl$r,script=no,downscript=no" \
			-device "virtio-net-pci,netdev=n0,mac=${mac[$r]},romfile=" \
			-device pvpanic -action panic=exit-failure -pidfile "$outdir/qemu-$r.pid" \
			-serial mon:stdio -serial "file:$outdir/result-$r.txt" \
			</dev/null >"$outdir/console-$r.log" 2>&1
		echo $? >"$outdir/qrc-$r"
	) 2>"$outdir/shell-$r.log" &	# (bash's "Killed" note for A)
	# The QEMU itself (not the subshell) is what gets killed.
	for _ in $(seq 100); do
		[ -s "$outdir/qemu-$r.pid" ] && break
		[ -e "$outdir/qrc-$r" ] && break
		sleep 0.1
	done
	qpid[$r]=$(cat "$outdir/qemu-$r.pid" 2>/dev/null)
	[ -n "${qpid[$r]}" ] || problem "guest $r: QEMU did not start: $(tail -3 "$outdir/console-$r.log" | tr '\n' ' ')"
}
start_guest a
start_guest b

# Watch B's result stream for the kill request; enforce the timeout, and
# VK_BOOT_TIMEOUT (as run.sh) for each guest to start guest.sh.
end=$(( $(date +%s) + timeout ))
boot_s=${VK_BOOT_TIMEOUT:-$((300 * scale))}
boot_end=$(( $(date +%s) + boot_s ))
killed_a="" a_noted="" noboot=""
while running b; do
	if [ -n "$boot_end" ] && [ "$(date +%s)" -ge "$boot_end" ]; then
		for r in a b; do
			grep -aqs '^# vk-boot' "$outdir/result-$r.txt" ||
				{ problem "guest $r did not boot: no \"# vk-boot\" within $boot_s s"; noboot=1; }
		done
		[ -n "$noboot" ] && break
		boot_end=""
	fi
	if [ -z "$killed_a" ] && grep -qF "# vk-cluster: kill-a" "$outdir/result-b.txt"; then
		if running a; then
			kill -KILL "${qpid[a]}"
			killed_a=$(awk -v t0="$t0" -v t="$(date +%s.%N)" 'BEGIN { printf "%.1f", t - t0 }')
			echo "# cluster: guest A killed at +$killed_a s, as the test asked"
		else
			killed_a=gone
		fi
	fi
	if [ -z "$killed_a$a_noted" ] && ! running a; then
		problem "guest A ended before the test had it killed (qemu status $(cat "$outdir/qrc-a")): see $outdir/console-a.log"
		a_noted=1
	fi
	if [ "$(date +%s)" -ge "$end" ]; then
		problem "cluster.sh: timeout after $timeout s: both guests killed"
		break
	fi
	sleep 0.1
done
if running b; then
	kill -KILL "${qpid[b]}" 2>/dev/null
fi
for _ in $(seq 50); do [ -e "$outdir/qrc-b" ] && break; sleep 0.1; done
qrc=$(cat "$outdir/qrc-b" 2>/dev/null || echo 1)
if [ -z "$killed_a" ] && [ -z "$a_noted" ] && ! running a; then
	problem "guest A ended before the test had it killed (qemu status $(cat "$outdir/qrc-a")): see $outdir/console-a.log"
fi
echo "# cluster: consoles $outdir/console-{a,b}.log, guest A's log $outdir/result-a.txt"
report "$qrc"
