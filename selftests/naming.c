// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "naming": naming contexts (<vio.h> "Contexts") and the lookups of
 * libv (<libv_services.h> v_name_lookup()): the context a LOOKUP answers,
 * names written "[MANAGER:CONTEXT]rest", a restarted vfsd's contexts, a
 * lookup that ends once every member of the name-handling group has
 * answered (no fixed wait), a silent member, and the prefix table handed
 * to an executed program (V_PREFIXES).
 *
 * Topology, built by the first test and kept: three network namespaces
 * vkn0..2 (three V hosts), each with a veth "eth0" whose peer vknhN is in
 * the bridge vknbr, attached to V.  Host 0 runs vfsd -p /files serving
 * /tmp/vkn/srv; clients run on host 1 (a forked child that enters the
 * namespace and opens its V process there, or a tool under it), so every
 * member of the group is on another host and each reply is a frame.
 * VK_SVC_LOG=1 lets the daemons log to stderr.
 */
#include <signal.h>
#include <sys/stat.h>
#include "vtest.h"
#define VT_KIDS_MAX	32
#define VT_KID_ALARM_S	120
#include "vkids.h"
#include "vwire.h"
#include "libv_services.h"
#include "kselftest_harness.h"

#define DIR_TOP		"/tmp/vkn"
#define SRV		DIR_TOP "/srv"
#define INNER		DIR_TOP "/inner"
#define CLI		DIR_TOP "/cli"
#define LINE_MS		15000	/* a daemon prints its ready line (scaled) */
#define T_SHORT		60	/* seconds a test may take, under emulation */

static const char *bdir(void)
{
	const char *b = getenv("VK_BUILD");

	return b ? b : "build";
}

static const struct vt_topo topo = {
	.ns_fmt = "vkn%d", .port_fmt = "vknh%d", .veth = "eth0", .bridge = "vknbr", .n = 3,
};

static pid_t main_pid;

static void __attribute__((constructor)) nm_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) nm_fini(void)
{
	if (getpid() == main_pid && vt_topo_exists(&topo)) {
		vt_topo_destroy(&topo);
		vt_sh("rm -rf " DIR_TOP);
	}
}

static const char *ns_name(int h)
{
	return vt_topo_ns(&topo, h);
}

/* Run build/CMD (split at spaces) on host h, stdout into the file out (NULL:
 * discarded); its exit status (1000 + signal). */
static int __attribute__((format(printf, 3, 4))) run(int h, const char *out, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return kid_run(ns_name(h), out, getenv("VK_SVC_LOG") ? -2 : -1, cmd);
}

static pid_t __attribute__((format(printf, 3, 4))) daemon_start(int h, uint64_t *id,
								 const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return kid_daemon(ns_name(h), getenv("VK_SVC_LOG") ? -2 : -1, 0, LINE_MS, id, cmd);
}

/* SIGTERM a daemon and reap it; its exit status (1000 + signal), -1 if it hangs. */
static int daemon_stop(pid_t pid)
{
	return kid_stop(pid, 5000);
}

/* Run fn(fd, arg) in a child on host h with a V process of its own; its exit code. */
static int on_host(int h, int (*fn)(int fd, void *arg), void *arg)
{
	pid_t pid = kid_fork(0);
	int fd;

	if (pid == 0) {
		CKEQ(0, vt_ns_enter(ns_name(h)));
		fd = v_open();
		CK(fd >= 0);
		_exit(fn(fd, arg));
	}
	return pid < 0 ? -1 : kid_wait(pid);
}

/* A counter of `vctl -j stats` of this (the caller's) host, or -1. */
static long long stat_here(const char *name)
{
	char buf[4096];

	if (vt_vctl_run(NULL, "-j stats", buf, sizeof(buf), 0) != 0)
		return -1;
	return vt_json_num(buf, name);
}

/* The lookup window a test asks for, scaled, at most libv's limit. */
static int window_ms(int ms)
{
	long long w = (long long)ms * vt_scale();

	return w > 60000 ? 60000 : (int)w;
}

static void set_window(int ms)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", window_ms(ms));
	setenv("V_NAME_WINDOW_MS", v, 1);
}

/* Parse "[MANAGER:CONTEXT]rest" as vfile lookup prints it; 0 or -1. */
static int parse_direct(const char *s, uint64_t *m, uint32_t *c, char *rest, size_t len)
{
	unsigned long long mm;
	unsigned int cc;
	int n = 0;

	if (sscanf(s, "[%llx:%x]%n", &mm, &cc, &n) != 2 || !n)
		return -1;
	*m = mm;
	*c = cc;
	snprintf(rest, len, "%s", s + n);
	rest[strcspn(rest, "\n")] = '\0';
	return 0;
}

