# vkmod: V interprocess communication for Linux.
#
#   make            build the module (for KVER), libv, tools and tests
#   make check      install what is missing, build, run every suite in QEMU
#                   guests (VK_JOBS at once, default 4)
#   make check T=base   run one suite (or a space-separated list)
#   make check-debug    build (once, cached) a KASAN/lockdep/kmemleak kernel,
#                   run suites local and net (and fault) on it (slow)
#   make demo       install what is missing, build, show vkmod in a guest
#   make bench      install what is missing, build, run vbench in a guest
#                   (a second one serving the peer_ rows): build/bench.json,
#                   its table, docs/bench.png
#   make lint       checkpatch --strict and sparse (C=2) on the module
#   make modules-all    build the module against every installed kernel
#   make install    install module, libv, headers, tools, man page (PREFIX, DESTDIR)
#   make uninstall  remove what make install put
#   make dkms-install / dkms-uninstall   the module under DKMS (/usr/src/vkmod-VERSION)
#
# KVER selects the kernel (a name under /lib/modules); default the newest
# Debian 6.1 kernel.  VK_NO_DEPS=1 skips the apt step.

SHELL := /bin/bash
.DEFAULT_GOAL := all

KVER ?= $(shell ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -1)
KVER_612 ?= $(shell ls -d /lib/modules/6.12.*-amd64/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -1)
KVERS_ALL = $(shell ls -d /lib/modules/*/build 2>/dev/null | cut -d/ -f4)

KSRC ?= /usr/src/vkmod-linux-6.1
HARNESS_DIR ?= $(KSRC)/tools/testing/selftests
CHECKPATCH ?= $(KSRC)/scripts/checkpatch.pl

B := build
VERSION := 0.1
# libv's ABI: bumped when a public struct changes size (1: struct v_receive
# grew kind and deadline_ns).
LIBV_ABI := 1
SUITES ?= base local path notify pulse sched bulk udp python net groups scale fuzz ctl auth flood perf fault services naming sec lan vfs vshare exec install
T ?= $(SUITES)

CC ?= gcc
WARN := -Wall -Wextra -Werror
USER_CPPFLAGS := -Iinclude -Iinclude/uapi -D_GNU_SOURCE
USER_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(USER_CPPFLAGS)

MOD_SRC := Kbuild $(wildcard vkmod/*.c vkmod/*.h) include/uapi/linux/v.h
LIBV_SRC := $(wildcard libv/*.c)
LIBV_OBJ := $(patsubst libv/%.c,$(B)/libv/%.o,$(LIBV_SRC))
LIBV_HDR := include/libv.h include/libv_services.h include/vio.h include/vexec.h include/uapi/linux/v.h
TOOLS := vid vping vecho vctl vbench vfile vtime vrun vps
# One source file each (tools/NAME.c); vctl, vbench and vrun have rules of their own.
TOOLS_ONE := $(filter-out vctl vbench vrun,$(TOOLS))
VBENCH_SRC := $(wildcard tools/vbench/*.c)
DAEMONS := vfsd vnamed vtimed vfs vexecd
TESTS := base local path notify pulse sched bulk udp python net groups scale cluster fuzz ctl auth flood perf fault services naming sec lan vfs vshare exec
# Suites that are shell scripts (selftests/NAME.sh), run as build/tests/NAME.
SCRIPT_TESTS := install
TEST_HDR := selftests/vtest.h selftests/vkids.h selftests/vwire.h selftests/vhmac.h selftests/vmount.h $(LIBV_HDR)

.PHONY: all module modules-all libv tools daemons tests deps check check-run check-debug check-debug-run
.PHONY: demo demo-run bench bench-run bench-profile lint clean
.PHONY: install uninstall dkms-install dkms-uninstall

all: module libv tools daemons tests

deps:
	@if [ -z "$$VK_NO_DEPS" ]; then bash scripts/deps.sh; fi

# --- kernel module ---------------------------------------------------------
# Each kernel gets its own copy of the sources under build/kmod/KVER, so
# objects for 6.1 and 6.12 never mix in the source tree.  VK_KDIR builds
# against a kernel tree that is not under /lib/modules (make check-debug).
module: $(B)/kmod/$(KVER)/vkmod.ko

$(B)/kmod/%/vkmod.ko: $(MOD_SRC)
	@test -d $(or $(VK_KDIR),/lib/modules/$*/build) || { echo "no headers for kernel '$*' (make deps?)"; exit 1; }
	@mkdir -p $(B)/kmod/$*
	@cp -a --parents $(MOD_SRC) $(B)/kmod/$*/
	$(MAKE) -C $(or $(VK_KDIR),/lib/modules/$*/build) M=$(abspath $(B)/kmod/$*) modules

