#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite "install": make install / uninstall and the DKMS path, inside the
# guest.  The guest's root is the host's, read-only over 9p; an overlay with
# its upper layer in tmpfs is put over it and the steps run chrooted there,
# so everything they write (/usr/local, /lib/modules, /usr/src,
# /var/lib/dkms, /etc/ld.so.cache) vanishes with the guest.  The repository
# stays read-only at /mnt/repo: install must not write into it.
#
# The runner has build/kmod/KVER/vkmod.ko loaded: it is unloaded here and
# loaded again at the end ($VKMOD_KO).  Prints TAP.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C

R=${VK_REPO:-/mnt/repo}
k=$(uname -r)
scale=${VK_TIMEOUT_SCALE:-1}
PREFIX=/usr/local
t=/tmp/vk-install
root=$t/root
work=$t/log
n=0 failed=0

echo "1..15"

ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $1"
	[ -z "${2:-}" ] || echo "# $2"
}
# The last lines of a step's output, as TAP comments.
show() { [ -s "$1" ] && tail -n "${2:-25}" "$1" | sed 's/^/#   /'; }
# Run a shell command in the overlay root with a timeout (seconds, scaled);
# its output goes to $work/NAME.
inroot() {
	local name=$1 secs=$2
	shift 2
	timeout -k 5 $((secs * scale)) chroot "$root" /usr/bin/env -i \
		PATH="$PATH" HOME=/root LANG=C TERM=dumb \
		PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig \
		/bin/bash -c "$*" >"$work/$name" 2>&1
}
# A TAP line for one step: ok, or not ok with the output's tail.
step() {
	local desc=$1 name=$2
	shift 2
	if inroot "$name" "$@"; then ok "$desc"; else notok "$desc"; show "$work/$name"; fi
}
# Files (not directories) that install and DKMS may write, outside the tree
# of the kernel's own modules.  Narrow on purpose: the host root is live, and
# other work may change it meanwhile.
files_list() {
	inroot "$1" 120 "{ find $PREFIX/bin $PREFIX/sbin $PREFIX/lib $PREFIX/include $PREFIX/share/man \
		/lib/modules/$k /usr/src/vkmod-[0-9]* /var/lib/dkms \
		-path /lib/modules/$k/kernel -prune -o -path /lib/modules/$k/build -prune \
		-o -path /lib/modules/$k/source -prune -o ! -type d -print 2>/dev/null; } |
		grep -v -e '^/var/lib/dkms/mok\.' | sort"
}
elapsed() { echo "# $1: $((SECONDS - t0)) s"; }

