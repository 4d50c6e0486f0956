#!/bin/bash
# Runs as PID 1 inside the QEMU guest, on the host's root filesystem (read
# only, over 9p), with the repository at /mnt/repo.  Loads vkmod, runs the
# requested suites (or the demo) and writes everything the host needs to
# /dev/ttyS1: per suite "# suite: NAME", its TAP, "# vk-exit: NAME rc=N",
# then the kernel log and "# vk-done".  The host side is run.sh.
#
# Environment from the kernel command line:
#   vkkver     kernel version (selects build/kmod/$vkkver/vkmod.ko)
#   vkkmod     directory of the vkmod.ko to load instead (run.sh -d)
#   vkleakscan 1: kmemleak scans before insmod (baseline, cleared) and after
#              rmmod, listed between "# vk-kmemleak-begin" and "-end"
#   vkmode     check | demo | bench
#   vksuites   comma-separated suite names (check mode)
#   vkstimeout per-suite timeout in seconds
#   vkscale    timeout scale for tests (VK_TIMEOUT_SCALE)
#   vkargs     extra environment for the suites, comma-separated K=V
#   vkrole     cluster mode: a (serve) or b (run the suite "cluster"), or
#              serve (vbench --serve for make bench's other guest)
#   vkmac      cluster mode: MAC of the interface to the other guest
#   vkip       address of that interface (make bench's two guests)
#   vkpeer     bench mode: the other guest's address (vbench --peer)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
R=/mnt/repo
B=$R/build
out=/dev/ttyS1
exec 3>"$out"

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "$*" >&3; }

say "# vk-boot: $(up)"
hostname vkguest
ip link set lo up
# sysctl knobs tests rely on: let warnings stop the guest at once.
echo 1 >/proc/sys/kernel/panic_on_warn 2>/dev/null

export VKMOD_KO="${vkkmod:-$B/kmod/$vkkver}/vkmod.ko"
export VK_BUILD="$B" VK_REPO="$R" VK_TIMEOUT_SCALE="${vkscale:-1}"
IFS=, read -ra extra <<<"${vkargs:-}"
for kv in "${extra[@]}"; do [ -n "$kv" ] && export "${kv?}"; done

# kmemleak (debug kernel): a new leak shows only after two scans, so scan
# twice; "clear" then hides what the boot left, before vkmod is loaded.
kml=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	local t0=$(up)
	echo scan >$kml && echo scan >$kml
	say "# vk-kmemleak-$1: $(grep -c '^unreferenced object' $kml) object(s), scans ${t0}-$(up) s"
}
if [ "${vkleakscan:-0}" = 1 ]; then
	[ -e /sys/kernel/debug/kmemleak ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ -w $kml ]; then
		kmemleak_scan baseline
		echo clear >$kml
	else
		say "# vk-kmemleak: unavailable"
		vkleakscan=0
	fi
fi

# vkmod needs the UDP tunnel helpers (its UDP bearer), modules on Debian's
# kernels that insmod does not load; built in on the debug kernel.
modprobe -q udp_tunnel 2>/dev/null
modprobe -q ip6_udp_tunnel 2>/dev/null
if ! insmod "$VKMOD_KO"; then
	say "# vk-insmod-failed"
fi

case "${vkmode:-check}" in
demo)
	t0=$(up)
	say "# suite: demo"
	timeout -k 5 "${vkstimeout:-600}" bash "$R/selftests/demo.sh" >&3 2>&1
	say "# vk-exit: demo rc=$? start=$t0 end=$(up)"
	;;
