// SPDX-License-Identifier: GPL-2.0
/*
 * vbench's mount rows: what a user of the diskless workstation would
 * compare, the same workloads on a vfs mount of a vfsd export and on an
 * NFSv4.2 mount of the kernel's NFS server, both exports on host B (tmpfs),
 * both mounts in one mount namespace of host A, over the same veth.
 *
 *   MOUNT_read_4k_uncached_us   a distinct random 4 KiB page per read, after
 *                               drop_caches (the pages come from the server)
 *   MOUNT_read_4k_cached_us     one page read again and again
 *   MOUNT_seq_read_mbps         64 MiB in 1 MiB reads after drop_caches
 *   MOUNT_seq_write_mbps        64 MiB in 1 MiB writes, fsync, close
 *   MOUNT_create_stat_unlink_us one file created, stat'ed and unlinked
 *
 * The exports live under $TMPDIR (a tmpfs in make bench's guest, where
 * drop_caches empties only the client's cache).
 * NFS is set up as a user would: nfs-kernel-server's rpc.nfsd (v4 only)
 * and rpc.mountd in host B's own mount namespace, their state on a tmpfs
 * at /var/lib/nfs, exportfs rw,async,no_subtree_check,fsid=0 (and
 * no_root_squash: the rows run as root, as vfsd's -w 0), and the
 * client's default mount options.  Its grace period (set to 10 s) is
 * waited out before the rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vbench.h"

#define MNT_FILE	(64u << 20)	/* the file read, and the one written */
#define MNT_PAGES	(MNT_FILE / FILE_PAGE)
#define MNT_STEP	7919u		/* random pages: i * step mod pages, a permutation */
#define MNT_WAIT_S	90		/* setting up, NFS's grace period included */
#define MNT_PREFIX	"/vbench-mnt"	/* vfsd -p */

static struct {
	int tried;
	char dir[PATH_MAX];		/* vexp nexp mv mn, logs, pid files */
	pid_t cli;			/* host A's mount namespace (its holder) */
	char why[2][200];		/* MNT_VFS, MNT_NFS: why not, or "" */
} mnt;

static const char *const mnt_name[2] = { "vfs", "nfs" };

