// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "vfs": the V name space mounted with FUSE (daemons/vfs) over file
 * servers (daemons/vfsd -U) on another V host, driven by ordinary programs
 * (coreutils, sqlite3, tar, git, gcc, fio, stress-ng, python3) and by
 * system calls whose errors are checked one by one.
 *
 * Topology, built by the first test and kept (the suite's process deletes
 * it when it exits): two network namespaces, vkf0 (the server host) and
 * vkf1 (the client host), each with a veth "eth0" of MTU 1500 (so segments
 * really travel as many frames) whose peer vkfhN is in the bridge vkfbr,
 * attached to V as an insecure link; the tests set the cluster key on both
 * hosts (remote root is trusted only over a keyed link) but the one that
 * checks what an unkeyed link gets.
 *
 * Per test (fixture setup): host 0 runs `vfsd -U -w 0 -w 1000 -w 65534 -p
 * /files /tmp/vkf/srv` and `vfsd -U -l 0 -p /root /` (the guest's root,
 * read-only, for program loading); host 1 runs `vfs /mnt/v` in a mount
 * namespace of its own.  Workloads run there through `nsenter -t <vfs> -m
 * -n` (shell scripts) or in forked children that setns() into vfs's mount
 * namespace (system calls whose errno is checked).  The server's files are
 * /tmp/vkf/srv in this (the initial) mount namespace, where the suite looks
 * to check what arrived.
 *
 * The daemons' stderr goes to /tmp/vkf/{vfsd,rootd,vfs}.err, whose ends
 * are printed when a test fails (VK_VFS_LOG=1: stderr let through).
 * Workload sizes, short by default so that the suite fits CI's pool:
 * VK_VFS_SQLITE_ROWS (1000), VK_VFS_TAR_DIR (linux/netfilter, under
 * /usr/include: 96 names; "linux" for all 792), VK_VFS_FIO_SIZE (4m, 5 s
 * a run), VK_VFS_STRESS_SECS (5), VK_VFS_BIG_MB (8), VK_VFS_RACE_SECS (3).
 */
#include <dirent.h>
#include <endian.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "vtest.h"
#define VT_KIDS_MAX	32
#define VT_KID_ALARM_S	60
#include "vkids.h"
#include "vmount.h"
#include "libv_services.h"
#include "kselftest_harness.h"

#define TOP		"/tmp/vkf"
#define SRV		TOP "/srv"
#define MNT		"/mnt/v"
#define MF		MNT "/files"
#define LINE_MS		20000	/* a daemon prints its ready line (scaled) */
#define T_TEST		60	/* seconds per test */
/* the heavy workloads: 5-20 s on a quiet machine, three times that beside
 * other guests (make check runs several) */
#define T_LONG		120
#define KEY		"5ec0000000000000000000000000000000000000000000000000000000000002"
#define FSD_CMD		"daemons/vfsd -U -w 0 -w 1000 -w 65534 -p /files " SRV

/* ---- topology ------------------------------------------------------------ */

static int topo_exists(void)
{
	return access("/run/netns/vkf1", F_OK) == 0 && access("/sys/class/net/vkfh1", F_OK) == 0;
}

static void topo_down(void)
{
	vt_sh("exec >/dev/null 2>&1; for i in 0 1; do ip link del vkfh$i; ip netns del vkf$i; "
	      "done; ip link del vkfbr; rm -rf " TOP);
}

static int topo_up(void)
{
	if (topo_exists())
		return 0;
	topo_down();
	return vt_sh("set -e; exec >/dev/null 2>&1; modprobe -q veth; modprobe -q bridge; "
		     "modprobe -q fuse; test -c /dev/fuse; mkdir -p " MNT "; "
		     "ip link add vkfbr type bridge; ip link set vkfbr up; "
		     "for i in 0 1; do ip netns add vkf$i; "
		     "ip link add vkfh$i mtu 1500 type veth peer name eth0 mtu 1500 netns vkf$i; "
		     "ip link set vkfh$i master vkfbr up; ip -n vkf$i link set lo up; "
		     "ip -n vkf$i link set eth0 up; "
		     "ip netns exec vkf$i %s/tools/vctl link add dev eth0 insecure; done", bdir());
}

static pid_t main_pid;

static void __attribute__((constructor)) vfs_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) vfs_fini(void)
{
	if (getpid() == main_pid && topo_exists())
		topo_down();
}

/* The cluster key on (key) or off (NULL) on both hosts. */
static int hosts_key(const char *key)
{
	return vt_ns_vctl("vkf0", "set key %s", key ? key : "none") ||
	       vt_ns_vctl("vkf1", "set key %s", key ? key : "none") ? -1 : 0;
}

/* ---- processes ----------------------------------------------------------- */

#define SP_MNTNS	KID_MNTNS	/* a mount namespace of its own (vfs) */

/* Start a daemon; its ready line ("... as 0x<id>") read from stdout.  Pid or -1. */
static pid_t daemon_start(int h, const char *err, int flags, uint64_t *id, const char *cmd)
{
	int efd = err && !getenv("VK_VFS_LOG") ?
		  open(err, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	char ns[16];
	pid_t pid;

	snprintf(ns, sizeof(ns), "vkf%d", h);
	pid = kid_daemon(h >= 0 ? ns : NULL, getenv("VK_VFS_LOG") ? -2 : efd, flags, LINE_MS, id,
			 cmd);
	if (efd >= 0)
		close(efd);
	return pid;
}


/* Open descriptors of process pid, or -1. */
static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Wait up to ms (scaled) for pid's descriptors to be at most n; the last count. */
static int fd_wait_le(pid_t pid, int n, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int c;

	while ((c = fd_count(pid)) > n && vt_now_ms() < end)
		usleep(50000);
	return c;
}


/* ---- the fixture ---------------------------------------------------------- */

FIXTURE(vfs) {
	pid_t owner;
	int64_t t0;
	pid_t fsd;		/* vfsd -p /files on host 0 */
	pid_t rootd;		/* vfsd -p /root / on host 0 */
	pid_t fs;		/* vfs on host 1 */
	uint64_t fsd_id;
};

static pid_t start_fsd(FIXTURE_DATA(vfs) *self)
{
	self->fsd = daemon_start(0, TOP "/vfsd.err", 0, &self->fsd_id, FSD_CMD);
	return self->fsd;
}

static pid_t start_vfs(FIXTURE_DATA(vfs) *self)
{
	self->fs = daemon_start(1, TOP "/vfs.err", SP_MNTNS, NULL, "daemons/vfs " MNT);
	return self->fs;
}

/* Kill every kid, the workers first, then vfs, then the servers (nobody
 * waits on the dead); with logs, print the daemons' stderr. */
static void kids_end(int logs)
{
	int i;

	for (i = nkids - 1; i >= 0; i--)
		kid_kill(kids[i]);
	nkids = 0;
	if (logs || getenv("VK_VFS_LOG")) {
		dump_tail("vfs stderr", TOP "/vfs.err", 1500);
		dump_tail("vfsd stderr", TOP "/vfsd.err", 1500);
		dump_tail("root vfsd stderr", TOP "/rootd.err", 600);
	}
}

FIXTURE_SETUP(vfs)
{
	int up;

	self->owner = getpid();
	self->t0 = vt_now_ms();
	nkids = 0;
	ASSERT_EQ(0, topo_up()) TH_LOG("cannot build the namespaces / bridge / links (fuse?)");
	ASSERT_EQ(0, hosts_key(KEY));
	/* what a test killed midway may have left: the server's link down, a mount */
	ASSERT_EQ(0, vt_sh("ip link set vkfh0 up; umount -l " SRV "/small 2>/dev/null; rm -rf " TOP
			   " && mkdir -p " SRV " && chmod 755 " SRV));
	self->rootd = daemon_start(0, TOP "/rootd.err", 0, NULL, "daemons/vfsd -U -l 0 -p /root /");
	up = self->rootd > 0 && start_fsd(self) > 0 && start_vfs(self) > 0;
	if (!up)
		kids_end(1);	/* no teardown after a failed setup */
	ASSERT_TRUE(up) TH_LOG("a daemon did not start");
}

FIXTURE_TEARDOWN(vfs)
{
	if (getpid() != self->owner)
		return;
	kids_end(!_metadata->passed);
	fprintf(stderr, "# %s: %lld ms\n", _metadata->name, (long long)(vt_now_ms() - self->t0));
}

/* ---- running things on the mount ---------------------------------------- */

/* A shell script in vfs's namespaces (vm_sh(), vmount.h). */
static int wsh_out(FIXTURE_DATA(vfs) *self, int secs, char *out, size_t len, const char *script)
{
	return vm_sh(TOP, self->fs, secs, out, len, script);
}

static int wsh(FIXTURE_DATA(vfs) *self, int secs, const char *script)
{
	return wsh_out(self, secs, NULL, 0, script);
}


/*
 * open(path, flags, mode) on the mount as uid (< 0: root) in a child; 0 or
 * its errno (a write of a byte too when flags say write), 255 on a setup failure.
 */
static int open_as(FIXTURE_DATA(vfs) *self, int uid, const char *path, int flags, mode_t mode)
{
	pid_t pid = kid_fork(0);
	int fd;

	if (pid == 0) {
		if (enter_mnt(self->fs, uid))
			_exit(255);
		fd = open(path, flags, mode);
		if (fd < 0)
			_exit(errno);
		if ((flags & O_ACCMODE) != O_RDONLY && write(fd, "v", 1) != 1)
			_exit(errno);
		_exit(close(fd) ? errno : 0);
	}
	return pid < 0 ? 255 : kid_wait(pid);
}

/* A server file's owner and mode ("uid:gid:octal mode"), or "-" (errno). */
static const char *srv_owner(const char *path, char *buf, size_t len)
{
	struct stat st;

	if (lstat(path, &st))
		snprintf(buf, len, "-%d", errno);
	else
		snprintf(buf, len, "%u:%u:%o", st.st_uid, st.st_gid, st.st_mode & 07777);
	return buf;
}

/* FNV hash of a file (its size in *len); 0 on error. */
static uint64_t hash_file(const char *path, uint64_t *len)
{
	static uint8_t buf[1 << 16];
	uint64_t h = FNV_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, i;

	*len = 0;
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			h = (h ^ buf[i]) * FNV_PRIME;
		*len += (uint64_t)n;
	}
	close(fd);
	return n < 0 ? 0 : h;
}

