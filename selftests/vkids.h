/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the suites that fork V processes (local, net): the
 * children a test started (reaped or killed by its teardown) and their
 * report pipes, daemons started and waited for (their ready line on a
 * pipe or in a log), the orphans a killed daemon leaves, checks that work
 * inside a child (CK, CKEQ: exit with the line number), and deterministic
 * data patterns with a hash to check copies by, and the test messages
 * (mk, msg_eq, the loop clients' vt_loop_req / vt_loop_reply).
 *
 * A suite may set VT_KIDS_MAX (children at once) and VT_KID_ALARM_S (each
 * child's default alarm, scaled by VK_TIMEOUT_SCALE) before including it.
 */
#ifndef VKIDS_H
#define VKIDS_H

#include <sched.h>
#include <stdarg.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include "vtest.h"

#ifndef VT_KIDS_MAX
#define VT_KIDS_MAX	128
#endif
#ifndef VT_KID_ALARM_S
#define VT_KID_ALARM_S	40
#endif

/* ------------------------------------------------------------------------ */
/* Children                                                                 */

static pid_t kids[VT_KIDS_MAX];
static int nkids;

static inline pid_t kid_fork(unsigned int alarm_s)
{
	pid_t p;

	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p == 0) {
		nkids = 0;
		alarm(alarm_s ? alarm_s : VT_KID_ALARM_S * vt_scale());
		return 0;
	}
	if (p > 0 && nkids < (int)(sizeof(kids) / sizeof(kids[0])))
		kids[nkids++] = p;
	return p;
}

/* Reap p: its exit code, 1000 + signal if killed, -1 on error. */
static inline int kid_wait(pid_t p)
{
	int st, i;

	for (;;) {
		if (waitpid(p, &st, __WALL) != p)
			return -1;
		if (!WIFSTOPPED(st))
			break;
	}
	for (i = 0; i < nkids; i++)
		if (kids[i] == p)
			kids[i] = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static inline void kids_kill_all(void)
{
	int i;

	for (i = 0; i < nkids; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, __WALL);
		kids[i] = 0;
	}
	nkids = 0;
}

/* Forget a reaped kid. */
static inline void kid_forget(pid_t pid)
{
	int i;

	for (i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

/* SIGTERM kid pid and reap it within ms (scaled): its exit status (1000 +
 * signal), -1 when it did not end (it is left to kids_kill_all()). */
static inline int kid_stop(pid_t pid, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int st;

	kill(pid, SIGTERM);
	while (vt_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kid_forget(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
		}
		usleep(20000);
	}
	return -1;
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

/* kid_spawn flags */
#define KID_MNTNS	0x1	/* a mount namespace of its own, mounts private */

/*
 * Start build/CMD (or /CMD; split at spaces, no shell) as a kid in network
 * namespace ns (NULL: the caller's), its stdout on fd out and stderr on fd
 * err (-1: /dev/null; err -2: inherited).  Its pid, or -1.
 */
static inline pid_t kid_spawn(const char *ns, int out, int err, unsigned int flags,
			      const char *cmd_in)
{
	char cmd[1024], *argv[32], *tok, *save = NULL, path[1100];
	const char *b = getenv("VK_BUILD");
	int argc = 0, null;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s", cmd_in);
	for (tok = strtok_r(cmd, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (!argc)
		return -1;
	if (argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", b ? b : "build", argv[0]);
	pid = kid_fork(0);
	if (pid)
		return pid;
	alarm(0);
	null = open("/dev/null", O_RDWR);
	dup2(out >= 0 ? out : null, 1);
	if (err != -2)
		dup2(err >= 0 ? err : null, 2);
	if (ns && vt_ns_enter(ns))
		_exit(126);
	if ((flags & KID_MNTNS) &&
	    (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)))
		_exit(125);
	execv(path, argv);
	_exit(127);
}

/* The last ready line kid_daemon() read (for what follows the id). */
static char kid_line[256] __attribute__((unused));

/*
 * Run build/CMD (as kid_spawn()) in namespace ns (NULL: here), its stdout
 * into the file out (NULL: discarded), its stderr on err; its exit status
 * (1000 + signal when killed), -1.
 */
static inline int kid_run(const char *ns, const char *out, int err, const char *cmd)
{
	int fd = -1;
	pid_t pid;

	if (out) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
	}
	pid = kid_spawn(ns, fd, err, 0, cmd);
	if (fd >= 0)
		close(fd);
	return pid < 0 ? -1 : kid_wait(pid);
}

/*
 * Start a daemon with kid_spawn() and read its ready line from its stdout
 * within ms (scaled): "... as 0x<id>", *id (if given) from it.  Its pid,
 * or -1 (it is killed then).
 */
static inline pid_t kid_daemon(const char *ns, int err, unsigned int flags, int ms, uint64_t *id,
			       const char *cmd)
{
	char line[256], *as;
	size_t got = 0;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = kid_spawn(ns, p[1], err, flags, cmd);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	while (got < sizeof(line) - 1) {
		if (vt_read_full(p[0], line + got, 1, ms))
			break;
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	close(p[0]);
	as = strstr(line, " as 0x");
	if (!as) {
		fprintf(stderr, "# %s did not start: '%s'\n", cmd, line);
		kill(pid, SIGKILL);
		kid_wait(pid);
		return -1;
	}
	if (id)
		*id = strtoull(as + 4, NULL, 16);
	snprintf(kid_line, sizeof(kid_line), "%s", line);
	return pid;
}

/*
 * Start a daemon with kid_spawn(), its stdout and stderr appended to the
 * file log (kept for a failed test's dump_tail()); *from gets the log's
 * size before it, where kid_ready_log() looks for its ready line.  Its
 * pid, or -1.  Several daemons started this way before any is waited for
 * start at once.
 */
static inline pid_t kid_spawn_log(const char *ns, const char *log, unsigned int flags,
				  const char *cmd, off_t *from)
{
	pid_t pid;
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	*from = lseek(fd, 0, SEEK_END);
	pid = kid_spawn(ns, fd, fd, flags, cmd);
	close(fd);
	return pid;
}

/*
 * Wait up to ms (scaled) for the ready line of daemon pid (kid_spawn_log)
 * in its log after from: a line with " as 0x<id>" (on stdout or stderr);
 * *id (if given) from it, the line in kid_line.  pid, or -1 (it is killed
 * then, or it ended).
 */
static inline pid_t kid_ready_log(pid_t pid, const char *log, off_t from, int ms, uint64_t *id)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	char buf[4096], *as, *line;
	int rfd, st;
	ssize_t n;

	if (pid < 0)
		return -1;
	for (;;) {
		rfd = open(log, O_RDONLY | O_CLOEXEC);
		n = rfd < 0 ? -1 : pread(rfd, buf, sizeof(buf) - 1, from);
		if (rfd >= 0)
			close(rfd);
		buf[n > 0 ? n : 0] = '\0';
		as = strstr(buf, " as 0x");
		if (as && strchr(as, '\n'))
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kid_forget(pid);
			fprintf(stderr, "# daemon %d ended before it was ready: '%s'\n", (int)pid, buf);
			return -1;
		}
		if (vt_now_ms() > end) {
			fprintf(stderr, "# daemon %d did not start: '%s'\n", (int)pid, buf);
			kid_kill(pid);
			return -1;
		}
		usleep(5000);
	}
	if (id)
		*id = strtoull(as + 4, NULL, 16);
	for (line = as; line > buf && line[-1] != '\n'; line--)
		;
	snprintf(kid_line, sizeof(kid_line), "%.*s", (int)(strchr(as, '\n') - line), line);
	return pid;
}

/* kid_spawn_log() and kid_ready_log() in one. */
static inline pid_t kid_daemon_log(const char *ns, const char *log, unsigned int flags, int ms,
				   uint64_t *id, const char *cmd)
{
	off_t from = 0;

	return kid_ready_log(kid_spawn_log(ns, log, flags, cmd, &from), log, from, ms, id);
}

/*
 * Orphans: a test whose kids start processes that may outlive them (a
 * daemon's children when the daemon is killed) makes itself their
 * subreaper (kid_subreaper(), in its setup); kids_kill_orphans() (in its
 * teardown, after its kids are gone) then SIGKILLs and reaps every child
 * of this process left, by pid, until none is.
 */
static inline int kid_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static inline void kids_kill_orphans(void)
{
	char path[64], buf[512], *p;
	struct dirent *e;
	int round, found;
	DIR *d;

	for (round = 0; round < 50; round++) {
		found = 0;
		d = opendir("/proc");
		if (!d)
			return;
		while ((e = readdir(d))) {
			pid_t pid = (pid_t)atoi(e->d_name);

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			p = strrchr(vt_slurp(path, buf, sizeof(buf)), ')');
			if (!p || atoi(p + 4) != getpid())
				continue;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, __WALL);
			found = 1;
		}
		closedir(d);
		if (!found)
			return;
	}
}

/*
 * A child serving in namespace ns (NULL: the caller's), for ever (the
 * caller's teardown kills it: kids_kill_all()): it opens a V process,
 * calls ready(srv, arg) when given (non-zero: it gives up; a group to
 * join, say), reports its id and serves each message it receives with
 * serve(srv, r, arg), or echoes it (serve NULL).  Its id once ready, or 0.
 */
static inline uint64_t vt_kid_server(const char *ns, int (*ready)(int srv, void *arg),
				     void (*serve)(int srv, const struct v_receive *r, void *arg),
				     void *arg)
{
	uint64_t id = 0;
	int p[2], srv;
	pid_t pid;

	if (pipe(p))
		return 0;
	pid = kid_fork(0);
	if (pid == 0) {
		struct v_receive r;

		srv = vt_ns_vopen(ns, 0);
		if (srv < 0 || (ready && ready(srv, arg)))
			_exit(1);
		id = vt_id(srv);
		if (write(p[1], &id, 8) != 8)
			_exit(1);
		for (;;) {
			memset(&r, 0, sizeof(r));
			if (v_receive_ex(srv, &r))
				continue;
			if (serve)
				serve(srv, &r, arg);
			else
				v_reply(srv, r.sender, &r.msg);
		}
	}
	close(p[1]);
	if (pid < 0 || vt_read_full(p[0], &id, 8, 20000))
		id = 0;
	close(p[0]);
	return id;
}

/* A child serving echo (each message replied as it came) in namespace ns: vt_kid_server(). */
static inline uint64_t vt_echo_server(const char *ns)
{
	return vt_kid_server(ns, NULL, NULL, NULL);
}

/*
 * A child's report pipe rfd: a u64 (the child's id, sent first) within ms
 * (scaled), or 0; a report of len bytes into r, zeroed first (0 or -1);
 * the end: the pipe closed and the child reaped (kid_wait's exit code).
 */
static inline uint64_t vt_kid_read_id(int rfd, int ms)
{
	uint64_t id = 0;

	return vt_read_full(rfd, &id, sizeof(id), ms) ? 0 : id;
}

static inline int vt_kid_read(int rfd, void *r, size_t len, int ms)
{
	memset(r, 0, len);
	return vt_read_full(rfd, r, len, ms);
}

static inline int vt_kid_end(pid_t pid, int rfd)
{
	close(rfd);
	return kid_wait(pid);
}

static inline void __attribute__((noreturn, format(printf, 2, 3)))
ck_fail(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# child %d, line %d: ", getpid(), line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

#define CK(c) do { if (!(c)) ck_fail(__LINE__, "%s", #c); } while (0)
#define CKEQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		ck_fail(__LINE__, "%s = %lld, expected %s = %lld",	\
			#b, _b, #a, _a);				\
} while (0)

/* ------------------------------------------------------------------------ */
/* Data patterns                                                            */

static inline uint8_t pat(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 17 | seed);

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	return (uint8_t)(x >> 56);
}

static inline void fill(void *buf, size_t len, uint32_t seed, uint64_t from)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, from + i);
}

