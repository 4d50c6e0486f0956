#!/usr/bin/env bash
# Turn a `vbench --insns` boot into the *_insns rows of build/bench.json.
#
#   bench-insns.sh PLUGIN_LOG GUEST_RESULT BENCH_JSON
#
# PLUGIN_LOG has the counter's lines "vk-insns MARK TOTAL" (selftests/qemu/
# insns.c; MARK is 564b + serial*2 + end, in hex), GUEST_RESULT vbench's
# "# vk-insns-row KEY SERIAL SAMPLES" (one per round of a row).  A row's
# figure is the fewest instructions per sample over its rounds (what the
# machine's timer ticks and other noise can only add to), keyed KEY with
# its unit suffix replaced by _insns (local_srr_ns -> local_srr_insns);
# "max" is the most over the rounds.  The rows are added to BENCH_JSON
# (any earlier *_insns rows replaced), and printed with the ratios the
# fast-path issue targets.  Exit status 1 when no row could be counted.
set -euo pipefail
log=$1 result=$2 json=$3

rows=$(awk '
	{ sub(/\r$/, "") }
	FILENAME == ARGV[1] && $1 == "vk-insns" { total[$2] = $3; next }
	FILENAME == ARGV[2] && $1 == "#" && $2 == "vk-insns-row" {
		key = $3; serial = $4; n = $5
		start = sprintf("%08x", 1447755776 + serial * 2)	# 0x564b0000
		end = sprintf("%08x", 1447755776 + serial * 2 + 1)
		if (!(start in total) || !(end in total) || n <= 0)
			next
		v = (total[end] - total[start]) / n
		sub(/_(ns|us|ms|mbps)$/, "", key)
		key = key "_insns"
		if (!(key in lo) || v < lo[key]) lo[key] = v
		if (!(key in hi) || v > hi[key]) hi[key] = v
		rounds[key]++
		samples[key] += n
		if (!(key in order)) { order[key] = ++nkeys; keys[nkeys] = key }
	}
	END {
		for (i = 1; i <= nkeys; i++) {
			k = keys[i]
			printf "%s %.0f %.0f %d %d\n", k, lo[k], hi[k], rounds[k], samples[k]
		}
	}' "$log" "$result")
[ -n "$rows" ] || { echo "bench-insns.sh: no row was counted (see $log, $result)" >&2; exit 1; }

tmp=$json.tmp
awk -v rows="$rows" '
	/"[a-z0-9_]*_insns":/ { next }		# an earlier run of this script
	{ line[++n] = $0 }
	END {
		# Every line but the closing brace, the last row given a comma.
		for (i = 1; i < n; i++) {
			s = line[i]
			if (i == n - 1 && s !~ /,$/ && s != "{") s = s ","
			print s
		}
		m = split(rows, r, "\n")
		for (i = 1; i <= m; i++) {
			split(r[i], f, " ")
			printf "  \"%s\": {\"value\": %s, \"unit\": \"insns\", \"max\": %s, \"rounds\": %s, \"samples\": %s}%s\n",
				f[1], f[2], f[3], f[4], f[5], i < m ? "," : ""
		}
		print line[n]
	}' "$json" >"$tmp"
mv "$tmp" "$json"

echo "# guest instructions per sample (fewest over the rounds; most in brackets)"
awk '{ printf "  %-36s %10d  (%d)\n", $1, $2, $3 }' <<<"$rows"
echo "# targets (docs/PERFORMANCE.md): V's instructions over the baseline's"
awk '
	{ v[$1] = $2 }
	function t(what, a, b, most) {
		if (!(a in v) || !(b in v) || v[b] == 0) {
			printf "  %-58s  n/a\n", what
			return
		}
		printf "  %-58s  %.2f (target <= %.2f) %s\n", what, v[a] / v[b], most,
			v[a] / v[b] <= most ? "met" : "NOT met"
	}
	END {
		t("local_srr_insns / eventfd_rr_insns", "local_srr_insns", "eventfd_rr_insns", 1.0)
		t("local_srr_insns / pipe_rr_insns", "local_srr_insns", "pipe_rr_insns", 0.85)
		t("local_movefrom_64k / process_vm_readv_64k", "local_movefrom_64k_insns", "process_vm_readv_64k_insns", 1.0)
		t("local_moveto_64k / process_vm_writev_64k", "local_moveto_64k_insns", "process_vm_writev_64k_insns", 1.0)
		t("local_movefrom_1m / process_vm_readv_1m", "local_movefrom_1m_insns", "process_vm_readv_1m_insns", 1.0)
		t("local_moveto_1m / process_vm_writev_1m", "local_moveto_1m_insns", "process_vm_writev_1m_insns", 1.0)
		t("remote_srr_insns / udp_rr_insns", "remote_srr_insns", "udp_rr_insns", 0.6)
	}' <<<"$rows"
