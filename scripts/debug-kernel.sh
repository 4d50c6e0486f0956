#!/usr/bin/env bash
# Build, once, the debug kernel of `make check-debug` from linux-source-6.1:
# x86_64_defconfig + kvm_guest.config + selftests/qemu/debug-kernel.config
# (KASAN, lockdep, kmemleak, ...), with what the guests need built in.
#
# The tree lives outside the repository, in
#   $VK_DEBUG_CACHE/SRCVER/HASH/linux   (default /var/cache/vkmod-debug-kernel)
# keyed by the source package's version and a hash of the fragment, so a
# second run reuses it and a changed fragment builds a new one.  An
# interrupted build resumes (make is incremental).  The kernel is built with
# `nice -n 19 make -j$VK_DEBUG_JOBS` (default 2): about 30 minutes on 2 cores.
#
# On success prints, for `eval`, on stdout:
#   KREL=<kernelrelease> KDIR=<tree> IMAGE=<bzImage> BUILD_SECS=<secs>
# Build output goes to build.log next to the tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
frag=$repo/selftests/qemu/debug-kernel.config
cache=${VK_DEBUG_CACHE:-/var/cache/vkmod-debug-kernel}
jobs=${VK_DEBUG_JOBS:-2}

log() { printf 'debug-kernel: %s\n' "$*" >&2; }

tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1) ||
	true
[ -n "$tarball" ] || { log "no /usr/src/linux-source-6.1.tar.*: run make deps"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	srcver=$(stat -c %Y "$tarball")
hash=$({ echo "$srcver"; cat "$frag"; } | sha256sum | cut -c1-12)
dir=$cache/$srcver/$hash
tree=$dir/linux
blog=$dir/build.log

mkdir -p "$dir"
# One builder at a time per configuration; others wait for it.
exec 9>"$dir/lock"
if ! flock -n 9; then
	log "another build of $dir is running; waiting"
	flock 9
fi

report() {
	local krel secs
	krel=$(cat "$dir/done")
	secs=$(cat "$dir/build-secs" 2>/dev/null || echo "?")
	echo "KREL=$krel KDIR=$tree IMAGE=$tree/arch/x86/boot/bzImage BUILD_SECS=$secs"
}
if [ -e "$dir/done" ] && [ -e "$tree/arch/x86/boot/bzImage" ] && [ -e "$tree/Module.symvers" ]; then
	log "cached: $tree ($(cat "$dir/done"))"
	report
	exit 0
fi

t0=$(date +%s)
if [ ! -e "$tree/.vk-unpacked" ]; then
	log "unpacking $tarball into $tree"
	rm -rf "$tree" && mkdir -p "$tree"
	nice -n 19 tar -xf "$tarball" -C "$tree" --strip-components=1
	touch "$tree/.vk-unpacked"
fi

if [ ! -e "$tree/.vk-configured" ]; then
	log "configuring (x86_64_defconfig + kvm_guest.config + $(basename "$frag"))"
	{
		echo "CONFIG_LOCALVERSION=\"-vkdebug-${hash:0:8}\""
		echo "# CONFIG_LOCALVERSION_AUTO is not set"
	} >"$dir/localversion.config"
	(
		cd "$tree"
		make -s x86_64_defconfig
		scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
			"$frag" "$dir/localversion.config" >/dev/null
		make -s olddefconfig
	) >"$blog" 2>&1 || { tail -20 "$blog" >&2; exit 1; }
	# Every line of the fragment must have survived olddefconfig (a
	# dependency missing turns an option off silently), and tracepoints
	# must be on.
	bad=0
	while IFS= read -r l; do
		case "$l" in
		CONFIG_*=*)
			grep -qxF "$l" "$tree/.config" || { log "not in .config: $l"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			o=${l#\# }; o=${o%% *}
			! grep -q "^$o=" "$tree/.config" || { log "set in .config: $o"; bad=1; } ;;
		esac
	done <"$frag"
	grep -qx CONFIG_TRACEPOINTS=y "$tree/.config" || { log "CONFIG_TRACEPOINTS is off"; bad=1; }
	[ $bad = 0 ] || exit 1
	cp "$tree/.config" "$dir/config"
	touch "$tree/.vk-configured"
fi

log "building bzImage and modules: nice -n 19 make -j$jobs (log: $blog)"
if ! nice -n 19 make -C "$tree" -j"$jobs" bzImage modules >>"$blog" 2>&1; then
	tail -30 "$blog" >&2
	log "build failed (log: $blog)"
	exit 1
fi
t1=$(date +%s)
# Time of this invocation (a resumed build counts only its own part).
echo $((t1 - t0)) >"$dir/build-secs"
make -s -C "$tree" kernelrelease >"$dir/done"
log "built $(cat "$dir/done") in $((t1 - t0)) s"
report