/* ------------------------------------------------------------------------ */

FIXTURE(nm) {
	pid_t owner;
	pid_t fsd;		/* vfsd -p /files on host 0 */
	uint64_t fsd_id;
};

FIXTURE_SETUP(nm)
{
	self->owner = getpid();
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	ASSERT_EQ(0, vt_topo_keep(&topo, NULL)) TH_LOG("cannot build the namespaces / bridge / links");
	ASSERT_EQ(0, vt_sh("rm -rf " DIR_TOP " && mkdir -p " SRV "/sub " INNER " " CLI " && "
			   "echo rd >" SRV "/r.txt && echo sub >" SRV "/sub/x && "
			   "echo in >" INNER "/x"));
	self->fsd = daemon_start(0, &self->fsd_id, "daemons/vfsd -q -l 0 -p /files " SRV);
	ASSERT_LT(0, self->fsd);
	ASSERT_NE(0, self->fsd_id);
}

FIXTURE_TEARDOWN(nm)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	vt_root_close();
}

/* `vfile lookup` on host 1: the manager and context of name, and its rest. */
static int tool_lookup(const char *name, uint64_t *m, uint32_t *c, char *rest, size_t len)
{
	char out[512];

	if (run(1, CLI "/lookup", "tools/vfile lookup %s", name))
		return -1;
	return parse_direct(vt_slurp(CLI "/lookup", out, sizeof(out)), m, c, rest, len);
}

struct ctx_arg {
	uint64_t manager;
	uint32_t context;
};

/* Read name (a direct one) whole and compare with want. */
static int read_is(int fd, const char *name, const char *want)
{
	struct v_file *f;
	char buf[64];
	int64_t n;

	CKEQ(0, v_file_open(fd, name, VIO_O_READ, &f));
	n = v_file_read(f, buf, sizeof(buf) - 1, 0);
	CKEQ((int64_t)strlen(want), n);
	buf[n] = '\0';
	CK(!strcmp(buf, want));
	CKEQ(0, v_file_close(f));
	return 0;
}

static int client_contexts(int fd, void *p)
{
	const struct ctx_arg *a = p;
	static const char *const bad[] = {
		"[", "[]", "[1]", "[1:]", "[:1]", "[1:2", "[1:2/x", "[xyz:1]/r.txt",
		"[1: 2]/r.txt", "[0x:1]/r.txt", "[11112222333344445:1]/r.txt",
		"[1:123456789]/r.txt", "[0:1]/r.txt", "[8000000000000001:1]/r.txt",
	};
	struct v_name_binding b;
	struct v_file_info info;
	struct v_file *f;
	long long sends;
	char name[128];
	unsigned int i;

	CKEQ(0, v_name_lookup(fd, "/files/r.txt", V_NAME_NOCACHE, &b));
	CKEQ(a->manager, b.manager);
	CKEQ(a->context, b.local);
	CKEQ(VNAME_TYPE_CONTEXT, b.type);
	/* Direct names: no group Send at all. */
	sends = stat_here("group_sends");
	CK(sends >= 0);
	snprintf(name, sizeof(name), "[%llx:%x]/r.txt", (unsigned long long)a->manager, a->context);
	CKEQ(0, read_is(fd, name, "rd\n"));
	snprintf(name, sizeof(name), "[0x%llX:0x%X]sub/x", (unsigned long long)a->manager,
		 a->context);
	CKEQ(0, read_is(fd, name, "sub\n"));
	CKEQ(0, v_name_lookup(fd, name, 0, &b));
	CKEQ(a->manager, b.manager);
	CKEQ(a->context, b.local);
	CKEQ(strchr(name, ']') + 1 - name, b.prefix_len);
	/* context 0 is the served root, as before contexts */
	snprintf(name, sizeof(name), "[%llx:0]/r.txt", (unsigned long long)a->manager);
	CKEQ(0, read_is(fd, name, "rd\n"));
	/* the context itself: a directory */
	snprintf(name, sizeof(name), "[%llx:%x]", (unsigned long long)a->manager, a->context);
	CKEQ(0, v_file_open(fd, name, VIO_O_READ, &f));
	CKEQ(0, v_file_query(f, &info));
	CKEQ(VIO_TYPE_DIR, info.type);
	CKEQ(0, v_file_close(f));
	/* a context the manager does not have: ENOENT, whatever the name */
	snprintf(name, sizeof(name), "[%llx:%x]/r.txt", (unsigned long long)a->manager,
		 a->context ^ 0x5a5a);
	CKEQ(-ENOENT, v_file_open(fd, name, VIO_O_READ, &f));
	CKEQ(-ENOENT, v_file_remove(fd, name));
	/* malformed: EINVAL, before anything is sent */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (v_name_lookup(fd, bad[i], 0, &b) != -EINVAL ||
		    v_file_open(fd, bad[i], VIO_O_READ, &f) != -EINVAL) {
			fprintf(stderr, "# '%s' not refused with EINVAL\n", bad[i]);
			return 90;
		}
	}
	CKEQ(sends, stat_here("group_sends"));
	return 0;
}

