// SPDX-License-Identifier: GPL-2.0
/* vbench's V roles: the local, remote and peer_ rows of V all use them. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include "libv.h"
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* V: echo server, MoveFrom / MoveTo server, client                          */

void v_srv(struct job *j, int idx)
{
	struct v_receive r;
	struct v_msg reply;
	uint64_t from = 0, id, k, t0;
	uint8_t *buf = alloc_touched(j->size, 3);
	unsigned int m;
	int fd = v_open(), ret;

	if (fd < 0)
		die(j, "v_open", -fd);
	if (j->size && !buf)
		die(j, "mmap", ENOMEM);
	ret = v_self(fd, &id);
	if (ret < 0)
		die(j, "v_self", -ret);
	G->token[idx] = id;
	ready(j, 1);
	memset(&reply, 0, sizeof(reply));
	for (k = 0;; k++) {
		memset(&r, 0, sizeof(r));
		ret = v_reply_receive(fd, from, &reply, &r);
		if (ret < 0) {
			fail("v_reply_receive: %s", strerror(-ret));
			_exit(1);
		}
		from = r.sender;
		reply = r.msg;
		if (j->mode == V_ECHO)
			continue;
		for (m = 0; m < j->moves; m++) {
			t0 = now_ns();
			if (j->mode == V_MOVEFROM)
				ret = v_move_from(fd, from, 0, buf, j->size);
			else
				ret = v_move_to(fd, from, 0, buf, j->size);
			t0 = now_ns() - t0;
			if (ret < 0) {
				fail("%s: %s", j->mode == V_MOVEFROM ? "MoveFrom" : "MoveTo",
				     strerror(-ret));
				v_msg_set_code(&reply, V_BAD_BUFFER);
				break;
			}
			/* The first transfer is checked byte for byte. */
			if (k == 0 && m == 0 && j->mode == V_MOVEFROM) {
				size_t i;

				for (i = 0; i < j->size; i++)
					if (buf[i] != (uint8_t)(i * 7 + 5)) {
						fail("MoveFrom: byte %zu differs", i);
						break;
					}
			}
			if (j->server_times)
				record(j, k, t0);
		}
	}
}

static struct v_msg req(uint32_t seq)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, 0x4000);
	v_msg_put32(&m, 4, seq);
	v_msg_put64(&m, 8, 0x5642454e43480000ULL | seq);
	return m;
}

void v_cli(struct job *j, int idx)
{
	uint8_t *seg = alloc_touched(j->size, 5);
	unsigned int access = j->mode == V_MOVEFROM ? V_SEG_READ :
			      j->mode == V_MOVETO ? V_SEG_WRITE : 0;
	uint64_t dst = j->peer ? peer.v_id : G->token[idx], i, t0, t_start, ops = 0;
	struct v_msg m, want;
	int fd = v_open(), ret;

	if (fd < 0)
		die(j, "v_open", -fd);
	if (j->size && !seg)
		die(j, "mmap", ENOMEM);
	if (j->scaling) {
		for (i = 0; i < 10; i++) {
			m = req((uint32_t)i);
			ret = v_send(fd, dst, &m);
			if (ret < 0)
				die(j, "v_send", -ret);
		}
		ready(j, 1);
		while (!__atomic_load_n(&G->go, __ATOMIC_SEQ_CST))
			usleep(1000);
		while (now_ns() < G->deadline) {
			m = req((uint32_t)ops);
			ret = v_send(fd, dst, &m);
			if (ret < 0) {
				fail("v_send: %s", strerror(-ret));
				_exit(1);
			}
			ops++;
		}
		G->ops[idx] = ops;
		return;
	}
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		m = req((uint32_t)i);
		want = m;
		t0 = now_ns();
		ret = v_send_seg(fd, dst, &m, seg, j->size, access);
		t0 = now_ns() - t0;
		if (ret < 0) {
			fail("v_send: %s", strerror(-ret));
			_exit(1);
		}
		if (memcmp(&m, &want, sizeof(m))) {
			fail("iteration %" PRIu64 ": the reply differs from the request", i);
			_exit(1);
		}
		if (!j->server_times)
			record(j, i, t0);
	}
	if (j->mode == V_MOVETO && seg) {
		size_t k;

		for (k = 0; k < j->size; k++)
			if (seg[k] != (uint8_t)(k * 7 + 3)) {
				fail("MoveTo: byte %zu differs", k);
				_exit(1);
			}
	}
}

int v_job(const char *srv_ns, const char *cli_ns, int mode, size_t size, int server_times,
		 uint64_t div, int pairs, int scaling)
{
	struct job j = { .srv = v_srv, .cli = v_cli, .srv_ns = srv_ns, .cli_ns = cli_ns,
			 .pairs = pairs, .size = size, .mode = mode, .moves = 1,
			 .server_times = server_times, .scaling = scaling };

	iters(&j, div);
	/*
	 * Local moves are timed call after call on one held message, as
	 * process_vm_readv/writev are: the copy path, not the wake-up before
	 * it (which local_srr_ns measures).  As many calls in all.
	 */
	if (server_times && !srv_ns && mode != V_ECHO) {
		j.moves = LOCAL_MOVES;
		j.count = j.count / LOCAL_MOVES < MIN_SAMPLES ? MIN_SAMPLES : j.count / LOCAL_MOVES;
		j.warm = 1;
	}
	return run_job(&j, scaling);
}
