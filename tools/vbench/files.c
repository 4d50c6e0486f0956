// SPDX-License-Identifier: GPL-2.0
/*
 * vbench's file rows: a file read, and a file's pages written, through
 * vfsd and over TCP beside it; a name lookup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libv.h"
#include "libv_services.h"
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* File reads and writes: vfsd in B, a client in A; pread/pwrite over TCP   */

/*
 * Two files of FILE_SIZE bytes in a directory of its own, served by vfsd
 * and by the TCP baseline alike (both read and write them through the same
 * page cache): FILE_NAME, which the read rows read, and FILE_WNAME, which
 * the page write rows write (so that every read of FILE_NAME can still be
 * checked).  Byte o of each is at first vb_file_byte(o).
 */
static struct {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];	/* FILE_NAME */
	char wpath[PATH_MAX + 16];	/* FILE_WNAME */
	char vfsd[PATH_MAX + 32];
	int made;
} file;

/* The first byte of buf that is not the file's at off, or -1. */
static long file_differs(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != vb_file_byte(off + i))
			return (long)i;
	return -1;
}

/* Make path, FILE_SIZE bytes, byte o vb_file_byte(o): 0, or -1 (nothing left behind). */
static int file_make(const char *path)
{
	static uint8_t chunk[64 << 10];
	uint64_t off;
	size_t i;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	for (off = 0; off < FILE_SIZE; off += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = vb_file_byte(off + i);
		if (wr_full(fd, chunk, sizeof(chunk))) {
			close(fd);
			unlink(path);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* Find vfsd (built beside vbench, or installed), make the files; why not, or NULL. */
const char *file_prepare(void)
{
	static const char *const where[] = { "../daemons/vfsd", "../sbin/vfsd" };
	const char *tmp = getenv("TMPDIR");
	size_t i;

	if (file.made)
		return NULL;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(file.vfsd, sizeof(file.vfsd), "%s/%s", opt.bindir, where[i]);
		if (!access(file.vfsd, X_OK))
			break;
	}
	if (i == sizeof(where) / sizeof(where[0]))
		return "vfsd not built (looked for ../daemons/vfsd and ../sbin/vfsd beside vbench)";
	snprintf(file.dir, sizeof(file.dir), "%s/vbench-files.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(file.dir))
		return "cannot make a temporary directory";
	snprintf(file.path, sizeof(file.path), "%s/" FILE_NAME, file.dir);
	snprintf(file.wpath, sizeof(file.wpath), "%s/" FILE_WNAME, file.dir);
	if (file_make(file.path)) {
		rmdir(file.dir);
		return "cannot write the test file";
	}
	if (file_make(file.wpath)) {
		unlink(file.path);
		rmdir(file.dir);
		return "cannot write the test file to be written";
	}
	file.made = 1;
	return NULL;
}

void file_cleanup(void)
{
	if (!file.made)
		return;
	unlink(file.path);
	unlink(file.wpath);
	rmdir(file.dir);
	file.made = 0;
}

/*
 * Start a daemon (argv[0] a path; vfsd, vnamed) in the server namespace
 * on the rows' CPU; its id from its ready line "NAME: serving ... as
 * 0x<id>".  0, or -1 after fail().
 */
static int daemon_start(char *const argv[], uint64_t *id, pid_t *pidp)
{
	struct pollfd pfd;
	char line[PATH_MAX + 64], *as;
	size_t got = 0;
	int p[2], ret;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (opt.cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(opt.cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		ret = enter_ns(NS_B);
		if (ret) {
			fprintf(stderr, "vbench: %s: %s\n", NS_B, strerror(-ret));
			_exit(127);
		}
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "vbench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && poll(&pfd, 1, 30000) == 1 &&
	       read(p[0], line + got, 1) == 1)
		if (line[got++] == '\n')
			break;
	line[got] = '\0';
	close(p[0]);
	as = strstr(line, " as 0x");
	if (!as) {
		fail("%s did not start (its first line: '%.80s')", argv[0], line);
		kill(pid, SIGKILL);
		reap(pid, 0);
		return -1;
	}
	*id = strtoull(as + 4, NULL, 16);
	*pidp = pid;
	return 0;
}

/*
 * vfsd, no logical id (nothing else is disturbed), with -p prefix if given;
 * read-only, or (writable) with changes allowed to our own uid alone (-w:
 * the client's, a fork of ours; vfsd judges a remote sender by the euid
 * its kernel reports).
 */
static int vfsd_start(const char *prefix, int writable, uint64_t *id, pid_t *pidp)
{
	char uid[16], *argv[10] = { file.vfsd, "-q", "-l", "0" };
	int n = 4;

	if (writable) {
		snprintf(uid, sizeof(uid), "%u", (unsigned int)geteuid());
		argv[n++] = "-w";
		argv[n++] = uid;
	}
	if (prefix) {
		argv[n++] = "-p";
		argv[n++] = (char *)prefix;
	}
	argv[n++] = file.dir;
	argv[n] = NULL;
	return daemon_start(argv, id, pidp);
}

/* SIGTERM, then 5 s for a clean exit (status 0); -1 when it did not. */
static int vfsd_stop(pid_t pid)
{
	uint64_t end = now_ns() + 5000000000ULL;
	int st;

	kill(pid, SIGTERM);
	while (now_ns() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		usleep(20000);
	}
	reap(pid, SIGKILL);
	return -1;
}

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static ssize_t pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* In a TCP request's length: a write, its bytes right after the request. */
#define FILE_TCP_WRITE	(1ULL << 63)

/*
 * The TCP baseline's server: a request is (u64 offset, u64 length), the
 * answer a u64 count and that many bytes pread() from the file; or, with
 * FILE_TCP_WRITE in the length, the request is followed by length bytes
 * (at most j->size), which are pwrite() to the file at offset, and the
 * answer is the u64 count written -- a file server reduced to its data
 * path, on a connection made once.  The file is FILE_WNAME for the page
 * write rows (F_WRITE), else FILE_NAME, read-only.
 */
static void file_tcp_srv(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_FILE) };
	const char *path = (j->mode & F_WRITE) ? file.wpath : file.path;
	uint64_t q[2], len;
	uint8_t *buf = malloc(8 + j->size);
	ssize_t n;
	int fd = open(path, ((j->mode & F_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC), l, c;

	(void)idx;
	if (fd < 0)
		die(j, path, errno);
	if (!buf)
		die(j, "malloc", ENOMEM);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die(j, "socket", errno);
	sock_opt1(l, SOL_SOCKET, SO_REUSEADDR);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		die(j, "bind/listen", errno);
	ready(j, 1);
	c = accept(l, NULL, NULL);
	if (c < 0)
		_exit(0);
	sock_opt1(c, IPPROTO_TCP, TCP_NODELAY);
	for (;;) {
		if (rd_full(c, q, sizeof(q)))
			_exit(0);
		if (q[1] & FILE_TCP_WRITE) {
			len = q[1] & ~FILE_TCP_WRITE;
			if (len > j->size || rd_full(c, buf + 8, (size_t)len))
				_exit(0);
			n = pwrite_full(fd, buf + 8, (size_t)len, (off_t)q[0]);
			len = 0;	/* the answer: the count alone */
		} else {
			n = pread_full(fd, buf + 8, q[1] < j->size ? q[1] : j->size, (off_t)q[0]);
			len = n < 0 ? 0 : (uint64_t)n;
		}
		if (n < 0)
			n = 0;
		memcpy(buf, &(uint64_t){ (uint64_t)n }, 8);
		if (wr_full(c, buf, 8 + (size_t)len))
			_exit(0);
	}
}

static int file_tcp_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_FILE) };
	int fd;

	inet_pton(AF_INET, IP_B, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fail("connect: %s", strerror(errno));
		_exit(1);
	}
	sock_opt1(fd, IPPROTO_TCP, TCP_NODELAY);
	return fd;
}

/* A file row's client: name opened on the row's vfsd (*f), or a TCP connection. */
static int file_cli_open(struct job *j, const char *name, uint32_t how, struct v_file **f)
{
	int fd, ret;

	*f = NULL;
	if ((j->mode & ~F_WRITE) != F_VFSD)
		return file_tcp_connect();
	fd = v_open();
	if (fd < 0)
		die(j, "v_open", -fd);
	ret = v_file_open_on(fd, j->server, 0, name, how, f);
	if (ret < 0)
		die(j, "v_file_open_on", -ret);
	return fd;
}

/* Close what file_cli_open() opened on vfsd (a TCP connection ends with the client). */
static void file_cli_close(struct v_file *f)
{
	int ret;

	if (!f)
		return;
	ret = v_file_close(f);
	if (ret < 0) {
		fail("v_file_close: %s", strerror(-ret));
		_exit(1);
	}
}

/*
 * Client: read the file sequentially, j->size bytes per read, from the
 * start again at its end; each read timed, the first checked byte for byte.
 */
static void file_cli(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 9);
	uint64_t i, t0, t_start, off = 0, q[2], cnt;
	struct v_file *f = NULL;
	int64_t got;
	long bad;
	int fd;

	(void)idx;
	if (!buf)
		die(j, "mmap", ENOMEM);
	fd = file_cli_open(j, FILE_NAME, VIO_O_READ, &f);
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		t0 = now_ns();
		if (j->mode == F_VFSD) {
			got = v_file_read(f, buf, j->size, off);
			if (got < 0) {
				fail("v_file_read: %s", strerror((int)-got));
				_exit(1);
			}
		} else {
			q[0] = off;
			q[1] = j->size;
			if (wr_full(fd, q, sizeof(q)) || rd_full(fd, &cnt, sizeof(cnt)) ||
			    cnt > j->size || rd_full(fd, buf, (size_t)cnt)) {
				fail("TCP file read: %s", errno ? strerror(errno) : "bad answer");
				_exit(1);
			}
			got = (int64_t)cnt;
		}
		t0 = now_ns() - t0;
		if ((uint64_t)got != j->size) {
			fail("read at %" PRIu64 ": %" PRId64 " bytes, not %zu", off, got, j->size);
			_exit(1);
		}
		if (i == 0 && (bad = file_differs(buf, j->size, off)) >= 0) {
			fail("read at %" PRIu64 ": byte %ld differs", off, bad);
			_exit(1);
		}
		record(j, i, t0);
		off = (off + j->size) % FILE_SIZE;
	}
	file_cli_close(f);
}