bench)
	# vbench with its own two V hosts; the JSON goes out between markers
	# (bench.sh keeps it as build/bench.json).  VK_BENCH_N, VK_BENCH_ONLY
	# and VK_BENCH_SECS (per-row budget) come through vkargs.
	t0=$(up)
	say "# suite: bench"
	args=(-o /tmp/bench.json --remote-setup -n "${VK_BENCH_N:-2000}" -t "${VK_BENCH_SECS:-5}")
	[ -n "${VK_BENCH_ONLY:-}" ] && args+=(--only "$VK_BENCH_ONLY")
	[ -n "${VK_BENCH_ROUNDS:-}" ] && args+=(-r "$VK_BENCH_ROUNDS")
	# VK_BENCH_INSNS=1: bench.sh's boot under the instruction counter.
	[ "${VK_BENCH_INSNS:-0}" = 1 ] && args+=(--insns)
	# Two guests (bench.sh through cluster.sh -m bench): the other one
	# runs vbench --serve at $vkpeer, for the peer_ rows.
	if [ -n "${vkpeer:-}" ]; then
		if bash "$R/selftests/cluster-guest.sh" link >&3 2>&1; then
			args+=(--peer "$vkpeer")
		else
			say "# vk-bench: no link to the other guest: peer_ rows skipped"
		fi
	fi
	prof=()
	# VK_BENCH_PROFILE=1: the run under perf record (cpu-clock, every CPU),
	# and the hottest symbols after it.
	# VK_BENCH_PROFILE=stat: counts instead (context switches, wake-ups,
	# syscalls, softirqs, frames sent, allocations) over the whole run;
	# select one row and divide by its iterations.  VK_BENCH_PROFILE=wake:
	# wake-ups and switches to each task name (vbench's are the row's).
	if [ "${VK_BENCH_PROFILE:-}" = stat ] && command -v perf >/dev/null; then
		prof=(perf stat -a -o /tmp/perf.stat -e context-switches,sched:sched_wakeup
		      -e raw_syscalls:sys_enter,irq:softirq_entry,net:net_dev_xmit
		      -e kmem:kmalloc,kmem:kmem_cache_alloc,skb:kfree_skb,skb:consume_skb --)
	elif [ "${VK_BENCH_PROFILE:-}" = wake ] && command -v perf >/dev/null; then
		prof=(perf record -q -a -e sched:sched_wakeup -e sched:sched_switch -o /tmp/perf.data --)
	elif [ -n "${VK_BENCH_PROFILE:-}" ] && command -v perf >/dev/null; then
		prof=(perf record -q -a -g -e cpu-clock -o /tmp/perf.data --)
	fi
	(cd /tmp && timeout -k 5 "${vkstimeout:-900}" "${prof[@]}" "$B/tools/vbench" "${args[@]}") >&3 2>&1
	rc=$?
	if [ -s /tmp/perf.stat ]; then
		say "# vk-profile:"
		grep -v '^$' /tmp/perf.stat | sed 's/^/# prof /' >&3
	elif [ "${VK_BENCH_PROFILE:-}" = wake ] && [ ${#prof[@]} -gt 0 ]; then
		say "# vk-profile:"
		perf script -i /tmp/perf.data -F event,trace 2>/dev/null | awk '
			/sched_wakeup/ { t = $0; sub(/.*comm=/, "", t); sub(/ pid=.*/, "", t); w[t]++ }
			/sched_switch/ { t = $0; sub(/.*next_comm=/, "", t); sub(/ next_pid=.*/, "", t); s[t]++ }
			END { for (t in w) print "wake-ups", w[t], t; for (t in s) print "switches-to", s[t], t }' |
			sort -k2 -n -r | head -20 | sed 's/^/# prof /' >&3
	elif [ ${#prof[@]} -gt 0 ]; then
		say "# vk-profile:"
		perf report -i /tmp/perf.data --stdio --no-children --sort dso,sym -g none 2>/dev/null |
			grep -v '^$' | head -60 | sed 's/^/# prof /' >&3
	fi
	# VK_BENCH_KALLSYMS=1 (scripts/bench-profile.sh): the kernel's and the
	# modules' text symbols, to name the plugin's addresses.
	if [ "${VK_BENCH_KALLSYMS:-0}" = 1 ]; then
		{ printf '# vk-kallsyms '; grep -i ' t ' /proc/kallsyms | gzip -1 | base64 -w0; echo; } >&3
	fi
	if [ -s /tmp/bench.json ]; then
		say "# vk-bench-json-begin"
		cat /tmp/bench.json >&3
		say "# vk-bench-json-end"
	fi
	say "# vk-exit: bench rc=$rc start=$t0 end=$(up)"
	;;
cluster)
	# Two guests (cluster.sh): B runs the suite and reports it; A serves
	# until the host kills it, so it reports only if its server ends.
	t0=$(up)
	[ "${vkrole:-}" = b ] && say "# suite: cluster"
	timeout -k 5 "${vkstimeout:-900}" bash "$R/selftests/cluster-guest.sh" "${vkrole:-}" >&3 2>&1
	rc=$?
	if [ "${vkrole:-}" = b ]; then
		say "# vk-exit: cluster rc=$rc start=$t0 end=$(up)"
	else
		say "# vk-cluster: server ended rc=$rc"
	fi
	;;
*)
	IFS=, read -ra suites <<<"${vksuites:-}"
	for s in "${suites[@]}"; do
		t0=$(up)
		say "# suite: $s"
		(cd /tmp && timeout -k 5 "${vkstimeout:-900}" "$B/tests/$s") >&3 2>&1
		rc=$?
		say "# vk-exit: $s rc=$rc start=$t0 end=$(up)"
	done
	;;
esac

# Whatever is still open now would keep the module: close nothing, just
# report whether it unloads (it must, once the suites' processes are gone).
if grep -q '^vkmod ' /proc/modules; then
	if rmmod vkmod 2>/dev/null; then say "# vk-rmmod: ok"; else say "# vk-rmmod: failed"; fi
fi
if [ "${vkleakscan:-0}" = 1 ]; then
	kmemleak_scan final
	say "# vk-kmemleak-begin"
	cat $kml >&3
	say "# vk-kmemleak-end"
fi
say "# vk-dmesg-begin"
dmesg >&3
say "# vk-dmesg-end"
say "# vk-done $(up)"
exec 3>&-
sync
busybox poweroff -f
