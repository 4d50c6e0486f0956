// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "exec": the program manager (<vexec.h>) across three V hosts:
 * vexecd on each, programs run from another host with `vrun -H`, their
 * exit statuses, stdio and terminals, signals, suspend / resume / kill
 * through the scheduler group (`vctl proc`), `vps`, placement on the
 * least loaded host, hosts and vexecds that go away mid-run, and the
 * refusals (unkeyed links, root, malformed requests).
 *
 * Topology, built by the first test and kept (the suite's process deletes
 * it when it exits): network namespaces vkx0, vkx1, vkx2, each with a
 * veth "eth0" on the bridge vkxbr, keyed; each runs `vexecd --state-dir
 * /tmp/vkx/stateN` (started per test, its stdout and stderr in
 * /tmp/vkx/vexecdN.log).  The insecure-link test builds two more, vky0
 * and vky1 on vkybr, unkeyed.  The guests share one kernel, so a program
 * run on host 1 is a process the test sees in /proc, and vrun runs as
 * uid 1000 (vexecd refuses root unless --allow-root).
 *
 * Knobs: VK_EXEC_LOG=1 (the daemons' logs printed after every test),
 * VK_EXEC_TRACE=1 (each command and its time, to see where a test's time
 * goes).
 */
#include <grp.h>
#include <pty.h>
#include <sys/stat.h>
#include <termios.h>
#include "vtest.h"
#define VT_KIDS_MAX	32
#define VT_KID_ALARM_S	60
#include "vkids.h"
#include "vwire.h"
#include "libv_services.h"
#include "kselftest_harness.h"

#define TOP		"/tmp/vkx"
#define PIDS		"/tmp/vkx.pids"	/* every vexecd started, for the next test */
#define KEY		"5ec0000000000000000000000000000000000000000000000000000000000e0c"
#define USER		1000		/* vrun's user */
#define OTHER		1001		/* another user */
#define LINE_MS		20000		/* a daemon's ready line */
#define RUN_MS		30000		/* a vrun that must end */
#define T_TEST		60

static const struct vt_topo topo = {
	.ns_fmt = "vkx%d", .port_fmt = "vkxh%d", .veth = "eth0", .bridge = "vkxbr", .n = 3,
};
static const struct vt_topo insecure = {
	.ns_fmt = "vky%d", .port_fmt = "vkyh%d", .veth = "eth0", .bridge = "vkybr", .n = 2,
};

static pid_t main_pid;

/* vexecds a killed test left running (their pids in PIDS): ended, by pid. */
static void stale_vexecds_kill(void)
{
	char buf[1024], path[64], exe[256], *p;
	ssize_t n;

	vt_slurp(PIDS, buf, sizeof(buf));
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		pid_t pid = atoi(p);

		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		n = pid > 0 ? readlink(path, exe, sizeof(exe) - 1) : -1;
		exe[n > 0 ? n : 0] = '\0';
		if (strstr(exe, "vexecd"))
			kill(pid, SIGKILL);
	}
	unlink(PIDS);
}

static void __attribute__((constructor)) exec_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) exec_fini(void)
{
	if (getpid() != main_pid)
		return;
	stale_vexecds_kill();
	if (vt_topo_exists(&insecure))
		vt_topo_destroy(&insecure);
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
}

static const char *bdir(void)
{
	const char *b = getenv("VK_BUILD");

	return b ? b : "build";
}

static char vrun[256], vctl[256], vps[256];
static int64_t t_start;
static int down_changed;	/* host 0's host-down-ms (host_down_mid_run) */

/* VK_EXEC_TRACE=1: where a test's time goes, on stderr. */
static void __attribute__((format(printf, 1, 2))) trace(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("VK_EXEC_TRACE"))
		return;
	fprintf(stderr, "# +%lld ms: ", (long long)(vt_now_ms() - t_start));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the hosts' vexecds ------------------------------------------------- */

/* Host h's (vkxH; h 10 + n: vkyN) vexecd: pid, id, host part. */
static pid_t xd[12];
static uint64_t xid[12];
static uint32_t hostp[12];

static const char *ns_of(int h)
{
	return h >= 10 ? vt_topo_ns(&insecure, h - 10) : vt_topo_ns(&topo, h);
}

/* The host part of host h as vrun -H takes it. */
static const char *hx(int h)
{
	static char s[12][16];

	snprintf(s[h], sizeof(s[h]), "0x%x", hostp[h]);
	return s[h];
}

/* Start host h's vexecd with opts; wait for it with vexecd_ready(). */
static pid_t vexecd_spawn(int h, const char *opts, off_t *from)
{
	char cmd[256], log[64], line[32];
	int fd;

	snprintf(cmd, sizeof(cmd), "daemons/vexecd --state-dir " TOP "/state%d %s", h, opts);
	snprintf(log, sizeof(log), TOP "/vexecd%d.log", h);
	xd[h] = kid_spawn_log(ns_of(h), log, 0, cmd, from);
	fd = open(PIDS, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && xd[h] > 0) {
		snprintf(line, sizeof(line), "%d\n", (int)xd[h]);
		if (write(fd, line, strlen(line)) < 0)
			perror(PIDS);
	}
	if (fd >= 0)
		close(fd);
	return xd[h];
}

static pid_t vexecd_ready(int h, off_t from)
{
	char log[64];

	snprintf(log, sizeof(log), TOP "/vexecd%d.log", h);
	xd[h] = kid_ready_log(xd[h], log, from, LINE_MS, &xid[h]);
	hostp[h] = xd[h] > 0 ? v_id_host(xid[h]) : 0;
	if (xd[h] > 0 && !strstr(kid_line, "vexecd: serving as 0x"))
		fprintf(stderr, "# vexecd's ready line is '%s' (expected 'vexecd: serving as 0x...')\n",
			kid_line);
	return xd[h];
}

static pid_t start_vexecd(int h, const char *opts)
{
	off_t from = 0;

	return vexecd_spawn(h, opts, &from) > 0 ? vexecd_ready(h, from) : -1;
}

/* SIGKILL host h's vexecd (what its programs started lives on). */
static void kill_vexecd(int h)
{
	kid_kill(xd[h]);
	xd[h] = 0;
}

/* ---- commands on a host ------------------------------------------------- */

struct out {
	int rc;			/* exit status, 1000 + signal, -2: did not end */
	int64_t ms;
	char o[8192], e[4096];
};