/* ---- 1. the basic operations -------------------------------------------- */

TEST_F_TIMEOUT(vfs, basic_ops, T_LONG)
{
	char out[4096];

	ASSERT_EQ(0, wsh_out(self, 40, out, sizeof(out), "ls " MNT "\n"));
	EXPECT_NE(NULL, strstr(out, "files\n")) TH_LOG("ls " MNT ": %s", out);
	EXPECT_NE(NULL, strstr(out, "root\n")) TH_LOG("ls " MNT ": %s", out);
	ASSERT_EQ(0, wsh(self, 50,
		"F=" MF "; S=" SRV "\n"
		"printf 'hello V\\n' > $F/a.txt\n"
		"seq 1 20000 > $F/seq.txt\n"
		"sync $F/seq.txt\n"
		"cmp $F/seq.txt $S/seq.txt\n"
		"test \"$(cat $F/a.txt)\" = 'hello V'\n"
		"test \"$(cat $S/a.txt)\" = 'hello V'\n"
		"test \"$(stat -c %s $F/seq.txt)\" = \"$(stat -c %s $S/seq.txt)\"\n"
		"test \"$(stat -c %F $F/seq.txt)\" = 'regular file'\n"
		"chmod 640 $F/a.txt\n"
		"chmod 775 $F; test $(stat -c %a $S) = 775; chmod 755 $F\n"
		"touch -d '2002-01-01 UTC' $F; test $(stat -c %Y $S) = 1009843200\n"
		"test \"$(stat -c %a $F/a.txt)\" = 640; test \"$(stat -c %a $S/a.txt)\" = 640\n"
		"mkdir $F/d; test -d $S/d\n"
		"test \"$(stat -c %F $F/d)\" = directory\n"
		"mv $F/a.txt $F/d/b.txt\n"
		"test ! -e $F/a.txt; test ! -e $S/a.txt; test -f $S/d/b.txt\n"
		"ln -s d/b.txt $F/sl\n"
		"test \"$(readlink $F/sl)\" = d/b.txt; test \"$(readlink $S/sl)\" = d/b.txt\n"
		"test \"$(cat $F/sl)\" = 'hello V'\n"
		"ln $F/d/b.txt $F/hard\n"
		"test \"$(stat -c %h $F/hard)\" = 2; test \"$(stat -c %h $S/d/b.txt)\" = 2\n"
		"truncate -s 3 $F/hard\n"
		"test \"$(cat $F/d/b.txt)\" = hel; test \"$(cat $S/d/b.txt)\" = hel\n"
		"truncate -s 100000 $F/seq.txt\n"
		"test \"$(stat -c %s $S/seq.txt)\" = 100000\n"
		"touch -d '2001-02-03 04:05:06.5 UTC' $F/d/b.txt\n"
		"test \"$(stat -c %Y $F/d/b.txt)\" = 981173106\n"
		"test \"$(stat -c %Y $S/d/b.txt)\" = 981173106\n"
		"chown 1000:1000 $F/d/b.txt\n"
		"test \"$(stat -c %u:%g $S/d/b.txt)\" = 1000:1000\n"
		"test \"$(stat -c %u:%g $F/d/b.txt)\" = 1000:1000\n"
		"rm $F/hard $F/sl\n"
		"test ! -e $S/sl; test \"$(stat -c %h $S/d/b.txt)\" = 1\n"
		"fails rmdir $F/d 2>/dev/null\n"
		"rm $F/d/b.txt; rmdir $F/d; test ! -e $S/d\n"
		/* renames over what exists: a file, an empty directory; appends */
		"echo new > $F/n1; echo old > $F/n2; mv -f $F/n1 $F/n2\n"
		"test \"$(cat $S/n2)\" = new; test ! -e $S/n1\n"
		"mkdir -p $F/r1/sub $F/r3; echo x > $F/r1/sub/f; mv $F/r1 $F/r2; mv -T $F/r2 $F/r3\n"
		"test \"$(cat $S/r3/sub/f)\" = x; test ! -e $S/r1; test ! -e $S/r2\n"
		"echo a >> $F/ap; echo b >> $F/ap; test \"$(cat $S/ap | tr -d '\\n')\" = ab\n"
		/* readdir (more than two LIST batches): the server's entries, with attributes */
		"mkdir $F/many; i=0; while [ $i -lt 140 ]; do echo $i > $F/many/f$i; i=$((i+1)); done\n"
		"mkdir $F/many/sub; ln -s f1 $F/many/ln\n"
		"(cd $F/many && ls -lan --time-style=+%s | grep -v ^total) > /tmp/vkf/ls.cli\n"
		"(cd $S/many && ls -lan --time-style=+%s | grep -v ^total) > /tmp/vkf/ls.srv\n"
		"diff /tmp/vkf/ls.srv /tmp/vkf/ls.cli\n"
		"test $(ls $F/many | wc -l) = 142\n"
		/* statfs: the server's file system's size */
		"test $(($(stat -f -c '%b*%S' $F))) = $(($(stat -f -c '%b*%S' $S)))\n"
		"stat -f -c %l $F | grep -qx 255\n"));
	/* umount ends vfs with status 0 */
	ASSERT_EQ(0, wsh(self, 20, "umount " MNT "\n"));
	EXPECT_EQ(0, kid_wait_ms(self->fs, 10000));
}

/* ---- 2. whose files they are --------------------------------------------- */