/* A pid written by a holder's shell into DIR/name, or 0. */
static pid_t mnt_pid(const char *name)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s", mnt.dir, name);
	f = fopen(path, "r");
	if (f && fscanf(f, "%d", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	return (pid_t)pid;
}

/* Wait (at most MNT_WAIT_S) for DIR/name to exist; 0 or -1. */
static int mnt_wait(const char *name)
{
	char path[PATH_MAX + 32];
	int i;

	snprintf(path, sizeof(path), "%s/%s", mnt.dir, name);
	for (i = 0; i < MNT_WAIT_S * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(100000);
	}
	return -1;
}

/* Fill DIR/sub/data with the file pattern (vb_file_byte). */
static int mnt_make_file(const char *sub)
{
	static uint8_t chunk[MB1];
	char path[PATH_MAX + 32];
	uint64_t off;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/" FILE_NAME, mnt.dir, sub);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* The pattern repeats every 256 bytes: every MiB of the file is this one. */
	for (i = 0; i < MB1; i++)
		chunk[i] = vb_file_byte(i);
	for (off = 0; off < MNT_FILE; off += MB1) {
		if (wr_full(fd, chunk, MB1)) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

/*
 * "taskset -c CPU" for the servers and vfs: as for every row, the whole
 * transaction on the rows' CPU (opt.cpu), so that the instruction counts
 * never include one vCPU spinning on a lock the other holds while the host
 * has descheduled it.  Empty without pinning.
 */
static const char *mnt_pin(void)
{
	static char pin[32];

	if (opt.cpu >= 0)
		snprintf(pin, sizeof(pin), "taskset -c %d", opt.cpu);
	return pin;
}

/* vfsd on host B, serving vexp as the prefix MNT_PREFIX. */
static const char *mnt_vfsd(void)
{
	if (sh("ip netns exec " NS_B " %s %s/../daemons/vfsd -q -w 0 -l 0 -p " MNT_PREFIX " %s/vexp "
	       ">%s/vfsd.out 2>&1 & echo $! >%s/vfsd.pid", mnt_pin(), opt.bindir, mnt.dir, mnt.dir,
	       mnt.dir))
		return "cannot start vfsd";
	if (sh("for i in $(seq 300); do grep -q ' as 0x' %s/vfsd.out && exit 0; sleep 0.1; done; "
	       "exit 1", mnt.dir))
		return "vfsd did not start";
	return NULL;
}

/*
 * The kernel's NFS server on host B, in a mount namespace of its own kept
 * by a holder shell (DIR/nfsd.pid), its state on a tmpfs.  The nfsd file
 * system inherited from the machine's namespace is the machine's own
 * server's: a fresh one is mounted in host B's namespaces, so that nothing
 * here configures or stops another NFS server.
 */
static const char *mnt_nfsd(void)
{
	if (sh("command -v rpc.nfsd && command -v exportfs && command -v rpc.mountd && "
	       "command -v mount.nfs4 && modprobe -q nfsd && modprobe -q nfsv4 >/dev/null 2>&1"))
		return "no NFS server or client (Debian nfs-kernel-server, the nfsd module)";
	if (sh("ip netns exec " NS_B " unshare -m --propagation private sh -c '"
	       "mount -t tmpfs tmpfs /var/lib/nfs && mkdir -p /var/lib/nfs/v4recovery && "
	       "touch /var/lib/nfs/etab /var/lib/nfs/rmtab && "
	       "{ umount /proc/fs/nfsd 2>/dev/null; mount -t nfsd nfsd /proc/fs/nfsd; } && "
	       "echo 10 >/proc/fs/nfsd/nfsv4leasetime && echo 10 >/proc/fs/nfsd/nfsv4gracetime && "
	       "exportfs -o rw,async,no_subtree_check,fsid=0,no_root_squash " IP_A ":%s/nexp && "
	       "{ %s rpc.mountd -N 3 --no-udp -F >%s/mountd.log 2>&1 & } && rpc.nfsd -N 3 -U 4 && "
	       "for p in $(pgrep -x nfsd); do [ -z \"%s\" ] || %s -p $p >/dev/null 2>&1; done; "
	       "echo $$ >%s/nfsd.pid && exec sleep 100000' >%s/nfsd.log 2>&1 &",
	       mnt.dir, mnt_pin(), mnt.dir, mnt_pin(), mnt_pin(), mnt.dir, mnt.dir))
		return "cannot start the NFS server";
	if (mnt_wait("nfsd.pid"))
		return "the NFS server did not start (nfsd.log)";
	return NULL;
}

/*
 * Host A's mount namespace, kept by a holder shell (DIR/cli.pid): vfs on
 * DIR/mv, NFS on DIR/mn, each only if its server runs.
 */
static void mnt_client(void)
{
	if (sh("ip netns exec " NS_A " unshare -m --propagation private sh -c '"
	       "if [ %d = 1 ]; then modprobe -q fuse; %s %s/../daemons/vfs -q %s/mv >%s/vfs.out 2>&1 & "
	       "  for i in $(seq 300); do grep -q \" as 0x\" %s/vfs.out && break; sleep 0.1; done; "
	       "  grep -q \" as 0x\" %s/vfs.out && echo ok >%s/vfs.ok; fi; "
	       "if [ %d = 1 ]; then mount -t nfs4 -o vers=4.2,retry=0 " IP_B ":/ %s/mn && "
	       "  head -c 4096 %s/mn/" FILE_NAME " >/dev/null && echo ok >%s/nfs.ok; fi; "
	       "echo $$ >%s/cli.pid; exec sleep 100000' >%s/cli.log 2>&1 &",
	       !mnt.why[0][0], mnt_pin(), opt.bindir, mnt.dir, mnt.dir, mnt.dir, mnt.dir, mnt.dir,
	       !mnt.why[1][0], mnt.dir, mnt.dir, mnt.dir, mnt.dir, mnt.dir))
		return;
	if (!mnt_wait("cli.pid"))
		mnt.cli = mnt_pid("cli.pid");
}

static void mnt_why(int which, const char *why)
{
	if (why && !mnt.why[which][0])
		snprintf(mnt.why[which], sizeof(mnt.why[which]), "%s", why);
}

/* Paths pasted into shell command lines: only characters that need no quoting. */
static int mnt_plain(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-") ==
	       strlen(s);
}

void mount_prepare(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 32];
	int i;

	if (mnt.tried)
		return;
	mnt.tried = 1;
	snprintf(mnt.dir, sizeof(mnt.dir), "%s/vbench-mnt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mnt_plain(mnt.dir) || !mnt_plain(opt.bindir)) {
		mnt.dir[0] = '\0';
		mnt_why(0, "TMPDIR or vbench's directory has characters a shell would need quoted");
		mnt_why(1, "TMPDIR or vbench's directory has characters a shell would need quoted");
		return;
	}
	snprintf(path, sizeof(path), "%s/../daemons/vfs", opt.bindir);
	if (!mkdtemp(mnt.dir) || sh("cd %s && mkdir vexp nexp mv mn", mnt.dir) ||
	    mnt_make_file("vexp") || mnt_make_file("nexp")) {
		mnt_why(0, "cannot make the exports");
		mnt_why(1, "cannot make the exports");
		return;
	}
	if (access(path, X_OK))
		mnt_why(0, "vfs not built (../daemons/vfs beside vbench)");
	if (!mnt.why[0][0])
		mnt_why(0, mnt_vfsd());
	mnt_why(1, mnt_nfsd());
	mnt_client();
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s.ok", mnt.dir, mnt_name[i]);
		if (!mnt.cli || access(path, F_OK))
			mnt_why(i, "the mount failed (see cli.log)");
	}
}

/* Why the rows of a mount (0 vfs, 1 nfs) cannot run, or NULL. */
const char *mount_why(int which)
{
	return mnt.why[which][0] ? mnt.why[which] : NULL;
}

void mount_cleanup(void)
{
	pid_t p;

	if (!mnt.tried || !mnt.dir[0])
		return;
	if (mnt.cli)	/* vfs ends with its unmount */
		sh("nsenter -t %d -m umount %s/mv %s/mn >/dev/null 2>&1; kill %d", (int)mnt.cli,
		   mnt.dir, mnt.dir, (int)mnt.cli);
	p = mnt_pid("nfsd.pid");
	if (p)
		sh("nsenter -t %d -m -n sh -c 'rpc.nfsd 0; exportfs -ua' >/dev/null 2>&1; "
		   "pkill -P %d; kill %d", (int)p, (int)p, (int)p);
	p = mnt_pid("vfsd.pid");
	if (p)
		kill(p, SIGTERM);
	sleep(1);
	sh("rm -rf %s", mnt.dir);
	memset(&mnt, 0, sizeof(mnt));
}

/* ------------------------------------------------------------------------ */
/* The client: host A's mount namespace, one workload                        */

/* The export's directory in host A's mount namespace: the NFS root, or
 * the vfsd's prefix under the vfs mount. */
static const char *mnt_sub(const struct job *j)
{
	return (j->mode & M_NFS) ? "mn" : "mv" MNT_PREFIX;
}

static void drop_caches(struct job *j)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "3\n", 2) != 2)
		die(j, "drop_caches", errno);
	close(fd);
}

