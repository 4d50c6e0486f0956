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
# (rows, separated by +) reach vbench through VK_GUEST_ENV.  Exit status: run.sh's, or 1
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
if command -v gnuplot >/dev/null 2>&1; then
	"$repo/scripts/bench-plot.sh" "$build/bench.json" "$repo/docs/bench.png" &&
		echo "# wrote docs/bench.png"
else
	echo "# no gnuplot: docs/bench.png not redrawn (make deps installs gnuplot-nox)"
fi
exit $rc