TEST_F_TIMEOUT(vfs, credentials, T_TEST)
{
	char b[64];

	/* keyed: root is root and the users are who they say */
	ASSERT_EQ(0, wsh(self, 30,
		"mkdir " MF "/pub; chmod 1777 " MF "/pub\n"
		"echo root > " MF "/pub/rootf; chmod 644 " MF "/pub/rootf\n"));
	EXPECT_STREQ("0:0:1777", srv_owner(SRV "/pub", b, sizeof(b)));
	EXPECT_STREQ("0:0:644", srv_owner(SRV "/pub/rootf", b, sizeof(b)));
	EXPECT_EQ(0, open_as(self, 1000, MF "/pub/u1000", O_WRONLY | O_CREAT | O_EXCL, 0640));
	EXPECT_STREQ("1000:1000:640", srv_owner(SRV "/pub/u1000", b, sizeof(b)));
	EXPECT_EQ(EACCES, open_as(self, 1000, MF "/pub/rootf", O_WRONLY, 0));
	EXPECT_EQ(EACCES, open_as(self, 1000, MF "/u1000-here", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(ENOENT, access(SRV "/u1000-here", F_OK) ? errno : 0);
	/* uid 2000 passes the client's checks (1777) but is no writer (-w) */
	EXPECT_EQ(EACCES, open_as(self, 2000, MF "/pub/u2000", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(ENOENT, access(SRV "/pub/u2000", F_OK) ? errno : 0);
	/* uid 1000 may write its own file, and root anyone's */
	EXPECT_EQ(0, open_as(self, 1000, MF "/pub/u1000", O_WRONLY | O_APPEND, 0));
	EXPECT_EQ(0, open_as(self, -1, MF "/pub/u1000", O_WRONLY | O_APPEND, 0));
	EXPECT_STREQ("1000:1000:640", srv_owner(SRV "/pub/u1000", b, sizeof(b)));

	/* unkeyed: root's claim is anyone's (65534), and so is what it vouches for */
	ASSERT_EQ(0, hosts_key(NULL));
	EXPECT_EQ(0, open_as(self, -1, MF "/pub/r_sq", O_WRONLY | O_CREAT | O_EXCL, 0644));
	EXPECT_STREQ("65534:65534:644", srv_owner(SRV "/pub/r_sq", b, sizeof(b)));
	EXPECT_EQ(0, open_as(self, 1000, MF "/pub/u_sq", O_WRONLY | O_CREAT | O_EXCL, 0644));
	EXPECT_STREQ("65534:65534:644", srv_owner(SRV "/pub/u_sq", b, sizeof(b)));
	/* root passes the client's checks: this refusal is the server's */
	EXPECT_EQ(EACCES, open_as(self, -1, MF "/pub/rootf", O_WRONLY, 0));
	EXPECT_EQ(EACCES, open_as(self, -1, MF "/r_top", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(ENOENT, access(SRV "/r_top", F_OK) ? errno : 0);
	EXPECT_EQ(0, hosts_key(KEY));
	/* SIGTERM ends vfs with status 0 */
	kill(self->fs, SIGTERM);
	EXPECT_EQ(0, kid_wait_ms(self->fs, 10000));
}

/* ---- locks ---------------------------------------------------------------- */

enum { LK_FCNTL, LK_FCNTLW, LK_GETLK, LK_FLOCK };

struct lk_cmd {
	int op, type;
	long long start, len;
};

struct locker {
	pid_t pid;
	int cmd, res;
};

/*
 * A child holding path open (O_RDWR), in vfs's mount namespace (fs > 0) or
 * here, doing the lock operations it is sent (lk()) until its pipe closes.
 */
static int locker_start(struct locker *l, pid_t fs, const char *path)
{
	int c[2], r[2], fd, ret;
	struct lk_cmd m;
	struct flock fl;

	if (pipe(c) || pipe(r))
		return -1;
	l->pid = kid_fork(0);
	if (l->pid == 0) {
		close(c[1]);
		close(r[0]);
		fd = fs > 0 && enter_mnt(fs, -1) ? -1 : open(path, O_RDWR);
		ret = fd < 0 ? errno : 0;
		if (write(r[1], &ret, sizeof(ret)) != sizeof(ret) || fd < 0)
			_exit(1);
		while (read(c[0], &m, sizeof(m)) == sizeof(m)) {
			memset(&fl, 0, sizeof(fl));
			fl.l_type = (short)m.type;
			fl.l_whence = SEEK_SET;
			fl.l_start = m.start;
			fl.l_len = m.len;
			if (m.op == LK_FLOCK)
				ret = flock(fd, m.type) ? errno : 0;
			else if (m.op == LK_GETLK)
				ret = fcntl(fd, F_GETLK, &fl) ? -errno : fl.l_type;
			else
				ret = fcntl(fd, m.op == LK_FCNTLW ? F_SETLKW : F_SETLK, &fl) ? errno : 0;
			if (write(r[1], &ret, sizeof(ret)) != sizeof(ret))
				_exit(1);
		}
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	l->cmd = c[1];
	l->res = r[0];
	if (l->pid < 0 || vt_read_full(l->res, &ret, sizeof(ret), 10000))
		return -1;
	return ret;
}

/* Send a lock operation; its result (0, errno, F_GETLK's type), -1000: no answer. */
static int lk_send(struct locker *l, int op, int type, long long start, long long len)
{
	struct lk_cmd m = { .op = op, .type = type, .start = start, .len = len };

	return write(l->cmd, &m, sizeof(m)) == sizeof(m) ? 0 : -1000;
}

static int lk_result(struct locker *l, int ms)
{
	int ret;

	return vt_read_full(l->res, &ret, sizeof(ret), ms) ? -1000 : ret;
}

static int lk(struct locker *l, int op, int type, long long start, long long len)
{
	return lk_send(l, op, type, start, len) ? -1000 : lk_result(l, 10000);
}

/*
 * l's F_SETLK of [start, start + len) for write, tried until it is granted
 * (a lock that goes with a close goes with FUSE's RELEASE, a little after
 * it) or 5 s (scaled) have passed; the last answer.
 */
static int lk_when_free(struct locker *l, long long start, long long len)
{
	int64_t end = vt_now_ms() + 5000 * vt_scale();
	int ret;

	while ((ret = lk(l, LK_FCNTL, F_WRLCK, start, len)) == EAGAIN && vt_now_ms() < end)
		usleep(50000);
	return ret;
}

static void locker_end(struct locker *l)
{
	close(l->cmd);
	close(l->res);
	kid_wait_ms(l->pid, 5000);
}

/*
 * End a locker at once (its locks go with its descriptor).  Lockers
 * started after it hold copies of its command pipe, so it would not see
 * the end of it before they end.
 */
static void locker_kill(struct locker *l)
{
	close(l->cmd);
	close(l->res);
	kill(l->pid, SIGKILL);
	kid_wait(l->pid);
}

/* Record locks and flock locks are the server's: a process there sees them. */
TEST_F_TIMEOUT(vfs, locks_held_at_the_server, T_TEST)
{
	struct locker cli, cli2, srv;
	int64_t t0;

	ASSERT_EQ(0, vt_sh("echo 0123456789abcdefghij > " SRV "/lk && chmod 666 " SRV "/lk"));
	ASSERT_EQ(0, locker_start(&srv, 0, SRV "/lk"));
	ASSERT_EQ(0, locker_start(&cli, self->fs, MF "/lk"));
	ASSERT_EQ(0, locker_start(&cli2, self->fs, MF "/lk"));

	/* a server process's lock stops the client, and its test sees it */
	ASSERT_EQ(0, lk(&srv, LK_FCNTL, F_WRLCK, 0, 10));
	EXPECT_EQ(EAGAIN, lk(&cli, LK_FCNTL, F_WRLCK, 5, 2));
	EXPECT_EQ(F_WRLCK, lk(&cli, LK_GETLK, F_WRLCK, 0, 0));
	EXPECT_EQ(0, lk(&cli, LK_FCNTL, F_WRLCK, 10, 10));	/* beside it: free */
	/* the client's lock is at the server: the server's process is refused */
	EXPECT_EQ(EAGAIN, lk(&srv, LK_FCNTL, F_WRLCK, 12, 1));
	EXPECT_EQ(F_WRLCK, lk(&srv, LK_GETLK, F_RDLCK, 15, 1));
	/* two processes on the client conflict too */
	EXPECT_EQ(EAGAIN, lk(&cli2, LK_FCNTL, F_RDLCK, 11, 1));
	EXPECT_EQ(0, lk(&cli, LK_FCNTL, F_UNLCK, 10, 10));
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_WRLCK, 12, 1));
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_UNLCK, 12, 1));

	/* a blocking lock waits for the server's to go, the mount meanwhile served */
	ASSERT_EQ(0, lk_send(&cli, LK_FCNTLW, F_WRLCK, 0, 1));
	usleep(300000);
	EXPECT_EQ(0, open_as(self, -1, MF "/lk", O_RDONLY, 0));
	t0 = vt_now_ms();
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_UNLCK, 0, 10));
	EXPECT_EQ(0, lk_result(&cli, 10000));
	TH_LOG("F_SETLKW granted %lld ms after the unlock", (long long)(vt_now_ms() - t0));
	EXPECT_EQ(EAGAIN, lk(&srv, LK_FCNTL, F_RDLCK, 0, 1));
	EXPECT_EQ(0, lk(&cli, LK_FCNTL, F_UNLCK, 0, 0));
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_RDLCK, 0, 1));
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_UNLCK, 0, 0));

	/* flock: the same both ways */
	EXPECT_EQ(0, lk(&srv, LK_FLOCK, LOCK_EX, 0, 0));
	EXPECT_EQ(EWOULDBLOCK, lk(&cli, LK_FLOCK, LOCK_EX | LOCK_NB, 0, 0));
	EXPECT_EQ(EWOULDBLOCK, lk(&cli, LK_FLOCK, LOCK_SH | LOCK_NB, 0, 0));
	EXPECT_EQ(0, lk(&srv, LK_FLOCK, LOCK_UN, 0, 0));
	EXPECT_EQ(0, lk(&cli, LK_FLOCK, LOCK_SH | LOCK_NB, 0, 0));
	EXPECT_EQ(0, lk(&cli2, LK_FLOCK, LOCK_SH | LOCK_NB, 0, 0));
	EXPECT_EQ(EWOULDBLOCK, lk(&srv, LK_FLOCK, LOCK_EX | LOCK_NB, 0, 0));
	EXPECT_EQ(0, lk(&srv, LK_FLOCK, LOCK_SH | LOCK_NB, 0, 0));
	EXPECT_EQ(0, lk(&srv, LK_FLOCK, LOCK_UN, 0, 0));

	/* a client's close drops its locks at the server */
	EXPECT_EQ(0, lk(&cli2, LK_FCNTL, F_WRLCK, 100, 5));
	locker_end(&cli2);
	locker_end(&cli);
	EXPECT_EQ(0, lk_when_free(&srv, 0, 0));
	locker_end(&srv);
}