TEST_F_TIMEOUT(nm, lookup_answers_the_context_and_direct_names_use_it, T_SHORT)
{
	struct ctx_arg a = { .manager = self->fsd_id };
	char rest[256], out[512], name[128];
	uint64_t m;
	uint32_t c;

	ASSERT_EQ(0, tool_lookup("/files/sub/x", &m, &c, rest, sizeof(rest)));
	EXPECT_EQ(self->fsd_id, m);
	EXPECT_NE(0, c);
	EXPECT_STREQ("/sub/x", rest);
	a.context = c;
	/* the tool takes what it printed */
	snprintf(name, sizeof(name), "[%llx:%x]/sub/x", (unsigned long long)m, c);
	EXPECT_EQ(0, run(1, CLI "/out", "tools/vfile cat %s", name));
	EXPECT_STREQ("sub\n", vt_slurp(CLI "/out", out, sizeof(out)));
	/* JSON */
	ASSERT_EQ(0, run(1, CLI "/out", "tools/vfile -j lookup /files/r.txt"));
	vt_slurp(CLI "/out", out, sizeof(out));
	EXPECT_EQ(0, vt_json_valid(out)) TH_LOG("%s", out);
	EXPECT_EQ(c, vt_json_num(out, "context"));
	EXPECT_EQ(6, vt_json_num(out, "prefix_len"));
	EXPECT_NE(NULL, strstr(out, "\"rest\":\"/r.txt\""));
	EXPECT_EQ(1, run(1, NULL, "tools/vfile lookup /nowhere"));
	EXPECT_EQ(2, run(1, NULL, "tools/vfile -s 0x%llx lookup /files", (unsigned long long)m));
	EXPECT_EQ(0, on_host(1, client_contexts, &a));
}

static int client_old_context(int fd, void *p)
{
	const struct ctx_arg *a = p;	/* [0]: the first vfsd's, [1]: the new one's */
	struct v_file *f;
	char name[128];

	snprintf(name, sizeof(name), "[%llx:%x]/r.txt", (unsigned long long)a[1].manager,
		 a[0].context);
	CKEQ(-ENOENT, v_file_open(fd, name, VIO_O_READ, &f));
	snprintf(name, sizeof(name), "[%llx:%x]/r.txt", (unsigned long long)a[1].manager,
		 a[1].context);
	CKEQ(0, read_is(fd, name, "rd\n"));
	snprintf(name, sizeof(name), "[%llx:%x]/r.txt", (unsigned long long)a[0].manager,
		 a[0].context);
	CK(v_file_open(fd, name, VIO_O_READ, &f) < 0);	/* that process is gone */
	return 0;
}

TEST_F_TIMEOUT(nm, restarted_server_refuses_its_old_context, T_SHORT)
{
	struct ctx_arg a[2];
	char rest[256];

	ASSERT_EQ(0, tool_lookup("/files/r.txt", &a[0].manager, &a[0].context, rest, sizeof(rest)));
	ASSERT_EQ(self->fsd_id, a[0].manager);
	ASSERT_EQ(0, daemon_stop(self->fsd));
	self->fsd = daemon_start(0, &self->fsd_id, "daemons/vfsd -q -l 0 -p /files " SRV);
	ASSERT_LT(0, self->fsd);
	ASSERT_EQ(0, tool_lookup("/files/r.txt", &a[1].manager, &a[1].context, rest, sizeof(rest)));
	ASSERT_EQ(self->fsd_id, a[1].manager);
	EXPECT_NE(a[0].context, a[1].context);
	EXPECT_NE(0, a[1].context);
	EXPECT_EQ(0, on_host(1, client_old_context, a));
}

/* ---- when a lookup ends ---------------------------------------------------- */

struct when_arg {
	uint64_t outer, inner;	/* the managers of /files and /files/sub */
	int members;		/* of the name-handling group */
	int window;		/* ms */
	int ctl;		/* silent member test: tells it to leave */
	const char *first_name;	/* client_first_lookup */
};

