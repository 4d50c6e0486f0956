// SPDX-License-Identifier: GPL-2.0
/* vbench's local baselines beside V's local rows. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/android/binder.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* Local baselines: pipe, Unix seqpacket, eventfd, binder, process_vm_*      */

/* fds: [0] client reads, [1] client writes, [2] server reads, [3] server writes */
static void fd_srv(struct job *j, int idx)
{
	char buf[MSG];
	size_t len = j->mode == B_EVENTFD ? 8 : MSG;

	(void)idx;
	ready(j, 1);
	for (;;) {
		if (read(j->fds[2], buf, len) != (ssize_t)len)
			_exit(0);
		if (write(j->fds[3], buf, len) != (ssize_t)len)
			_exit(0);
	}
}

static void fd_cli(struct job *j, int idx)
{
	char buf[MSG], back[MSG];
	size_t len = j->mode == B_EVENTFD ? 8 : MSG;
	uint64_t i, t0, t_start = now_ns(), one = 1;

	(void)idx;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		if (j->mode == B_EVENTFD)
			memcpy(buf, &one, 8);
		else
			memcpy(buf, &i, sizeof(i));
		t0 = now_ns();
		if (write(j->fds[1], buf, len) != (ssize_t)len ||
		    read(j->fds[0], back, len) != (ssize_t)len) {
			fail("round trip: %s", strerror(errno));
			_exit(1);
		}
		t0 = now_ns() - t0;
		if (memcmp(buf, back, len)) {
			fail("iteration %" PRIu64 ": the answer differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

int fd_job(int mode)
{
	struct job j = { .srv = fd_srv, .cli = fd_cli, .pairs = 1, .mode = mode };
	int a[2], b[2], ret, i;

	iters(&j, 1);
	switch (mode) {
	case B_PIPE:
		if (pipe(a) || pipe(b))
			return -1;
		j.fds[0] = b[0];	/* server -> client */
		j.fds[3] = b[1];
		j.fds[2] = a[0];	/* client -> server */
		j.fds[1] = a[1];
		break;
	case B_UDS:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a))
			return -1;
		j.fds[0] = j.fds[1] = a[0];
		j.fds[2] = j.fds[3] = a[1];
		break;
	default:
		a[0] = eventfd(0, 0);	/* client -> server */
		b[0] = eventfd(0, 0);	/* server -> client */
		if (a[0] < 0 || b[0] < 0)
			return -1;
		j.fds[1] = j.fds[2] = a[0];
		j.fds[0] = j.fds[3] = b[0];
		break;
	}
	ret = run_job(&j, 0);
	for (i = 0; i < 4; i++)
		close(j.fds[i]);	/* shared fds close twice: harmless EBADF */
	return ret;
}

/*
 * Binder: the server is the context manager of /dev/binder (handle 0), the
 * client sends it 32-byte transactions and waits for the reply, as an
 * Android client does (one BINDER_WRITE_READ: free the last reply, send,
 * read until BR_REPLY).
 */
#define BINDER_DEV	"/dev/binder"
#define BINDER_MAP	(1u << 20)

struct bwr_buf {
	uint8_t b[512];
	size_t len;
};

static void bput(struct bwr_buf *w, uint32_t cmd, const void *arg, size_t len)
{
	memcpy(w->b + w->len, &cmd, 4);
	memcpy(w->b + w->len + 4, arg, len);
	w->len += 4 + len;
}

/*
 * One BINDER_WRITE_READ with w (may be empty), then reads until want
 * (BR_TRANSACTION or BR_REPLY) comes: its data copied into tr.
 */
static int binder_io(int fd, struct bwr_buf *w, uint32_t want,
		     struct binder_transaction_data *tr)
{
	uint8_t rb[512];
	struct binder_write_read bwr;
	int first = 1;

	for (;;) {
		size_t off = 0;

		memset(&bwr, 0, sizeof(bwr));
		if (first && w->len) {
			bwr.write_buffer = (uintptr_t)w->b;
			bwr.write_size = w->len;
		}
		first = 0;
		bwr.read_buffer = (uintptr_t)rb;
		bwr.read_size = sizeof(rb);
		if (ioctl(fd, BINDER_WRITE_READ, &bwr) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (off + 4 <= bwr.read_consumed) {
			uint32_t cmd;

			memcpy(&cmd, rb + off, 4);
			off += 4;
			if (cmd == want) {
				memcpy(tr, rb + off, sizeof(*tr));
				return 0;
			}
			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
			case BR_SPAWN_LOOPER:
			case BR_OK:
				break;
			case BR_DEAD_REPLY:
				return -EPIPE;
			case BR_FAILED_REPLY:
				return -EIO;
			default:
				if (cmd == BR_ERROR)
					return -EIO;
				break;
			}
			off += _IOC_SIZE(cmd);
		}
	}
}

static int binder_open(void)
{
	int fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (mmap(NULL, BINDER_MAP, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	return fd;
}

void binder_srv(struct job *j, int idx)
{
	struct binder_transaction_data tr, rep;
	struct bwr_buf w = { .len = 0 };
	uint8_t data[MSG];
	binder_uintptr_t buf;
	uint32_t zero = 0;
	int fd = binder_open(), ret;

	(void)idx;
	if (fd < 0)
		die(j, BINDER_DEV, -fd);
	if (ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero) < 0)
		die(j, "BINDER_SET_CONTEXT_MGR", errno);
	bput(&w, BC_ENTER_LOOPER, NULL, 0);
	ready(j, 1);
	for (;;) {
		ret = binder_io(fd, &w, BR_TRANSACTION, &tr);
		if (ret < 0) {
			fail("binder server: %s", strerror(-ret));
			_exit(1);
		}
		memcpy(data, (void *)(uintptr_t)tr.data.ptr.buffer,
		       tr.data_size < MSG ? tr.data_size : MSG);
		buf = tr.data.ptr.buffer;
		memset(&rep, 0, sizeof(rep));
		rep.data_size = MSG;
		rep.data.ptr.buffer = (uintptr_t)data;
		w.len = 0;
		bput(&w, BC_FREE_BUFFER, &buf, sizeof(buf));
		bput(&w, BC_REPLY, &rep, sizeof(rep));
	}
}

void binder_cli(struct job *j, int idx)
{
	struct binder_transaction_data tr, rep;
	struct bwr_buf w;
	uint8_t data[MSG];
	binder_uintptr_t last = 0;
	uint64_t i, t0, t_start = now_ns();
	int fd = binder_open(), ret;

	(void)idx;
	if (fd < 0) {
		fail("%s: %s", BINDER_DEV, strerror(-fd));
		_exit(1);
	}
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		memset(data, 0x42, sizeof(data));
		memcpy(data, &i, sizeof(i));
		memset(&tr, 0, sizeof(tr));
		tr.target.handle = 0;
		tr.code = 1;
		tr.data_size = MSG;
		tr.data.ptr.buffer = (uintptr_t)data;
		w.len = 0;
		t0 = now_ns();
		if (last)
			bput(&w, BC_FREE_BUFFER, &last, sizeof(last));
		bput(&w, BC_TRANSACTION, &tr, sizeof(tr));
		ret = binder_io(fd, &w, BR_REPLY, &rep);
		t0 = now_ns() - t0;
		if (ret < 0) {
			fail("binder transaction: %s", strerror(-ret));
			_exit(1);
		}
		last = rep.data.ptr.buffer;
		if (rep.data_size != MSG ||
		    memcmp((void *)(uintptr_t)rep.data.ptr.buffer, data, MSG)) {
			fail("iteration %" PRIu64 ": the binder reply differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* binder_linux: loaded if it can be; a reason when there is no device. */
const char *binder_prepare(void)
{
	if (access(BINDER_DEV, R_OK | W_OK) == 0)
		return NULL;
	if (geteuid() == 0 && access("/sys/module/binder_linux", F_OK))
		if (system("modprobe -q binder_linux devices=binder 2>/dev/null") != 0)
			return "binder_linux cannot be loaded (modprobe failed)";
	if (access(BINDER_DEV, R_OK | W_OK) == 0)
		return NULL;
	return "no " BINDER_DEV " (binder_linux not loaded, or no access)";
}

/* process_vm_readv / writev on the server's buffer. */
static void pvm_srv(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 3);

	if (!buf)
		die(j, "mmap", ENOMEM);
	G->token[idx] = (uintptr_t)buf;
	ready(j, 1);
	for (;;)
		pause();
}

static void pvm_cli(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 5);
	struct iovec l = { buf, j->size }, r = { (void *)(uintptr_t)G->token[idx], j->size };
	uint64_t i, t0, t_start = now_ns();
	ssize_t n;

	if (!buf) {
		fail("mmap: %s", strerror(ENOMEM));
		_exit(1);
	}
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		t0 = now_ns();
		if (j->mode)
			n = process_vm_writev(j->srv_pid[idx], &l, 1, &r, 1, 0);
		else
			n = process_vm_readv(j->srv_pid[idx], &l, 1, &r, 1, 0);
		t0 = now_ns() - t0;
		if (n != (ssize_t)j->size) {
			fail("process_vm_%s: %s", j->mode ? "writev" : "readv",
			     n < 0 ? strerror(errno) : "short");
			_exit(1);
		}
		if (i == 0 && !j->mode && buf[j->size - 1] != (uint8_t)((j->size - 1) * 7 + 3)) {
			fail("process_vm_readv: wrong data");
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* The client needs the server's pid: it is forked after the server. */
int pvm_job(int write, size_t size, uint64_t div)
{
	struct job j = { .srv = pvm_srv, .cli = pvm_cli, .pairs = 1, .mode = write, .size = size };

	iters(&j, div);
	return run_job(&j, 0);
}