/*
 * Client of the page write rows: write FILE_WNAME, j->size bytes per call,
 * from offset 0 on, from the start again at its end; each write timed and
 * its answer checked (every byte written).  The page is ~vb_file_byte()
 * (never what the file held at first), its first 16 bytes stamped with the
 * offset and a tag of this client and iteration, set in place before the
 * timed call.  After the loop the last page written is read back from the
 * file itself (not through the server) and must be the last page sent.
 * Over TCP the request's 16 bytes go right before the page, one send.
 */
static void file_write_cli(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(4096 + j->size, 9), *data, *back = malloc(j->size);
	uint64_t i, t0, t_start, off = 0, last = 0, tag, cnt, q[2];
	struct v_file *f = NULL;
	int64_t got;
	ssize_t n;
	size_t k;
	int fd;

	(void)idx;
	if (!buf || !back)
		die(j, "mmap", ENOMEM);
	data = buf + 4096;	/* page-aligned as the read rows'; the TCP request before it */
	for (k = 0; k < j->size; k++)
		data[k] = (uint8_t)~vb_file_byte(k);
	tag = (uint64_t)getpid() << 32;
	fd = file_cli_open(j, FILE_WNAME, VIO_O_WRITE, &f);
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		q[0] = off;
		q[1] = tag | i;
		memcpy(data, q, sizeof(q));
		t0 = now_ns();
		if (f) {
			got = v_file_write(f, data, j->size, off);
			if (got < 0) {
				fail("v_file_write: %s", strerror((int)-got));
				_exit(1);
			}
		} else {
			q[0] = off;
			q[1] = j->size | FILE_TCP_WRITE;
			memcpy(data - sizeof(q), q, sizeof(q));
			if (wr_full(fd, data - sizeof(q), sizeof(q) + j->size) ||
			    rd_full(fd, &cnt, sizeof(cnt))) {
				fail("TCP file write: %s", errno ? strerror(errno) : "no answer");
				_exit(1);
			}
			got = (int64_t)cnt;
		}
		t0 = now_ns() - t0;
		if ((uint64_t)got != j->size) {
			fail("write at %" PRIu64 ": %" PRId64 " bytes written, not %zu", off, got,
			     j->size);
			_exit(1);
		}
		record(j, i, t0);
		last = off;
		off = (off + j->size) % FILE_SIZE;
	}
	file_cli_close(f);
	/* Outside the timed loop (and --insns' marks): the data landed. */
	fd = open(file.wpath, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread_full(fd, back, j->size, (off_t)last);
	if (n != (ssize_t)j->size) {
		fail("read back %s at %" PRIu64 ": %s", file.wpath, last,
		     n < 0 ? strerror(errno) : "short read");
		_exit(1);
	}
	close(fd);
	for (k = 0; k < j->size && back[k] == data[k]; k++)
		;
	if (k < j->size) {
		fail("page written at %" PRIu64 ": byte %zu reads back 0x%02x, not 0x%02x", last, k,
		     back[k], data[k]);
		_exit(1);
	}
}