/*
 * A child on the mount as uid 1000 with supplementary group 2000 only:
 * creates path (mode 0640); 0 or its errno.
 */
static int create_in_group(FIXTURE_DATA(vfs) *self, const char *path)
{
	gid_t g = 2000;
	pid_t pid = kid_fork(0);
	int fd;

	if (pid == 0) {
		if (enter_mnt(self->fs, -1) || setgroups(1, &g) || setgid(1000) || setuid(1000))
			_exit(255);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
		_exit(fd < 0 ? errno : close(fd) ? errno : 0);
	}
	return pid < 0 ? 255 : kid_wait(pid);
}

/*
 * What the server does as the user: a mode the caller's umask allowed
 * arrives whole (vfsd does not mask it again), a write by another user
 * clears the set-user-id bit (the write runs as the opener, not as
 * root), and a directory open to a supplementary group of the caller
 * takes its files (the groups travel with the request).
 */
TEST_F_TIMEOUT(vfs, modes_groups_and_setid, T_TEST)
{
	char b[64];

	ASSERT_EQ(0, wsh(self, 30,
		"umask 002; mkdir -m 775 " MF "/g775; touch " MF "/g775/f664\n"
		"mkdir " MF "/team; chgrp 2000 " MF "/team; chmod 770 " MF "/team\n"
		"echo prog > " MF "/suid; chmod 4777 " MF "/suid\n"));
	EXPECT_STREQ("0:0:775", srv_owner(SRV "/g775", b, sizeof(b)));
	EXPECT_STREQ("0:0:664", srv_owner(SRV "/g775/f664", b, sizeof(b)));
	EXPECT_STREQ("0:2000:770", srv_owner(SRV "/team", b, sizeof(b)));
	EXPECT_STREQ("0:0:4777", srv_owner(SRV "/suid", b, sizeof(b)));
	/* another user's write: the kernel at the server clears set-user-id */
	EXPECT_EQ(0, open_as(self, 1000, MF "/suid", O_WRONLY | O_APPEND, 0));
	EXPECT_STREQ("0:0:777", srv_owner(SRV "/suid", b, sizeof(b)));
	/* group 2000 as a supplementary group: allowed here and there */
	EXPECT_EQ(0, create_in_group(self, MF "/team/by1000"));
	EXPECT_STREQ("1000:1000:640", srv_owner(SRV "/team/by1000", b, sizeof(b)));
	/* without it: the client's kernel refuses first */
	EXPECT_EQ(EACCES, open_as(self, 1000, MF "/team/nogroup", O_WRONLY | O_CREAT, 0644));
}

/*
 * Locks belong to the open file: a forked child closing its copy of the
 * descriptor (libfuse unlocks at every close) leaves the parent's lock;
 * and more blocking waiters than libfuse's default pool of 10 workers
 * all get the lock in turn, the holder's unlock served meanwhile.
 */
TEST_F_TIMEOUT(vfs, lock_owners_and_many_waiters, T_TEST)
{
	struct locker srv, w[12];
	pid_t pid;
	int fd, i;

	ASSERT_EQ(0, vt_sh("echo 0123456789 > " SRV "/lk2 && chmod 666 " SRV "/lk2"));
	ASSERT_EQ(0, locker_start(&srv, 0, SRV "/lk2"));
	pid = kid_fork(0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
		pid_t c;

		CKEQ(0, enter_mnt(self->fs, -1));
		CK((fd = open(MF "/lk2", O_RDWR)) >= 0);
		CKEQ(0, fcntl(fd, F_SETLK, &fl));
		c = fork();
		if (c == 0) {
			close(fd);
			_exit(0);
		}
		CK(c > 0 && waitpid(c, NULL, 0) == c);
		pause();	/* holding the lock until killed */
		_exit(0);
	}
	usleep(500000 * vt_scale());
	/* the child's close did not take the parent's lock away */
	EXPECT_EQ(EAGAIN, lk(&srv, LK_FCNTL, F_WRLCK, 0, 1));
	kill(pid, SIGKILL);
	kid_wait(pid);
	/* its lock goes with its last close */
	ASSERT_EQ(0, lk_when_free(&srv, 0, 1));
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, locker_start(&w[i], self->fs, MF "/lk2"));
		ASSERT_EQ(0, lk_send(&w[i], LK_FCNTLW, F_WRLCK, 0, 1));
	}
	usleep(500000 * vt_scale());
	EXPECT_EQ(0, open_as(self, -1, MF "/lk2", O_RDONLY, 0));	/* still served */
	EXPECT_EQ(0, lk(&srv, LK_FCNTL, F_UNLCK, 0, 1));
	/* each waiter gets it (the next answer of any), then lets go for the next */
	for (i = 0; i < 12; i++) {
		struct pollfd pf[12];
		int j, n = 0, got;

		for (j = 0; j < 12; j++)
			pf[j] = (struct pollfd){ .fd = w[j].pid > 0 ? w[j].res : -1, .events = POLLIN };
		ASSERT_LT(0, poll(pf, 12, 15000 * vt_scale()))
			TH_LOG("no waiter got the lock (%d had it)", i);
		for (j = 0; j < 12 && !n; j++)
			if (pf[j].revents) {
				got = lk_result(&w[j], 1000);
				EXPECT_EQ(0, got);
				EXPECT_EQ(0, lk(&w[j], LK_FCNTL, F_UNLCK, 0, 1));
				locker_kill(&w[j]);
				w[j].pid = 0;
				n = 1;
			}
	}
	locker_end(&srv);
}

/* ---- 3.-9. programs on the mount ------------------------------------------ */

TEST_F_TIMEOUT(vfs, sqlite, T_TEST)
{
	int rows = knob("VK_VFS_SQLITE_ROWS", 1000), half = rows / 200 * 100, i;
	char out[256], want[64];
	FILE *f;

	if (vt_sh("command -v sqlite3 >/dev/null"))
		SKIP(return, "sqlite3 is not installed");
	f = fopen(TOP "/ins.sql", "w");
	ASSERT_NE(NULL, f);
	fputs("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, blob BLOB);\n"
	      "CREATE INDEX t_name ON t(name);\n", f);
	for (i = 0; i < rows; i++) {
		if (i % 100 == 0)
			fputs("BEGIN;\n", f);
		/* half of them through the write-ahead log (shared mmap, locks) */
		fprintf(f, "INSERT INTO t VALUES(%d, 'row %d', randomblob(%d));\n",
			i + 1, i, 50 + i % 400);
		if (i % 100 == 99 || i == rows - 1)
			fputs("COMMIT;\n", f);
		if (i + 1 == half)
			fputs("PRAGMA journal_mode=WAL;\n", f);
	}
	fclose(f);
	ASSERT_EQ(0, wsh_out(self, 55, out, sizeof(out),
		"sqlite3 -batch " MF "/db.sqlite < /tmp/vkf/ins.sql >/dev/null\n"
		"sqlite3 -batch " MF "/db.sqlite 'PRAGMA integrity_check; "
		"SELECT count(*), sum(id) FROM t;'\n"));
	snprintf(want, sizeof(want), "ok\n%d|%lld\n", rows, (long long)rows * (rows + 1) / 2);
	EXPECT_STREQ(want, out);
}

TEST_F_TIMEOUT(vfs, tar_tree, T_LONG)
{
	const char *dir = knob_str("VK_VFS_TAR_DIR", "linux/netfilter");
	char script[1024], out[64];

	snprintf(script, sizeof(script),
		 "mkdir " MF "/t\n"
		 "tar -C /usr/include -cf - %s | (cd " MF "/t && tar xf -)\n"
		 "diff -r /usr/include/%s " MF "/t/%s\n"
		 "diff -r /usr/include/%s " SRV "/t/%s\n"
		 "find " MF "/t | wc -l\n", dir, dir, dir, dir, dir);
	ASSERT_EQ(0, wsh_out(self, T_LONG - 5, out, sizeof(out), script));
	TH_LOG("%d names extracted", atoi(out));
}