/* One lookup of name, NOCACHE: the manager it found and its time in ms. */
static int64_t timed_lookup(int fd, const char *name, uint64_t *manager)
{
	struct v_name_binding b;
	int64_t t0 = vt_now_ms();

	*manager = 0;
	if (v_name_lookup(fd, name, V_NAME_NOCACHE, &b))
		return -1;
	*manager = b.manager;
	return vt_now_ms() - t0;
}

static int client_all_answered(int fd, void *p)
{
	const struct when_arg *a = p;
	long long sends, replies;
	uint64_t ids[16], m;
	int64_t ms;
	int i;

	CKEQ(a->members, v_group_members(fd, V_GROUP_NAME_HANDLERS, ids, 16, 0));
	/*
	 * The first lookup waits its whole window: libv trusts the member
	 * list (asked for by a thread of its own) only once a whole window
	 * heard exactly those members.  A short window for it, then a long
	 * one that no lookup may wait.
	 */
	set_window(1000);
	ms = timed_lookup(fd, "/files/sub/x", &m);
	fprintf(stderr, "# first lookup: %lld ms (window %d ms)\n", (long long)ms, window_ms(1000));
	CKEQ(a->inner, m);
	set_window(a->window);
	for (i = 0; i < 6; i++) {
		const char *name = i % 2 ? "/files/r.txt" : "/files/sub/x";

		sends = stat_here("group_sends");
		replies = stat_here("group_replies");
		CK(sends >= 0 && replies >= 0);
		ms = timed_lookup(fd, name, &m);
		fprintf(stderr, "# lookup %s: %lld ms\n", name, (long long)ms);
		CKEQ(i % 2 ? a->outer : a->inner, m);
		CK(ms >= 0 && ms < window_ms(a->window) / 4);
		/* one group Send; every member's reply here (the first ends the
		 * Send, the others are kept for GetReply) */
		CKEQ(sends + 1, stat_here("group_sends"));
		CKEQ(replies + a->members - 1, stat_here("group_replies"));
	}
	return 0;
}

/*
 * A process's first lookup, with the default window, while libv asks for
 * the members (200 ms, longer than the window): every reply that came
 * meanwhile counts, the longest prefix's too.
 */
static int client_first_lookup(int fd, void *p)
{
	const struct when_arg *a = p;
	uint64_t m;

	unsetenv("V_NAME_WINDOW_MS");
	CK(timed_lookup(fd, a->first_name, &m) >= 0);
	CKEQ(strcmp(a->first_name, "/files/r.txt") ? a->inner : a->outer, m);
	return 0;
}

/* Members on hosts 0 and 2, the client on host 1: every reply is a frame. */
TEST_F_TIMEOUT(nm, lookup_ends_when_every_member_answered, T_SHORT)
{
	struct when_arg a = { .outer = self->fsd_id, .members = 4, .window = 10000 };

	ASSERT_LT(0, daemon_start(2, &a.inner, "daemons/vfsd -q -l 0 -p /files/sub " INNER));
	ASSERT_LT(0, daemon_start(2, NULL, "daemons/vnamed -q -l 0"));
	ASSERT_LT(0, daemon_start(0, NULL, "daemons/vnamed -q -l 0 -a /else=0x1234"));
	EXPECT_EQ(0, on_host(1, client_all_answered, &a));
	/* fresh processes, names of two owners: whichever member answers
	 * first, a lookup that kept only the first reply fails one of them */
	for (int i = 0; i < 4; i++) {
		a.first_name = i % 2 ? "/files/r.txt" : "/files/sub/x";
		EXPECT_EQ(0, on_host(1, client_first_lookup, &a)) TH_LOG("%s", a.first_name);
	}
}

static int client_silent_member(int fd, void *p)
{
	const struct when_arg *a = p;
	int64_t ms, fast = -1;
	uint64_t m;
	int i;

	set_window(a->window);
	/* a member that never answers: each lookup waits the whole window
	 * and still gives the longest prefix of those that answered */
	for (i = 0; i < 2; i++) {
		ms = timed_lookup(fd, "/files/sub/x", &m);
		fprintf(stderr, "# lookup with a silent member: %lld ms\n", (long long)ms);
		CKEQ(a->inner, m);
		CK(ms >= window_ms(a->window) - 10);
	}
	/* the silent member leaves: once libv has asked for the members
	 * again (at most once a second), lookups end early again */
	CK(write(a->ctl, "q", 1) == 1);
	for (i = 0; i < 6 && fast < 0; i++) {
		usleep(1100000);
		ms = timed_lookup(fd, "/files/r.txt", &m);
		CKEQ(a->outer, m);
		if (ms < window_ms(a->window) / 2)
			fast = ms;
	}
	fprintf(stderr, "# after the silent member left: %lld ms\n", (long long)fast);
	CK(fast >= 0);
	return 0;
}