# --- 1: the writable root --------------------------------------------------
setup() {
	mkdir -p $t && mount -t tmpfs -o mode=755 tmpfs $t &&
	mkdir -p $t/upper $t/work $root $work &&
	mount -t overlay overlay -o lowerdir=/,upperdir=$t/upper,workdir=$t/work $root &&
	mount --rbind /dev $root/dev && mount --bind /proc $root/proc &&
	mount --bind /sys $root/sys && mount --bind /run $root/run &&
	mount -t tmpfs -o mode=1777 tmpfs $root/tmp &&
	mkdir -p $root/mnt/repo && mount --bind "$R" $root/mnt/repo &&
	touch $root/usr/vk-install-probe && rm $root/usr/vk-install-probe &&
	# devtmpfs has no /dev/fd (udev makes it); bash's <(...), which dkms
	# uses, needs it.
	{ [ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd; }
}
teardown() {
	cd /
	umount -R $root 2>/dev/null || umount -R -l $root 2>/dev/null
	umount $t 2>/dev/null || umount -l $t 2>/dev/null
}
trap teardown EXIT

t0=$SECONDS
if ! setup >/tmp/vk-install-setup.log 2>&1; then
	notok "overlay root over the read-only host root"
	show /tmp/vk-install-setup.log
	while [ $n -lt 14 ]; do notok "skipped: no writable root"; done
	insmod "$VKMOD_KO" 2>/dev/null
	if grep -q '^vkmod ' /proc/modules; then ok "vkmod.ko of the build loaded again"; else notok "vkmod.ko of the build loaded again"; fi
	exit 1
fi
ok "overlay root over the read-only host root"
files_list before

# --- 2-3: make install (DESTDIR staging is not repeated here: a second
# modules_install costs about 50 s under TCG) -------------------------------------------------------
files="$PREFIX/lib/libv.a $PREFIX/lib/libv.so $PREFIX/lib/libv.so.1 $PREFIX/lib/libv.so.1.0.1
	$PREFIX/lib/pkgconfig/libv.pc $PREFIX/include/libv.h $PREFIX/include/linux/v.h
	$PREFIX/bin/vid $PREFIX/bin/vping $PREFIX/bin/vecho $PREFIX/bin/vctl $PREFIX/bin/vbench
	$PREFIX/bin/vfile $PREFIX/bin/vtime $PREFIX/bin/vrun $PREFIX/bin/vps
	$PREFIX/sbin/vfsd $PREFIX/sbin/vnamed $PREFIX/sbin/vtimed $PREFIX/sbin/vfs $PREFIX/sbin/vexecd
	$PREFIX/lib/systemd/system/vfsd.service $PREFIX/lib/systemd/system/vnamed.service
	$PREFIX/lib/systemd/system/vtimed.service $PREFIX/lib/systemd/system/vfs.service
	$PREFIX/lib/systemd/system/vexecd.service
	$PREFIX/include/libv_services.h $PREFIX/include/vio.h $PREFIX/include/vexec.h
	$PREFIX/lib/python3/dist-packages/vkmod/__init__.py
	$PREFIX/share/man/man8/vctl.8 $PREFIX/share/man/man8/vfs.8"
t1=$SECONDS
step "make install PREFIX=$PREFIX from the read-only repository" install 600 \
	"make -C /mnt/repo install PREFIX=$PREFIX KVER=$k"
echo "# make install: $((SECONDS - t1)) s"

check_files() {
	local f
	for f in $files; do [ -e "$f" ] || { echo "missing: $f"; return 1; }; done
	[ "$(readlink $PREFIX/lib/libv.so)" = libv.so.1 ] &&
	[ "$(readlink $PREFIX/lib/libv.so.1)" = libv.so.1.0.1 ] &&
	objdump -p $PREFIX/lib/libv.so.1.0.1 | grep -q 'SONAME *libv.so.1$' &&
	grep -qx "prefix=$PREFIX" $PREFIX/lib/pkgconfig/libv.pc &&
	ls /lib/modules/$k/extra/vkmod.ko* &&
	grep -q "^extra/vkmod.ko[.a-z]*:" /lib/modules/$k/modules.dep &&
	ldconfig -p | grep -q "libv.so.1 .*=> $PREFIX/lib/libv.so.1"
}
step "installed: module in extra/ (depmod ran), libv with soname links, libv.pc, headers, tools, vctl.8" \
	files 60 "$(declare -p files PREFIX k); $(declare -f check_files); set -x; check_files"

# --- 4-5: building against the installed libv --------------------------------
cat >$root/tmp/vself.c <<'EOF'
#include <stdio.h>
#include <libv.h>

int main(void)
{
	uint64_t me;
	int fd = v_open(), ret;

	if (fd < 0) {
		fprintf(stderr, "v_open: %d\n", fd);
		return 1;
	}
	ret = v_self(fd, &me);
	if (ret == 0)
		printf("v_self: %#llx\n", (unsigned long long)me);
	v_close(fd);
	return ret != 0;
}
EOF
step "pkg-config --cflags --libs libv" pkgconfig 60 \
	"set -x; pkg-config --modversion libv && f=\$(pkg-config --cflags --libs libv) && echo \"PC: \$f\" &&
	 case \" \$f \" in *' -lv '*) ;; *) exit 1 ;; esac"
grep -m1 '^PC: ' "$work/pkgconfig" | sed 's/^PC: /# pkg-config --cflags --libs libv: /'
step "a program compiles and links against the installed libv (shared and static)" compile 120 \
	"set -x; cd /tmp && gcc -Wall -Werror -o vself vself.c \$(pkg-config --cflags --libs libv) &&
	 ldd ./vself | grep -q '$PREFIX/lib/libv.so.1' &&
	 gcc -Wall -Werror -o vself-static vself.c \$(pkg-config --cflags libv) $PREFIX/lib/libv.a"

# --- 6-8: the installed module and tools -------------------------------------
modprobe_check() {
	local want=$1 line
	rmmod vkmod 2>/dev/null
	grep -q '^vkmod ' /proc/modules && { echo "vkmod still loaded"; return 1; }
	line=$(modprobe -v vkmod) || return 1
	echo "$line"
	case "$line" in *"insmod $want"*) ;; *) echo "not loaded from $want"; return 1 ;; esac
	grep -q '^vkmod ' /proc/modules && test -d /sys/module/vkmod
}
step "rmmod vkmod; modprobe vkmod loads /lib/modules/$k/extra/vkmod.ko" modprobe 120 \
	"$(declare -f modprobe_check); set -x; modprobe_check /lib/modules/$k/extra/vkmod.ko"
step "the program runs against the modprobed module (v_open, v_self)" run 60 \
	"set -x; /tmp/vself && /tmp/vself-static"
step "the Python bindings import from $PREFIX and open a V process" python 60 \
	"set -x; PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$PREFIX/lib/python3/dist-packages python3 -c \
	 'import vkmod; p = vkmod.Process(); assert p.id; p.close(); print(vkmod.__file__)' |
	 grep -q '^$PREFIX/lib/python3/dist-packages/vkmod/'"
step "vctl --help from $PREFIX/bin" vctl 60 \
	"set -x; test \"\$(command -v vctl)\" = $PREFIX/bin/vctl && vctl --help | grep -q link &&
	 test -s $PREFIX/share/man/man8/vctl.8"

