// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "vshare": one V file server's files used from two client hosts at
 * once, each through its own vfs mount: what one host writes, the other
 * reads at once (<vio.h> "Caching": the server REVOKEs the other hosts'
 * cached pages and attributes before it answers a change), shared
 * mappings, sqlite3 databases written from both hosts under sqlite's own
 * locking, a holder host that goes down, and REVOKEs and cache processes
 * that must be refused.
 *
 * Topology, built by the first test and kept (the suite's process deletes
 * it when it exits): three network namespaces vkv0 (the server: `vfsd -U
 * -w 0 -p /files /tmp/vkv/srv`), vkv1 (host A) and vkv2 (host B), each
 * with a veth "eth0" (MTU 1500) on the bridge vkvbr, keyed.  Hosts A and B
 * run `vfs /mnt/v` in mount namespaces of their own.  A file on the
 * server is /tmp/vkv/srv/NAME here, /mnt/v/files/NAME on A and B.
 *
 * A test drives the two hosts through *agents*: children in a vfs
 * daemon's mount namespace that open, read, write and map one file on
 * command, so that a file stays open on one host while the other writes.
 * Knobs: VK_VSHARE_ROUNDS (sqlite's alternating rounds, 8),
 * VK_VSHARE_INSERTS (inserts per host at once, 10), VK_VSHARE_LOG=1 (the
 * daemons' stderr let through).
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "vtest.h"
#define VT_KIDS_MAX	32
#define VT_KID_ALARM_S	60
#include "vkids.h"
#include "vmount.h"
#include "vwire.h"
#include "libv_services.h"
#include "kselftest_harness.h"

#define TOP		"/tmp/vkv"
#define SRV		TOP "/srv"
#define MNT		"/mnt/v"
#define MF		MNT "/files"
#define LINE_MS		20000
#define T_TEST		60
#define KEY		"5ec0000000000000000000000000000000000000000000000000000000000003"

static const struct vt_topo topo = {
	.ns_fmt = "vkv%d", .port_fmt = "vkvh%d", .veth = "eth0", .bridge = "vkvbr", .n = 3,
};

static pid_t main_pid;

static void __attribute__((constructor)) vshare_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) vshare_fini(void)
{
	if (getpid() == main_pid && vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
}

/* The topology (kept across tests), its links up (a test takes one down). */
static int topo_up(void)
{
	if (vt_sh("modprobe -q fuse; test -c /dev/fuse && mkdir -p " MNT) ||
	    vt_topo_keep(&topo, KEY))
		return -1;
	return vt_sh("ip link set vkvh1 up && ip link set vkvh2 up");
}

/* ---- agents: one open file on a host, driven by command ------------------ */

struct fop {
	char op;		/* o open, w pwrite, r pread, t ftruncate, m mmap,
				 * p poke into the map, y msync, u munmap, c close */
	int flags;
	long long off, len;
	char data[256];
};

struct fres {
	int err;		/* errno, 0 */
	long long n;
	char data[256];
};

struct agent {
	pid_t pid;
	int fd;			/* our end of the socketpair */
};

static void agent_do(const struct fop *c, struct fres *r, int *fd, char **map, size_t *maplen)
{
	ssize_t n = 0;

	memset(r, 0, sizeof(*r));
	switch (c->op) {
	case 'o': n = *fd = open(c->data, c->flags, 0644); break;
	case 'w': n = pwrite(*fd, c->data, (size_t)c->len, c->off); break;
	case 'r': n = pread(*fd, r->data, (size_t)c->len, c->off); break;
	case 't': n = ftruncate(*fd, c->off); break;
	case 'm':
		*map = mmap(NULL, (size_t)c->len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
		n = *map == MAP_FAILED ? -1 : 0;
		*maplen = (size_t)c->len;
		break;
	case 'p': memcpy(*map + c->off, c->data, (size_t)c->len); break;
	case 'y': n = msync(*map, *maplen, MS_SYNC); break;
	case 'u': n = munmap(*map, *maplen); break;
	case 'c': n = close(*fd); break;
	default: errno = EINVAL; n = -1; break;
	}
	r->err = n < 0 ? errno : 0;
	r->n = n;
}

/* An agent in the mount namespace of vfs daemon fs. */
static int agent_start(struct agent *a, pid_t fs)
{
	int sv[2], fd = -1;
	size_t maplen = 0;
	char *map = NULL;
	struct fop c;
	struct fres r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	a->pid = kid_fork(0);
	if (a->pid < 0)
		return -1;
	if (a->pid == 0) {
		close(sv[0]);
		alarm(0);
		if (enter_mnt(fs, -1))
			_exit(255);
		while (read(sv[1], &c, sizeof(c)) == sizeof(c)) {
			agent_do(&c, &r, &fd, &map, &maplen);
			if (write(sv[1], &r, sizeof(r)) != sizeof(r))
				break;
		}
		_exit(0);
	}
	close(sv[1]);
	a->fd = sv[0];
	return 0;
}

/* One command; its result (n), or -errno.  data: in for o/w/p, out for r. */
static long long agent_op(struct agent *a, char op, int flags, long long off, long long len,
			  char *data)
{
	struct fop c = { .op = op, .flags = flags, .off = off, .len = len };
	struct fres r;

	if (strchr("wpr", op) && (len > (long long)sizeof(c.data) || len < 0))
		return -EINVAL;
	if (data && op != 'r')
		memcpy(c.data, data, op == 'o' ? strlen(data) + 1 : (size_t)len);
	if (write(a->fd, &c, sizeof(c)) != sizeof(c) ||
	    vt_read_full(a->fd, &r, sizeof(r), 30000))
		return -EPIPE;
	if (r.err)
		return -r.err;
	if (op == 'r' && data)
		memcpy(data, r.data, (size_t)r.n);
	return r.n;
}

/* Read len bytes at off on a into buf (NUL-terminated); the count or -errno. */
static long long agent_read(struct agent *a, long long off, long long len, char *buf)
{
	long long n = agent_op(a, 'r', 0, off, len, buf);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static long long agent_write(struct agent *a, long long off, const char *text)
{
	return agent_op(a, 'w', 0, off, (long long)strlen(text), (char *)text);
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(vshare) {
	pid_t owner;
	int64_t t0;
	pid_t fsd, fs[2];	/* the server; vfs on hosts A (1) and B (2) */
	uint64_t fsd_id, cache[2];
};

static int log_fd(const char *path)
{
	return getenv("VK_VSHARE_LOG") ? -2 :
	       open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static pid_t start_fsd(FIXTURE_DATA(vshare) *self, const char *opts)
{
	char cmd[256];
	int efd = log_fd(TOP "/vfsd.err");

	snprintf(cmd, sizeof(cmd), "daemons/vfsd -U -w 0 %s -p /files " SRV, opts);
	self->fsd = kid_daemon("vkv0", efd, 0, LINE_MS, &self->fsd_id, cmd);
	if (efd >= 0)
		close(efd);
	return self->fsd;
}

/* vfs on host h (1 or 2); its cache process from its ready line. */
static pid_t start_vfs(FIXTURE_DATA(vshare) *self, int h)
{
	char ns[8], err[64];
	const char *c;
	int efd;

	snprintf(ns, sizeof(ns), "vkv%d", h);
	snprintf(err, sizeof(err), TOP "/vfs%d.err", h);
	efd = log_fd(err);
	self->fs[h - 1] = kid_daemon(ns, efd, KID_MNTNS, LINE_MS, NULL, "daemons/vfs " MNT);
	if (efd >= 0)
		close(efd);
	c = strstr(kid_line, "cache 0x");
	self->cache[h - 1] = c ? strtoull(c + 6, NULL, 16) : 0;
	return self->cache[h - 1] ? self->fs[h - 1] : -1;
}

FIXTURE_SETUP(vshare)
{
	int up;

	self->owner = getpid();
	self->t0 = vt_now_ms();
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	ASSERT_EQ(0, topo_up()) TH_LOG("cannot build the namespaces (fuse?)");
	ASSERT_EQ(0, vt_topo_vctl(&topo, 0, "set host-down-ms 3000"));
	ASSERT_EQ(0, vt_sh("rm -rf " TOP " && mkdir -p " SRV " && chmod 755 " SRV));
	up = start_fsd(self, "") > 0 && start_vfs(self, 1) > 0 && start_vfs(self, 2) > 0;
	if (!up)
		kids_kill_all();
	ASSERT_TRUE(up) TH_LOG("a daemon did not start");
}

FIXTURE_TEARDOWN(vshare)
{
	int i;

	if (getpid() != self->owner)
		return;
	for (i = nkids - 1; i >= 0; i--)
		kid_kill(kids[i]);
	nkids = 0;
	if (!_metadata->passed || getenv("VK_VSHARE_LOG")) {
		dump_tail("vfs A stderr", TOP "/vfs1.err", 1500);
		dump_tail("vfs B stderr", TOP "/vfs2.err", 1500);
		dump_tail("vfsd stderr", TOP "/vfsd.err", 1500);
	}
	vt_root_close();
	fprintf(stderr, "# %s: %lld ms\n", _metadata->name, (long long)(vt_now_ms() - self->t0));
}

/* Two agents, on A and on B, each with path open (flags). */
static int agents_open(FIXTURE_DATA(vshare) *self, struct agent ag[2], const char *path,
		       int fa, int fb)
{
	if (agent_start(&ag[0], self->fs[0]) || agent_start(&ag[1], self->fs[1]))
		return -1;
	if (agent_op(&ag[0], 'o', fa, 0, 0, (char *)path) < 0)
		return -1;
	return agent_op(&ag[1], 'o', fb, 0, 0, (char *)path) < 0 ? -1 : 0;
}

/* A shell script on host h (0: A, 1: B), in its vfs's mount namespace. */
static int on_host(FIXTURE_DATA(vshare) *self, int h, char *out, size_t len, const char *script)
{
	return vm_sh(TOP, self->fs[h], T_TEST, out, len, script);
}

/* ---- 1. a write is seen at once ------------------------------------------ */

/*
 * B holds the file open and has read it (its pages cached); every write A
 * makes, overwriting in place (same size: only a REVOKE tells B), growing
 * it, truncating it, is what B's next read returns, before either closes.
 */
TEST_F_TIMEOUT(vshare, write_on_a_read_on_b_before_close, T_TEST)
{
	struct agent ag[2];
	char buf[64], want[64];
	int i;

	ASSERT_EQ(0, agents_open(self, ag, MF "/shared", O_RDWR | O_CREAT, O_RDONLY));
	ASSERT_EQ(8, agent_write(&ag[0], 0, "version0"));
	ASSERT_EQ(8, agent_read(&ag[1], 0, 8, buf));
	ASSERT_STREQ("version0", buf);
	for (i = 1; i <= 20; i++) {
		snprintf(want, sizeof(want), "version%d", i % 10);
		ASSERT_EQ(8, agent_write(&ag[0], 0, want));
		ASSERT_EQ(8, agent_read(&ag[1], 0, 8, buf));
		ASSERT_STREQ(want, buf) TH_LOG("round %d: B read a stale page", i);
		/* read twice: B's cache holds it now, and must still be right */
		ASSERT_EQ(8, agent_read(&ag[1], 0, 8, buf));
		ASSERT_STREQ(want, buf);
	}
	/* growing: a page B never had, and the size */
	ASSERT_EQ(5, agent_write(&ag[0], 8192, "grown"));
	ASSERT_EQ(5, agent_read(&ag[1], 8192, 64, buf));
	ASSERT_STREQ("grown", buf);
	/* shrinking: B's read past the new end is the end */
	ASSERT_EQ(0, agent_op(&ag[0], 't', 0, 4, 0, NULL));
	ASSERT_EQ(4, agent_read(&ag[1], 0, 64, buf));
	ASSERT_STREQ("vers", buf);
	ASSERT_EQ(0, agent_read(&ag[1], 8192, 64, buf));
	/* and the other way round: B writes, A (which wrote and read) reads */
	ASSERT_EQ(0, agent_op(&ag[1], 'c', 0, 0, 0, NULL));
	ASSERT_LE(0, agent_op(&ag[1], 'o', O_RDWR, 0, 0, MF "/shared"));
	ASSERT_EQ(4, agent_read(&ag[0], 0, 4, buf));
	ASSERT_EQ(4, agent_write(&ag[1], 0, "from"));
	ASSERT_EQ(4, agent_read(&ag[0], 0, 4, buf));
	ASSERT_STREQ("from", buf);
}

/* A file B keeps cached after closing it is right at B's next open. */
TEST_F_TIMEOUT(vshare, reopen_after_a_change_is_current, T_TEST)
{
	struct agent ag[2];
	char buf[64];

	ASSERT_EQ(0, agents_open(self, ag, MF "/again", O_RDWR | O_CREAT, O_RDONLY));
	ASSERT_EQ(6, agent_write(&ag[0], 0, "first."));
	ASSERT_EQ(6, agent_read(&ag[1], 0, 6, buf));
	ASSERT_EQ(0, agent_op(&ag[1], 'c', 0, 0, 0, NULL));
	ASSERT_EQ(6, agent_write(&ag[0], 0, "second"));
	ASSERT_LE(0, agent_op(&ag[1], 'o', O_RDONLY, 0, 0, MF "/again"));
	ASSERT_EQ(6, agent_read(&ag[1], 0, 6, buf));
	ASSERT_STREQ("second", buf);
	/* unchanged since: still right (kept, not asked again) */
	ASSERT_EQ(0, agent_op(&ag[1], 'c', 0, 0, 0, NULL));
	ASSERT_LE(0, agent_op(&ag[1], 'o', O_RDONLY, 0, 0, MF "/again"));
	ASSERT_EQ(6, agent_read(&ag[1], 0, 6, buf));
	ASSERT_STREQ("second", buf);
}

/*
 * Names: B has looked at a file (its name cached) when A unlinks it, or
 * renames another file over it; B's next look finds what the server has,
 * and B's open(O_CREAT) of the unlinked name makes a new file.
 */
TEST_F_TIMEOUT(vshare, names_changed_on_a_are_seen_on_b, T_TEST)
{
	char out[256];

	ASSERT_EQ(0, vt_sh("echo one > " SRV "/gone && echo two > " SRV "/src && echo old > "
			   SRV "/dst"));
	ASSERT_EQ(0, on_host(self, 1, out, sizeof(out),
			     "cat " MF "/gone " MF "/src " MF "/dst | tr '\\n' ' '"));
	ASSERT_STREQ("one two old ", out);
	ASSERT_EQ(0, on_host(self, 0, NULL, 0, "rm " MF "/gone; mv " MF "/src " MF "/dst"));
	ASSERT_EQ(0, on_host(self, 1, out, sizeof(out),
			     "fails test -e " MF "/gone; fails test -e " MF "/src; cat " MF "/dst; "
			     "echo new > " MF "/gone; cat " MF "/gone"));
	ASSERT_STREQ("two\nnew\n", out);
}

/* ---- 2. shared mappings --------------------------------------------------- */

/*
 * The rule (vfs.8): a write into a MAP_SHARED mapping reaches the server,
 * and so the other hosts, at msync(MS_SYNC) or munmap(), not at the write
 * itself (FUSE tells the daemon nothing when a mapped page is dirtied).
 */
TEST_F_TIMEOUT(vshare, mmap_writes_seen_after_msync_and_munmap, T_TEST)
{
	struct agent ag[2];
	char buf[64];
	int i;

	ASSERT_EQ(0, agents_open(self, ag, MF "/mapped", O_RDWR | O_CREAT, O_RDONLY));
	ASSERT_EQ(0, agent_op(&ag[0], 't', 0, 8192, 0, NULL));
	ASSERT_EQ(8, agent_read(&ag[1], 0, 8, buf));
	ASSERT_EQ(0, agent_op(&ag[0], 'm', 0, 0, 8192, NULL));
	ASSERT_EQ(0, agent_op(&ag[0], 'p', 0, 0, 6, "msync!"));
	ASSERT_EQ(0, agent_op(&ag[0], 'p', 0, 4096, 6, "page 2"));
	ASSERT_EQ(0, agent_op(&ag[0], 'y', 0, 0, 0, NULL));
	ASSERT_EQ(6, agent_read(&ag[1], 0, 6, buf));
	ASSERT_STREQ("msync!", buf);
	ASSERT_EQ(6, agent_read(&ag[1], 4096, 6, buf));
	ASSERT_STREQ("page 2", buf);
	/* munmap starts the write-back and does not wait for it: the
	 * server has it moments later, and at the latest when close()
	 * (or fsync) returns */
	ASSERT_EQ(0, agent_op(&ag[0], 'p', 0, 0, 6, "munmap"));
	ASSERT_EQ(0, agent_op(&ag[0], 'u', 0, 0, 0, NULL));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(6, agent_read(&ag[1], 0, 6, buf));
		if (!strcmp(buf, "munmap"))
			break;
		usleep(50000);
	}
	ASSERT_STREQ("munmap", buf) TH_LOG("not there 5 s after munmap");
	ASSERT_EQ(0, agent_op(&ag[0], 'm', 0, 0, 8192, NULL));
	ASSERT_EQ(0, agent_op(&ag[0], 'p', 0, 4096, 6, "closed"));
	ASSERT_EQ(0, agent_op(&ag[0], 'u', 0, 0, 0, NULL));
	ASSERT_EQ(0, agent_op(&ag[0], 'c', 0, 0, 0, NULL));
	ASSERT_EQ(6, agent_read(&ag[1], 4096, 6, buf));
	ASSERT_STREQ("closed", buf);
	/* the server has it too */
	ASSERT_EQ(0, vt_sh("test \"$(head -c 6 " SRV "/mapped)\" = munmap"));
}

/* ---- 3. sqlite3 from both hosts ------------------------------------------ */

/*
 * Rounds that alternate between the hosts, each reading what the other
 * wrote just before (the count after every insert), then both hosts
 * inserting at once under sqlite's locks (busy timeout); the total adds
 * up and both hosts find the database intact.
 */
TEST_F_TIMEOUT(vshare, sqlite_from_two_hosts, 3 * T_TEST)
{
	int rounds = knob("VK_VSHARE_ROUNDS", 8), each = knob("VK_VSHARE_INSERTS", 10), r, h;
	char script[512], out[256];

	ASSERT_EQ(0, on_host(self, 0, NULL, 0, "sqlite3 " MF "/db 'CREATE TABLE t(i, who, b);'"));
	for (r = 0; r < rounds; r++) {
		h = r % 2;
		snprintf(script, sizeof(script),
			 "sqlite3 " MF "/db \"INSERT INTO t VALUES(%d, %d, randomblob(600));\"\n", r, h);
		ASSERT_EQ(0, on_host(self, h, NULL, 0, script));
		ASSERT_EQ(0, on_host(self, !h, out, sizeof(out),
				     "sqlite3 " MF "/db 'SELECT count(*) FROM t;'"));
		ASSERT_EQ(r + 1, atoi(out)) TH_LOG("round %d: host %d saw %s", r, !h, out);
	}
	/* both at once: a loop of inserts on each, in the background here */
	ASSERT_EQ(0, vt_sh("for p in %d %d; do nsenter -t $p -m sh -c 'i=0; while [ $i -lt %d ]; do "
			   "sqlite3 -cmd \".timeout 30000\" " MF "/db \"INSERT INTO t VALUES($i, $$, "
			   "randomblob(900));\" || exit 1; i=$((i+1)); done' & pids=\"$pids $!\"; done; "
			   "for p in $pids; do wait $p || exit 1; done", (int)self->fs[0], (int)self->fs[1],
			   each));
	for (h = 0; h < 2; h++) {
		ASSERT_EQ(0, on_host(self, h, out, sizeof(out),
				     "sqlite3 " MF "/db 'PRAGMA integrity_check; SELECT count(*) FROM t;'"));
		snprintf(script, sizeof(script), "ok\n%d\n", rounds + 2 * each);
		ASSERT_STREQ(script, out) TH_LOG("host %d", h);
	}
}

/* A writes "old." to path, B reads it: B holds the file, open.  0 or -1. */
static int holder_setup(FIXTURE_DATA(vshare) *self, struct agent ag[2], const char *path)
{
	char buf[8];

	if (agents_open(self, ag, path, O_RDWR | O_CREAT, O_RDONLY) ||
	    agent_write(&ag[0], 0, "old.") != 4 || agent_read(&ag[1], 0, 4, buf) != 4)
		return -1;
	return strcmp(buf, "old.") ? -1 : 0;
}

/* ---- 4. a holder host goes down ------------------------------------------ */

/*
 * B holds the file (open, read) when its host goes silent: A's write
 * waits for B's REVOKE only up to the server's host-down bound (3 s
 * here), then goes on; B's holdings are gone, so the next write does not
 * wait at all.
 */
TEST_F_TIMEOUT(vshare, holder_host_down_does_not_wedge_writers, T_TEST)
{
	struct agent ag[2];
	int64_t t;

	ASSERT_EQ(0, holder_setup(self, ag, MF "/held"));
	ASSERT_EQ(0, vt_sh("ip link set vkvh2 down"));
	t = vt_now_ms();
	ASSERT_EQ(4, agent_write(&ag[0], 0, "new."));
	t = vt_now_ms() - t;
	TH_LOG("the write waited %lld ms for the silent holder", (long long)t);
	ASSERT_LT(t, (3000 + 5000) * vt_scale());
	t = vt_now_ms();
	ASSERT_EQ(4, agent_write(&ag[0], 4, "next"));
	t = vt_now_ms() - t;
	ASSERT_LT(t, 2000 * vt_scale()) TH_LOG("a second write still waited for the gone holder");
	ASSERT_EQ(0, vt_sh("test \"$(cat " SRV "/held)\" = new.next"));
	ASSERT_EQ(0, vt_sh("grep -q 'did not take a revoke' " TOP "/vfsd.err"));
}

/*
 * B's vfs is killed while it holds the file: the server hears of its end
 * (a death notice) and drops its holdings; A's writes never wait for it.
 */
TEST_F_TIMEOUT(vshare, holder_killed_loses_its_holdings, T_TEST)
{
	struct agent ag[2];
	int64_t t;
	int i;

	ASSERT_EQ(0, holder_setup(self, ag, MF "/orphan"));
	kid_kill(ag[1].pid);
	kid_kill(self->fs[1]);
	for (i = 0; i < 100 && vt_sh("grep -q 'holding(s) dropped' " TOP "/vfsd.err"); i++)
		usleep(50000);
	ASSERT_EQ(0, vt_sh("grep -q 'holding(s) dropped' " TOP "/vfsd.err"))
		TH_LOG("no death notice of B's cache process reached vfsd");
	t = vt_now_ms();
	ASSERT_EQ(4, agent_write(&ag[0], 0, "new."));
	ASSERT_LT(vt_now_ms() - t, 2000 * vt_scale());
	ASSERT_EQ(0, vt_sh("test \"$(cat " SRV "/orphan)\" = new."));
	ASSERT_NE(0, vt_sh("grep -q 'did not take a revoke' " TOP "/vfsd.err"))
		TH_LOG("the write tried B's gone cache process");
}

/*
 * B's vfs is stopped (SIGSTOP) while it holds the file: A's write waits
 * for its REVOKE at most VIO_REVOKE_TIMEOUT_MS, and the server forgets
 * B's cache process.  B, running again, hears ESTALE at its next request,
 * drops what it cached from the server, registers again, and reads what
 * A wrote.
 */
TEST_F_TIMEOUT(vshare, stopped_holder_is_forgotten_and_recovers, T_TEST)
{
	struct agent ag[2];
	char buf[64];
	int64_t t;
	int i;

	ASSERT_EQ(0, holder_setup(self, ag, MF "/paused"));
	ASSERT_EQ(0, kill(self->fs[1], SIGSTOP));
	t = vt_now_ms();
	ASSERT_EQ(4, agent_write(&ag[0], 0, "new."));
	t = vt_now_ms() - t;
	kill(self->fs[1], SIGCONT);
	ASSERT_LT(t, (VIO_REVOKE_TIMEOUT_MS + 2000) * vt_scale());
	ASSERT_EQ(0, vt_sh("grep -q 'did not take a revoke' " TOP "/vfsd.err"));
	/* any request of B's: ESTALE, then everything from the server dropped */
	ASSERT_EQ(0, on_host(self, 1, NULL, 0, "stat " MF "/paused >/dev/null"));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(4, agent_read(&ag[1], 0, 4, buf));
		if (!strcmp(buf, "new."))
			break;
		usleep(50000);
	}
	ASSERT_STREQ("new.", buf);
	/* registered again: A's next write reaches B at once */
	ASSERT_EQ(4, agent_write(&ag[0], 0, "more"));
	ASSERT_EQ(4, agent_read(&ag[1], 0, 4, buf));
	ASSERT_STREQ("more", buf);
}

/* ---- 5. who may REVOKE, and which cache process a client may name ------ */

/* A child in host h as uid (< 0: root): 0 there; here its pid, -1. */
static pid_t host_child(int h, int uid)
{
	pid_t pid = kid_fork(0);

	if (pid == 0 && (vt_ns_enter(vt_topo_ns(&topo, h)) ||
			 (uid >= 0 && (setgid(uid) || setuid(uid)))))
		_exit(254);
	return pid;
}

/* In host h as uid (< 0: root): Send code to dst with u64 a at 8 and b at
 * 16 (CREATE: of "x", naming cache process c); the reply code, or 100 +
 * errno of the Send. */
static int raw_send(int h, int uid, uint64_t dst, uint16_t code, uint64_t a, uint64_t b,
		    uint64_t c)
{
	pid_t pid = host_child(h, uid);
	char seg[VIO_ARGS_SIZE + VIO_ATTR_SIZE];
	struct v_msg m;
	int fd, ret;

	if (pid)
		return pid < 0 ? -1 : kid_wait(pid);
	fd = v_open();
	if (fd < 0)
		_exit(253);
	memset(&m, 0, sizeof(m));
	memset(seg, 0, sizeof(seg));
	v_msg_set_code(&m, code);
	v_msg_put64(&m, 8, a);
	v_msg_put64(&m, 16, b);
	if (code == VIO_CREATE) {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, code);
		v_msg_put16(&m, VIO_FLAGS_OFF, VIO_O_READ);
		v_msg_put16(&m, VIO_NAME_LEN_OFF, 1);
		memcpy(seg + VIO_ARGS_SIZE, "x", 1);
		v_msg_put64(&m, VIO_ARG_CACHE_OFF, c);
	}
	ret = v_send_seg(fd, dst, &m, seg, sizeof(seg), V_SEG_READ | V_SEG_WRITE);
	_exit(ret < 0 ? 100 + -ret % 100 : v_msg_code(&m));
}

/* In host h as uid: n V processes each register as a cache process; the
 * answer of the last, or 100 + errno. */
static int hellos(int h, int uid, uint64_t server, int n)
{
	pid_t pid = host_child(h, uid);
	struct v_msg m;
	int i, fd, ret = 0;

	if (pid)
		return pid < 0 ? -1 : kid_wait(pid);
	for (i = 0; i < n; i++) {
		fd = v_open();
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VIO_CACHE_HELLO);
		ret = fd < 0 ? fd : v_send(fd, server, &m);
		if (ret < 0)
			_exit(100 + -ret % 100);
	}
	_exit(v_msg_code(&m));
}

TEST_F_TIMEOUT(vshare, revokes_and_cache_processes_are_checked, T_TEST)
{
	ASSERT_EQ(0, vt_sh("echo x > " SRV "/x && chmod 644 " SRV "/x"));
	/* both hosts' cache processes register with the server */
	ASSERT_EQ(0, on_host(self, 0, NULL, 0, "cat " MF "/x >/dev/null"));
	ASSERT_EQ(0, on_host(self, 1, NULL, 0, "cat " MF "/x >/dev/null"));
	/* a REVOKE for the server's files from a host that is not the server's */
	EXPECT_EQ(V_NO_PERMISSION,
		  raw_send(1, -1, self->cache[1], VIO_REVOKE, 1, self->fsd_id, 0));
	/* from the server's host: allowed; B caches nothing of inode 1 */
	EXPECT_EQ(V_NOT_FOUND, raw_send(0, -1, self->cache[1], VIO_REVOKE, 1, self->fsd_id, 0));
	/* a cache process's other requests */
	EXPECT_EQ(V_ILLEGAL_REQUEST, raw_send(1, -1, self->cache[1], VIO_READ, 0, 0, 0));
	/* a server takes no REVOKE */
	EXPECT_EQ(V_ILLEGAL_REQUEST, raw_send(0, -1, self->fsd_id, VIO_REVOKE, 1, 1, 0));
	/* a client naming another host's cache process, a group, nothing */
	EXPECT_EQ(V_NO_PERMISSION, raw_send(1, -1, self->fsd_id, VIO_CREATE, 0, 0, self->cache[1]));
	EXPECT_EQ(V_BAD_ARGS, raw_send(1, -1, self->fsd_id, VIO_CREATE, 0, 0,
				       V_GROUP_NAME_HANDLERS));
	EXPECT_EQ(V_OK, raw_send(1, -1, self->fsd_id, VIO_CREATE, 0, 0, 0));
	/* its own host's and user's (root, as A's vfs): taken; another user
	 * naming it, so that its changes would skip A's cache: refused */
	EXPECT_EQ(V_OK, raw_send(1, -1, self->fsd_id, VIO_CREATE, 0, 0, self->cache[0]));
	EXPECT_EQ(V_NO_PERMISSION, raw_send(1, 1000, self->fsd_id, VIO_CREATE, 0, 0,
					    self->cache[0]));
	/* a process that never registered */
	EXPECT_EQ(V_NO_PERMISSION, raw_send(1, -1, self->fsd_id, VIO_CREATE, 0, 0,
					    self->fsd_id + 1));
	/* at most 4 cache processes per (host, uid) */
	EXPECT_EQ(V_OK, hellos(1, 1000, self->fsd_id, 4));
	EXPECT_EQ(V_NO_SERVER_RESOURCES, hellos(1, 1001, self->fsd_id, 5));
}

/* ---- 6. holdings are bounded -------------------------------------------- */

/* Both hosts write and read two files, each open on both; all current. */
static void two_files_current(struct __test_metadata *_metadata, struct agent a1[2],
			      struct agent a2[2])
{
	char buf[64];

	ASSERT_EQ(3, agent_write(&a1[0], 0, "111"));
	ASSERT_EQ(3, agent_write(&a2[0], 0, "222"));
	ASSERT_EQ(3, agent_read(&a1[1], 0, 3, buf));
	ASSERT_EQ(3, agent_read(&a2[1], 0, 3, buf));
	ASSERT_EQ(3, agent_write(&a1[0], 0, "AAA"));
	ASSERT_EQ(3, agent_write(&a2[0], 0, "BBB"));
	ASSERT_EQ(3, agent_read(&a1[1], 0, 3, buf));
	ASSERT_STREQ("AAA", buf);
	ASSERT_EQ(3, agent_read(&a2[1], 0, 3, buf));
	ASSERT_STREQ("BBB", buf);
}

/*
 * vfsd -C 1: one file looked at per cache process; open files are
 * outside the quota, so B's second open is still held, and current.
 * vfsd -C 0: nobody caches (B's cache process is refused): every open is
 * direct I/O, where a shared writable mapping is refused, and current.
 */
TEST_F_TIMEOUT(vshare, holding_quota_and_no_caching_stay_current, T_TEST)
{
	struct agent a1[2], a2[2], b1[2], b2[2];

	kid_kill(self->fsd);
	ASSERT_LT(0, start_fsd(self, "-C 1"));
	ASSERT_EQ(0, agents_open(self, a1, MF "/one", O_RDWR | O_CREAT, O_RDONLY));
	ASSERT_EQ(0, agents_open(self, a2, MF "/two", O_RDWR | O_CREAT, O_RDONLY));
	two_files_current(_metadata, a1, a2);
	kid_kill(self->fsd);
	ASSERT_LT(0, start_fsd(self, "-C 0"));
	/* the first request to the gone server fails (EIO) and forgets it */
	on_host(self, 0, NULL, 0, "ls " MF " >/dev/null 2>&1 || true");
	on_host(self, 1, NULL, 0, "ls " MF " >/dev/null 2>&1 || true");
	ASSERT_EQ(0, agents_open(self, b1, MF "/one", O_RDWR, O_RDWR));
	ASSERT_EQ(0, agents_open(self, b2, MF "/two", O_RDWR, O_RDONLY));
	two_files_current(_metadata, b1, b2);
	ASSERT_EQ(-ENODEV, agent_op(&b1[1], 'm', 0, 0, 4096, NULL));
}

TEST_HARNESS_MAIN
