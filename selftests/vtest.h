/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vkmod selftest suites (kselftest_harness.h based).
 * The suites run inside the QEMU guest as root with vkmod loaded; guest.sh
 * exports VKMOD_KO (the module file) and VK_BUILD (the build directory).
 */
#ifndef VTEST_H
#define VTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <unistd.h>
#include "libv.h"

/* Long waits scale with VK_TIMEOUT_SCALE (the debug kernel is slower). */
static inline int vt_scale(void)
{
	const char *s = getenv("VK_TIMEOUT_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

/*
 * Whether this kernel has user namespaces (CONFIG_USER_NS; the debug
 * kernel of make check-debug was first built without): unshare() in a
 * child, EINVAL there meaning no.
 */
static inline int vt_userns_supported(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) && errno == EINVAL ? 1 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;	/* cannot tell: let the test find out */
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/*
 * The default host-down bound scaled like the waits, for suites to set on
 * their hosts when VK_TIMEOUT_SCALE > 1: a debug kernel under netem can
 * stall for longer than the real default (tests that time the bound set
 * their own).
 */
static inline int vt_down_ms_scaled(void)
{
	long long ms = (long long)V_HOST_DOWN_MS_DEFAULT * vt_scale();

	return ms < V_HOST_DOWN_MS_MAX ? (int)ms : V_HOST_DOWN_MS_MAX;
}

/*
 * TEST_HARNESS_MAIN with every test's timeout (the harness's alarm, 30 s or
 * TEST_F_TIMEOUT's) times VK_TIMEOUT_SCALE too, and only the tests whose
 * "fixture.test" name contains one of VK_TESTS's words (separated by ","
 * or "+") when it is set (6.1's harness has no filter of its own; in a
 * guest: VK_GUEST_ENV=VK_TESTS=race.forward+race.deliver).  A macro: it names the harness's
 * internals, so it expands after kselftest_harness.h.
 */
#define VT_HARNESS_MAIN							\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	static int vt_test_wanted(const char *fixture, const char *test)	\
	{								\
		const char *want = getenv("VK_TESTS"), *w;		\
		char name[256];						\
		size_t n;						\
									\
		if (!want || !*want)					\
			return 1;					\
		snprintf(name, sizeof(name), "%s.%s", fixture, test);	\
		for (w = want; *w; w += n + !!w[n]) {			\
			char word[128];					\
									\
			n = strcspn(w, ",+");				\
			snprintf(word, sizeof(word), "%.*s", (int)n, w); \
			if (n && strstr(name, word))			\
				return 1;				\
		}							\
		return 0;						\
	}								\
	int main(int argc, char **argv)					\
	{								\
		struct __fixture_metadata *f;				\
		struct __test_metadata *t, *next, *keep, *tail;		\
									\
		for (f = __fixture_list; f; f = f->next) {		\
			keep = tail = NULL;				\
			for (t = f->tests; t; t = next) {		\
				next = t->next;				\
				t->timeout *= vt_scale();		\
				if (!vt_test_wanted(f->name, t->name))	\
					continue;			\
				t->next = NULL;				\
				t->prev = tail ? tail : t;		\
				if (tail)				\
					tail->next = t;			\
				else					\
					keep = t;			\
				tail = t;				\
			}						\
			if (keep)					\
				keep->prev = tail;			\
			f->tests = keep;				\
		}							\
		return test_harness_run(argc, argv);			\
	}

/* The calling thread's id (glibc 2.36's gettid() is not everywhere). */
static inline pid_t vt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline int vt_socket(void)
{
	return socket(v_family(), SOCK_DGRAM, 0);
}

static inline uint64_t vt_id(int fd)
{
	uint64_t id = 0;

	return v_self(fd, &id) == 0 ? id : 0;
}

/* Load or unload vkmod from a test (for rmmod/parameter tests). */
static inline int vt_module_unload(void)
{
	return syscall(SYS_delete_module, "vkmod", O_NONBLOCK);
}

static inline int vt_module_load(const char *params)
{
	const char *ko = getenv("VKMOD_KO");
	int fd, ret;

	if (!ko) {
		errno = ENOENT;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	close(fd);
	return ret;
}

static inline int vt_module_loaded(void)
{
	return access("/sys/module/vkmod", F_OK) == 0;
}

/* Read an integer module parameter; -1 if unreadable. */
static inline long long vt_param(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/vkmod/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 0);
}

/* --- helpers for the IPC suites (local, ...) ------------------------------ */
#include <poll.h>
#include <time.h>

static inline int64_t vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* An ioctl's result as 0 or -errno. */
static inline int vt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A V process whose Receive waits at most ms (scaled, whole seconds): fd or -1. */
static inline int vt_vopen_timed(int ms)
{
	struct timeval tv = { .tv_sec = (ms / 1000) * vt_scale() };
	int fd = v_open();

	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive into a zeroed r, bounded by SO_RCVTIMEO (-EAGAIN when nothing came). */
static inline int vt_rx(int fd, struct v_receive *r)
{
	memset(r, 0, sizeof(*r));
	return v_receive_ex(fd, r);
}

/* Receive what is queued now: 0, or -EAGAIN when nothing is. */
static inline int vt_rx_now(int fd, struct v_receive *r)
{
	int fl = fcntl(fd, F_GETFL), ret;

	memset(r, 0, sizeof(*r));
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -EBADF;
	ret = vt_rx(fd, r);
	fcntl(fd, F_SETFL, fl);
	return ret;
}
/* Wait up to ms (scaled) for events on fd; returns revents or 0. */
static inline int vt_wait_poll(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int left, n;

	for (;;) {
		left = (int)(end - vt_now_ms());
		if (left < 0)
			left = 0;
		n = poll(&p, 1, left);
		if (n > 0)
			return p.revents;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

/* State letter of task tid of process pid (from /proc), or 0. */
static inline char vt_task_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * The system call task tid is blocked in (/proc/.../syscall): its number,
 * -2 when it is running, -1 when the file cannot be read.
 */
static inline long vt_task_syscall(pid_t pid, pid_t tid)
{
	char path[96], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -2;
	return strtol(buf, NULL, 10);
}

/*
 * One Send to dst with a timeout of ms (scaled), so a lost message fails
 * rather than hangs; seg (len bytes, 0: none) granted for reading.  The
 * reply (or the request, on failure) is left in *m; 0 or -errno.
 */
static inline int vt_send_timed(int fd, uint64_t dst, struct v_msg *m, void *seg, size_t len,
				int ms)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.timeout_ns = (uint64_t)ms * 1000000ULL * vt_scale();
	s.seg_addr = (uintptr_t)seg;
	s.seg_len = len;
	s.seg_access = len ? V_SEG_READ : 0;
	s.msg = *m;
	ret = v_send_ex(fd, &s);
	*m = s.msg;
	return ret;
}

/*
 * Wait (up to ms, scaled) until task tid of pid sleeps inside ioctl(2),
 * i.e. is blocked in a V call.  Without /proc/.../syscall, falls back to
 * "sleeping" plus a grace period.  Returns 0, or -1 on timeout.
 */
static inline int vt_wait_blocked(pid_t pid, pid_t tid, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	long sc;
	char st;

	do {
		st = vt_task_state(pid, tid);
		sc = vt_task_syscall(pid, tid);
		if ((st == 'S' || st == 'D') && sc == SYS_ioctl) {
			/* Stable for a moment: really asleep in the call. */
			usleep(2000);
			if (vt_task_syscall(pid, tid) == SYS_ioctl)
				return 0;
		}
		if (sc == -1 && (st == 'S' || st == 'D')) {
			usleep(200000 * vt_scale());
			return 0;
		}
		usleep(2000);
	} while (vt_now_ms() < end);
	return -1;
}

/* A thread blocked in Receive on fd (vt_rx_start()); ret and r: its result. */
struct vt_rxth {
	pthread_t th;
	int fd;
	pid_t tid;
	int ret;
	struct v_receive r;
};

static inline void *vt_rx_thread(void *arg)
{
	struct vt_rxth *x = arg;

	__atomic_store_n(&x->tid, vt_gettid(), __ATOMIC_SEQ_CST);
	x->ret = vt_rx(x->fd, &x->r);
	return NULL;
}

/*
 * Start x's thread: wait up to start_ms for it to run, then up to
 * blocked_ms until it sleeps in the ioctl.  0, or -1.
 */
static inline int vt_rx_start(struct vt_rxth *x, int start_ms, int blocked_ms)
{
	int64_t end = vt_now_ms() + start_ms;

	x->tid = 0;
	if (pthread_create(&x->th, NULL, vt_rx_thread, x))
		return -1;
	while (!__atomic_load_n(&x->tid, __ATOMIC_SEQ_CST) && vt_now_ms() < end)
		usleep(1000);
	return vt_wait_blocked(getpid(), x->tid, blocked_ms);
}

/* Wait (up to ms, scaled) for task tid of pid to reach state st. */
static inline int vt_wait_state(pid_t pid, pid_t tid, char st, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	do {
		if (vt_task_state(pid, tid) == st)
			return 0;
		usleep(2000);
	} while (vt_now_ms() < end);
	return -1;
}

/* The file's contents (up to len - 1 bytes, NUL-terminated) into buf. */
static inline char *vt_slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Read exactly len bytes from fd within ms (scaled); 0 or -1. */
static inline int vt_read_full(int fd, void *buf, size_t len, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(end - vt_now_ms());

		if (left <= 0 || poll(&p, 1, left) <= 0) {
			if (left <= 0)
				return -1;
			continue;
		}
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += n;
	}
	return 0;
}

/* Run a shell command (output not captured); its exit status, or -1. */
static inline int __attribute__((format(printf, 1, 2))) vt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* --- helpers for the network suites (net, groups) -------------------------- */
/*
 * V hosts are network namespaces named by `ip netns add` (/run/netns/NAME).
 * A suite opens vt_root_ns (its initial namespace) in its fixture setup so
 * vt_ns_leave() can return there; vctl runs are fork + setns + exec, no
 * shell, so setup can run them often.
 */
#include <sched.h>
#include <net/if.h>

static int vt_root_ns __attribute__((unused)) = -1;

/* Open vt_root_ns on this thread's namespace (a fixture's setup): the fd or -1. */
static inline int vt_root_open(void)
{
	vt_root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return vt_root_ns;
}

/* Close vt_root_ns (a fixture's teardown). */
static inline void vt_root_close(void)
{
	if (vt_root_ns >= 0)
		close(vt_root_ns);
	vt_root_ns = -1;
}

/* Enter namespace ns (this thread); 0 or -errno. */
static inline int vt_ns_enter(const char *ns)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%.200s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

/* Back to vt_root_ns (this thread). */
static inline void vt_ns_leave(void)
{
	if (vt_root_ns >= 0 && setns(vt_root_ns, CLONE_NEWNET))
		perror("setns back to the initial namespace");
}

/*
 * A V process (socket) of host ns (NULL: this thread's own), opened from
 * this process; fd or -errno.
 */
static inline int vt_ns_vopen(const char *ns, int nonblock)
{
	int fd, ret = ns ? vt_ns_enter(ns) : 0;

	if (ret)
		return ret;
	fd = v_open();
	if (ns)
		vt_ns_leave();
	if (fd >= 0 && nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static inline const char *vt_vctl_bin(void)
{
	static char path[512];
	const char *b = getenv("VK_BUILD");

	if (!path[0])
		snprintf(path, sizeof(path), "%s/tools/vctl", b ? b : "build");
	return path;
}

/* vt_vctl_run flags */
#define VT_VCTL_STDERR	0x1	/* stderr into out as well (else discarded) */

/*
 * Run `vctl ARGS` (split at spaces) inside namespace ns (NULL: the
 * caller's): fork, setns, exec.  Output into out (if given), else
 * discarded.  The exit status, or -1.
 */
static inline int vt_vctl_run(const char *ns, const char *args, char *out, size_t len,
			      int flags)
{
	char buf[512], *argv[24], *tok, *save = NULL;
	int p[2], st, argc = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = (char *)vt_vctl_bin();
	for (tok = strtok_r(buf, " ", &save); tok && argc < 23; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(out ? p[1] : null, 1);
		dup2(out && (flags & VT_VCTL_STDERR) ? p[1] : null, 2);
		if (ns && vt_ns_enter(ns))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	for (;;) {
		n = read(p[0], out ? out + got : buf, out ? len - 1 - got : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			got += n;
		if (out && got + 1 >= len)
			break;
	}
	if (out)
		out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * `vctl ARGS`, ARGS a printf format, inside namespace ns (NULL: the
 * caller's), quietly: its exit status (vt_vctl_run).
 */
static inline int __attribute__((format(printf, 2, 0)))
vt_ns_vctlv(const char *ns, const char *fmt, va_list ap)
{
	char args[512];

	vsnprintf(args, sizeof(args), fmt, ap);
	return vt_vctl_run(ns, args, NULL, 0, 0);
}

static inline int __attribute__((format(printf, 2, 3)))
vt_ns_vctl(const char *ns, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vt_ns_vctlv(ns, fmt, ap);
	va_end(ap);
	return ret;
}

/* Feed script to `ip -batch -` (with force: go on after errors). */
static inline int vt_ip_batch(const char *script, int force)
{
	FILE *f;
	int st;

	fflush(stdout);
	fflush(stderr);
	f = popen(force ? "ip -force -batch - >/dev/null 2>&1" : "ip -batch - >/dev/null 2>&1",
		  "w");
	if (!f)
		return -1;
	fputs(script, f);
	st = pclose(f);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/*
 * The number after "name": in a JSON text (first occurrence; a quoted
 * number, decimal or 0x hex, is read too), or -1.
 */
static inline long long vt_json_num(const char *json, const char *name)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(json, key);
	if (!p)
		return -1;
	p += strlen(key);
	if (*p == '"')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 0);
}

/*
 * The string after "name": in a JSON text (first occurrence, escapes left
 * as they are) into out (len bytes, NUL-terminated): 0, or -1 when there
 * is no such string (out empty).
 */
static inline int vt_json_str(const char *json, const char *name, char *out, size_t len)
{
	char key[160];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(json, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return -1;
	while (*p && *p != '"' && n + 1 < len) {
		if (*p == '\\' && p[1])
			out[n++] = *p++;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return *p == '"' ? 0 : -1;
}

/*
 * The JSON object of an array that holds "key":"0x..." (an id as a
 * string, hex, any width) equal to id: a pointer to its '{' inside json,
 * its end '}' made a NUL (json is changed), or NULL.  For lists such as
 * vps -j's programs, then read with vt_json_num() / vt_json_str().
 */
static inline char *vt_json_find_id(char *json, const char *key, uint64_t id)
{
	char pat[160], *p = json, *open, *close;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	while ((p = strstr(p, pat))) {
		p += strlen(pat);
		if (strtoull(p, NULL, 16) != id)
			continue;
		for (open = p; open > json && *open != '{'; open--)
			;
		close = strchr(p, '}');
		if (*open != '{' || !close)
			return NULL;
		*close = '\0';
		return open;
	}
	return NULL;
}

/*
 * The first process (not this one) whose command line, its arguments
 * joined by spaces, is exactly cmd: its pid, or 0.  Processes of every
 * network namespace share this pid namespace: a test finds what a daemon
 * started for it on another V host by its arguments.
 */
static inline pid_t vt_pid_find(const char *cmd)
{
	char path[64], buf[1024];
	struct dirent *e;
	pid_t found = 0;
	ssize_t n, i;
	DIR *d;
	int fd;

	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		if (!buf[n - 1])
			n--;
		for (i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		if (!strcmp(buf, cmd))
			found = pid;
	}
	closedir(d);
	return found;
}

/* Is process pid gone (no /proc entry, or a zombie)? */
static inline int vt_pid_gone(pid_t pid)
{
	char st = vt_task_state(pid, pid);

	return !st || st == 'Z' || st == 'X';
}

/* Wait up to ms (scaled) until vt_pid_gone(pid): 0, or -1. */
static inline int vt_pid_wait_gone(pid_t pid, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	do {
		if (vt_pid_gone(pid))
			return 0;
		usleep(20000);
	} while (vt_now_ms() < end);
	return -1;
}

/* Set IFF_UP on ifname in this thread's namespace; 0 or -1. */
static inline int vt_if_up(const char *ifname)
{
	struct ifreq ifr;
	int fd, ret = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* Drop CAP_NET_ADMIN from this thread's effective and permitted sets; 0 or -errno. */
#include <linux/capability.h>

static inline int vt_drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * A strict JSON syntax check (RFC 8259: one value, objects, arrays,
 * strings with escapes, numbers, true/false/null, nothing after it).
 * In C so a test can check every -j output without starting python3,
 * which costs seconds over 9p under emulation.  0 if valid, -1 if not.
 */
static inline const char *vt_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static inline const char *vt_json_value(const char *p, int depth);

static inline const char *vt_json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p++ != '\\')
			continue;
		if (*p == 'u') {
			int i;

			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 5;
		} else if (*p && strchr("\"\\/bfnrt", *p)) {
			p++;
		} else {
			return NULL;
		}
	}
	return p + 1;
}

static inline const char *vt_json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

/* The elements of an array (close ']') or members of an object ('}'). */
static inline const char *vt_json_items(const char *p, char close, int depth)
{
	p = vt_json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = vt_json_string(vt_json_ws(p));
			if (!p || *(p = vt_json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = vt_json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = vt_json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static inline const char *vt_json_value(const char *p, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i;

	p = vt_json_ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{':
		return vt_json_items(p + 1, '}', depth);
	case '[':
		return vt_json_items(p + 1, ']', depth);
	case '"':
		return vt_json_string(p);
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strncmp(p, words[i], strlen(words[i])))
			return p + strlen(words[i]);
	return vt_json_number(p);
}

static inline int vt_json_valid(const char *json)
{
	const char *end = vt_json_value(json, 0);

	return end && !*vt_json_ws(end) ? 0 : -1;
}

#endif /* VTEST_H */