#define FNV_INIT 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t hash_buf(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint64_t h = FNV_INIT;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/* Index of the first byte of buf that differs from the pattern, or -1. */
static inline long long pat_mismatch(const void *buf, size_t len, uint32_t seed, uint64_t from)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(seed, from + i))
			return (long long)i;
	return -1;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static inline struct v_msg mk(uint16_t code, uint64_t a)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, code);
	v_msg_put64(&m, 8, a);
	v_msg_put64(&m, 24, ~a);
	return m;
}

static inline int msg_eq(const struct v_msg *a, const struct v_msg *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The reply of server self to a request carrying tag (groups, scale). */
static inline struct v_msg vt_reply_of(uint64_t self, uint64_t tag)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, V_OK);
	v_msg_put64(&m, 8, self);
	v_msg_put64(&m, 16, tag);
	v_msg_put64(&m, 24, ~self);
	return m;
}

static inline int vt_reply_ok(const struct v_msg *m, uint64_t replier, uint64_t tag)
{
	struct v_msg want = vt_reply_of(replier, tag);

	return msg_eq(m, &want);
}

/*
 * Request seq of a loop client with id self (many Sends in a row, net and
 * fault): code, tag at 4, seq at 8, the client's id at 16 (so the server
 * can check the sender), mix64(self ^ seq) at 24.  The server answers
 * vt_loop_reply(request).
 */
static inline struct v_msg vt_loop_req(uint16_t code, uint64_t self, uint32_t tag, uint32_t seq)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, code);
	v_msg_put32(&m, 4, tag);
	v_msg_put32(&m, 8, seq);
	v_msg_put64(&m, 16, self);
	v_msg_put64(&m, 24, mix64(self ^ seq));
	return m;
}

/* The reply to a loop request: V_OK, seq + 1 at 12, bytes 24..31 inverted. */
static inline struct v_msg vt_loop_reply(const struct v_msg *req)
{
	struct v_msg m = *req;

	v_msg_set_code(&m, V_OK);
	v_msg_put32(&m, 12, v_msg_get32(req, 8) + 1);
	v_msg_put64(&m, 24, ~v_msg_get64(req, 24));
	return m;
}

#endif /* VKIDS_H */