/*
 * Split cmd in place into words (at most n - 1, NULL after them; '...'
 * and "..." quote, nothing is expanded) and its redirections <F, >F, 2>F
 * (*in, *out, *err; NULL when not given).  The number of words.
 */
static int split(char *cmd, char **argv, int n, char **in, char **out, char **err)
{
	char *r = cmd, *w = cmd, **to, q;
	int argc = 0, end;

	*in = *out = *err = NULL;
	for (;;) {
		while (*r == ' ')
			r++;
		if (!*r)
			break;
		to = NULL;
		if (r[0] == '2' && r[1] == '>')
			to = err, r += 2;
		else if (*r == '>' || *r == '<')
			to = *r++ == '>' ? out : in;
		while (to && *r == ' ')
			r++;
		if (to)
			*to = w;
		else if (argc < n - 1)
			argv[argc++] = w;
		for (q = 0; *r && (q || *r != ' '); r++) {
			if (!q && (*r == '\'' || *r == '"'))
				q = *r;
			else if (q && *r == q)
				q = 0;
			else
				*w++ = *r;
		}
		end = !*r;
		*w++ = '\0';	/* w <= r: the space r is at, at most */
		if (end)
			break;
		r++;
	}
	argv[argc] = NULL;
	return argc;
}

/*
 * Start cmd (a command line: split() takes it) in host h as uid (< 0:
 * root), in TOP: stdin /dev/null, stdout and stderr into the files out
 * and err, unless cmd redirects them.  A kid; its pid.
 */
static pid_t start_cmd(int h, int uid, const char *out, const char *err, const char *cmd)
{
	char buf[4096], *argv[64], *in, *o, *e;
	pid_t pid;
	int fd;

	snprintf(buf, sizeof(buf), "%s", cmd);
	if (!split(buf, argv, 64, &in, &o, &e))
		return -1;
	pid = kid_fork(0);
	if (pid)
		return pid;
	alarm(0);
	if (chdir(TOP))
		_exit(126);
	fd = open(in ? in : "/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	fd = open(o ? o : out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	fd = open(e ? e : err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(126);
	if (vt_ns_enter(ns_of(h)) ||
	    (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))))
		_exit(126);
	execvp(argv[0], argv);
	_exit(127);
}

/*
 * Run the command line cmd (a format; split() takes it) in host h as uid
 * (< 0: root), in TOP, stdin /dev/null, stdout and stderr into r unless
 * it redirects them; at most RUN_MS.  Its exit status.
 */
static int __attribute__((format(printf, 4, 5)))
xrun(struct out *r, int h, int uid, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r->ms = vt_now_ms();
	pid = start_cmd(h, uid, TOP "/x.out", TOP "/x.err", cmd);
	r->rc = pid < 0 ? -1 : kid_wait_ms(pid, RUN_MS);
	r->ms = vt_now_ms() - r->ms;
	vt_slurp(TOP "/x.out", r->o, sizeof(r->o));
	vt_slurp(TOP "/x.err", r->e, sizeof(r->e));
	trace("host %d uid %d: %.120s: %d in %lld ms", h, uid, cmd, r->rc, (long long)r->ms);
	return r->rc;
}

