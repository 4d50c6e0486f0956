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
echo "== pulses, priority inheritance and deadlock detection (selftests/py/oneway.py):"
PYTHONPATH="$B/../python" python3 "$B/../selftests/py/oneway.py" || exit 1
echo
echo "== a V cluster: three hosts (network namespaces) on one bridge"
V=$B/tools/vctl
svc_pids=()
cleanup() {
	[ -n "${rvecho:-}" ] && kill -TERM "$rvecho" 2>/dev/null && wait "$rvecho" 2>/dev/null
	for p in "${svc_pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for h in vh1 vh2 vh3; do ip netns del "$h" 2>/dev/null; done
	ip link del vbr 2>/dev/null
}
ip link add vbr type bridge && ip link set vbr up || exit 1
for h in vh1 vh2 vh3; do
	ip netns add "$h" &&
	ip link add "$h-br" type veth peer name eth0 netns "$h" &&
	ip link set "$h-br" master vbr up &&
	ip -n "$h" link set eth0 up &&
	ip netns exec "$h" "$V" link add dev eth0 insecure || { cleanup; exit 1; }
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
kill -TERM "$rvecho" && wait "$rvecho"
rvecho=
[ $rc -eq 0 ] || { cleanup; exit 1; }

echo
echo "== V services: file server (vfsd) and name server (vnamed) on vh1, a time server"
echo "   (vtimed) on every host (vh3's started 2 s off), a client on vh3"
S=/tmp/vdemo
rm -rf $S && mkdir -p $S/srv || { cleanup; exit 1; }
cp "$B/tools/vid" $S/srv/vid && echo "served by vfsd" >$S/srv/motd
# start HOST LOG PROGRAM ARGS...: in the background, its ready line shown
start() {
	local h=$1 log=$S/$2
	shift 2
	ip netns exec "$h" "$@" >"$log.out" 2>"$log.err" &
	svc_pids+=($!)
	for _ in $(seq 150); do grep -q ' as 0x' "$log.out" && break; sleep 0.1; done
	grep -q ' as 0x' "$log.out" || { echo "$* did not start:"; cat "$log.err"; return 1; }
	echo "$h: $(cat "$log.out")"
}
C="ip netns exec vh3"
start vh1 vfsd "$B/daemons/vfsd" -w 0 -p /files $S/srv &&
start vh1 vnamed "$B/daemons/vnamed" &&
start vh1 vtimed1 "$B/daemons/vtimed" -i 200 &&
start vh2 vtimed2 "$B/daemons/vtimed" -i 200 &&
start vh3 vtimed3 "$B/daemons/vtimed" -i 200 --offset-ms 2000 || { cleanup; exit 1; }
echo
echo "-- the V clocks right after the start (server, clock ns, offset ms, reference):"
$C "$B/tools/vtime" all || rc=1
echo
echo "-- vh3: vfile ls /files (the name resolved through the name-handling group):"
$C "$B/tools/vfile" ls /files || rc=1
echo "-- vh3: write /files/note.txt, read it back, compare:"
seq 1 20000 >$S/note.txt
$C "$B/tools/vfile" put $S/note.txt /files/note.txt &&
$C "$B/tools/vfile" get /files/note.txt $S/note.back &&
cmp $S/note.txt $S/note.back && echo "   $(wc -c <$S/note.txt) bytes written and read back: identical" || rc=1
cmp -s $S/note.txt $S/srv/note.txt && echo "   and identical on the server" || rc=1
$C "$B/tools/vfile" cat /files/motd || rc=1
spread() { $C "$B/tools/vtime" all | awk '{ o = $3 + 0; if (NR == 1 || o < lo) lo = o; if (NR == 1 || o > hi) hi = o } END { printf "%.3f", hi - lo }'; }
for _ in $(seq 60); do
	awk -v s="$(spread)" 'BEGIN { exit !(s < 10) }' && break
	sleep 0.5
done
echo
echo "-- the V clocks once in agreement (spread $(spread) ms):"
$C "$B/tools/vtime" all || rc=1
awk -v s="$(spread)" 'BEGIN { exit !(s < 10) }' || { echo "clocks did not agree"; rc=1; }
echo
echo "-- vh3: vrun /files/vid -n 2 (the program loaded over V with MoveTo into a memfd):"
$C "$B/tools/vrun" /files/vid -n 2 || rc=1
echo
echo "== the diskless workstation: vh3 mounts the V name space (vfs, FUSE) and runs"
echo "   programs nobody wrote for V on files and programs served by vh1"
modprobe -q fuse || { echo "no fuse module"; cleanup; exit 1; }
# A keyed cluster: vfsd -U believes the users vfs vouches for only over keyed links.
for h in vh1 vh2 vh3; do
	ip netns exec "$h" "$V" set key 5ec0000000000000000000000000000000000000000000000000000000000d30 ||
		{ cleanup; exit 1; }
