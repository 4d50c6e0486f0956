#!/usr/bin/env bash
# `make bench`: boot the guest in bench mode, where vbench runs every row
# with two V hosts of its own, and a second guest for the rows between two
# kernels (cluster.sh -m bench: it runs vbench --serve); keep its JSON as
# build/bench.json, print its table, and plot docs/bench.png (gnuplot, on
# this machine, after the guest has finished).
#
#   bench.sh -k KVER
#
# VK_BENCH_N (iterations), VK_BENCH_SECS (per-row budget) and VK_BENCH_ONLY
# (rows, separated by +) reach vbench through VK_GUEST_ENV.  A second boot
# counts guest instructions per row (the *_insns rows; VK_BENCH_INSNS=0:
# not).  Exit status: run.sh's, or 1
# when no JSON came back.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build

kver=""
while getopts "k:" o; do
	case $o in
	k) kver=$OPTARG ;;
	*) echo "usage: $0 -k KVER" >&2; exit 2 ;;
	esac
done
[ -n "$kver" ] || { echo "bench.sh: -k KVER required" >&2; exit 2; }

env=${VK_GUEST_ENV:-}
for v in VK_BENCH_N VK_BENCH_SECS VK_BENCH_ROUNDS VK_BENCH_ONLY VK_BENCH_PROFILE; do
	[ -n "${!v:-}" ] && env+="${env:+,}$v=${!v}"
done
out=$build/run/bench-$kver
# Two guests (cluster.sh -m bench), so that the peer_ rows have another
# kernel; VK_BENCH_PEER=0, or not root (the taps and their bridge need
# it): one guest, the peer_ rows skipped.
peer=${VK_BENCH_PEER:-1}
if [ "$peer" != 0 ] && [ "$(id -u)" != 0 ]; then
	echo "# bench.sh: not root: one guest, the peer_ rows are skipped"
	peer=0
fi
if [ "$peer" = 0 ]; then
	VK_GUEST_ENV=$env "$here/run.sh" -k "$kver" -m bench -S 840 -t 900 -o "$out"
	rc=$? result=$out/result.txt
else
	VK_GUEST_ENV=$env "$here/cluster.sh" -k "$kver" -m bench -S 840 -t 900 -o "$out"
	rc=$? result=$out/result-b.txt
fi

awk '{ sub(/\r$/, "") } /^# vk-bench-json-end/ { f = 0 } f { print } /^# vk-bench-json-begin/ { f = 1 }' \
	"$result" >"$build/bench.json.tmp"
if [ ! -s "$build/bench.json.tmp" ]; then
	rm -f "$build/bench.json.tmp"
	echo "bench.sh: no JSON from the guest (see $result)" >&2
	exit 1
fi
mv "$build/bench.json.tmp" "$build/bench.json"
echo "# wrote $build/bench.json"

# The *_insns rows: the same rows once more in a boot of their own under
# the instruction-counting TCG plugin (build/qemu/libinsns.so; it slows
# the guest, so no time comes from this boot), both processes of a row on
# CPU 0, every vCPU counted, idle vCPUs halting (idle=halt) instead of
# polling.  One guest: the peer_ rows have no count.  VK_BENCH_INSNS=0
# skips it.
if [ "${VK_BENCH_INSNS:-1}" != 0 ]; then
	iout=$build/run/bench-insns-$kver
	plugin=$build/qemu/libinsns.so
	if [ ! -e "$plugin" ]; then
		echo "bench.sh: no $plugin (make bench builds it): no *_insns rows" >&2
		rc=1
	else
		VK_QEMU_ARGS="-plugin $plugin -d plugin -D $iout/insns.log" \
			VK_GUEST_ENV="$env${env:+,}VK_BENCH_INSNS=1" \
			"$here/run.sh" -k "$kver" -m bench -S 1500 -t 1600 -o "$iout" -A idle=halt
		irc=$?
		if ! "$repo/scripts/bench-insns.sh" "$iout/insns.log" "$iout/result.txt" \
			"$build/bench.json"; then
			irc=1
		fi
		[ $irc = 0 ] || rc=$irc
	fi
fi
if command -v gnuplot >/dev/null 2>&1; then
	"$repo/scripts/bench-plot.sh" "$build/bench.json" "$repo/docs/bench.png" &&
		echo "# wrote docs/bench.png"
else
	echo "# no gnuplot: docs/bench.png not redrawn (make deps installs gnuplot-nox)"
fi
exit $rc