# --- 9: make uninstall --------------------------------------------------------
uninstall_check() {
	rmmod vkmod || return 1
	make -C /mnt/repo uninstall PREFIX=$PREFIX KVER=$k || return 1
	! modinfo -n vkmod 2>/dev/null && ! ldconfig -p | grep -q 'libv\.so' &&
	! ls /lib/modules/$k/extra/vkmod.ko* 2>/dev/null
}
# Passes when the step passes and the files are those from before $2.
step_same_files() {
	local desc=$1 name=$2 before=$3
	shift 3
	if ! inroot "$name" "$@"; then
		notok "$desc"; show "$work/$name" 60
	elif ! files_list "$name.files" || ! diff -u "$work/$before" "$work/$name.files" >"$work/$name.diff"; then
		notok "$desc" "files differ from before:"; show "$work/$name.diff" 40
	else
		ok "$desc"
	fi
}
step_same_files "make uninstall removes all of it (and runs depmod, ldconfig)" uninstall before 180 \
	"$(declare -p PREFIX k); $(declare -f uninstall_check); set -x; uninstall_check"
elapsed "make install/uninstall part"

# --- 10-14: DKMS ----------------------------------------------------------------
V=$(sed -n 's/^VERSION := //p' "$R/Makefile")
if [ -n "$V" ] && grep -qx "PACKAGE_VERSION=\"$V\"" "$R/dkms.conf"; then
	ok "dkms.conf PACKAGE_VERSION is the Makefile's VERSION ($V)"
else
	notok "dkms.conf PACKAGE_VERSION is the Makefile's VERSION ($V)"
fi
t1=$SECONDS
# What a DKMS install must leave, wherever it was built.
dkms_installed() {
	dkms status -m vkmod -v $V | tee /tmp/dkms.status
	grep -q "^vkmod/$V, $k, [^:]*: installed" /tmp/dkms.status && test -f /usr/src/vkmod-$V/dkms.conf
}
dkms_install() {
	make -C /mnt/repo dkms-install KVER=$k
	local rc=$?
	[ $rc = 0 ] || { tail -40 /var/lib/dkms/vkmod/$V/build/make.log 2>/dev/null; return $rc; }
	dkms_installed
}
# check.sh runs this build on the host (selftests/qemu/dkms-stage.sh: the
# same command, chrooted into an overlay of the same root) and passes what it
# wrote as VK_DKMS_STAGE; here it is put in place, and checked like a build
# made in the guest.  Without VK_DKMS_STAGE (run.sh by hand) the guest builds.
dkms_staged() {
	local st=$1
	[ -e "$st/ok" ] || { echo "the host-side build failed:"; tail -40 "$st/log"; return 1; }
	cp -a "$st/root/." / || return 1
	dkms_installed
}
if [ -n "${VK_DKMS_STAGE:-}" ]; then
	step "make dkms-install: dkms add, build and install for $k" dkms 120 \
		"$(declare -p k V); $(declare -f dkms_installed dkms_staged); set -x; dkms_staged $VK_DKMS_STAGE"
	echo "# dkms build and install: on the host in $(cat "$VK_DKMS_STAGE/ok" 2>/dev/null || echo ?) s" \
		"(selftests/qemu/dkms-stage.sh), put in place here in $((SECONDS - t1)) s"
else
	step "make dkms-install: dkms add, build and install for $k" dkms 600 \
		"$(declare -p k V); $(declare -f dkms_installed dkms_install); set -x; dkms_install"
	echo "# dkms build and install: $((SECONDS - t1)) s"
fi
grep -m1 "^vkmod/" "$work/dkms" | sed 's/^/# dkms status: /'

dkms_modprobe() {
	local p
	p=$(modinfo -n vkmod) || return 1
	echo "modinfo -n: $p"
	case "$p" in */updates/dkms/vkmod.ko* | */extra/vkmod.ko*) ;; *) return 1 ;; esac
	cmp "$p" /var/lib/dkms/vkmod/$V/$k/*/module/"$(basename "$p")" || return 1
	modprobe_check "$p"
}
step "modprobe vkmod loads the module DKMS built" dkmsmod 120 \
	"$(declare -p k V); $(declare -f modprobe_check dkms_modprobe); set -x; dkms_modprobe"
step "the statically linked program runs against the DKMS module" run2 60 "set -x; /tmp/vself-static"

dkms_uninstall() {
	rmmod vkmod || return 1
	make -C /mnt/repo dkms-uninstall || return 1
	dkms status -m vkmod | grep . && return 1
	test -e /usr/src/vkmod-$V && return 1
	if modinfo -n vkmod; then
		ls -lR /lib/modules/$k/updates /lib/modules/$k/extra; grep vkmod /lib/modules/$k/modules.dep
		return 1
	fi
	return 0
}
step_same_files "make dkms-uninstall: dkms remove, sources gone" dkmsun before 300 \
	"$(declare -p k V); $(declare -f dkms_uninstall); set -x; dkms_uninstall"

# --- 15: back to the build's module for the runner ----------------------------
rmmod vkmod 2>/dev/null
if insmod "$VKMOD_KO" && grep -q '^vkmod ' /proc/modules; then
	ok "vkmod.ko of the build loaded again"
else
	notok "vkmod.ko of the build loaded again"
fi
elapsed "install, total"
[ $failed = 0 ]
