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
echo "== demo finished at guest uptime $(t) s"
