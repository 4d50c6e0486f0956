/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the suites that run the V file system (vfs, vshare):
 * knobs from the environment and a child's way into a vfs daemon's mount
 * namespace (kid_wait_ms, kid_kill and dump_tail are vkids.h's).  Include
 * after vtest.h and vkids.h.
 */
#ifndef VMOUNT_H
#define VMOUNT_H

#include <dirent.h>
#include <grp.h>
#include <sched.h>

static inline const char *bdir(void)
{
	const char *b = getenv("VK_BUILD");

	return b ? b : "build";
}

static inline int knob(const char *name, int def)
{
	const char *s = getenv(name);
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : def;
}

static inline const char *knob_str(const char *name, const char *def)
{
	const char *s = getenv(name);

	return s && *s ? s : def;
}

/* This process (a child) into a vfs daemon's mount namespace, then as uid (< 0: root). */
static inline int enter_mnt(pid_t fs, int uid)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", fs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNS);
	close(fd);
	if (ret || chdir("/"))
		return -1;
	if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
		return -1;
	return 0;
}

/*
 * Run the shell script text with `sh -e` in the mount and network
 * namespaces of process fs (a vfs daemon), at most secs seconds (scaled),
 * its files in dir (w<fs>.sh, .out, .err).  Its stdout into out (len
 * bytes, NUL-terminated; NULL: kept in the file only); its exit status
 * (124: timed out), and on failure both outputs' ends are printed.
 */
static inline int vm_sh(const char *dir, pid_t fs, int secs, char *out, size_t len,
			const char *script)
{
	char cmd[1024], sh[256], so[256], se[256];
	FILE *f;
	int ret;

	snprintf(sh, sizeof(sh), "%s/w%d.sh", dir, (int)fs);
	snprintf(so, sizeof(so), "%s/w%d.out", dir, (int)fs);
	snprintf(se, sizeof(se), "%s/w%d.err", dir, (int)fs);
	f = fopen(sh, "w");
	if (!f)
		return -1;
	/* `! cmd` does not stop `sh -e`: fails cmd does */
	fputs("fails() { if \"$@\"; then echo \"succeeded: $*\" >&2; exit 1; fi; }\n", f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "timeout -k 3 %d nsenter -t %d -m -n sh -e %s >%s 2>%s </dev/null",
		 secs * vt_scale(), (int)fs, sh, so, se);
	ret = vt_sh("%s", cmd);
	if (out)
		vt_slurp(so, out, len);
	if (ret) {
		fprintf(stderr, "# script failed (status %d%s):\n", ret,
			ret == 124 ? ": timed out" : "");
		dump_tail("script", sh, 1200);
		dump_tail("its stdout", so, 800);
		dump_tail("its stderr", se, 1500);
	}
	return ret;
}

#endif /* VMOUNT_H */