/* The same with an argument vector (no splitting: arguments of any size). */
static int xrunv(struct out *r, int h, int uid, char *const argv[])
{
	pid_t pid;

	r->ms = vt_now_ms();
	pid = kid_fork(0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		int o = open(TOP "/x.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(TOP "/x.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		alarm(0);
		if (dup2(null, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
		    vt_ns_enter(ns_of(h)) || chdir(TOP) ||
		    (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	r->rc = pid < 0 ? -1 : kid_wait_ms(pid, RUN_MS);
	r->ms = vt_now_ms() - r->ms;
	vt_slurp(TOP "/x.out", r->o, sizeof(r->o));
	vt_slurp(TOP "/x.err", r->e, sizeof(r->e));
	return r->rc;
}

/*
 * The command line cmd in host h as uid, in the background: stdin
 * /dev/null, stdout and stderr in TOP/tag.out and TOP/tag.err.  Its pid
 * (the program's: no shell between).
 */
static pid_t __attribute__((format(printf, 4, 5)))
xbg(const char *tag, int h, int uid, const char *fmt, ...)
{
	char cmd[4096], out[128], err[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), TOP "/%s.out", tag);
	snprintf(err, sizeof(err), TOP "/%s.err", tag);
	trace("host %d uid %d, in the background: %.120s", h, uid, cmd);
	return start_cmd(h, uid, out, err, cmd);
}

/* TOP/tag.err (or .out) as it is now. */
static char *bg_text(const char *tag, const char *ext, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), TOP "/%s.%s", tag, ext);
	return vt_slurp(path, buf, len);
}

/*
 * vrun -v's line "vrun: host 0x%x program 0x%llx" in TOP/tag.err, within
 * ms (scaled): the program's V id (0: none), its host part into *host.
 */
static uint64_t vline(const char *tag, uint32_t *host, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	unsigned long long prog;
	char buf[2048], *p;
	unsigned int h;

	do {
		p = strstr(bg_text(tag, "err", buf, sizeof(buf)), "vrun: host 0x");
		if (p && sscanf(p, "vrun: host 0x%x program 0x%llx", &h, &prog) == 2) {
			if (host)
				*host = h;
			return prog;
		}
		usleep(20000);
	} while (vt_now_ms() < end);
	fprintf(stderr, "# no 'vrun: host 0x... program 0x...' line from %s: '%s'\n", tag, buf);
	return 0;
}

/* Wait up to ms (scaled) for a process whose command line is cmd: its pid, 0. */
static pid_t pid_wait(const char *cmd, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	pid_t pid;

	do {
		pid = vt_pid_find(cmd);
		if (pid)
			return pid;
		usleep(20000);
	} while (vt_now_ms() < end);
	return 0;
}

/* Does text say one of the words (any case)? */
static int says(const char *text, const char *a, const char *b)
{
	return strcasestr(text, a) || (b && strcasestr(text, b));
}

/* The session of process pid (field 6 of its stat), or 0. */
static pid_t pid_session(pid_t pid)
{
	char path[64], buf[512], *p;
	int sid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	p = strrchr(vt_slurp(path, buf, sizeof(buf)), ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %d", &sid) != 1)
		return 0;
	return sid;
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(exec) {
	int64_t t0;
};

static void logs_dump(void)
{
	static const char *const logs[] = { "vexecd0", "vexecd1", "vexecd2", "vexecd11" };
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(path, sizeof(path), TOP "/%s.log", logs[i]);
		dump_tail(logs[i], path, 1500);
	}
	dump_tail("the last command: stderr", TOP "/x.err", 800);
}

FIXTURE_SETUP(exec)
{
	int h, built, up = 1;
	char old[64];
	off_t from[3];

	self->t0 = t_start = vt_now_ms();
	nkids = 0;
	memset(xd, 0, sizeof(xd));
	snprintf(vrun, sizeof(vrun), "%s/tools/vrun", bdir());
	snprintf(vctl, sizeof(vctl), "%s/tools/vctl", bdir());
	snprintf(vps, sizeof(vps), "%s/tools/vps", bdir());
	ASSERT_LE(0, vt_root_open());
	stale_vexecds_kill();
	if (vt_topo_exists(&insecure))
		vt_topo_destroy(&insecure);
	built = access("/sys/class/net/vkxbr", F_OK) != 0;
	ASSERT_EQ(0, vt_topo_keep(&topo, KEY)) TH_LOG("cannot build the namespaces");
	for (h = 0; h < topo.n; h++) {
		ASSERT_EQ(0, vt_if_up(vt_topo_port(&topo, h)));	/* host_down_mid_run's */
		if (vt_scale() > 1)
			ASSERT_EQ(0, vt_topo_vctl(&topo, h, "set host-down-ms %d",
						  vt_down_ms_scaled()));
	}
	/* a fresh TOP (the guest's /tmp is a tmpfs; no time spent removing) */
	snprintf(old, sizeof(old), TOP ".%d", (int)getpid());
	ASSERT_TRUE(rename(TOP, old) == 0 || errno == ENOENT);
	ASSERT_EQ(0, mkdir(TOP, 0755));
	ASSERT_EQ(0, chmod(TOP, 01777));
	ASSERT_EQ(0, kid_subreaper());
	trace("topology%s", built ? " built" : "");
	for (h = 0; h < topo.n && up; h++)
		up = vexecd_spawn(h, "", &from[h]) > 0;
	for (h = 0; h < topo.n && up; h++)
		up = vexecd_ready(h, from[h]) > 0;
	trace("vexecds started");
	if (!up) {
		kids_kill_all();
		kids_kill_orphans();
		logs_dump();
	}
	ASSERT_TRUE(up) TH_LOG("vexecd did not start (build/daemons/vexecd?)");
}

FIXTURE_TEARDOWN(exec)
{
	if (down_changed && vt_topo_vctl(&topo, 0, "set host-down-ms %d", vt_down_ms_scaled()))
		vt_topo_destroy(&topo);	/* the next test builds it again */
	/* vexecd's SIGTERM is vexecd_ends_and_restarts's: here everything
	 * goes at once (its programs with it, and what they left as orphans
	 * of this process) */
	kids_kill_all();
	kids_kill_orphans();
	trace("kids gone");
	if (!_metadata->passed || getenv("VK_EXEC_LOG"))
		logs_dump();
	if (vt_topo_exists(&insecure))
		vt_topo_destroy(&insecure);
	vt_root_close();
	fprintf(stderr, "# %s: %lld ms\n", _metadata->name, (long long)(vt_now_ms() - self->t0));
}

/* ---- 1. exit statuses, and where the program ran ------------------------ */

TEST_F_TIMEOUT(exec, exit_status_and_host, T_TEST)
{
	char want[64], *p;
	struct stat st;
	struct out r;
	uint32_t h;

	/* its status, and it ran in host 1's network namespace: on host 1
	 * (named in decimal here) */
	ASSERT_EQ(0, stat("/run/netns/vkx1", &st));
	snprintf(want, sizeof(want), "net:[%llu]\n", (unsigned long long)st.st_ino);
	EXPECT_EQ(3, xrun(&r, 0, USER, "%s -H %u sh -c 'readlink /proc/self/ns/net; exit 3'", vrun,
			  hostp[1])) TH_LOG("%s", r.e);
	EXPECT_STREQ(want, r.o);
	EXPECT_EQ(0, xrun(&r, 0, USER, "%s -H %s true", vrun, hx(1))) TH_LOG("%s", r.e);
	/* arguments arrive as they were given */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H %s printf '[%%s]' 'a b' '' \"c'd\"", vrun, hx(2)))
		TH_LOG("%s", r.e);
	EXPECT_STREQ("[a b][][c'd]", r.o);
	/* any host: one of the three, named by -v */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H any -v true", vrun)) TH_LOG("%s", r.e);
	p = strstr(r.e, "vrun: host 0x");
	ASSERT_NE(NULL, p) TH_LOG("no -v line: '%s'", r.e);
	ASSERT_EQ(1, sscanf(p, "vrun: host 0x%x", &h));
	EXPECT_TRUE(h == hostp[0] || h == hostp[1] || h == hostp[2]) TH_LOG("host 0x%x", h);
	/* -c: a local executable sent along, run from memory there */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -c -H %s /bin/echo sent along", vrun, hx(1)))
		TH_LOG("%s", r.e);
	EXPECT_STREQ("sent along\n", r.o);
	EXPECT_EQ(127, xrun(&r, 0, USER, "%s -c -H %s /nonexistent/prog", vrun, hx(1)));
	/* bad usage */
	EXPECT_EQ(2, xrun(&r, 0, USER, "%s -H nohost true", vrun));
}

/* ---- 2. stdio as streams ------------------------------------------------- */

TEST_F_TIMEOUT(exec, pipeline_and_end_of_input, T_TEST)
{
	char want[64], got[64];
	struct out r;

	/* 8000 lines of digits (the same order in every locale), 70 KB:
	 * several VEXEC_CHUNKs each way */
	ASSERT_EQ(0, vt_sh("awk 'BEGIN { srand(7); for (i = 0; i < 8000; i++) "
			   "print int(rand() * 1e9) }' >" TOP "/in && sort " TOP "/in >" TOP "/want"));
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H any sort <in >sorted", vrun)) TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_sh("cmp -s " TOP "/want " TOP "/sorted"))
		TH_LOG("the remote sort's output differs from the local one");
	/* the end of stdin reaches the program */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H %s wc -l <in", vrun, hx(1))) TH_LOG("%s", r.e);
	EXPECT_EQ(8000, atoi(r.o));
	/* bytes of every value through cat both ways, stderr apart */
	ASSERT_EQ(0, vt_sh("head -c 100000 /dev/urandom >" TOP "/bin"));
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H %s sh -c 'cat; echo err >&2' <bin >bin.back", vrun,
			  hx(2))) TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_sh("cmp -s " TOP "/bin " TOP "/bin.back"));
	EXPECT_STREQ("err\n", r.e);
	/* a reader that goes away: the program's write fails (SIGPIPE) and it ends */
	EXPECT_EQ(0, xrun(&r, 0, USER, "sh -c '%s -H %s yes | head -n 3 >yes.out'", vrun, hx(1)));
	EXPECT_LT(r.ms, 15000 * vt_scale());
	snprintf(want, sizeof(want), "y\ny\ny\n");
	EXPECT_STREQ(want, vt_slurp(TOP "/yes.out", got, sizeof(got)));
}