modules-all: module
	@for k in $(KVERS_ALL); do $(MAKE) --no-print-directory $(B)/kmod/$$k/vkmod.ko || exit 1; done

# --- libv ------------------------------------------------------------------
libv: $(B)/lib/libv.a $(B)/lib/libv.so $(B)/lib/libv.pc $(B)/lib/libv-uninstalled.pc \
	$(B)/hdrcheck.stamp

# Every public header compiles as a program's only include, in C and C++.
PUBLIC_HDR := libv.h libv_services.h vio.h vexec.h linux/v.h
$(B)/hdrcheck.stamp: $(LIBV_HDR)
	@mkdir -p $(B)
	@for h in $(PUBLIC_HDR); do \
		printf '#include <%s>\nint main(void) { return 0; }\n' $$h >$(B)/hdrcheck.c; \
		$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -Iinclude/uapi \
			-fsyntax-only -x c $(B)/hdrcheck.c && \
		{ ! command -v $(CXX) >/dev/null || \
		$(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -Iinclude/uapi \
			-fsyntax-only -x c++ $(B)/hdrcheck.c; } || \
		{ echo "$$h does not compile on its own (C11 and C++11)"; exit 1; }; \
	done
	@touch $@

$(B)/libv/%.o: libv/%.c $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(B)/lib/libv.a: $(LIBV_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(B)/lib/libv.so: $(LIBV_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libv.so.$(LIBV_ABI) -o $@.$(LIBV_ABI) $^
	ln -sf libv.so.$(LIBV_ABI) $@

$(B)/lib/libv.pc: libv/libv.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(or $(PREFIX),/usr/local)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

# For programs built against this tree (PKG_CONFIG_PATH=build/lib; pkg-config
# takes libv-uninstalled.pc before an installed libv.pc): headers from the
# tree, the static library from build/lib.
$(B)/lib/libv-uninstalled.pc: libv/libv.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|^Libs:.*|Libs: $(abspath $(B))/lib/libv.a|' \
	    -e 's|^Cflags:.*|Cflags: -I$(CURDIR)/include -I$(CURDIR)/include/uapi|' \
	    -e 's|@PREFIX@|$(CURDIR)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

# --- tools -----------------------------------------------------------------
tools: $(addprefix $(B)/tools/,$(TOOLS))

$(addprefix $(B)/tools/,$(TOOLS_ONE)): $(B)/tools/%: tools/%.c tools/parse.h tools/vsvc.h \
		$(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $< $(B)/lib/libv.a

# vbench: a file a family of rows (tools/vbench/), one program.
$(B)/tools/vbench: $(VBENCH_SRC) tools/vbench/vbench.h tools/parse.h $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $(VBENCH_SRC) $(B)/lib/libv.a

# vrun: its remote mode (-H, through vexecd) and that mode's stream server in
# files of their own.
VRUN_SRC := tools/vrun.c tools/vrun_remote.c tools/vrun_stream.c
$(B)/tools/vrun: $(VRUN_SRC) tools/vrun.h tools/parse.h tools/vsvc.h $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $(VRUN_SRC) $(B)/lib/libv.a -lpthread

# --- daemons ---------------------------------------------------------------
daemons: $(addprefix $(B)/daemons/,$(DAEMONS))

$(B)/daemons/%: daemons/%.c daemons/daemon.h tools/parse.h $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $< $(B)/lib/libv.a -lpthread

# vfsd: its POSIX requests in a file of their own.
$(B)/daemons/vfsd: daemons/vfsd.c daemons/vfsd_posix.c daemons/vfsd_hold.c daemons/vfsd.h daemons/daemon.h tools/parse.h \
		$(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ daemons/vfsd.c daemons/vfsd_posix.c daemons/vfsd_hold.c $(B)/lib/libv.a -lpthread

# vexecd: one concern per file; its netlink dump through libnl (as vctl).
VEXECD_SRC := $(addprefix daemons/vexecd,.c _spawn.c _prog.c _ctl.c _relay.c _proc.c _load.c)
$(B)/daemons/vexecd: $(VEXECD_SRC) daemons/vexecd.h daemons/daemon.h tools/parse.h \
		$(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(NL_CFLAGS) -o $@ $(VEXECD_SRC) $(B)/lib/libv.a $(NL_LIBS) -lpthread

# vfs is a FUSE file system: libfuse3's high-level API.
FUSE_CFLAGS = $(shell pkg-config --cflags fuse3)
FUSE_LIBS = $(shell pkg-config --libs fuse3)

VFS_SRC := daemons/vfs.c daemons/vfs_cache.c daemons/vfs_revoke.c
$(B)/daemons/vfs: $(VFS_SRC) daemons/vfs.h tools/parse.h $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(FUSE_CFLAGS) -o $@ $(VFS_SRC) $(B)/lib/libv.a $(FUSE_LIBS) -lpthread

# vctl speaks generic netlink through libnl.
NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0)

# vctl_link.c: link show|add|del (Ethernet and UDP links), on vctl.c's
# netlink plumbing (vctl.h).
# vctl_proc.c: proc query|suspend|resume|kill, over V (libv) to a vexecd.
VCTL_SRC := tools/vctl.c tools/vctl_link.c tools/vctl_proc.c
$(B)/tools/vctl: $(VCTL_SRC) tools/vctl.h tools/vctl_link.h tools/vctl_proc.h tools/parse.h \
		$(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(NL_CFLAGS) -o $@ $(VCTL_SRC) $(B)/lib/libv.a $(NL_LIBS)

# --- selftests -------------------------------------------------------------
tests: $(addprefix $(B)/tests/,$(TESTS) $(SCRIPT_TESTS)) $(B)/tests/compat32 $(B)/tests/readme_example \
	$(B)/tests/readme_snippet $(B)/tests/cluster_peer $(B)/tests/plotcheck.png

$(addprefix $(B)/tests/,$(SCRIPT_TESTS)): $(B)/tests/%: selftests/%.sh
	@mkdir -p $(dir $@)
	install -m 755 $< $@

$(B)/tests/%: selftests/%.c $(B)/lib/libv.a $(TEST_HDR)
	@test -e $(HARNESS_DIR)/kselftest_harness.h || { echo "kselftest_harness.h missing: run make deps"; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(EXTRA_CFLAGS) -Wno-unused-parameter -Wno-sign-compare \
		-I$(HARNESS_DIR) -Iselftests -o $@ $< $(B)/lib/libv.a -lpthread $(EXTRA_LDLIBS)

# Suite ctl talks generic netlink itself, through libnl.
$(B)/tests/ctl: EXTRA_LDLIBS = $(NL_LIBS)
$(B)/tests/ctl: EXTRA_CFLAGS = $(NL_CFLAGS)

# Suites services and naming run the daemons and tools; suite perf runs vbench, which starts vfsd.
$(B)/tests/services $(B)/tests/naming: | daemons tools
$(B)/tests/perf: | daemons tools
# Suite vfs mounts the V name space with daemons/vfs and runs others' programs on it;
# suite vshare mounts it on two hosts at once.
$(B)/tests/vfs: | daemons tools
$(B)/tests/vshare: | daemons tools
# Suite exec runs vexecd on three hosts and vrun, vps and vctl against it.
$(B)/tests/exec: | daemons tools

# The cluster suite's server (guest A; no harness) and the protocol that
# cluster.c takes from it.
$(B)/tests/cluster: selftests/cluster_peer.c

$(B)/tests/cluster_peer: selftests/cluster_peer.c $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $< $(B)/lib/libv.a

# The program between the example markers of README.md must compile.
$(B)/tests/readme_example: README.md $(B)/lib/libv.a $(LIBV_HDR)
	@mkdir -p $(dir $@)
	awk '/<!-- example:end -->/ { f = 0 } f && !/^```/ { print } /<!-- example:begin -->/ { f = 1 }' \
		README.md >$@.c
	@test -s $@.c || { echo "README.md: no example between the markers"; exit 1; }
	$(CC) $(USER_CFLAGS) -o $@ $@.c $(B)/lib/libv.a

# README's "Programming with libv" compiles as written, against this tree
# through the uninstalled pkg-config file, in C and C++.
$(B)/tests/readme_snippet: README.md $(B)/lib/libv.a $(B)/lib/libv-uninstalled.pc $(LIBV_HDR)
	@mkdir -p $(dir $@)
	awk '/<!-- snippet:end -->/ { f = 0 } f && !/^```/ { print } /<!-- snippet:begin -->/ { f = 1 }' \
		README.md >$@.c
	@test -s $@.c || { echo "README.md: no snippet between the markers"; exit 1; }
	$(CC) -Wall -Wextra -Werror -o $@ $@.c $$(PKG_CONFIG_PATH=$(abspath $(B))/lib pkg-config --cflags --libs libv)
	@if command -v $(CXX) >/dev/null; then echo "  CXX     $@.cxx"; \
	$(CXX) -Wall -Wextra -Werror -x c++ -o $@.cxx $@.c -x none \
		$$(PKG_CONFIG_PATH=$(abspath $(B))/lib pkg-config --cflags --libs libv); \
	else echo "  (no $(CXX): the C++ half is checked after make deps)"; fi

# The benchmark plot marks V's bars and labels each baseline with V's
# ratio to it (scripts/bench-plot.sh on a sample, with gnuplot).
$(B)/tests/plotcheck.png: scripts/bench-plot.sh selftests/bench-sample.json
	@mkdir -p $(dir $@)
	@if ! command -v gnuplot >/dev/null; then \
		echo "  (no gnuplot: the plot is checked after make deps)"; \
	else \
		echo "  PLOT    $@"; \
		bash scripts/bench-plot.sh selftests/bench-sample.json $@ $@.dat 2>$@.log && \
		grep -q '^lat local_srr_ns 1800 [0-9]* V$$' $@.dat && \
		grep -q '^lat pipe_rr_ns 2100 [0-9]* V/this=0.86$$' $@.dat && \
		grep -q '^bw64 process_vm_writev_64k_mbps 2700 [0-9]* V/this=1.11$$' $@.dat && \
		grep -q '^r1m tcp_stream_1m_mbps 420 [0-9]* V/this=0.71$$' $@.dat && \
		grep -q '^r1m tcp_file_read_mbps 400 [0-9]* V/this=0.70$$' $@.dat && \
		grep -q '^rfile file_page_write_us 600 [0-9]* V$$' $@.dat && \
		grep -q '^rfile tcp_file_page_us 880 [0-9]* V/this=0.80$$' $@.dat && \
		grep -q '^rfile tcp_file_page_write_us 900 [0-9]* V/this=0.67$$' $@.dat && \
		! grep -q '_insns ' $@.dat || \
		{ echo "bench-plot.sh: V's bars or the ratios are not as expected ($@.dat)"; \
		  rm -f $@; exit 1; }; \
	fi

# The 32-bit helper needs gcc-multilib; without it the compat test skips.
$(B)/tests/compat32: selftests/compat32.c $(LIBV_SRC) $(LIBV_HDR)
	@mkdir -p $(dir $@)
	@if $(CC) -m32 $(USER_CFLAGS) -static -o $@ selftests/compat32.c $(LIBV_SRC) 2>$(B)/compat32.log; \
	then echo "  CC -m32  $@"; else echo "  (no 32-bit toolchain: compat test will skip)"; rm -f $@; fi

# --- installing ------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] [KVER=]: the module through the
# kernel's modules_install into /lib/modules/KVER/extra (then depmod, unless
# DESTDIR is set), libv (static, shared with soname links, libv.pc for
# PREFIX), the headers, the tools, vctl.8 and vfs.8, the daemons into sbin and
# their systemd units into lib/systemd/system (ExecStart pointing at sbin).
# Only what is built already is read from build/: install writes nothing
# into the repository.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
UNITDIR = $(PREFIX)/lib/systemd/system
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
MAN8DIR = $(PREFIX)/share/man/man8
PYDIR = $(PREFIX)/lib/python3/dist-packages
PCDIR = $(LIBDIR)/pkgconfig
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/extra
INST_FILES = $(addprefix $(DESTDIR)$(LIBDIR)/,libv.a libv.so.$(LIBV_ABI).$(VERSION) libv.so.$(LIBV_ABI) libv.so) \
	$(DESTDIR)$(PCDIR)/libv.pc $(DESTDIR)$(INCLUDEDIR)/libv.h $(DESTDIR)$(INCLUDEDIR)/linux/v.h \
	$(DESTDIR)$(PYDIR)/vkmod/__init__.py \
	$(DESTDIR)$(INCLUDEDIR)/libv_services.h $(DESTDIR)$(INCLUDEDIR)/vio.h $(DESTDIR)$(INCLUDEDIR)/vexec.h \
	$(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS)) $(DESTDIR)$(MAN8DIR)/vctl.8 $(DESTDIR)$(MAN8DIR)/vfs.8 \
	$(addprefix $(DESTDIR)$(SBINDIR)/,$(DAEMONS)) $(addprefix $(DESTDIR)$(UNITDIR)/,$(addsuffix .service,$(DAEMONS)))
SBIN_PATH = PATH=$$PATH:/usr/sbin:/sbin

# modules.order names the module by the absolute path it was built at, so
# modules_install runs on a copy in a temporary directory (the repository may
# have moved, or be mounted elsewhere and read-only).  Distribution headers
# carry no signing key: then modules_install is told not to sign.
install: module libv tools daemons
	@t=$$(mktemp -d) && trap 'rm -rf "$$t"' EXIT && \
	cp $(B)/kmod/$(KVER)/vkmod.ko "$$t/" && \
	sed "s|.*/|$$t/|" $(B)/kmod/$(KVER)/modules.order >"$$t/modules.order" && \
	kb=/lib/modules/$(KVER)/build && \
	key=$$(sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' $$kb/.config) && \
	nosign=$$( [ -z "$$key" ] || [ -e "$$key" ] || [ -e "$$kb/$$key" ] || echo CONFIG_MODULE_SIG_ALL= ) && \
	set -x && $(MAKE) -C $$kb M="$$t" $$nosign \
		INSTALL_MOD_PATH=$(abspath $(DESTDIR)) INSTALL_MOD_DIR=extra DEPMOD=true modules_install
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR)
	install -m 644 $(B)/lib/libv.a $(DESTDIR)$(LIBDIR)/libv.a
	install -m 755 $(B)/lib/libv.so.$(LIBV_ABI) $(DESTDIR)$(LIBDIR)/libv.so.$(LIBV_ABI).$(VERSION)
	ln -sfn libv.so.$(LIBV_ABI).$(VERSION) $(DESTDIR)$(LIBDIR)/libv.so.$(LIBV_ABI)
	ln -sfn libv.so.$(LIBV_ABI) $(DESTDIR)$(LIBDIR)/libv.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' libv/libv.pc.in >$(DESTDIR)$(PCDIR)/libv.pc
	chmod 644 $(DESTDIR)$(PCDIR)/libv.pc
	install -m 644 include/libv.h $(DESTDIR)$(INCLUDEDIR)/libv.h
	install -m 644 include/uapi/linux/v.h $(DESTDIR)$(INCLUDEDIR)/linux/v.h
	install -m 644 include/libv_services.h include/vio.h include/vexec.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(addprefix $(B)/tools/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -m 644 tools/vctl.8 $(DESTDIR)$(MAN8DIR)/vctl.8
	install -m 644 daemons/vfs.8 $(DESTDIR)$(MAN8DIR)/vfs.8
	install -d $(DESTDIR)$(PYDIR)/vkmod
	install -m 644 python/vkmod/__init__.py $(DESTDIR)$(PYDIR)/vkmod/__init__.py
	install -m 755 $(addprefix $(B)/daemons/,$(DAEMONS)) $(DESTDIR)$(SBINDIR)/
	for d in $(DAEMONS); do sed 's|@SBINDIR@|$(SBINDIR)|' daemons/$$d.service \
		>$(DESTDIR)$(UNITDIR)/$$d.service && chmod 644 $(DESTDIR)$(UNITDIR)/$$d.service; done
	@if [ -z "$(DESTDIR)" ]; then set -x; $(SBIN_PATH) depmod -a $(KVER) && $(SBIN_PATH) ldconfig; fi

# Files only; of the directories, those that are ours alone (and the
# module's extra/) go when empty.
uninstall:
	rm -f $(MODDIR)/vkmod.ko $(MODDIR)/vkmod.ko.gz $(MODDIR)/vkmod.ko.xz $(MODDIR)/vkmod.ko.zst
	rm -f $(INST_FILES)
	rm -rf $(DESTDIR)$(PYDIR)/vkmod/__pycache__
	@for d in $(MODDIR) $(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(PCDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/lib/systemd $(DESTDIR)$(PYDIR)/vkmod $(DESTDIR)$(PYDIR) \
		$(DESTDIR)$(PREFIX)/lib/python3; do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; done
	@if [ -z "$(DESTDIR)" ]; then set -x; $(SBIN_PATH) depmod -a $(KVER) && $(SBIN_PATH) ldconfig; fi

# DKMS: the module's sources and dkms.conf under /usr/src/vkmod-VERSION, then
# dkms add, build and install for KVER (dkms-uninstall: dkms remove for every
# kernel, and the sources).
DKMS_SRC = /usr/src/vkmod-$(VERSION)

dkms-install:
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ echo "dkms.conf: PACKAGE_VERSION is not \"$(VERSION)\" (Makefile VERSION)"; exit 1; }
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp --parents $(MOD_SRC) dkms.conf $(DKMS_SRC)/
	@if $(SBIN_PATH) dkms status -m vkmod -v $(VERSION) | grep -q .; then :; else \
		set -x; $(SBIN_PATH) dkms add -m vkmod -v $(VERSION); fi
	$(SBIN_PATH) dkms build -m vkmod -v $(VERSION) -k $(KVER)
	$(SBIN_PATH) dkms install -m vkmod -v $(VERSION) -k $(KVER)

dkms-uninstall:
	@if $(SBIN_PATH) dkms status -m vkmod -v $(VERSION) | grep -q .; then \
		set -x; $(SBIN_PATH) dkms remove -m vkmod -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

# --- running ---------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory check-run

# Each suite of T runs in a guest of its own (run.sh; cluster in two,
# cluster.sh), VK_JOBS (default 4) guests at once; check.sh prints each
# suite's output whole, in the order of T, and sums them up in one closing
# line.  Without T on the command line the cluster suite runs too.
CHECK_SUITES = $(T)$(if $(filter file,$(origin T)), cluster)

check-run: all modules-all
	selftests/qemu/check.sh -k $(KVER) -s "$(CHECK_SUITES)"

# The debug kernel (scripts/debug-kernel.sh: linux-source-6.1 with KASAN,
# lockdep, kmemleak, ..., built once into /var/cache/vkmod-debug-kernel),
# vkmod built against it, and suites sec, lan, local, net and fault on it, with
# the timeouts times VK_TIMEOUT_SCALE (default 4 here) and
# kmemleak scans before and after (run.sh -L); the module has the race
# windows of vkmod/race.c (VK_RACE_DELAY=y).  T=... picks other suites
# (not cluster).  Not part of make check: it takes an hour.
DEBUG_SUITES = sec lan local net fault
DEBUG_T = $(filter-out cluster,$(if $(filter command line,$(origin T)),$(T),$(DEBUG_SUITES)))

check-debug: deps
	@$(MAKE) --no-print-directory check-debug-run

check-debug-run: all
	@set -e; kenv=$$(scripts/debug-kernel.sh); eval "$$kenv"; \
	echo "# debug kernel $$KREL: $$KDIR (build $$BUILD_SECS s)"; \
	$(MAKE) --no-print-directory $(B)/kmod/$$KREL/vkmod.ko VK_KDIR=$$KDIR VK_RACE_DELAY=y; \
	VK_TIMEOUT_SCALE=$(or $(VK_TIMEOUT_SCALE),4) selftests/qemu/check.sh -k $$KREL -s "$(DEBUG_T)" -- \
		-i $$IMAGE -L -A "log_buf_len=8M"

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	selftests/qemu/run.sh -k $(KVER) -m demo -S 300 -t 600

# vbench in a guest, and a second guest running vbench --serve for the rows
# between two kernels (VK_BENCH_N=iterations, VK_BENCH_SECS=per-row budget,
# VK_BENCH_ONLY=rows, VK_BENCH_PEER=0: one guest); the plot is drawn here
# afterwards.
bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(B)/qemu/libinsns.so
	selftests/qemu/bench.sh -k $(KVER)

# Where one row's guest instructions go, by function (ROW=local_srr).
bench-profile: all $(B)/qemu/libinsns.so
	scripts/bench-profile.sh -k $(KVER) $(ROW)

# The TCG plugin that counts guest instructions for the *_insns rows.
$(B)/qemu/libinsns.so: selftests/qemu/insns.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o $@ $<

# --- lint ------------------------------------------------------------------
# checkpatch.pl --strict and sparse on vkmod's own files; findings inside
# kernel headers do not count (sparse output is filtered to our paths).
# Only compat.h, the one place for kernel version tests, may compare
# LINUX_VERSION_CODE.
lint: deps
	@$(MAKE) --no-print-directory lint-run

lint-run:
	$(CHECKPATCH) --no-tree --strict --quiet --show-types --ignore FILE_PATH_CHANGES \
		-f $(filter-out vkmod/compat.h,$(wildcard vkmod/*.c vkmod/*.h)) include/uapi/linux/v.h
	$(CHECKPATCH) --no-tree --strict --quiet --show-types \
		--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,CONSTANT_COMPARISON -f vkmod/compat.h
	@rm -rf $(B)/lint && mkdir -p $(B)/lint && cp -a --parents $(MOD_SRC) $(B)/lint/
	@$(MAKE) -s -C /lib/modules/$(KVER)/build M=$(abspath $(B)/lint) C=2 CHECK="sparse -Wno-decl" \
		modules 2>&1 | tee $(B)/lint/sparse.log | grep -E "^$(abspath $(B)/lint)/(vkmod|include)/" \
		&& { echo "sparse: findings above"; exit 1; } || echo "lint: checkpatch and sparse clean"

clean:
	rm -rf $(B)
