#!/usr/bin/env bash
# Draw docs/bench.png from build/bench.json: one panel per group, V's bars
# (orange, "V") beside its Linux baselines (blue, each labelled with V's
# figure over its own: below 1 is better for times, above 1 for rates),
# skipped rows left out.  Needs gnuplot (gnuplot-nox).
#
#   bench-plot.sh BENCH.JSON OUT.PNG [DATA]     (DATA: keep the plotted rows there)
set -euo pipefail
json=$1 png=$2 keep=${3:-}
mkdir -p "$(dirname "$png")"
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT

# One line per measured row: group, key, value, colour, label.  V's bars
# are orange and labelled "V"; each baseline's bar is blue and labelled
# with V's figure over its own (the V row of its kind in the same panel:
# MoveFrom beside readv, MoveTo beside writev, a remote MoveFrom beside a
# TCP stream, vfsd reads beside TCP file reads, vfsd page reads and page
# writes beside the TCP ones, else the panel's first V row).  The JSON is
# vbench's: one row a line, "key": {"value": V, ...}.
awk '
	function isv(k) {
		return k ~ /^(local_|remote_|peer_srr|file_read_mbps|file_seq_read_page_us|file_page_write_us)/
	}
	match($0, /^ *"[a-z0-9_]+": \{"value": [-0-9.e+]+/) {
		s = substr($0, RSTART, RLENGTH)
		gsub(/[":{]/, " ", s)
		split(s, f, " ")
		key = f[1]; val = f[3]
		if (key ~ /_insns$/)
			next	# instructions per iteration: the table has them, not the plot
		g = ""
		if (key ~ /^peer_/) g = "plat"
		else if (key ~ /_rr_ns$|^local_srr_ns$/) g = "lat"
		else if (key ~ /_64k_mbps$/) g = "bw64"
		else if (key ~ /_1m_mbps$/ && key !~ /remote|tcp_stream/) g = "bw1m"
		else if (key ~ /_rr_us$|^remote_srr_us$/) g = "rlat"
		else if (key ~ /_64k_ms$/) g = "r64"
		else if (key ~ /remote_movefrom_1m|tcp_stream_1m|file_read_mbps$/) g = "r1m"
		else if (key ~ /file.*_page(_write)?_us$/) g = "rfile"
		else if (key ~ /_per_s_/) g = "rate"
		if (g == "")
			next
		n++; G[n] = g; K[n] = key; V[n] = val
		if (isv(key)) {
			if (!(g in first)) first[g] = n
			if (key ~ /movefrom/) from[g] = n
			if (key ~ /moveto/) to[g] = n
			if (key ~ /remote_movefrom/) rmf[g] = n
			if (key ~ /^file_read/) frd[g] = n
			if (key ~ /^file_seq_read_page/) fpr[g] = n
			if (key ~ /^file_page_write/) fpw[g] = n
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			g = G[i]
			if (isv(K[i])) {
				printf "%s %s %s 15627059 V\n", g, K[i], V[i]
				continue
			}
			v = first[g]
			if (K[i] ~ /readv/ && (g in from)) v = from[g]
			if (K[i] ~ /writev/ && (g in to)) v = to[g]
			if (K[i] ~ /tcp_stream/ && (g in rmf)) v = rmf[g]
			if (K[i] ~ /tcp_file_read/ && (g in frd)) v = frd[g]
			if (K[i] ~ /^tcp_file_page_us$/) v = (g in fpr) ? fpr[g] : 0
			if (K[i] ~ /^tcp_file_page_write_us$/) v = (g in fpw) ? fpw[g] : 0
			lab = (v && V[i] + 0 != 0) ? sprintf("V/this=%.2f", V[v] / V[i]) : "-"
			printf "%s %s %s 4486058 %s\n", g, K[i], V[i], lab
		}
	}' "$json" >"$dat"

panel() {	# group, title, ylabel
	if grep -q "^$1 " "$dat"; then
		printf 'set title "%s"; set ylabel "%s"\n' "$2" "$3"
		printf "plot '< grep \"^%s \" %s' using 0:3:4:xtic(2) with boxes lc rgb variable notitle, " "$1" "$dat"
		printf "'' using 0:3:5 with labels offset 0,0.7 notitle\n"
	else
		printf 'set title "%s (not measured)"; unset ylabel; plot 0 notitle\n' "$2"
	fi
}

{
	echo "set terminal pngcairo size 1600,1400 noenhanced font 'sans,9' 2>/dev/null"
	echo "set output '$png'"
	echo "set style fill solid 0.8; set boxwidth 0.6; set grid ytics"
	echo "set xtics rotate by -40; set yrange [0:*]; set offsets 0, 0, graph 0.12, 0"
	echo "set multiplot layout 3,3 title 'vkmod: V IPC beside Linux IPC ($(basename "$json"))'"
	panel lat "local round trip, 32 bytes" "ns (median)"
	panel bw64 "local copy, 64 KiB" "MB/s"
	panel bw1m "local copy, 1 MiB" "MB/s"
	panel rate "Send-Receive-Reply per second" "1/s"
	panel rlat "remote round trip, 32 bytes" "us (median)"
	panel r64 "remote 64 KiB (MoveTo / raw frames)" "ms (median)"
	panel r1m "remote 1 MiB (MoveFrom, vfsd read / TCP)" "MB/s"
	panel rfile "remote 4 KiB file page read, write (vfsd / TCP pread, pwrite)" "us (median)"
	panel plat "round trip to another kernel (--peer), 32 bytes" "us (median)"
	echo "unset multiplot"
} >"$dat.gp"
# pngcairo is in gnuplot-nox; fall back to the plain png terminal.
if ! gnuplot "$dat.gp" 2>/dev/null; then
	sed -i 's/^set terminal pngcairo.*/set terminal png size 1600,1400 noenhanced/' "$dat.gp"
	gnuplot "$dat.gp"
fi
rm -f "$dat.gp"
[ -z "$keep" ] || cp "$dat" "$keep"