/* ---- 3. terminals -------------------------------------------------------- */

/*
 * vrun with argv in host h as uid under a new pseudo-terminal of rows x
 * cols (its master into *master, non-blocking): a kid; its pid.
 */
static pid_t pty_spawn(int h, int uid, int rows, int cols, int *master, char *const argv[])
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = forkpty(master, NULL, NULL, &ws);
	if (pid == 0) {
		if (vt_ns_enter(ns_of(h)) || chdir(TOP) ||
		    (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		if (nkids < VT_KIDS_MAX)
			kids[nkids++] = pid;
		fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
	}
	return pid;
}

/*
 * Read the terminal's output into buf (appended after *got bytes) until
 * it holds want n times, at most ms (scaled); 0 or -1.
 */
static int pty_expect(int master, char *buf, size_t len, size_t *got, const char *want, int n,
		      int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	const char *p;
	ssize_t k;
	int seen;

	for (;;) {
		buf[*got] = '\0';
		for (seen = 0, p = buf; (p = strstr(p, want)); p += strlen(want))
			seen++;
		if (seen >= n)
			return 0;
		if (vt_now_ms() > end || *got + 1 >= len)
			return -1;
		vt_wait_poll(master, POLLIN, 100);
		k = read(master, buf + *got, len - 1 - *got);
		if (k > 0)
			*got += k;
		else if (k < 0 && errno != EAGAIN && errno != EINTR)
			usleep(20000);	/* EIO: the other side closed */
	}
}

TEST_F_TIMEOUT(exec, pty_interactive_interrupt_and_size, T_TEST)
{
	char buf[4096], *cat[] = { vrun, "-H", (char *)hx(1), "-v", "cat", NULL };
	char *sleeper[] = { vrun, "-H", (char *)hx(1), "-v", "sleep", "100", NULL };
	char *size[] = { vrun, "-H", (char *)hx(1), "stty", "size", NULL };
	size_t got = 0;
	struct out r;
	int master;
	pid_t pid;

	/* cat: the terminal's echo and cat's output, then ^D ends it */
	pid = pty_spawn(0, USER, 24, 80, &master, cat);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pty_expect(master, buf, sizeof(buf), &got, "vrun: host 0x", 1, 15000))
		TH_LOG("no -v line: '%s'", buf);
	got = 0;
	ASSERT_EQ(6, write(master, "hello\n", 6));
	ASSERT_EQ(0, pty_expect(master, buf, sizeof(buf), &got, "hello", 2, 10000))
		TH_LOG("the terminal showed '%s'", buf);
	ASSERT_EQ(1, write(master, "\x04", 1));
	EXPECT_EQ(0, kid_wait_ms(pid, 10000)) TH_LOG("after ^D: '%s'", buf);
	close(master);

	/* ^C reaches the remote program's terminal: SIGINT, 128 + 2 */
	got = 0;
	pid = pty_spawn(0, USER, 24, 80, &master, sleeper);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pty_expect(master, buf, sizeof(buf), &got, "vrun: host 0x", 1, 15000))
		TH_LOG("no -v line: '%s'", buf);
	ASSERT_LT(0, pid_wait("sleep 100", 5000));
	ASSERT_EQ(1, write(master, "\x03", 1));
	EXPECT_EQ(130, kid_wait_ms(pid, 10000)) TH_LOG("after ^C: '%s'", buf);
	close(master);

	/* the window's size */
	got = 0;
	pid = pty_spawn(0, USER, 40, 100, &master, size);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, pty_expect(master, buf, sizeof(buf), &got, "40 100", 1, 15000))
		TH_LOG("stty size showed '%s'", buf);
	EXPECT_EQ(0, kid_wait_ms(pid, 10000));
	close(master);

	/* -t: a terminal without one here (by default none: stderr apart
	 * in pipeline_and_end_of_input) */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -t -H %s tty", vrun, hx(2))) TH_LOG("%s", r.e);
	EXPECT_EQ(0, strncmp(r.o, "/dev/pts/", 9)) TH_LOG("-t: tty says '%s'", r.o);
}

/* ---- 4. signals ---------------------------------------------------------- */

TEST_F_TIMEOUT(exec, signals_end_status_and_sigterm, T_TEST)
{
	struct out r;
	pid_t pid, sleeper;
	int64_t t;

	EXPECT_EQ(137, xrun(&r, 0, USER, "%s -H %s sh -c 'kill -9 $$'", vrun, hx(1)))
		TH_LOG("%s", r.e);
	/* SIGTERM to vrun reaches the remote program */
	pid = xbg("term", 0, USER, "%s -H %s -v sleep 417", vrun, hx(1));
	ASSERT_LT(0, pid);
	ASSERT_NE(0, vline("term", NULL, 15000));
	sleeper = pid_wait("sleep 417", 5000);
	ASSERT_LT(0, sleeper) TH_LOG("no 'sleep 417' process");
	ASSERT_EQ(0, kill(pid, SIGTERM));
	t = vt_now_ms();
	EXPECT_EQ(143, kid_wait_ms(pid, 10000));
	t = vt_now_ms() - t;
	TH_LOG("vrun ended %lld ms after its SIGTERM", (long long)t);
	EXPECT_LT(t, 5000 * vt_scale());
	EXPECT_EQ(0, vt_pid_wait_gone(sleeper, 3000)) TH_LOG("the remote sleep %d lives on", sleeper);
}

/* ---- 5. suspend, resume, kill through the scheduler group --------------- */

static int counter(void)
{
	char buf[32];

	return atoi(vt_slurp(TOP "/count", buf, sizeof(buf)));
}

