// SPDX-License-Identifier: GPL-2.0
/* vbench's file rows: a file read through vfsd, and over TCP beside it; a name lookup. */
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
/* File reads: vfsd in B, a client in A; pread over TCP beside it           */

/*
 * One file of FILE_SIZE bytes in a directory of its own, served by vfsd and
 * by the TCP baseline alike (both read it from the same page cache).  Byte
 * o of the file is vb_file_byte(o), so that any read can be checked.
 */
static struct {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
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

/* Find vfsd (built beside vbench, or installed), make the file; why not, or NULL. */
const char *file_prepare(void)
{
	static const char *const where[] = { "../daemons/vfsd", "../sbin/vfsd" };
	static uint8_t chunk[64 << 10];
	const char *tmp = getenv("TMPDIR");
	uint64_t off;
	size_t i;
	int fd;

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
	fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rmdir(file.dir);
		return "cannot create the test file";
	}
	for (off = 0; off < FILE_SIZE; off += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = vb_file_byte(off + i);
		if (wr_full(fd, chunk, sizeof(chunk))) {
			close(fd);
			unlink(file.path);
			rmdir(file.dir);
			return "cannot write the test file";
		}
	}
	close(fd);
	file.made = 1;
	return NULL;
}

void file_cleanup(void)
{
	if (!file.made)
		return;
	unlink(file.path);
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

/* vfsd, read-only, no logical id (nothing else is disturbed), with -p prefix if given. */
static int vfsd_start(const char *prefix, uint64_t *id, pid_t *pidp)
{
	char *argv[] = { file.vfsd, "-q", "-l", "0", file.dir, NULL, NULL, NULL };

	if (prefix) {
		argv[4] = "-p";
		argv[5] = (char *)prefix;
		argv[6] = file.dir;
	}
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

/*
 * The TCP baseline's server: a request is (u64 offset, u64 length), the
 * answer a u64 count and that many bytes pread() from the file -- a file
 * server reduced to its data path, on a connection made once.
 */
static void file_tcp_srv(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_FILE) };
	uint64_t q[2];
	uint8_t *buf = malloc(8 + j->size);
	ssize_t n;
	int fd = open(file.path, O_RDONLY | O_CLOEXEC), l, c;

	(void)idx;
	if (fd < 0)
		die(j, file.path, errno);
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
		n = pread_full(fd, buf + 8, q[1] < j->size ? q[1] : j->size, (off_t)q[0]);
		if (n < 0)
			n = 0;
		memcpy(buf, &(uint64_t){ (uint64_t)n }, 8);
		if (wr_full(c, buf, 8 + (size_t)n))
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
	int fd, ret;

	(void)idx;
	if (!buf)
		die(j, "mmap", ENOMEM);
	if (j->mode == F_VFSD) {
		fd = v_open();
		if (fd < 0)
			die(j, "v_open", -fd);
		ret = v_file_open_on(fd, j->server, 0, FILE_NAME, VIO_O_READ, &f);
		if (ret < 0)
			die(j, "v_file_open_on", -ret);
	} else {
		fd = file_tcp_connect();
	}
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
	if (f) {
		ret = v_file_close(f);
		if (ret < 0) {
			fail("v_file_close: %s", strerror(-ret));
			_exit(1);
		}
	}
}

/* vfsd is started for the row (in B) and stopped after it: a fresh server each round. */
int file_job(int mode, size_t size, uint64_t div)
{
	struct job j = { .srv = mode == F_TCP ? file_tcp_srv : NULL, .cli = file_cli,
			 .pairs = 1, .mode = mode, .size = size, .srv_ns = NS_B, .cli_ns = NS_A };
	pid_t vfsd = 0;
	int ret;

	iters(&j, div);
	G->err[0] = '\0';
	if (mode == F_VFSD && vfsd_start(NULL, &j.server, &vfsd))
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
	if (vfsd_start(NAME_PREFIX, &j.server, &vfsd))
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