static int mnt_open(struct job *j, const char *name, int flags)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", mnt.dir, mnt_sub(j), name);
	fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		die(j, path, errno);
	return fd;
}

/* Read page (4 KiB) p of the file and check it; ns it took. */
static uint64_t page_read(struct job *j, int fd, uint8_t *buf, uint64_t p)
{
	uint64_t t = now_ns();
	ssize_t n = pread(fd, buf, FILE_PAGE, (off_t)(p * FILE_PAGE));

	t = now_ns() - t;
	if (n != FILE_PAGE || buf[0] != vb_file_byte(p * FILE_PAGE) ||
	    buf[FILE_PAGE - 1] != vb_file_byte(p * FILE_PAGE + FILE_PAGE - 1))
		die(j, "read: wrong data", n < 0 ? errno : EIO);
	return t;
}

static void mnt_pages(struct job *j, int cached)
{
	uint8_t *buf = alloc_touched(FILE_PAGE, 0);
	uint64_t i, t0;
	int fd;

	if (!cached)
		drop_caches(j);
	fd = mnt_open(j, FILE_NAME, O_RDONLY);
	if (cached)
		page_read(j, fd, buf, 0);
	t0 = now_ns();
	for (i = 0; more(j, i, t0); i++)
		record(j, i, page_read(j, fd, buf, cached ? 0 : (i * MNT_STEP) % MNT_PAGES));
	close(fd);
}