/* Wait up to ms (scaled) for the counter to pass from; its value. */
static int counter_moves(int from, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int c;

	do {
		c = counter();
		if (c > from)
			break;
		usleep(50000);
	} while (vt_now_ms() < end);
	return c;
}

TEST_F_TIMEOUT(exec, suspend_resume_kill_a_program, T_TEST)
{
	char json[16384], state[8], *obj;
	uint64_t prog;
	uint32_t host;
	struct out r;
	pid_t pid;
	int c, spid;

	pid = xbg("count", 0, USER, "%s -H %s -v sh -c 'i=0; while :; do i=$((i+1)); "
		  "echo $i >" TOP "/count; sleep 0.1; done'", vrun, hx(1));
	ASSERT_LT(0, pid);
	prog = vline("count", &host, 15000);
	ASSERT_NE(0, prog);
	EXPECT_EQ(hostp[1], host);
	EXPECT_EQ(hostp[1], v_id_host(prog)) TH_LOG("program 0x%llx", (unsigned long long)prog);
	ASSERT_LT(0, counter_moves(0, 10000)) TH_LOG("the counter never started");

	/* suspended from a third host */
	ASSERT_EQ(0, xrun(&r, 2, USER, "%s proc suspend 0x%llx", vctl, (unsigned long long)prog))
		TH_LOG("%s", r.e);
	usleep(300000);		/* a write under way */
	c = counter();
	sleep(1);
	EXPECT_EQ(c, counter()) TH_LOG("the counter moved while suspended");
	ASSERT_EQ(0, xrun(&r, 2, USER, "%s proc query 0x%llx -j", vctl, (unsigned long long)prog))
		TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_json_valid(r.o)) TH_LOG("%s", r.o);
	vt_json_str(r.o, "state", state, sizeof(state));
	EXPECT_STREQ("T", state) TH_LOG("query: %s", r.o);
	spid = (int)vt_json_num(r.o, "pid");
	ASSERT_LT(0, spid) TH_LOG("query: %s", r.o);
	EXPECT_EQ('T', vt_task_state(spid, spid));
	/* vps lists it, stopped */
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -j", vps)) TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_json_valid(r.o)) TH_LOG("%s", r.o);
	snprintf(json, sizeof(json), "%s", r.o);
	obj = vt_json_find_id(json, "id", prog);
	ASSERT_NE(NULL, obj) TH_LOG("program 0x%llx not in vps -j: %s", (unsigned long long)prog,
				    r.o);
	vt_json_str(obj, "state", state, sizeof(state));
	EXPECT_STREQ("T", state) TH_LOG("%s", obj);
	EXPECT_EQ(spid, vt_json_num(obj, "pid"));
	EXPECT_EQ(USER, vt_json_num(obj, "uid"));
	EXPECT_EQ(hostp[1], vt_json_num(obj, "host"));
	/* another user may not */
	EXPECT_EQ(1, xrun(&r, 2, OTHER, "%s proc resume 0x%llx", vctl, (unsigned long long)prog));
	EXPECT_NE(NULL, strstr(r.e, "Operation not permitted")) TH_LOG("%s", r.e);
	EXPECT_EQ(c, counter());

	ASSERT_EQ(0, xrun(&r, 2, USER, "%s proc resume 0x%llx", vctl, (unsigned long long)prog))
		TH_LOG("%s", r.e);
	EXPECT_LT(c, counter_moves(c, 3000)) TH_LOG("the counter did not move after resume");
	EXPECT_NE('T', vt_task_state(spid, spid));

	ASSERT_EQ(0, xrun(&r, 2, USER, "%s proc kill 0x%llx", vctl, (unsigned long long)prog))
		TH_LOG("%s", r.e);
	EXPECT_EQ(143, kid_wait_ms(pid, 10000));
	EXPECT_EQ(0, vt_pid_wait_gone(spid, 3000));
}

/*
 * A V process that is no program (a socket held by a process started in
 * host 1 directly, as uid USER): suspended and resumed by its V id from
 * host 0 by its user, not by another.
 */
TEST_F_TIMEOUT(exec, suspend_a_plain_v_process, T_TEST)
{
	int p[2], fd;
	uint64_t id = 0;
	char state[8];
	struct out r;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = kid_fork(0);
	if (pid == 0) {
		struct v_receive rv;

		alarm(0);
		if (vt_ns_enter(ns_of(1)) || setgroups(0, NULL) || setgid(USER) || setuid(USER))
			_exit(1);
		fd = v_open();
		id = fd < 0 ? 0 : vt_id(fd);
		if (write(p[1], &id, 8) != 8)
			_exit(1);
		for (;;) {
			memset(&rv, 0, sizeof(rv));
			if (v_receive_ex(fd, &rv) == 0)
				v_reply(fd, rv.sender, &rv.msg);
		}
	}
	ASSERT_LT(0, pid);
	close(p[1]);
	ASSERT_EQ(0, vt_read_full(p[0], &id, 8, 5000));
	close(p[0]);
	ASSERT_NE(0, id);

	EXPECT_EQ(1, xrun(&r, 0, OTHER, "%s proc suspend 0x%llx", vctl, (unsigned long long)id));
	EXPECT_NE(NULL, strstr(r.e, "Operation not permitted")) TH_LOG("%s", r.e);
	EXPECT_NE('T', vt_task_state(pid, pid));

	ASSERT_EQ(0, xrun(&r, 0, USER, "%s proc suspend 0x%llx", vctl, (unsigned long long)id))
		TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_wait_state(pid, pid, 'T', 3000)) TH_LOG("state %c", vt_task_state(pid, pid));
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s proc query 0x%llx -j", vctl, (unsigned long long)id))
		TH_LOG("%s", r.e);
	vt_json_str(r.o, "state", state, sizeof(state));
	EXPECT_STREQ("T", state) TH_LOG("%s", r.o);
	EXPECT_EQ(pid, vt_json_num(r.o, "pid")) TH_LOG("%s", r.o);
	ASSERT_EQ(0, xrun(&r, 0, USER, "%s proc resume 0x%llx", vctl, (unsigned long long)id))
		TH_LOG("%s", r.e);
	EXPECT_EQ(0, vt_wait_state(pid, pid, 'S', 3000)) TH_LOG("state %c", vt_task_state(pid, pid));
	/* no such process on that host */
	EXPECT_EQ(1, xrun(&r, 0, USER, "%s proc query 0x%llx", vctl,
			  (unsigned long long)v_id_make(hostp[1], V_ID_INDEX_MAX)));
	EXPECT_NE(NULL, strstr(r.e, "No such process")) TH_LOG("%s", r.e);
}