done
mkdir -p $S/db /mnt/v || { cleanup; exit 1; }
start vh1 vfsd-db "$B/daemons/vfsd" -U -w 0 -l 0 -p /db $S/db &&
start vh1 vfsd-root "$B/daemons/vfsd" -U -l 0 -p /root / || { cleanup; exit 1; }
# vh3's own mount namespace: its /mnt/v is nobody else's.
ip netns exec vh3 unshare -m --propagation private bash -c '
	B=$1
	"$B/daemons/vfs" /mnt/v >/tmp/vdemo/vfs.out 2>/tmp/vdemo/vfs.err &
	for _ in $(seq 100); do grep -q " as 0x" /tmp/vdemo/vfs.out && break; sleep 0.1; done
	echo "vh3: $(cat /tmp/vdemo/vfs.out)"
	echo "-- vh3: ls /mnt/v (the prefixes the name-handling group serves):"
	ls /mnt/v
	echo "-- vh3: sqlite3 on /mnt/v/db/demo.db (served by vh1):"
	sqlite3 /mnt/v/db/demo.db "create table t(n integer); begin;
		with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000)
		insert into t select x from c; commit;
		select count(*) || \" rows, sum \" || sum(n) from t; pragma integrity_check;" || exit 1
	echo "-- vh3: chroot /mnt/v/root /usr/bin/python3 (binary, ld.so, libraries, stdlib over V):"
	chroot /mnt/v/root /usr/bin/python3 -c "import sys; print(\"python\", sys.version.split()[0], \"loaded over V:\", 6 * 7)" || exit 1
	echo "-- vh3: ldd of that python, as its loader saw it inside the chroot:"
	chroot /mnt/v/root /usr/bin/ldd /usr/bin/python3 | sed "s/^/   /"
	umount /mnt/v
	wait
' vfsdemo "$B" || rc=1
echo "-- vh1: the database file as the server has it: $(stat -c "%s bytes, owner uid %u" $S/db/demo.db)"
echo
echo "== the program manager: vexecd on every host runs programs for vrun -H (as if"
echo "   here: stdio, exit status, signals), tells the others its load, and suspends,"
echo "   resumes or kills a program for vctl proc from any host; vps lists it all"
# As uid 1000: vexecd takes root only from its own host (or with --allow-root).
U="setpriv --reuid=1000 --regid=1000 --clear-groups"
for h in vh1 vh2 vh3; do
	start "$h" "vexecd-$h" "$B/daemons/vexecd" -q --state-dir "$S/vexecd-$h" || { cleanup; exit 1; }
done
sleep 1.5	# every vexecd hears the others' loads (LOAD once a second)
echo "-- vh3: vps hosts (the loads vh3's vexecd heard; * the least loaded):"
$C $U "$B/tools/vps" hosts || rc=1
echo "-- vh3: vrun -H any -v: a program on the least loaded host, its output here:"
$C $U "$B/tools/vrun" -H any -v sh -c \
	'for i in 1 2 3 4 5 6 7 8; do echo "   tick $i at $(date +%T.%N | cut -c1-12)"; sleep 0.5; done' \
	2>$S/vrun.err &
vrun_pid=$!
for _ in $(seq 100); do grep -q 'vrun: host' $S/vrun.err && break; sleep 0.1; done
cat $S/vrun.err
prog=$(sed -n 's/^vrun: host 0x[0-9a-f]* program \(0x[0-9a-f]*\)$/\1/p' $S/vrun.err)
if [ -n "$prog" ]; then
	echo "-- vh3: vps programs (it runs, or sleeps between ticks: state R or S):"
	$C $U "$B/tools/vps" programs || rc=1
	sleep 1
	echo "-- vh1: vctl proc suspend $prog (CONTROL to the scheduler group, qualified by the id):"
	ip netns exec vh1 $U "$V" proc suspend "$prog" || rc=1
	echo "-- vh3: vps programs while it is suspended (state T), for 2 s: no ticks"
	$C $U "$B/tools/vps" programs || rc=1
	sleep 2
	echo "-- vh1: vctl proc resume $prog:"
	ip netns exec vh1 $U "$V" proc resume "$prog" || rc=1
	$C $U "$B/tools/vps" programs || rc=1
else
	echo "vrun -v did not name the program"
	rc=1
fi
if wait $vrun_pid; then
	echo "-- vrun exited 0, as the program did"
else
	echo "vrun exited with status $?"
	cat $S/vrun.err
	rc=1
fi
cleanup
[ $rc -eq 0 ] || exit 1
echo
echo "== demo finished at guest uptime $(t) s"