TEST_F_TIMEOUT(vfs, git, T_LONG)
{
	char out[512];

	if (vt_sh("command -v git >/dev/null"))
		SKIP(return, "git is not installed");
	ASSERT_EQ(0, wsh_out(self, T_LONG - 5, out, sizeof(out),
		"export HOME=/tmp/vkf GIT_CONFIG_NOSYSTEM=1\n"
		"G='git -c user.name=V -c user.email=v@example.org'\n"
		"mkdir " MF "/g; cd " MF "/g\n"
		"$G init -q\n"
		"for i in 1 2 3 4 5 6; do seq 1 $((i * 300)) > f$i.txt; done\n"
		"mkdir sub; echo nested > sub/n.txt; ln -s f1.txt link\n"
		"$G add -A\n"
		"$G commit -q -m 'first over V'\n"
		"echo more >> f1.txt; $G mv f2.txt sub/f2.txt\n"
		"$G commit -q -a -m second\n"
		"$G gc -q\n"
		"$G fsck --full --strict\n"
		"test -z \"$($G status --porcelain)\"\n"
		"$G log --format=%s\n"
		"cd " SRV "/g && git fsck --full >/dev/null && git log --format=%s -1\n"));
	EXPECT_STREQ("second\nfirst over V\nsecond\n", out);
}

TEST_F_TIMEOUT(vfs, gcc, T_TEST)
{
	char out[256];

	if (vt_sh("command -v gcc >/dev/null"))
		SKIP(return, "gcc is not installed");
	ASSERT_EQ(0, wsh_out(self, 55, out, sizeof(out),
		"cat > " MF "/hello.c <<'EOF'\n"
		"#include <stdio.h>\n"
		"#include <math.h>\n"
		"int main(int argc, char **argv)\n"
		"{\n"
		"\tprintf(\"hello over V %d %.0f\\n\", argc, sqrt(1764.0 * argc));\n"
		"\treturn 0;\n"
		"}\n"
		"EOF\n"
		"gcc -O1 -o " MF "/hello " MF "/hello.c -lm\n"
		"test -x " SRV "/hello\n"
		/* run from the mount; then in a root served over V: ld.so, libc, libm too */
		MF "/hello\n"
		"chroot " MNT "/root " SRV "/hello a b\n"));
	EXPECT_STREQ("hello over V 1 42\nhello over V 3 73\n", out);
}

TEST_F_TIMEOUT(vfs, fio, T_LONG)
{
	const char *size = knob_str("VK_VFS_FIO_SIZE", "4m");
	char script[1024], out[1024];

	if (vt_sh("command -v fio >/dev/null"))
		SKIP(return, "fio is not installed");
	snprintf(script, sizeof(script),
		 "mkdir " MF "/fio\n"
		 "fio --name=psync --directory=" MF "/fio --size=%s --bs=4k --rw=randrw "
		 "--verify=crc32c --ioengine=psync --runtime=5 --output=/tmp/vkf/fio1.txt\n"
		 "grep -q 'err= 0' /tmp/vkf/fio1.txt\n"
		 "fio --name=mmap --directory=" MF "/fio --size=%s --bs=4k --rw=randwrite "
		 "--verify=crc32c --ioengine=mmap --runtime=5 --output=/tmp/vkf/fio2.txt\n"
		 "grep -q 'err= 0' /tmp/vkf/fio2.txt\n"
		 "fails grep -i 'verify.*fail\\|bad magic\\|crc32c: wanted' /tmp/vkf/fio[12].txt\n"
		 "grep -h 'IOPS=' /tmp/vkf/fio1.txt /tmp/vkf/fio2.txt\n",
		 size, size);
	if (wsh_out(self, T_LONG - 5, out, sizeof(out), script)) {
		dump_tail("fio psync", TOP "/fio1.txt", 1500);
		dump_tail("fio mmap", TOP "/fio2.txt", 1500);
		ASSERT_TRUE(0);
	}
	TH_LOG("%s", out);
}

TEST_F_TIMEOUT(vfs, stress_ng, T_LONG)
{
	int secs = knob("VK_VFS_STRESS_SECS", 5);
	char script[1024];

	if (vt_sh("command -v stress-ng >/dev/null"))
		SKIP(return, "stress-ng is not installed");
	snprintf(script, sizeof(script),
		 "mkdir " MF "/stress\n"
		 "stress-ng --hdd 1 --hdd-bytes 4m --dir 1 --dir-dirs 256 --rename 1 --verify "
		 "--timeout %ds --temp-path " MF "/stress --metrics-brief >/tmp/vkf/sng.txt 2>&1 "
		 "|| { cat /tmp/vkf/sng.txt >&2; exit 1; }\n"
		 "grep -q 'successful run completed' /tmp/vkf/sng.txt\n", secs);
	ASSERT_EQ(0, wsh(self, secs + 60, script));
}

TEST_F_TIMEOUT(vfs, program_loading, T_TEST)
{
	char out[256];

	/* python3, its ld.so, libraries and stdlib, all read through the mount */
	ASSERT_EQ(0, wsh_out(self, 55, out, sizeof(out),
		"test -x " MNT "/root/usr/bin/python3\n"
		"chroot " MNT "/root /usr/bin/python3 -c 'import json, sys; "
		"print(json.dumps([1, sys.prefix]))'\n"
		"chroot " MNT "/root /bin/sh -c 'echo $((6 * 7))'\n"));
	EXPECT_STREQ("[1, \"/usr\"]\n42\n", out);
}

/* ---- 10. bad input ---------------------------------------------------------- */

/*
 * ".." and symlinks are the client's: a symlink on the server pointing
 * outside the served directory is read as text and followed in the
 * client's own root, never at the server.  (The client sees its own
 * tmpfs over /tmp/vkf/outside; the server another file there.)
 */
TEST_F_TIMEOUT(vfs, dotdot_and_symlinks_resolve_at_the_client, T_TEST)
{
	char out[256];

	ASSERT_EQ(0, vt_sh("set -e; mkdir " TOP "/outside " SRV "/a; echo server > " TOP
			   "/outside/secret; ln -s " TOP "/outside/secret " SRV "/abs; "
			   "ln -s ../outside/secret " SRV "/rel; ln -s ../.. " SRV "/up"));
	ASSERT_EQ(0, wsh_out(self, 40, out, sizeof(out),
		"mount -t tmpfs vkf " TOP "/outside\n"
		"echo client > " TOP "/outside/secret\n"
		"cat " MF "/abs\n"
		"test \"$(readlink " MF "/rel)\" = ../outside/secret\n"
		"fails cat " MF "/rel 2>/dev/null\n"
		"test ! -e " MF "/a/../../../etc/passwd\n"
		"test \"$(stat -c %d " MF "/../..)\" = \"$(stat -c %d /mnt)\"\n"
		"ls " MF "/a/../.. | grep -qx files\n"
		"test \"$(stat -L -c %d:%i " MF "/up)\" = \"$(stat -c %d:%i /mnt)\"\n"));
	EXPECT_STREQ("client\n", out);
}

#define CKSYS(c) do {							\
	if ((long long)(c) < 0)						\
		ck_fail(__LINE__, "%s: %s", #c, strerror(errno));	\
} while (0)

static int name_len_check(const char *dir)
{
	char name[512], path[640], path2[640];
	int fd;

	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CK(open(path, O_WRONLY | O_CREAT, 0644) < 0);
	CKEQ(ENAMETOOLONG, errno);
	CK(mkdir(path, 0755) < 0);
	CKEQ(ENAMETOOLONG, errno);
	CK(access(path, F_OK) < 0);
	CKEQ(ENAMETOOLONG, errno);
	name[255] = '\0';	/* NAME_MAX itself: fine */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CK(fd >= 0);
	CKEQ(4, write(fd, "long", 4));
	CKEQ(0, close(fd));
	name[255] = 'n';
	snprintf(path2, sizeof(path2), "%s/%s", dir, name);
	CK(rename(path, path2) < 0);
	CKEQ(ENAMETOOLONG, errno);
	CK(symlink(path, path2) < 0);
	CKEQ(ENAMETOOLONG, errno);
	/* a symlink's target may be PATH_MAX - 1 bytes */
	{
		static char target[4096], back[4200];

		memset(target, 't', 4095);
		snprintf(path2, sizeof(path2), "%s/longlink", dir);
		CKSYS(symlink(target, path2));
		CKEQ(4095, readlink(path2, back, sizeof(back)));
		CK(memcmp(back, target, 4095) == 0);
	}
	/* renames and links stay on one server */
	CK(rename(path, MNT "/root/tmp/vkf-x") < 0);
	CKEQ(EXDEV, errno);
	CK(link(path, MNT "/root/tmp/vkf-x") < 0);
	CKEQ(EXDEV, errno);
	return 0;
}

/* A deeper path than a V name can hold: mkdir one level at a time. */
static int deep_check(const char *dir)
{
	char name[201];
	int depth, ret = 0;

	memset(name, 'd', 200);
	name[200] = '\0';
	CKEQ(0, chdir(dir));
	for (depth = 0; depth < 30; depth++) {
		if (mkdir(name, 0755)) {
			ret = errno;
			break;
		}
		CKEQ(0, chdir(name));
	}
	CKEQ(ENAMETOOLONG, ret);	/* 30 x 201 bytes: past VIO_NAME_MAX */
	fprintf(stderr, "# %d levels of 200 bytes, then %s\n", depth, ret ? strerror(ret) : "-");
	return 0;
}

