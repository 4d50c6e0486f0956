# Turn the guest's result stream (result.txt) into TAP on stdout, a per-suite
# summary and the closing "N passed, N failed, N skipped" line; exit 1 on
# any failure.  Failures beyond failed tests: a suite that did not report
# all its planned tests or exited non-zero, a suite that never ran, a kernel
# message of the kinds V-SPEC.md lists (in the console or in dmesg), a module
# that would not unload, and a guest that did not finish (panic, timeout).
#
# Variables: qrc noboot t0 t1 kver mode want console outdir (run.sh), and for
# several guests (cluster.sh): more_consoles, further console logs to scan
# (space-separated), and host_problems, a file of failures the host side
# saw itself, one a line.
#
# With kmemleak checked (run.sh -L, the debug kernel), the guest's listing
# after its final scans is what counts: each object listed there fails the
# run, and the scans' own "N new suspected memory leaks" lines in the log
# (the baseline's too) do not.  Lockdep and atomic-sleep reports are named
# here although WARNING: and BUG: catch them already.
function bad_kernel_line(l) {
	# dmesg may colour its lines (ESC [ ... m between prefix and text).
	if (ESC == "") ESC = sprintf("%c", 27)
	gsub(ESC "\\[[0-9;]*m", "", l)
	if (l ~ /loading out-of-tree module taints kernel/) return 0
	if (l ~ /kmemleak: (Kernel memory leak detector|Automatic memory scanning)/) return 0
	if (kml_checked && l ~ /kmemleak: [0-9]+ new suspected memory leaks/) return 0
	return l ~ /WARNING:|BUG:|Oops|Call Trace|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|sleeping function called from invalid context|suspicious RCU usage|kmemleak|Kernel panic|panic\+0x|end Kernel panic/
}
function kml_flush() {
	if (kml_want_bt) problem("kmemleak: " kml_obj)
	kml_want_bt = 0
}
function problem(msg) {
	problems[++nproblems] = msg
}
function close_suite(rc, dur,    missing) {
	if (suite == "") return
	missing = plan - seen
	if (missing > 0) {
		failed += missing; sfail += missing
		print "not ok - " suite ": " missing " planned test(s) did not report"
	}
	if (rc == 124 || rc == 137) {
		# guest.sh's `timeout` ended it: say so, whatever else it reported.
		if (sfail == 0) { failed++; sfail++ }
		print "not ok - " suite ": timed out: killed after the suite timeout (" dur " s)"
	} else if (rc != 0 && sfail == 0) {
		failed++; sfail++
		print "not ok - " suite ": exited with status " rc
	}
	if ((mode == "demo" || mode == "bench") && seen == 0 && rc == 0) { passed++; spass++ }
	printf "# suite %s: %d passed, %d failed, %d skipped (%s s)\n", suite, spass, sfail, sskip, dur
	ran[suite] = 1
	suite = ""
}
BEGIN { failed = passed = skipped = 0; suite = ""; done = 0; indmesg = 0 }
# The guest writes through a tty: lines end in CR LF.
{ sub(/\r$/, "") }
/^# vk-boot: / { boot = $3; next }
/^# vk-insmod-failed/ { problem("vkmod.ko did not load in the guest"); next }
/^# suite: / {
	close_suite(0, "?")
	suite = $3; plan = seen = spass = sfail = sskip = 0
	print; next
}
/^# vk-exit: / {
	rc = 0; start = 0; end = 0
	for (i = 3; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "rc") rc = kv[2]
		if (kv[1] == "start") start = kv[2]
		if (kv[1] == "end") end = kv[2]
	}
	close_suite(rc, end > start ? sprintf("%.1f", end - start) : "?")
	next
}
/^# vk-kmemleak: unavailable/ { problem("kmemleak checking asked for, but the kernel has no kmemleak (or it disabled itself)"); next }
/^# vk-kmemleak-(baseline|final): / { kml_checked = 1; print; next }
/^# vk-kmemleak-begin/ { inkml = 1; next }
/^# vk-kmemleak-end/ { kml_flush(); inkml = 0; next }
inkml {
	print "# kmemleak: " $0
	if ($0 ~ /^unreferenced object/) { kml_flush(); kml_obj = $0; kml_want_bt = 1 }
	else if (kml_want_bt && $0 ~ /^    \[</) {
		# The first frame after the allocator's own: kmemleak lists from
		# kmem_cache_alloc/kmalloc down; name the object by the first
		# frame that is not an allocator.
		if ($0 !~ /kmem_cache_alloc|kmalloc|__alloc|slab_post_alloc|kmemleak_alloc|kvmalloc|krealloc|__kmem_cache|alloc_pages|__do_kmalloc|kmalloc_trace|kmalloc_node/) {
			f = $0; sub(/^ *\[<[0-9a-f]+>\] */, "", f)
			problem("kmemleak: " kml_obj " allocated in " f)
			kml_want_bt = 0
		}
	}
	next
}
/^# vk-rmmod: failed/ { problem("vkmod would not unload after the suites"); next }
/^# vk-rmmod: ok/ { next }
/^# vk-dmesg-begin/ { indmesg = 1; next }
/^# vk-dmesg-end/ { indmesg = 0; next }
/^# vk-done/ { done = 1; guest_end = $3; next }
indmesg { if (bad_kernel_line($0)) problem("kernel: " $0); next }
{
	if (suite != "") {
		if ($0 ~ /^1\.\.[0-9]+/) { p = $1; sub(/^1\.\./, "", p); plan = p + 0 }
		else if ($0 ~ /^ok [0-9]+/) {
			seen++
			if ($0 ~ /# [Ss][Kk][Ii][Pp]/) { skipped++; sskip++ } else { passed++; spass++ }
		} else if ($0 ~ /^not ok [0-9]+/) { seen++; failed++; sfail++ }
	}
	print
}
END {
	close_suite(done ? 0 : "guest-ended", "?")
	n = split(want, w, /[ ,]+/)
	for (i = 1; i <= n; i++)
		if (w[i] != "" && !(w[i] in ran)) {
			print "not ok - " w[i] ": suite did not run"
			failed++
		}
	if (noboot)
		problem(sprintf("guest did not boot: no \"# vk-boot\" within %d s (VK_BOOT_TIMEOUT)", noboot))
	else if (!done)
		problem(sprintf("guest did not finish (qemu status %d: panic, timeout or crash)", qrc))
	else if (qrc != 0)
		problem(sprintf("qemu exited with status %d", qrc))
	while ((getline l < console) > 0)
		if (bad_kernel_line(l)) problem("console: " l)
	n = split(more_consoles, mc, / +/)
	for (i = 1; i <= n; i++) {
		if (mc[i] == "") continue
		while ((getline l < mc[i]) > 0)
			if (bad_kernel_line(l)) problem("console " mc[i] ": " l)
	}
	if (host_problems != "")
		while ((getline l < host_problems) > 0)
			if (l != "") problem(l)
	for (i = 1; i <= nproblems && i <= 40; i++) print "# FAIL " problems[i]
	if (nproblems) {
		failed++
		print "# kernel log and console: " console
	}
	printf "# guest %s: booted in %s s, finished at %s s, wall %.1f s\n",
		kver, boot == "" ? "?" : boot, guest_end == "" ? "?" : guest_end, t1 - t0
	if (skipped) printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	else printf "%d passed, %d failed\n", passed, failed
	exit failed ? 1 : 0
}