/* ---- 6. placement ------------------------------------------------------- */

/* Of vps -j's host object of host part h in json: the number key, -1. */
static long long vps_host_num(const char *json, uint32_t h, const char *key)
{
	char pat[48], obj[1024], *p, *end;

	snprintf(pat, sizeof(pat), "{\"host\":%u,", h);
	p = strstr(json, pat);
	if (!p)
		return -1;
	snprintf(obj, sizeof(obj), "%s", p);
	end = strchr(obj, '}');
	if (end)
		*end = '\0';
	if (!strcmp(key, "best"))
		return strstr(obj, "\"best\":true") ? 1 : 0;
	return vt_json_num(obj, key);
}

/*
 * A process in host h's namespace holding n idle V processes until killed:
 * so that the host a test wants picked is not also the one with the
 * fewest V processes (the tie-break), and only the load can pick it.
 */
static pid_t idle_v_processes(int h, int n)
{
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	if (vt_ns_enter(ns_of(h)))
		_exit(1);
	for (i = 0; i < n; i++)
		if (v_open() < 0)
			_exit(1);
	pause();
	_exit(0);
}

TEST_F_TIMEOUT(exec, any_picks_the_least_loaded_host, T_TEST)
{
	uint32_t host = 0;
	struct out r;
	int64_t end;
	pid_t idle;
	int h;

	idle = idle_v_processes(2, 60);
	ASSERT_LT(0, idle);
	/* a CPU hog on host 0 and on host 1, each through its vexecd */
	for (h = 0; h < 2; h++)
		ASSERT_LT(0, xbg(h ? "hog1" : "hog0", 0, USER,
				 "%s -H %s sh -c 'while :; do :; done'", vrun, hx(h)));
	/* their loads reach host 0's vexecd (LOAD every second) */
	end = vt_now_ms() + 10000 * vt_scale();
	do {
		usleep(500000);
		ASSERT_EQ(0, xrun(&r, 0, USER, "%s -j hosts", vps)) TH_LOG("%s", r.e);
	} while ((vps_host_num(r.o, hostp[0], "cpu") < 20 || vps_host_num(r.o, hostp[1], "cpu") < 20 ||
		  vps_host_num(r.o, hostp[2], "vprocs") < 60) && vt_now_ms() < end);
	TH_LOG("loads: %s", r.o);
	EXPECT_EQ(0, vt_json_valid(r.o));
	EXPECT_LE(20, vps_host_num(r.o, hostp[0], "cpu"));
	EXPECT_LE(20, vps_host_num(r.o, hostp[1], "cpu"));
	/* host 2 has the most V processes: only its load can make it best */
	EXPECT_LT(vps_host_num(r.o, hostp[0], "vprocs"), vps_host_num(r.o, hostp[2], "vprocs"));
	EXPECT_LT(vps_host_num(r.o, hostp[1], "vprocs"), vps_host_num(r.o, hostp[2], "vprocs"));
	EXPECT_EQ(1, vps_host_num(r.o, hostp[2], "best")) TH_LOG("vps does not mark host 2 best");

	ASSERT_EQ(0, xrun(&r, 0, USER, "%s -H any -v true", vrun)) TH_LOG("%s", r.e);
	ASSERT_NE(NULL, strstr(r.e, "vrun: host 0x")) TH_LOG("%s", r.e);
	sscanf(strstr(r.e, "vrun: host 0x"), "vrun: host 0x%x", &host);
	EXPECT_EQ(hostp[2], host) TH_LOG("picked 0x%x", host);
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
}

/* ---- 7. a host that goes away mid-run ------------------------------------ */

TEST_F_TIMEOUT(exec, host_down_mid_run_ends_vrun, T_TEST)
{
	long long down;
	pid_t pid, sleeper;
	int64_t t;

	/* host 0 waits 1 s for a silent host (teardown sets the default again) */
	down_changed = 1;
	ASSERT_EQ(0, vt_topo_vctl(&topo, 0, "set host-down-ms %d", 1000 * vt_scale()));
	down = vt_host_show(ns_of(0), "host_down_ms");
	ASSERT_EQ(1000 * vt_scale(), down);
	pid = xbg("down", 0, USER, "%s -H %s -v sleep 427", vrun, hx(2));
	ASSERT_LT(0, pid);
	ASSERT_NE(0, vline("down", NULL, 15000));
	sleeper = pid_wait("sleep 427", 5000);
	ASSERT_LT(0, sleeper);
	/*
	 * Host 2 off the network (its bridge port down: it keeps its MAC for
	 * the next test, which sets the port up again), then its processes
	 * gone: it says nothing more.
	 */
	ASSERT_EQ(0, vt_sh("ip link set %s down", vt_topo_port(&topo, 2)));
	t = vt_now_ms();
	kill_vexecd(2);
	kill(sleeper, SIGKILL);
	EXPECT_EQ(255, kid_wait_ms(pid, down + 20000));
	t = vt_now_ms() - t;
	TH_LOG("vrun ended %lld ms after host 2 went (host-down %lld ms)", (long long)t, down);
	EXPECT_LT(t, down + 5000 * vt_scale());
}

/* ---- 8. unkeyed links ---------------------------------------------------- */

TEST_F_TIMEOUT(exec, insecure_link_refused, T_TEST)
{
	struct out r;

	ASSERT_EQ(0, vt_topo_create(&insecure));
	ASSERT_LT(0, start_vexecd(11, ""));
	/* uid USER's claim over a link nobody authenticates: refused */
	EXPECT_EQ(255, xrun(&r, 10, USER, "%s -H %s touch marker", vrun, hx(11)));
	EXPECT_TRUE(says(r.e, "not permitted", "refused")) TH_LOG("stderr: %s", r.e);
	EXPECT_NE(0, access(TOP "/marker", F_OK)) TH_LOG("the program ran");
	/* taken when vexecd is told to (so the refusal was the link's) ... */
	ASSERT_LE(0, kid_stop(xd[11], 5000));
	ASSERT_LT(0, start_vexecd(11, "--allow-insecure-exec --allow-root"));
	EXPECT_EQ(0, xrun(&r, 10, USER, "%s -H %s touch marker", vrun, hx(11))) TH_LOG("%s", r.e);
	EXPECT_EQ(0, access(TOP "/marker", F_OK));
	/* ... but never as root */
	EXPECT_EQ(255, xrun(&r, 10, -1, "%s -H %s touch marker.root", vrun, hx(11)));
	EXPECT_TRUE(says(r.e, "not permitted", "refused")) TH_LOG("stderr: %s", r.e);
	EXPECT_NE(0, access(TOP "/marker.root", F_OK)) TH_LOG("root's program ran");
}