TEST_F_TIMEOUT(vfs, bad_names_fail_cleanly, T_TEST)
{
	char path[512];
	pid_t pid;

	pid = kid_fork(0);
	if (pid == 0) {
		CKEQ(0, enter_mnt(self->fs, -1));
		_exit(name_len_check(MF));
	}
	ASSERT_EQ(0, kid_wait_ms(pid, 20000));
	snprintf(path, sizeof(path), SRV "/%0255d", 0);
	memset(path + sizeof(SRV), 'n', 255);
	EXPECT_EQ(0, access(path, F_OK)) TH_LOG("the 255-byte name is not on the server");
	pid = kid_fork(0);
	if (pid == 0) {
		CKEQ(0, enter_mnt(self->fs, -1));
		_exit(deep_check(MF));
	}
	EXPECT_EQ(0, kid_wait_ms(pid, 30000));
	/* and the mount still works */
	EXPECT_EQ(0, open_as(self, -1, MF "/after", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(0, access(SRV "/after", F_OK));
}

/*
 * A file unlinked while open lives on through its descriptor (tmpfile()
 * style: sqlite's temporary files, stress-ng's hdd): fstat, write,
 * ftruncate, fchmod, read, also once the attributes cached at the client
 * have expired.
 */
static int unlinked_check(const char *path)
{
	static char buf[8192], back[8192];
	struct stat st;
	int fd;

	fill(buf, sizeof(buf), 3, 0);
	CKSYS(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	CKEQ(4096, write(fd, buf, 4096));
	CKSYS(unlink(path));
	CK(access(path, F_OK) < 0 && errno == ENOENT);
	sleep(2);	/* past the client's attribute cache */
	CKSYS(fstat(fd, &st));
	CKEQ(4096, st.st_size);
	CKEQ(4096, pwrite(fd, buf + 4096, 4096, 4096));
	CKSYS(fstat(fd, &st));
	CKEQ(8192, st.st_size);
	CKSYS(ftruncate(fd, 6000));
	CKSYS(fchmod(fd, 0640));
	CKSYS(fstat(fd, &st));
	CKEQ(6000, st.st_size);
	CKEQ(0640, st.st_mode & 07777);
	CKEQ(6000, pread(fd, back, sizeof(back), 0));
	CK(memcmp(buf, back, 6000) == 0);
	CKSYS(close(fd));
	return 0;
}

TEST_F_TIMEOUT(vfs, unlinked_open_file_lives_on, T_TEST)
{
	pid_t pid = kid_fork(0);

	if (pid == 0) {
		CKEQ(0, enter_mnt(self->fs, -1));
		_exit(unlinked_check(MF "/unl"));
	}
	EXPECT_EQ(0, kid_wait_ms(pid, 30000));
	EXPECT_EQ(ENOENT, access(SRV "/unl", F_OK) ? errno : 0);
}

/* Loop A: create a, rename a -> b.  Loop B: rename b -> c, unlink c.  Only ENOENT may fail. */
static int race_loop(const char *dir, int which, int secs, volatile int *ops)
{
	char a[128], b[128], c[128];
	int64_t end = vt_now_ms() + (int64_t)secs * 1000;
	int fd;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	while (vt_now_ms() < end) {
		if (which == 0) {
			fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				ck_fail(__LINE__, "create: %s", strerror(errno));
			if (write(fd, "race", 4) != 4)
				ck_fail(__LINE__, "write: %s", strerror(errno));
			close(fd);
			if (rename(a, b))
				ck_fail(__LINE__, "rename a b: %s", strerror(errno));
		} else {
			if (rename(b, c) && errno != ENOENT)
				ck_fail(__LINE__, "rename b c: %s", strerror(errno));
			if (unlink(c) && errno != ENOENT)
				ck_fail(__LINE__, "unlink c: %s", strerror(errno));
			if (access(b, F_OK) && errno != ENOENT)
				ck_fail(__LINE__, "access b: %s", strerror(errno));
		}
		__atomic_add_fetch(ops, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

TEST_F_TIMEOUT(vfs, rename_unlink_race, T_TEST)
{
	int secs = knob("VK_VFS_RACE_SECS", 3), i, st[2];
	volatile int *ops = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	pid_t pid[2];

	ASSERT_NE(MAP_FAILED, ops);
	ASSERT_EQ(0, mkdir(SRV "/race", 0755));
	for (i = 0; i < 2; i++) {
		pid[i] = kid_fork(0);
		if (pid[i] == 0) {
			CKEQ(0, enter_mnt(self->fs, -1));
			_exit(race_loop(MF "/race", i, secs, &ops[i]));
		}
	}
	for (i = 0; i < 2; i++) {
		st[i] = kid_wait_ms(pid[i], (secs + 20) * 1000);
		EXPECT_EQ(0, st[i]) TH_LOG("loop %d: %s", i, st[i] == -2 ? "hung" : "failed");
	}
	TH_LOG("%d creates+renames, %d renames+unlinks in %d s", ops[0], ops[1], secs);
	EXPECT_LT(10, ops[0]);
	EXPECT_LT(10, ops[1]);
	/* the server agrees with the mount afterwards */
	EXPECT_EQ(0, wsh(self, 20, "test \"$(ls " MF "/race)\" = \"$(ls " SRV "/race)\"\n"));
}

/* Client i: its own file written in pieces, fsynced, reopened and read back, twice. */
static int par_client(int i)
{
	static char buf[256 << 10], back[256 << 10];
	char path[128];
	int fd, round;
	size_t off;

	snprintf(path, sizeof(path), MF "/par/p%d", i);
	for (round = 0; round < 2; round++) {
		fill(buf, sizeof(buf), 100 * round + i, 0);
		CKSYS(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
		for (off = 0; off < sizeof(buf); off += 16384)
			CKEQ(16384, pwrite(fd, buf + off, 16384, off));
		CKSYS(fsync(fd));
		CKSYS(close(fd));
		CKSYS(fd = open(path, O_RDONLY));
		CKEQ(sizeof(back), read(fd, back, sizeof(back)));
		CK(memcmp(buf, back, sizeof(buf)) == 0);
		CKSYS(close(fd));
	}
	return 0;
}

/* More processes than vfs has channels (4), each on its own file at once. */
TEST_F_TIMEOUT(vfs, parallel_clients, T_TEST)
{
	uint8_t *buf = malloc(256 << 10);
	pid_t pid[8];
	uint64_t len;
	char path[64];
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mkdir(SRV "/par", 0755));
	for (i = 0; i < 8; i++) {
		pid[i] = kid_fork(0);
		if (pid[i] == 0) {
			CKEQ(0, enter_mnt(self->fs, -1));
			_exit(par_client(i));
		}
	}
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, kid_wait_ms(pid[i], 45000)) TH_LOG("client %d", i);
	for (i = 0; i < 8; i++) {
		fill(buf, 256 << 10, 100 + i, 0);
		snprintf(path, sizeof(path), SRV "/par/p%d", i);
		EXPECT_EQ(hash_buf(buf, 256 << 10), hash_file(path, &len)) TH_LOG("%s", path);
	}
	free(buf);
}

TEST_F_TIMEOUT(vfs, big_file_past_the_segment_limit, T_LONG)
{
	char script[1024];
	int mb = knob("VK_VFS_BIG_MB", 8);

	snprintf(script, sizeof(script),
		 "dd if=/dev/urandom of=/tmp/vkf/big.src bs=1M count=%d 2>/dev/null\n"
		 "dd if=/tmp/vkf/big.src of=" MF "/big bs=4M conv=fsync 2>/dev/null\n"
		 "cmp /tmp/vkf/big.src " SRV "/big\n"
		 "echo 3 > /proc/sys/vm/drop_caches\n"
		 "dd if=" MF "/big bs=8M 2>/dev/null | cmp /tmp/vkf/big.src -\n"
		 /* in place, across the 1 MiB boundaries, then read at odd offsets */
		 "dd if=/dev/zero of=" MF "/big bs=3M seek=1 count=1 conv=notrunc 2>/dev/null\n"
		 "dd if=/dev/zero of=/tmp/vkf/big.src bs=3M seek=1 count=1 conv=notrunc 2>/dev/null\n"
		 "cmp /tmp/vkf/big.src " SRV "/big\n"
		 "echo 3 > /proc/sys/vm/drop_caches\n"
		 "dd if=" MF "/big bs=1048577 skip=1 2>/dev/null | cmp -i 0:1048577 - /tmp/vkf/big.src\n"
		 "test $(stat -c %%s " MF "/big) = $(stat -c %%s /tmp/vkf/big.src)\n"
		 /* 64-bit offsets: a byte past 5 GiB (sparse on the server) */
		 "printf Z | dd of=" MF "/sparse bs=1 seek=5368709120 2>/dev/null\n"
		 "test $(stat -c %%s " SRV "/sparse) = 5368709121\n"
		 "echo 3 > /proc/sys/vm/drop_caches\n"
		 "test \"$(tail -c 1 " MF "/sparse)\" = Z\n", mb);
	ASSERT_EQ(0, wsh(self, T_LONG - 5, script));
}

/* ---- the argument layout, spoken directly ------------------------------- */

/*
 * One request of <vio.h>'s argument layout to server from fd: args (may
 * be NULL), name (l1 bytes), name2, asserting uid/gid when assert; the
 * segment, read/write, holds them and room for the answer.  The reply
 * code, the errno the server sent in *err; -errno of the Send itself.
 */
#define ARG_SHORT	0x10000	/* flags: the segment ends after the arguments */

static int arg_call(int fd, uint64_t server, uint16_t code, uint32_t flags,
		    const struct vio_args *a, const char *n1, size_t l1, const char *n2,
		    int assert, uint32_t uid, int *err)
{
	size_t l2 = n2 ? strlen(n2) : 0;
	static char seg[VIO_ARGS_SIZE + 2 * VIO_NAME_MAX + 128];
	size_t len = VIO_ARGS_SIZE + l1 + l2 + 96;
	struct v_msg m;
	int ret;

	if (flags & ARG_SHORT)
		len = VIO_ARGS_SIZE;	/* the message claims names the segment lacks */
	memset(seg, 0, sizeof(seg));
	if (a)
		memcpy(seg, a, VIO_ARGS_SIZE);
	if (!(flags & ARG_SHORT))
		memcpy(seg + VIO_ARGS_SIZE, n1, l1);
	if (n2)
		memcpy(seg + VIO_ARGS_SIZE + l1, n2, l2);
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, code);
	v_msg_put16(&m, VIO_FLAGS_OFF, (uint16_t)flags);
	v_msg_put16(&m, VIO_NAME_LEN_OFF, (uint16_t)l1);
	v_msg_put16(&m, VIO_ARG_NAME2_LEN_OFF, (uint16_t)l2);
	if (assert) {
		v_msg_put32(&m, VIO_ARG_UID_OFF, uid);
		v_msg_put32(&m, VIO_ARG_GID_OFF, uid);
		v_msg_put16(&m, VIO_ARG_ASSERT_OFF, VIO_ASSERT);
	}
	ret = v_send_seg(fd, server, &m, seg, len, V_SEG_READ | V_SEG_WRITE);
	if (ret < 0)
		return ret;
	*err = (int)v_msg_get32(&m, VIO_ARG_ERRNO_OFF);
	return v_msg_code(&m);
}

/* The child of raw_requests_stay_beneath_the_root, on host 1. */
static int raw_child(uint64_t server)
{
	struct vio_args a;
	struct stat st;
	int fd, err = 0;

	CKEQ(0, vt_ns_enter("vkf1"));
	CK((fd = v_open()) >= 0);
	/* chmod through a symlink that points out of the served root */
	memset(&a, 0, sizeof(a));
	a.valid = htole32(VIO_SET_MODE);
	a.mode = htole32(0777);
	CK(arg_call(fd, server, VIO_SETATTR, 0, &a, "out", 3, NULL, 0, 0, &err) != V_OK);
	CKEQ(EOPNOTSUPP, err);
	CKEQ(0, stat(TOP "/outside", &st));
	CKEQ(0600, st.st_mode & 07777);
	/* "..": no way above the root, whatever the request */
	CKEQ(V_NO_PERMISSION, arg_call(fd, server, VIO_STAT, 0, NULL, "../outside", 10, NULL,
				       0, 0, &err));
	CKEQ(V_NO_PERMISSION, arg_call(fd, server, VIO_MKDIR, 0, &a, "d/../../x", 9, NULL, 0, 0,
				       &err));
	CKEQ(V_NO_PERMISSION, arg_call(fd, server, VIO_RENAME, 0, NULL, "f", 1, "../stolen", 0, 0,
				       &err));
	CKEQ(-1, access(TOP "/stolen", F_OK));
	/* a listing is opened as the user vouched for: 0700 root's, not uid 1000's */
	CKEQ(V_NO_PERMISSION, arg_call(fd, server, VIO_CREATE, VIO_O_READ, NULL, "private", 7,
				       NULL, 1, 1000, &err));
	CKEQ(EACCES, err);
	CKEQ(V_OK, arg_call(fd, server, VIO_CREATE, VIO_O_READ, NULL, "private", 7, NULL, 1, 0,
			    &err));
	/* but never a directory for writing */
	CKEQ(V_BAD_STATE, arg_call(fd, server, VIO_CREATE, VIO_O_WRITE, NULL, "private", 7, NULL,
				   1, 0, &err));
	CKEQ(EISDIR, err);
	/* bad input: a NUL inside a name, unknown bits, a name the segment lacks */
	CKEQ(V_BAD_ARGS, arg_call(fd, server, VIO_STAT, 0, NULL, "f\0g", 3, NULL, 0, 0, &err));
	a.valid = htole32(0x100);
	CKEQ(V_BAD_ARGS, arg_call(fd, server, VIO_SETATTR, 0, &a, "f", 1, NULL, 0, 0, &err));
	CKEQ(V_BAD_ARGS, arg_call(fd, server, VIO_UNLINK, 0x80, NULL, "f", 1, NULL, 0, 0, &err));
	CKEQ(V_BAD_ARGS, arg_call(fd, server, VIO_STAT, 0x1, NULL, "f", 1, NULL, 0, 0, &err));
	CKEQ(V_BAD_BUFFER, arg_call(fd, server, VIO_STAT, ARG_SHORT, NULL, "f", 1, NULL, 0, 0,
				    &err));
	CKEQ(V_NOT_FOUND, arg_call(fd, server, VIO_FSYNC, 0, NULL, "", 0, NULL, 0, 0, &err));
	close(fd);
	/* uid 1000 asserting root is taken as itself: no create in root's 0755 dir */
	CKEQ(0, setgid(1000));
	CKEQ(0, setuid(1000));
	CK((fd = v_open()) >= 0);
	CKEQ(V_NO_PERMISSION, arg_call(fd, server, VIO_CREATE, VIO_O_CREATE | VIO_O_WRITE, &a,
				       "as_root", 7, NULL, 1, 0, &err));
	CKEQ(EACCES, err);
	CKEQ(-1, access(SRV "/as_root", F_OK));
	close(fd);
	return 0;
}

/*
 * What vfs never sends, sent directly: a symlink on the server pointing out
 * of the served root is never followed by SETATTR (chmod), ".." never
 * leaves the root, bad names and flags are refused, and an ordinary
 * user's asserted uid is ignored.
 */
TEST_F_TIMEOUT(vfs, raw_requests_stay_beneath_the_root, T_TEST)
{
	struct stat st;
	pid_t pid;

	ASSERT_EQ(0, vt_sh("echo x >" TOP "/outside && chmod 600 " TOP "/outside && "
			   "ln -s " TOP "/outside " SRV "/out && echo f >" SRV "/f && "
			   "mkdir " SRV "/d && mkdir -m 700 " SRV "/private"));
	pid = kid_fork(0);
	if (pid == 0)
		_exit(raw_child(self->fsd_id));
	EXPECT_EQ(0, kid_wait_ms(pid, 30000));
	ASSERT_EQ(0, stat(TOP "/outside", &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
}

/*
 * The server's file system full: ENOSPC, as on a local one; then room
 * again.  (The server's small tmpfs is not in vfs's mount namespace, made
 * before it: this process checks the server's side.)
 */
TEST_F_TIMEOUT(vfs, server_disk_full_is_enospc, T_TEST)
{
	struct stat st;

	ASSERT_EQ(0, vt_sh("mkdir " SRV "/small && mount -t tmpfs -o size=1m vkfsmall " SRV "/small"));
	EXPECT_EQ(0, wsh(self, 40,
		"dd if=/dev/zero of=" MF "/small/f bs=64k count=64 conv=fsync 2>/tmp/vkf/dd.err "
		"&& exit 1 || true\n"
		"grep -q 'No space left on device' /tmp/vkf/dd.err\n"
		"rm " MF "/small/f\n"
		"dd if=/dev/zero of=" MF "/small/g bs=64k count=8 conv=fsync 2>/dev/null\n"));
	EXPECT_EQ(0, stat(SRV "/small/g", &st));
	EXPECT_EQ(524288, st.st_size);
	EXPECT_EQ(-1, access(SRV "/small/f", F_OK));
	EXPECT_EQ(0, vt_sh("umount " SRV "/small"));
}

/* ---- 11. lifetime ----------------------------------------------------------- */

struct wstate {
	volatile long long written;
	volatile int err;	/* the writer's errno when it stopped */
	volatile int done;
};

/*
 * A child writing MF/name in vfs's mount namespace for ever, 64 KiB a
 * write, fsync every 16 and back to the start every 4 MiB, until an error,
 * which it leaves in ws->err.
 */
static pid_t writer_start(FIXTURE_DATA(vfs) *self, const char *name, struct wstate *ws)
{
	pid_t pid = kid_fork(0);
	static char buf[65536];
	char path[256];
	long long n = 0;
	int fd;

	if (pid)
		return pid;
	fill(buf, sizeof(buf), 7, 0);
	snprintf(path, sizeof(path), "%s/%s", MF, name);
	CKEQ(0, enter_mnt(self->fs, -1));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		ws->err = errno;
		ws->done = 1;
		_exit(2);
	}
	for (;;) {
		ssize_t w = pwrite(fd, buf, sizeof(buf), (n % 64) * (off_t)sizeof(buf));

		if (w < 0 || (++n % 16 == 0 && fsync(fd))) {
			ws->err = errno;
			break;
		}
		ws->written += w;
	}
	close(fd);
	ws->done = 1;
	_exit(0);
}

/* Wait up to ms (scaled) until the writer wrote at least bytes; 0 or -1. */
static int writer_wait(struct wstate *ws, long long bytes, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	while (ws->written < bytes && !ws->done && vt_now_ms() < end)
		usleep(20000);
	return ws->written >= bytes ? 0 : -1;
}

static struct wstate *wstate_new(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A writer of name started and past its first MiB: its pid (*ws its
 * state), or -1. */
static pid_t writer_running(FIXTURE_DATA(vfs) *self, const char *name, struct wstate **ws)
{
	pid_t w;

	*ws = wstate_new();
	w = *ws ? writer_start(self, name, *ws) : -1;
	if (w <= 0)
		return -1;
	if (writer_wait(*ws, 1 << 20, 20000)) {
		fprintf(stderr, "# writer: %s\n", strerror((*ws)->err));
		return -1;
	}
	return w;
}

TEST_F_TIMEOUT(vfs, server_killed_mid_write, T_TEST)
{
	struct wstate *ws;
	char out[128], script[512];
	pid_t w;
	int st;

	w = writer_running(self, "w.bin", &ws);
	ASSERT_LT(0, w);
	kill(self->fsd, SIGKILL);
	kid_wait(self->fsd);
	self->fsd = 0;
	st = kid_wait_ms(w, 10000);
	ASSERT_EQ(0, st) TH_LOG("the writer %s", st == -2 ? "hung" : "failed");
	EXPECT_TRUE(ws->err == EIO || ws->err == ENOTCONN)
		TH_LOG("the writer stopped with %s", strerror(ws->err));
	TH_LOG("%lld bytes written, then %s", ws->written, strerror(ws->err));
	/* the mount answers (EIO or the like) rather than hanging */
	EXPECT_EQ(0, wsh(self, 15, "fails cat " MF "/w.bin >/dev/null 2>&1\n"));
	/* a new server on the same directory: the file is there again */
	ASSERT_LT(0, start_fsd(self));
	snprintf(script, sizeof(script),
		 "i=0; until cat " MF "/w.bin >/dev/null 2>&1; do i=$((i+1)); "
		 "[ $i -lt 40 ]; sleep 0.25; done\n"
		 "cmp " MF "/w.bin " SRV "/w.bin\n"
		 "echo again > " MF "/new.txt; cat " SRV "/new.txt\n");
	ASSERT_EQ(0, wsh_out(self, 30, out, sizeof(out), script));
	EXPECT_STREQ("again\n", out);
}

/* The server's host unreachable (its link down): EIO after the host-down
 * bound, never a hang; back up, the mount works again. */
TEST_F_TIMEOUT(vfs, server_host_unreachable_mid_write, T_TEST)
{
	struct wstate *ws;
	int64_t t0;
	char out[64];
	pid_t w;
	int st;

	w = writer_running(self, "u.bin", &ws);
	ASSERT_LT(0, w);
	ASSERT_EQ(0, vt_sh("ip link set vkfh0 down"));
	t0 = vt_now_ms();
	st = kid_wait_ms(w, 15000);
	EXPECT_EQ(0, vt_sh("ip link set vkfh0 up"));
	ASSERT_EQ(0, st) TH_LOG("the writer %s", st == -2 ? "hung" : "failed");
	TH_LOG("the writer stopped with %s after %lld ms", strerror(ws->err),
	       (long long)(vt_now_ms() - t0));
	EXPECT_EQ(EIO, ws->err);
	ASSERT_EQ(0, wsh_out(self, 30, out, sizeof(out),
		"i=0; until echo back > " MF "/back.txt 2>/dev/null; do i=$((i+1)); "
		"[ $i -lt 40 ]; sleep 0.25; done\n"
		"cat " SRV "/back.txt; cmp " MF "/u.bin " SRV "/u.bin\n"));
	EXPECT_STREQ("back\n", out);
}

TEST_F_TIMEOUT(vfs, client_killed_mid_write, T_TEST)
{
	struct wstate *ws;
	int base, during, after, st, fd;
	char log[4096];
	ssize_t n;
	pid_t w;

	ASSERT_EQ(0, wsh(self, 20, "ls " MF " >/dev/null\n"));
	base = fd_count(self->fsd);
	w = writer_running(self, "c.bin", &ws);
	ASSERT_LT(0, w);
	during = fd_count(self->fsd);
	kill(self->fs, SIGKILL);
	kid_wait(self->fs);
	st = kid_wait_ms(w, 10000);
	ASSERT_EQ(0, st) TH_LOG("the writer %s", st == -2 ? "hung" : "failed");
	/* ECONNABORTED: the write in flight when the connection went; ENOTCONN: a later one */
	EXPECT_TRUE(ws->err == ENOTCONN || ws->err == ECONNABORTED || ws->err == EIO)
		TH_LOG("the writer stopped with %s", strerror(ws->err));
	/* vfsd closes what the dead client held open */
	after = fd_wait_le(self->fsd, base, 8000);
	TH_LOG("vfsd descriptors: %d before, %d while writing, %d after", base, during, after);
	EXPECT_LT(base, during);
	EXPECT_LE(after, base);
	/* and says so (its stderr is a file unless VK_VFS_LOG) */
	fd = open(TOP "/vfsd.err", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, log, sizeof(log) - 1);
	log[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	if (!getenv("VK_VFS_LOG"))
		EXPECT_NE(NULL, strstr(log, " instance(s) closed")) TH_LOG("vfsd: %s", log);
}

TEST_F_TIMEOUT(vfs, lazy_umount_keeps_open_files, T_TEST)
{
	int c[2], r[2], base, after, st;
	char got[64] = "";
	pid_t holder;

	ASSERT_EQ(0, vt_sh("echo 'still here' > " SRV "/lazy.txt"));
	ASSERT_EQ(0, wsh(self, 20, "ls " MF " >/dev/null\n"));
	base = fd_count(self->fsd);
	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(r));
	holder = kid_fork(0);
	if (holder == 0) {
		char buf[64] = "";
		ssize_t n;
		int fd;

		close(c[1]);
		close(r[0]);
		CKEQ(0, enter_mnt(self->fs, -1));
		fd = open(MF "/lazy.txt", O_RDONLY);
		CK(fd >= 0);
		CKEQ(1, write(r[1], "o", 1));
		CKEQ(1, read(c[0], buf, 1));	/* the mount is gone: read on */
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		CK(n > 0);
		CKEQ(n, write(r[1], buf, n));
		close(fd);
		_exit(0);
	}
	close(c[0]);
	close(r[1]);
	ASSERT_EQ(0, vt_read_full(r[0], got, 1, 10000));
	ASSERT_EQ(0, wsh(self, 20, "umount -l " MNT "\ntest ! -e " MF "/lazy.txt\n"));
	ASSERT_EQ(1, write(c[1], "g", 1));
	EXPECT_LT(0, read(r[0], got, sizeof(got) - 1));
	EXPECT_STREQ("still here\n", got);
	EXPECT_EQ(0, kid_wait_ms(holder, 10000));
	close(c[1]);
	close(r[0]);
	/* the last reference gone, vfs ends (0), and vfsd closes its instances */
	st = kid_wait_ms(self->fs, 10000);
	EXPECT_EQ(0, st) TH_LOG("vfs %s", st == -2 ? "did not end" : "failed");
	after = fd_wait_le(self->fsd, base, 8000);
	TH_LOG("vfsd descriptors: %d before, %d after", base, after);
	EXPECT_LE(after, base);
}

VT_HARNESS_MAIN
