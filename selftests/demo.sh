#!/bin/bash
# The `make demo` scenario, run inside the guest by guest.sh with vkmod
# loaded.  It grows with each capability.
B=${VK_BUILD:-/mnt/repo/build}
t() { cut -d' ' -f1 /proc/uptime; }

echo "== vkmod demo (kernel $(uname -r), guest uptime $(t) s)"
echo "module parameters:"
for p in /sys/module/vkmod/parameters/*; do
	printf '  %-14s %s\n' "$(basename "$p")" "$(cat "$p")"
done
echo
echo "== four V processes on this host (the initial network namespace):"
"$B/tools/vid" -n 4 || exit 1
echo
echo "== two V processes on a second host (another network namespace):"
ip netns add hostb || exit 1
ip netns exec hostb "$B/tools/vid" -n 2 || exit 1
ip netns del hostb
echo
echo "== the same, as JSON:"
"$B/tools/vid" -j -n 1 || exit 1
echo
echo "== Send-Receive-Reply: an echo server (vecho) and round trips to it (vping):"
coproc VECHO { exec "$B/tools/vecho" -q; }
vecho_pid=$VECHO_PID
read -r -t 60 line <&"${VECHO[0]}"
echo "$line"
id=${line##* }
rc=0
case $id in
0x*)
	"$B/tools/vping" -c 3 -w 0 "$id" || rc=1
	echo
	"$B/tools/vping" -q -c 200 "$id" || rc=1
	echo
	echo "== the same with a 64 KiB read/write segment (MoveFrom + MoveTo per round trip):"
	"$B/tools/vping" -q -c 50 -s 65536 "$id" || rc=1
	;;
*)
	echo "vecho did not print its id"
	rc=1
	;;
esac
kill -TERM "$vecho_pid"
wait "$vecho_pid" || { echo "vecho exited with status $?"; rc=1; }
[ $rc -eq 0 ] || exit 1
echo
echo "== a server found by logical id (SetPid / GetPid), exiting after 3 requests:"
coproc VECHO { exec "$B/tools/vecho" -q -l 4242 -n 3; }
vecho_pid=$VECHO_PID
read -r -t 60 line <&"${VECHO[0]}"
echo "$line"
"$B/tools/vping" -c 3 -w 0 lid:4242 || rc=1
for _ in $(seq 100); do		# it exits by itself after the third reply
	[ $rc -eq 0 ] && kill -0 "$vecho_pid" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$vecho_pid" 2>/dev/null && { echo "vecho -n 3 is still running"; rc=1; kill -TERM "$vecho_pid"; }
wait "$vecho_pid" || { echo "vecho exited with status $?"; rc=1; }
[ $rc -eq 0 ] || exit 1
echo
echo "== the README example (build/tests/readme_example):"
"$B/tests/readme_example" || exit 1
echo
echo "== a V cluster: three hosts (network namespaces) on one bridge"
V=$B/tools/vctl
cleanup() {
	[ -n "${rvecho:-}" ] && kill -TERM "$rvecho" 2>/dev/null && wait "$rvecho" 2>/dev/null
	for h in vh1 vh2 vh3; do ip netns del "$h" 2>/dev/null; done
	ip link del vbr 2>/dev/null
}
ip link add vbr type bridge && ip link set vbr up || exit 1
for h in vh1 vh2 vh3; do
	ip netns add "$h" &&
	ip link add "$h-br" type veth peer name eth0 netns "$h" &&
	ip link set "$h-br" master vbr up &&
	ip -n "$h" link set eth0 up &&
	ip netns exec "$h" "$V" link add dev eth0 || { cleanup; exit 1; }
done
for h in vh1 vh2 vh3; do
	printf '%s: ' "$h"
	ip netns exec "$h" "$V" -j host show | sed -e 's/,"stats".*//' -e 's/$/}/'
done
ip netns exec vh2 "$V" link show
echo
echo "-- vecho on host vh2; vping from vh1 and from vh3 (raw Ethernet, in the kernel):"
coproc RVECHO { exec ip netns exec vh2 "$B/tools/vecho" -q; }
rvecho=$RVECHO_PID
read -r -t 60 line <&"${RVECHO[0]}"
echo "vh2 $line"
id=${line##* }
rc=0
ip netns exec vh1 "$B/tools/vping" -c 3 -w 0 "$id" || rc=1
echo
ip netns exec vh1 "$B/tools/vping" -q -c 200 "$id" || rc=1
echo
ip netns exec vh3 "$B/tools/vping" -q -c 200 "$id" || rc=1
echo
echo "-- frame counters of host vh2 afterwards:"
ip netns exec vh2 "$V" stats | grep -E 'tx_frames|rx_frames|retransmits|duplicates'
cleanup
[ $rc -eq 0 ] || exit 1
echo
echo "== demo finished at guest uptime $(t) s"