TEST_F_TIMEOUT(nm, silent_member_costs_the_window_and_longest_prefix_still_wins, T_SHORT)
{
	struct when_arg a = { .outer = self->fsd_id, .window = 1000 };
	int sv[2], gfd;
	pid_t silent;
	char c;

	ASSERT_LT(0, daemon_start(2, &a.inner, "daemons/vfsd -q -l 0 -p /files/sub " INNER));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	silent = kid_fork(0);
	if (silent == 0) {
		/* joins and never Receives; leaves when told (its socket closed) */
		CKEQ(0, vt_ns_enter(ns_name(2)));
		gfd = v_open();
		CK(gfd >= 0);
		CKEQ(0, v_group_join(gfd, V_GROUP_NAME_HANDLERS));
		CK(write(sv[1], "j", 1) == 1);
		CK(read(sv[1], &c, 1) == 1);
		v_close(gfd);
		CK(write(sv[1], "l", 1) == 1);
		_exit(0);
	}
	ASSERT_LT(0, silent);
	ASSERT_EQ(0, vt_read_full(sv[0], &c, 1, 10000));
	a.ctl = sv[0];
	EXPECT_EQ(0, on_host(1, client_silent_member, &a));
	kid_wait(silent);
}

/* ---- the prefix table of an executed program -------------------------------- */

struct exec_arg {
	uint64_t manager;
	uint32_t context;
	int with_junk;
};

/* Run build/tools/vfile cat NAME here, stdout to out; its exit status. */
static int vfile_cat_here(const char *name, const char *out)
{
	char path[512];
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;
	int st;

	if (o < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tools/vfile", bdir());
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(o, 1);
		execl(path, "vfile", "cat", name, (char *)NULL);
		_exit(127);
	}
	close(o);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

static int client_exports(int fd, void *p)
{
	const struct exec_arg *a = p;
	struct v_name_binding b;
	const char *env;
	long long sends;
	char out[64], junk[512];

	unsetenv("V_PREFIXES");
	CKEQ(0, v_name_lookup(fd, "/files/r.txt", 0, &b));
	CKEQ(0, v_name_export());
	env = getenv("V_PREFIXES");
	CK(env && strstr(env, ":/files"));
	if (a->with_junk) {
		/* bad entries are skipped, good ones still used */
		snprintf(junk, sizeof(junk), "junk;9:1:0:/files;1:0:0:/files;1:zz:0:/files;"
			 "1:1:0:files;;1:%llx:%x:/files;1:1:0:/bad\x01name",
			 (unsigned long long)a->manager, a->context);
		CKEQ(0, setenv("V_PREFIXES", junk, 1));
	}
	sends = stat_here("group_sends");
	CK(sends >= 0);
	CKEQ(0, vfile_cat_here("/files/r.txt", CLI "/exec-out"));
	CK(!strcmp(vt_slurp(CLI "/exec-out", out, sizeof(out)), "rd\n"));
	/* the child asked nobody */
	CKEQ(sends, stat_here("group_sends"));
	/* without the table it does ask the group */
	unsetenv("V_PREFIXES");
	CKEQ(0, vfile_cat_here("/files/r.txt", CLI "/exec-out"));
	CK(stat_here("group_sends") > sends);
	return 0;
}

TEST_F_TIMEOUT(nm, prefix_table_inherited_by_an_executed_program, T_SHORT)
{
	struct exec_arg a = { .manager = self->fsd_id };
	char rest[256], out[4096];

	ASSERT_EQ(0, tool_lookup("/files/r.txt", &a.manager, &a.context, rest, sizeof(rest)));
	EXPECT_EQ(0, on_host(1, client_exports, &a));
	a.with_junk = 1;
	EXPECT_EQ(0, on_host(1, client_exports, &a));
	/* vrun hands its table to the program it runs */
	ASSERT_EQ(0, vt_sh("cp /usr/bin/printenv " SRV "/printenv"));
	ASSERT_EQ(0, run(1, CLI "/vrun-out", "tools/vrun -q /files/printenv V_PREFIXES"));
	vt_slurp(CLI "/vrun-out", out, sizeof(out));
	snprintf(rest, sizeof(rest), "1:%llx:%x:/files\n", (unsigned long long)a.manager,
		 a.context);
	EXPECT_STREQ(rest, out);
}

TEST_HARNESS_MAIN
