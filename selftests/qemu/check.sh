#!/usr/bin/env bash
# `make check`: run the requested suites in a pool of QEMU guests, one guest
# per suite (two for "cluster", cluster.sh; run.sh for every other suite),
# and close with one line "N passed, N failed[, N skipped]" covering all of
# them.  While one guest waits (timeouts, host-down bounds, sleeps of its
# tests) another works, so a pool of guests finishes long before one guest
# running the suites one after another would.
#
#   check.sh -k KVER -s "suite ..." [-j JOBS] [-- run.sh options]
#
# -j (or VK_JOBS): guests at once (default 4; the machine has 2 cores, and
# oversubscribing them is the point: most of a suite's wall time is waiting).
# Options after -- go to run.sh (make check-debug: -i IMAGE -d KMODDIR -L ...).
#
# Each suite's output is kept in build/run/check-KVER/SUITE.out and printed
# whole once it and every suite before it (in the order asked) have ended,
# so the output does not depend on which guest finished first.  Progress
# (a suite started, a suite ended) goes to stderr at once.  Each runner's
# own closing line is kept as a comment; a runner with none fails.
#
# The pool starts the suites that take longest first (est[] below), so the
# last ones to end are short.  A suite's timeout in its guest is 3 times its
# quiet time (at least 240 s), times VK_TIMEOUT_SCALE: a hung suite fails by
# name when it passes it, and the other guests go on.
#
# Exit status: 0 when every runner passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build

kver="" suites="" jobs=${VK_JOBS:-4}
while getopts "k:s:j:" o; do
	case $o in
	k) kver=$OPTARG ;;
	s) suites=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 -k KVER -s SUITES [-j JOBS] [-- run.sh options]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$kver" ] || { echo "check.sh: -k KVER required" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "check.sh: -j wants a positive number" >&2; exit 2; }

# Wall time of each suite in its own guest, boot included, in seconds, on a
# quiet two-core machine under TCG with the pool full (4 guests; alone each
# takes a half to a third of this: docs/TESTING.md has both).  For the order
# and the timeouts only; a suite not listed counts as 60 s.
declare -A est=([install]=530 [fault]=250 [net]=245 [groups]=245 [ctl]=240 [services]=125
	[auth]=115 [naming]=60 [flood]=110 [sec]=60 [lan]=90 [perf]=55 [fuzz]=52 [local]=43 [path]=40 [python]=40 [notify]=40 [pulse]=55 [sched]=60 [bulk]=100 [udp]=110 [scale]=110 [vfs]=250 [vshare]=120 [exec]=90 [cluster]=45 [base]=38)

out=$build/run/check-$kver
mkdir -p "$out" || exit 2
sums=$out/sums
: >"$sums"
status=0
t0=$(date +%s)
since() { echo $(($(date +%s) - t0)); }

# The order asked (printing) and the order started (longest first).
order=()
for s in $suites; do order+=("$s"); done
mapfile -t start_order < <(for s in "${order[@]}"; do echo "${est[$s]:-60} $s"; done | sort -k1,1nr -s | cut -d' ' -f2)

# One suite, in its own guest(s); output and exit status to $out/SUITE.*.
# The install suite's DKMS build runs here on the host first (dkms-stage.sh,
# in a private mount namespace): under emulation it was the longest step
# of the whole run; the guest then only installs what it built, loads it and
# removes it.
run_suite() {
	local s=$1 secs=$((${est[$1]:-60} * 3)) rc env=${VK_GUEST_ENV:-} prio=5
	shift	# the rest: run.sh's options
	[ "$secs" -ge 240 ] || secs=240
	# The longest suite is the pool's critical path: its guest gets the
	# CPU first (the others run at nice 5), so it ends closer to the rest.
	[ "$s" = "${start_order[0]}" ] && prio=0
	if [ "$s" = cluster ]; then
		nice -n "$prio" "$here/cluster.sh" -k "$kver" -o "$out/cluster" \
			-t "$((secs * ${VK_TIMEOUT_SCALE:-1}))"
	else
		if [ "$s" = install ] && [ -d "/lib/modules/$kver/build" ] &&
		   "$here/dkms-stage.sh" "$kver" "$out/install-dkms"; then
			env+="${env:+,}VK_DKMS_STAGE=/mnt/repo${out#"$repo"}/install-dkms"
		fi
		VK_GUEST_ENV=$env nice -n "$prio" "$here/run.sh" -k "$kver" -m check -s "$s" \
			-o "$out/$s" -S "$secs" -t "$((secs + 300))" "$@"
	fi >"$out/$s.out" 2>&1
	rc=$?
	echo "$rc $(date +%s)" >"$out/$s.rc"
	return "$rc"
}

# Print one ended suite's output, its closing line turned into a comment,
# and keep its counts.  No closing line at all counts as a failure.
show() {
	local s=$1
	awk -v label="$s" -v sums="$sums" '
		/^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
			last = $0; print "# " label ": " $0; next
		}
		{ print }
		END {
			if (last == "") {
				print "not ok - " label ": no summary line (runner failed)"
				last = "0 passed, 1 failed"
			}
			print last >>sums
		}' "$out/$s.out"
	[ "$(cut -d' ' -f1 "$out/$s.rc")" = 0 ] || status=1
}

declare -A pid_of=() started=()
running=0 next=0 shown=0
rm -f "$out"/*.rc
trap 'kill -TERM $(jobs -p) 2>/dev/null; exit 130' INT TERM
echo "# check: ${#order[@]} suite(s) in up to $jobs guests at once: ${start_order[*]}" >&2
while [ "$shown" -lt "${#order[@]}" ]; do
	while [ "$running" -lt "$jobs" ] && [ "$next" -lt "${#start_order[@]}" ]; do
		s=${start_order[$next]}
		next=$((next + 1))
		run_suite "$s" "$@" &
		pid_of[$!]=$s started[$s]=$(date +%s) running=$((running + 1))
		echo "# check: +$(since) s $s started ($running running)" >&2
	done
	if [ "$running" -gt 0 ]; then
		wait -n -p done_pid
		s=${pid_of[$done_pid]:-}
		if [ -n "$s" ]; then
			running=$((running - 1))
			# Killed before it could say: a failure, not a wait for ever.
			[ -e "$out/$s.rc" ] || echo "1 $(date +%s)" >"$out/$s.rc"
			echo "# check: +$(since) s $s ended after $(($(date +%s) - started[$s])) s" \
				"(rc $(cut -d' ' -f1 "$out/$s.rc" 2>/dev/null))" >&2
		fi
	fi
	while [ "$shown" -lt "${#order[@]}" ] && [ -e "$out/${order[$shown]}.rc" ]; do
		show "${order[$shown]}"
		shown=$((shown + 1))
	done
done

# Wall time per suite and of the whole pool, for docs/TESTING.md.
for s in "${order[@]}"; do
	printf '# time %s: %d s\n' "$s" $(($(cut -d' ' -f2 "$out/$s.rc") - started[$s]))
done
echo "# time pool: $(since) s, $jobs guests at once"
awk '{ p += $1; f += $3; s += $5 }
	END {
		if (s) printf "%d passed, %d failed, %d skipped\n", p, f, s
		else printf "%d passed, %d failed\n", p, f
		exit f ? 1 : 0
	}' "$sums" || status=1
exit $status
