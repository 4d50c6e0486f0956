#!/usr/bin/env bash
# `make check`: run the requested suites and close with one line
# "N passed, N failed[, N skipped]" covering all of them.  The suite
# "cluster" needs two guests (cluster.sh); every other suite runs in one
# guest (run.sh).  Each runner's own closing line is kept as a comment.
#
#   check.sh -k KVER -s "suite ..." [-- run.sh options]
#
# Options after -- go to run.sh (make check-debug: -i IMAGE -d KMODDIR -L ...).
# Exit status: 0 when every runner passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

kver="" suites=""
while getopts "k:s:" o; do
	case $o in
	k) kver=$OPTARG ;;
	s) suites=$OPTARG ;;
	*) echo "usage: $0 -k KVER -s SUITES [-- run.sh options]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$kver" ] || { echo "check.sh: -k KVER required" >&2; exit 2; }

single=() cluster=""
for s in $suites; do
	if [ "$s" = cluster ]; then cluster=1; else single+=("$s"); fi
done

sums=$(mktemp)
trap 'rm -f "$sums"' EXIT
status=0

# Run one runner, pass its output through, turn its closing line into a
# comment and keep the counts.  No closing line at all counts as a failure.
run() {
	local label=$1 rc
	shift
	"$@" | awk -v label="$label" -v sums="$sums" '
		/^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
			last = $0; print "# " label ": " $0; fflush(); next
		}
		{ print; fflush() }
		END {
			if (last == "") {
				print "not ok - " label ": no summary line (runner failed)"
				last = "0 passed, 1 failed"
			}
			print last >>sums
		}'
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || status=1
}

[ ${#single[@]} -gt 0 ] && run "${single[*]}" "$here/run.sh" -k "$kver" -m check -s "${single[*]}" "$@"
[ -n "$cluster" ] && run cluster "$here/cluster.sh" -k "$kver"

awk '{ p += $1; f += $3; s += $5 }
	END {
		if (s) printf "%d passed, %d failed, %d skipped\n", p, f, s
		else printf "%d passed, %d failed\n", p, f
		exit f ? 1 : 0
	}' "$sums" || status=1
exit $status
