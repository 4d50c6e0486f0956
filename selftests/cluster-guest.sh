#!/bin/bash
# Guest side of the cluster suite (guest.sh runs it in vkmode=cluster):
#
#   cluster-guest.sh a       serve: selftests/cluster_peer.c, for ever
#   cluster-guest.sh b       test:  selftests/cluster.c (TAP on stdout)
#   cluster-guest.sh serve   make bench, guest A: vbench --serve, for ever
#   cluster-guest.sh link    make bench, guest B: the interface only
#
# Every role first brings up the virtio-net interface (the one with MAC
# $vkmac from the kernel command line), gives it the address $vkip when
# the command line has one, and attaches it to V with `vctl link add`:
# the test roles (a, b) as the secure links they are by default, after
# setting the suite's cluster key; the bench roles insecure (make bench
# compares V with TCP without authentication on either side).
# Each guest is one V host; B's host-down bound is VK_HOST_DOWN_MS,
# exported to the tests.  The test roles name their guests vkguest-a and
# vkguest-b, and A runs vexecd (programs run there with vrun -H from B).
# The host side is selftests/qemu/cluster.sh.
set -u
role=${1:?role a or b}
B=${VK_BUILD:?}
vctl=$B/tools/vctl
export VK_HOST_DOWN_MS=${VK_HOST_DOWN_MS:-2000}

log() { echo "# cluster-$role: $*"; }
fail() { log "$*"; exit 1; }

modprobe virtio_net || fail "modprobe virtio_net failed"
dev=""
for _ in $(seq 100); do
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "${vkmac:-}" ] && dev=${d##*/}
	done
	[ -n "$dev" ] && break
	sleep 0.1
done
[ -n "$dev" ] || fail "no interface with MAC ${vkmac:-?}"
ip link set "$dev" up || fail "ip link set $dev up failed"
if [ -n "${vkip:-}" ]; then
	ip addr add "$vkip/24" dev "$dev" || fail "ip addr add $vkip/24 dev $dev failed"
fi
case $role in
a | b)
	hostname "vkguest-$role"
	"$vctl" set key 636c757374657200000000000000000000000000000000000000000000000001 ||
		fail "vctl set key failed"
	"$vctl" link add dev "$dev" || fail "vctl link add dev $dev failed"
	;;
*)
	"$vctl" link add dev "$dev" insecure || fail "vctl link add dev $dev failed"
	;;
esac

case $role in
a)
	"$B/daemons/vexecd" -q --state-dir /run/vexecd >/tmp/vexecd.log 2>&1 &
	for _ in $(seq 200); do grep -q ' as 0x' /tmp/vexecd.log && break; sleep 0.1; done
	log "$(head -n 1 /tmp/vexecd.log)"
	log "serving on $dev ($("$vctl" host show | tr '\n' ' '))"
	exec "$B/tests/cluster_peer"
	;;
serve)
	log "vbench --serve on $dev ($vkip)"
	exec "$B/tools/vbench" --serve "$dev"
	;;
link)
	log "link $dev ($vkip) up and attached"
	;;
b)
	"$vctl" set host-down-ms "$VK_HOST_DOWN_MS" || fail "vctl set host-down-ms failed"
	log "testing on $dev ($("$vctl" host show | tr '\n' ' '))"
	cd /tmp && "$B/tests/cluster"
	rc=$?
	log "stats: $("$vctl" stats | tr '\n' ' ')"
	exit $rc
	;;
*)
	fail "unknown role '$role'"
	;;
esac