/* ---- 9. bad input, vexecd's end ------------------------------------------ */

TEST_F_TIMEOUT(exec, bad_programs_and_arguments, T_TEST)
{
	static char big[3][100 << 10];
	char *argv[] = { vrun, "-H", (char *)hx(1), "true", big[0], big[1], big[2], NULL };
	struct out r;
	int i;

	EXPECT_EQ(127, xrun(&r, 0, USER, "%s -H %s /nonexistent/prog", vrun, hx(1)));
	EXPECT_TRUE(says(r.e, "No such file", "no such program")) TH_LOG("stderr: %s", r.e);
	EXPECT_EQ(127, xrun(&r, 0, USER, "%s -H %s no-such-program-vkx", vrun, hx(1)));
	EXPECT_TRUE(says(r.e, "No such file", "no such program")) TH_LOG("stderr: %s", r.e);
	ASSERT_EQ(0, vt_sh("printf '#!/bin/sh\\necho ran\\n' >" TOP "/noexec && chmod 644 " TOP
			   "/noexec && printf 'garbage' >" TOP "/junk && chmod 755 " TOP "/junk"));
	EXPECT_EQ(126, xrun(&r, 0, USER, "%s -H %s " TOP "/noexec", vrun, hx(1)));
	EXPECT_EQ(NULL, strstr(r.o, "ran"));
	EXPECT_TRUE(says(r.e, "Permission denied", NULL)) TH_LOG("stderr: %s", r.e);
	EXPECT_EQ(126, xrun(&r, 0, USER, "%s -H %s " TOP "/junk", vrun, hx(1))) TH_LOG("%s", r.e);
	/* a working directory that is not there */
	EXPECT_EQ(127, xrun(&r, 0, USER, "%s -C /nonexistent -H %s true", vrun, hx(1)));
	/* and one that is */
	EXPECT_EQ(0, xrun(&r, 0, USER, "%s -C /usr -H %s pwd", vrun, hx(1))) TH_LOG("%s", r.e);
	EXPECT_STREQ("/usr\n", r.o);
	/* 300 KiB of arguments (three of 100 KiB: one execve argument is at
	 * most 128 KiB), over VEXEC_RUN_MAX */
	for (i = 0; i < 3; i++) {
		memset(big[i], 'a' + i, sizeof(big[i]) - 1);
		big[i][sizeof(big[i]) - 1] = '\0';
	}
	i = xrunv(&r, 0, USER, argv);
	EXPECT_TRUE(i == 255 || i == 2) TH_LOG("exit %d", i);
	EXPECT_TRUE(says(r.e, "Argument list too long", "arguments and environment over"))
		TH_LOG("stderr: %s", r.e);
	/* just under it: runs */
	big[0][50 << 10] = big[1][50 << 10] = big[2][50 << 10] = '\0';
	EXPECT_EQ(0, xrunv(&r, 0, USER, argv)) TH_LOG("%s", r.e);
}

TEST_F_TIMEOUT(exec, vexecd_ends_and_restarts, T_TEST)
{
	pid_t pid, sleeper, leader;
	int64_t t;
	int st, i;

	/* SIGTERM: vexecd ends its programs (TERM, then KILL) and itself */
	pid = xbg("term", 0, USER, "%s -H %s -v sh -c 'trap \"touch termed; exit 7\" TERM; "
		  "sleep 437 & wait'", vrun, hx(1));
	ASSERT_NE(0, vline("term", NULL, 15000));
	sleeper = pid_wait("sleep 437", 5000);
	ASSERT_LT(0, sleeper);
	st = kid_stop(xd[1], 5000);
	xd[1] = 0;
	EXPECT_TRUE(st == 0 || st == 1000 + SIGTERM) TH_LOG("vexecd after SIGTERM: %d", st);
	EXPECT_EQ(0, vt_pid_wait_gone(sleeper, 1000)) TH_LOG("its program lives on");
	EXPECT_EQ(0, access(TOP "/termed", F_OK)) TH_LOG("the program never had its SIGTERM");
	st = kid_wait_ms(pid, 10000);
	EXPECT_TRUE(st == 7 || st == 255) TH_LOG("vrun's status %d (7: the program's)", st);

	/*
	 * SIGKILL mid-run: vrun fails at once.  The program's own process dies
	 * with vexecd (its parent-death signal), but not what it started: a
	 * background sleep in its session, whose leader is reaped here as init
	 * would.  The restarted vexecd ends that session (its state file).
	 */
	ASSERT_LT(0, start_vexecd(1, ""));
	pid = xbg("kill", 0, USER, "%s -H %s -v sh -c 'sleep 438 & wait'", vrun, hx(1));
	ASSERT_NE(0, vline("kill", NULL, 15000));
	sleeper = pid_wait("sleep 438", 5000);
	ASSERT_LT(0, sleeper);
	leader = pid_session(sleeper);
	ASSERT_LT(1, leader);
	kill_vexecd(1);
	t = vt_now_ms();
	EXPECT_EQ(255, kid_wait_ms(pid, 20000));
	t = vt_now_ms() - t;
	TH_LOG("vrun ended %lld ms after vexecd's SIGKILL", (long long)t);
	EXPECT_LT(t, 3000 * vt_scale());
	for (i = 0; i < 150 && waitpid(leader, NULL, WNOHANG) != leader; i++)
		usleep(20000);	/* this process is the orphans' subreaper */
	EXPECT_GT(150, i) TH_LOG("the program's leader %d did not end with vexecd", leader);
	ASSERT_FALSE(vt_pid_gone(sleeper)) TH_LOG("nothing left to end: the test proves nothing");
	ASSERT_LT(0, start_vexecd(1, ""));
	EXPECT_EQ(0, vt_pid_wait_gone(sleeper, 3000))
		TH_LOG("the restarted vexecd left pid %d (session %d) running", sleeper, leader);
}

