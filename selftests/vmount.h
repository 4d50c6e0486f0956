/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the suites that run the V file system (vfs, vshare):
 * knobs from the environment, daemons' lifetimes, a failed test's logs,
 * and a child's way into a vfs daemon's mount namespace.  Include after
 * vtest.h and vkids.h.
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

/*
 * Wait up to ms (scaled) for kid pid: its exit status (1000 + signal), or
 * -2 when it did not end (it is SIGKILLed and reaped then).
 */
static inline int kid_wait_ms(pid_t pid, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kid_forget(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
		}
		usleep(20000);
	} while (vt_now_ms() < end);
	kill(pid, SIGKILL);
	kid_wait(pid);
	return -2;
}

/* SIGKILL a kid, reap it and forget it. */
static inline void kid_kill(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		kid_wait(pid);
		kid_forget(pid);	/* its pid may be another process's soon */
	}
}

/* Print the last bytes of a file as "# " lines (a failed test's logs). */
static inline void dump_tail(const char *title, const char *path, size_t max)
{
	if (access(path, R_OK) == 0)
		vt_sh("echo '# --- %s:' >&2; tail -c %zu %s | sed 's/^/# /' >&2", title, max, path);
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