/* One pass over the whole file: read after drop_caches, or write + fsync. */
static void mnt_seq(struct job *j, int write)
{
	uint8_t *buf = alloc_touched(MB1, 0);
	uint64_t off, t;
	size_t i;
	int fd;

	if (write) {
		for (i = 0; i < MB1; i++)
			buf[i] = vb_file_byte(i);
	} else {
		drop_caches(j);
	}
	t = now_ns();
	if (!more(j, 0, t))
		return;
	fd = mnt_open(j, write ? "written" : FILE_NAME,
		      write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY);
	for (off = 0; off < MNT_FILE; off += MB1) {
		if (write ? wr_full(fd, buf, MB1) : pread(fd, buf, MB1, (off_t)off) != MB1)
			die(j, write ? "write" : "read", errno);
		if (!write && buf[MB1 - 1] != vb_file_byte(off + MB1 - 1))
			die(j, "read: wrong data", EIO);
	}
	if (write && fsync(fd))
		die(j, "fsync", errno);
	close(fd);
	record(j, 0, now_ns() - t);
	more(j, 1, t);	/* the end mark */
}

static void mnt_meta(struct job *j)
{
	char name[32], path[PATH_MAX + 64];
	uint64_t i, t, t0 = now_ns();
	struct stat st;
	int fd;

	for (i = 0; more(j, i, t0); i++) {
		snprintf(name, sizeof(name), "m%llu", (unsigned long long)i);
		snprintf(path, sizeof(path), "%s/%s/%s", mnt.dir, mnt_sub(j), name);
		t = now_ns();
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) || stat(path, &st) || unlink(path))
			die(j, path, errno);
		record(j, i, now_ns() - t);
	}
}

static void mnt_cli(struct job *j, int idx)
{
	char path[64];
	int fd;

	(void)idx;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)mnt.cli);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNS))
		die(j, "setns (host A's mount namespace)", errno);
	close(fd);
	switch (j->mode & ~M_NFS) {
	case M_UNCACHED:	mnt_pages(j, 0); break;
	case M_CACHED:		mnt_pages(j, 1); break;
	case M_SEQ_READ:	mnt_seq(j, 0); break;
	case M_SEQ_WRITE:	mnt_seq(j, 1); break;
	default:		mnt_meta(j); break;
	}
}

/* One round of a mount row: which (0 vfs, 1 nfs) | M_* workload. */
int mount_job(int mode)
{
	struct job j = { .cli = mnt_cli, .cli_ns = NS_A, .pairs = 1, .mode = mode };

	if ((mode & ~M_NFS) == M_SEQ_READ || (mode & ~M_NFS) == M_SEQ_WRITE) {
		j.count = 1;	/* a sample is the whole file */
		j.warm = 0;
	} else {
		iters(&j, 1);
		if ((mode & ~M_NFS) == M_UNCACHED && j.count + j.warm > MNT_PAGES)
			j.count = MNT_PAGES - j.warm;
	}
	return run_job(&j, 0);
}

/* The rows, MOUNT_ + suffix, of one round. */
void mount_rows(int (*want)(const char *key))
{
	static const struct { const char *suffix; int mode; double div; } w[] = {
		{ "read_4k_uncached_us", M_UNCACHED, 1e3 },
		{ "read_4k_cached_us", M_CACHED, 1e3 },
		{ "seq_read_mbps", M_SEQ_READ, 0 },
		{ "seq_write_mbps", M_SEQ_WRITE, 0 },
		{ "create_stat_unlink_us", M_META, 1e3 },
	};
	char key[64];
	size_t k;
	int m;

	for (k = 0; k < sizeof(w) / sizeof(w[0]); k++)
		for (m = 0; m < 2; m++) {
			snprintf(key, sizeof(key), "%s_%s", mnt_name[m], w[k].suffix);
			if (!want(key))
				continue;
			if (mount_why(m))
				row_skip(key, "%s", mount_why(m));
			else if (w[k].div)
				lat_row(key, mount_job(w[k].mode | (m ? M_NFS : 0)), w[k].div);
			else
				finish(key, mount_job(w[k].mode | (m ? M_NFS : 0)), MNT_FILE, 1);
		}
}