/*
 * RUN requests built here (libv) from host 0 as USER to host 1's vexecd,
 * each case's reply code, errno and value (WAIT: the wait status) into
 * the report pipe wfd.
 */
enum { RAW_RESERVED, RAW_FLAG, RAW_SHORT, RAW_SIZE, RAW_ARGC, RAW_BIG, RAW_OK, RAW_WAIT, RAW_N };

struct raw {
	int code, err;
	uint32_t val;
};

static void raw_runs(uint64_t vexecd, int wfd)
{
	char *argv[] = { "sh", "-c", "exit 5", NULL };
	struct raw res[RAW_N];
	struct vexec_run *run;
	uint64_t prog = 0;
	struct v_msg m;
	size_t len;
	void *blk;
	char *big;
	int fd, i;

	memset(res, 0, sizeof(res));
	if (vt_ns_enter(ns_of(0)) || setgroups(0, NULL) || setgid(USER) || setuid(USER))
		_exit(1);
	fd = v_open();
	if (fd < 0 || v_exec_run_pack("/bin/sh", "/", argv, NULL, NULL, NULL, 0, &blk, &len))
		_exit(2);
	big = calloc(1, VEXEC_RUN_MAX + 64);
	if (!big)
		_exit(3);
	memcpy(big, blk, len);
	run = blk;
	for (i = 0; i < RAW_N; i++) {
		uint64_t dst = vexecd;
		size_t seg = len;
		void *at = blk;

		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VEXEC_RUN);
		v_msg_put32(&m, 4, (uint32_t)len);
		run->size = htole32(VEXEC_RUN_SIZE);
		run->argc = htole32(3);
		switch (i) {
		case RAW_RESERVED: m.b[28] = 1; break;
		case RAW_FLAG: v_msg_put16(&m, 2, 0x0100); break;
		case RAW_SHORT: seg = len - 16; break;
		case RAW_SIZE: run->size = htole32(VEXEC_RUN_SIZE - 4); break;
		case RAW_ARGC: run->argc = 0; break;
		case RAW_BIG:
			v_msg_put32(&m, 4, VEXEC_RUN_MAX + 8);
			seg = VEXEC_RUN_MAX + 8;
			at = big;
			break;
		case RAW_WAIT:
			memset(&m, 0, sizeof(m));
			v_msg_set_code(&m, VEXEC_WAIT);
			dst = prog;
			seg = 0;
			break;
		}
		if (!dst) {
			res[i].code = -1;
			continue;
		}
		if (vt_send_timed(fd, dst, &m, seg ? at : NULL, seg, 10000) < 0) {
			res[i].code = -2;
			continue;
		}
		res[i].code = v_msg_code(&m);
		res[i].err = v_exec_errno(&m);
		if (i == RAW_OK && res[i].code == V_OK) {
			prog = v_msg_get64(&m, 8);
			res[i].val = v_msg_get32(&m, 16);
		}
		if (i == RAW_WAIT)
			res[i].val = v_msg_get32(&m, 8);
	}
	_exit(write(wfd, res, sizeof(res)) == sizeof(res) ? 0 : 4);
}

TEST_F_TIMEOUT(exec, malformed_run_requests_refused, T_TEST)
{
	struct raw res[RAW_N];
	struct out r;
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = kid_fork(0);
	if (pid == 0)
		raw_runs(xid[1], p[1]);
	close(p[1]);
	ASSERT_EQ(0, vt_kid_read(p[0], res, sizeof(res), 30000));
	ASSERT_EQ(0, vt_kid_end(pid, p[0]));
	EXPECT_EQ(V_BAD_ARGS, res[RAW_RESERVED].code) TH_LOG("a reserved byte set");
	EXPECT_EQ(V_BAD_ARGS, res[RAW_FLAG].code) TH_LOG("an unknown flag");
	EXPECT_EQ(V_BAD_BUFFER, res[RAW_SHORT].code) TH_LOG("a segment shorter than the block");
	EXPECT_EQ(V_BAD_ARGS, res[RAW_SIZE].code) TH_LOG("a run block of the wrong size");
	EXPECT_EQ(V_BAD_ARGS, res[RAW_ARGC].code) TH_LOG("no argument");
	EXPECT_EQ(V_BAD_ARGS, res[RAW_BIG].code) TH_LOG("a block over VEXEC_RUN_MAX");
	EXPECT_EQ(E2BIG, res[RAW_BIG].err);
	/* a well-formed one runs, and WAIT gives its status */
	EXPECT_EQ(V_OK, res[RAW_OK].code) TH_LOG("errno %d", res[RAW_OK].err);
	EXPECT_NE(0, res[RAW_OK].val) TH_LOG("no pid in RUN's reply");
	EXPECT_EQ(V_OK, res[RAW_WAIT].code) TH_LOG("errno %d", res[RAW_WAIT].err);
	EXPECT_EQ(5 << 8, res[RAW_WAIT].val) TH_LOG("wait status 0x%x", res[RAW_WAIT].val);
	/* and vexecd still serves */
	EXPECT_EQ(0, xrun(&r, 0, USER, "%s -H %s true", vrun, hx(1))) TH_LOG("%s", r.e);
}

/* ---- 10. root ------------------------------------------------------------ */

TEST_F_TIMEOUT(exec, root_refused_unless_allowed, T_TEST)
{
	struct out r;

	EXPECT_EQ(255, xrun(&r, 0, -1, "%s -H %s id -u", vrun, hx(1)));
	EXPECT_TRUE(says(r.e, "not permitted", "refused")) TH_LOG("stderr: %s", r.e);
	EXPECT_STREQ("", r.o);
	EXPECT_EQ(0, xrun(&r, 0, USER, "%s -H %s id -u", vrun, hx(1))) TH_LOG("%s", r.e);
	EXPECT_STREQ("1000\n", r.o);
	/* a local root is root */
	EXPECT_EQ(0, xrun(&r, 1, -1, "%s -H %s id -u", vrun, hx(1))) TH_LOG("%s", r.e);
	EXPECT_STREQ("0\n", r.o);
	/* --allow-root: a remote root too (over a keyed link) */
	ASSERT_LE(0, kid_stop(xd[1], 5000));
	ASSERT_LT(0, start_vexecd(1, "--allow-root"));
	EXPECT_EQ(0, xrun(&r, 0, -1, "%s -H %s id -u", vrun, hx(1))) TH_LOG("%s", r.e);
	EXPECT_STREQ("0\n", r.o);
}

VT_HARNESS_MAIN
