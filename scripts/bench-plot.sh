#!/usr/bin/env bash
# Draw docs/bench.png from build/bench.json: one panel per group, V beside
# its Linux baselines (skipped rows left out).  Needs gnuplot (gnuplot-nox).
#
#   bench-plot.sh BENCH.JSON OUT.PNG
set -euo pipefail
json=$1 png=$2
mkdir -p "$(dirname "$png")"
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT

# One line per measured row: group, key, value.  The JSON is vbench's: one
# row a line, "key": {"value": V, ...}.
awk '
	match($0, /^ *"[a-z0-9_]+": \{"value": [-0-9.e+]+/) {
		s = substr($0, RSTART, RLENGTH)
		gsub(/[":{]/, " ", s)
		split(s, f, " ")
		key = f[1]; val = f[3]
		g = ""
		if (key ~ /^peer_/) g = "plat"
		else if (key ~ /_rr_ns$|^local_srr_ns$/) g = "lat"
		else if (key ~ /_64k_mbps$/) g = "bw64"
		else if (key ~ /_1m_mbps$/ && key !~ /remote|tcp_stream/) g = "bw1m"
		else if (key ~ /_rr_us$|^remote_srr_us$/) g = "rlat"
		else if (key ~ /_64k_ms$/) g = "r64"
		else if (key ~ /remote_movefrom_1m|tcp_stream_1m|file_read_mbps$/) g = "r1m"
		else if (key ~ /file.*_page_us$/) g = "rfile"
		else if (key ~ /_per_s_/) g = "rate"
		if (g != "") printf "%s %s %s\n", g, key, val
	}' "$json" >"$dat"

panel() {	# group, title, ylabel
	if grep -q "^$1 " "$dat"; then
		printf 'set title "%s"; set ylabel "%s"\n' "$2" "$3"
		printf "plot '< grep \"^%s \" %s' using 0:3:xtic(2) with boxes lc rgb '#4477aa' notitle\n" "$1" "$dat"
	else
		printf 'set title "%s (not measured)"; unset ylabel; plot 0 notitle\n' "$2"
	fi
}

{
	echo "set terminal pngcairo size 1600,1400 noenhanced font 'sans,9' 2>/dev/null"
	echo "set output '$png'"
	echo "set style fill solid 0.8; set boxwidth 0.6; set grid ytics"
	echo "set xtics rotate by -40; set yrange [0:*]"
	echo "set multiplot layout 3,3 title 'vkmod: V IPC beside Linux IPC ($(basename "$json"))'"
	panel lat "local round trip, 32 bytes" "ns (median)"
	panel bw64 "local copy, 64 KiB" "MB/s"
	panel bw1m "local copy, 1 MiB" "MB/s"
	panel rate "Send-Receive-Reply per second" "1/s"
	panel rlat "remote round trip, 32 bytes" "us (median)"
	panel r64 "remote 64 KiB (MoveTo / raw frames)" "ms (median)"
	panel r1m "remote 1 MiB (MoveFrom, vfsd read / TCP)" "MB/s"
	panel rfile "remote 4 KiB file page read (vfsd / TCP pread)" "us (median)"
	panel plat "round trip to another kernel (--peer), 32 bytes" "us (median)"
	echo "unset multiplot"
} >"$dat.gp"
# pngcairo is in gnuplot-nox; fall back to the plain png terminal.
if ! gnuplot "$dat.gp" 2>/dev/null; then
	sed -i 's/^set terminal pngcairo.*/set terminal png size 1600,1400 noenhanced/' "$dat.gp"
	gnuplot "$dat.gp"
fi
rm -f "$dat.gp"
