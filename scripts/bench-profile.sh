#!/usr/bin/env bash
# Where a row's guest instructions go: one boot under the counting plugin
# in its profile mode (selftests/qemu/insns.c, prof=on), the row alone,
# and the functions (kernel, vkmod, or user space as one) by instructions
# per iteration, most first.  For the fast-path work: measure before and
# after a change to the path (docs/PERFORMANCE.md).
#
#   bench-profile.sh [-k KVER] [-n TOP] ROW      (make bench-profile ROW=local_srr)
#
# ROW is a vbench row as --only takes it (local_srr, pipe_rr, ...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=$repo/build
kver=$(uname -r) top=40
while getopts "k:n:" o; do
	case $o in
	k) kver=$OPTARG ;;
	n) top=$OPTARG ;;
	*) echo "usage: $0 [-k KVER] [-n TOP] ROW" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || { echo "usage: $0 [-k KVER] [-n TOP] ROW" >&2; exit 2; }
row=$1
plugin=$build/qemu/libinsns.so
[ -e "$plugin" ] || { echo "bench-profile.sh: no $plugin (make bench-profile builds it)" >&2; exit 1; }
out=$build/run/bench-prof-$kver
mkdir -p "$out"
rm -f "$out/insns.log"

VK_QEMU_ARGS="-plugin $plugin,prof=on -d plugin -D $out/insns.log" \
	VK_GUEST_ENV="VK_BENCH_INSNS=1,VK_BENCH_KALLSYMS=1,VK_BENCH_ONLY=$row,VK_BENCH_N=${VK_BENCH_N:-4000}" \
	"$repo/selftests/qemu/run.sh" -k "$kver" -m bench -S 600 -t 700 -o "$out" -A idle=halt >"$out/run.log" 2>&1 ||
	{ echo "bench-profile.sh: the guest failed (see $out/run.log)" >&2; exit 1; }

tr -d '\r' <"$out/result.txt" | sed -n 's/^# vk-kallsyms //p' | base64 -d | gunzip >"$out/kallsyms"
samples=$(tr -d '\r' <"$out/result.txt" | awk '$1 == "#" && $2 == "vk-insns-row" { n += $5 } END { print n + 0 }')
[ -s "$out/kallsyms" ] && [ "$samples" -gt 0 ] ||
	{ echo "bench-profile.sh: no symbols or no counted row (see $out/result.txt)" >&2; exit 1; }

# Addresses and symbols as fixed-width hex sort together: each address
# belongs to the symbol before it; below the kernel's first is user space.
{
	awk '{ printf "%s S %s%s\n", $1, $3, $4 == "" ? "" : " " $4 }' "$out/kallsyms"
	awk '$1 == "vk-prof" { print $2, "P", $3 }' "$out/insns.log"
} | LC_ALL=C sort -k1,1 -s | awk -v samples="$samples" -v top="$top" '
	$2 == "S" { sym = $3 ($4 == "" ? "" : " " $4); next }
	{ f = sym == "" ? "[user space]" : sym; n[f] += $3; total += $3 }
	END {
		printf "# %s: %.0f guest instructions per iteration (%d iterations)\n", row, total / samples, samples
		for (f in n) printf "%10.0f %5.1f%%  %s\n", n[f] / samples, 100 * n[f] / total, f
	}' row="$row" | { IFS= read -r head; echo "$head"; sort -k1,1 -n -r | head -n "$top"; }