/*
 * mode: F_VFSD or F_TCP, | F_WRITE for the page write rows.  vfsd is
 * started for the row (in B; writable for F_WRITE) and stopped after it:
 * a fresh server each round.
 */
int file_job(int mode, size_t size, uint64_t div)
{
	int tcp = (mode & ~F_WRITE) == F_TCP;
	struct job j = { .srv = tcp ? file_tcp_srv : NULL,
			 .cli = (mode & F_WRITE) ? file_write_cli : file_cli, .pairs = 1,
			 .mode = mode, .size = size, .srv_ns = NS_B, .cli_ns = NS_A };
	pid_t vfsd = 0;
	int ret;

	iters(&j, div);
	G->err[0] = '\0';
	if (!tcp && vfsd_start(NULL, mode & F_WRITE, &j.server, &vfsd))
		return -1;
	ret = run_job(&j, 0);
	if (vfsd && vfsd_stop(vfsd) && !ret) {
		fail("vfsd did not stop cleanly on SIGTERM");
		ret = -1;
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Name lookups: a LOOKUP to the name-handling group                        */

#define NAME_PREFIX	"/vbench-name"

/*
 * Client: look the file's name up through the group again and again
 * (V_NAME_NOCACHE: never from the prefix table), each lookup timed and
 * its answer checked.  The warm-up lookups let libv learn the group's
 * members (the first waits for them), as any long-lived client has.
 */
static void name_cli(struct job *j, int idx)
{
	struct v_name_binding b;
	uint64_t i, t0, t_start;
	int fd = v_open(), ret;

	(void)idx;
	if (fd < 0)
		die(j, "v_open", -fd);
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		t0 = now_ns();
		ret = v_name_lookup(fd, NAME_PREFIX "/" FILE_NAME, V_NAME_NOCACHE, &b);
		t0 = now_ns() - t0;
		if (ret < 0) {
			fail("v_name_lookup: %s", strerror(-ret));
			_exit(1);
		}
		if (b.manager != j->server || b.prefix_len != strlen(NAME_PREFIX)) {
			fail("v_name_lookup: manager 0x%" PRIx64 ", prefix length %zu", b.manager,
			     b.prefix_len);
			_exit(1);
		}
		record(j, i, t0);
	}
}

/*
 * name_lookup_us: the group's usual members, a file server owning a
 * prefix (vfsd -p) and a name server (vnamed), both in B, the client in
 * A: each lookup is a group Send over the link and ends when both have
 * answered.  Both are started for the row and stopped after it.
 */
int name_job(uint64_t div)
{
	struct job j = { .cli = name_cli, .pairs = 1, .srv_ns = NS_B, .cli_ns = NS_A };
	char named[PATH_MAX + 40];
	char *argv[] = { named, "-q", "-l", "0", NULL };
	size_t n = strlen(file.vfsd);
	pid_t vfsd = 0, vnamed = 0;
	uint64_t named_id;
	int ret = -1;

	iters(&j, div);
	G->err[0] = '\0';
	/* vnamed beside vfsd: .../daemons/vnamed or .../sbin/vnamed */
	snprintf(named, sizeof(named), "%.*svnamed", (int)(n - strlen("vfsd")), file.vfsd);
	if (vfsd_start(NAME_PREFIX, 0, &j.server, &vfsd))
		return -1;
	if (daemon_start(argv, &named_id, &vnamed) == 0)
		ret = run_job(&j, 0);
	if (vnamed && vfsd_stop(vnamed) && !ret) {
		fail("vnamed did not stop cleanly on SIGTERM");
		ret = -1;
	}
	if (vfsd_stop(vfsd) && !ret) {
		fail("vfsd did not stop cleanly on SIGTERM");
		ret = -1;
	}
	return ret;
}
