// SPDX-License-Identifier: GPL-2.0
/*
 * cluster_peer: the server of the "cluster" suite, run on guest A by
 * selftests/cluster-guest.sh; the suite itself (selftests/cluster.c) runs on
 * guest B.  It registers logical id CL_LID with remote scope and serves the
 * requests below for ever (guest A is killed by the host at the end).
 *
 * The first part of this file is the request protocol, shared with
 * cluster.c, which includes this file with CL_PROTOCOL_ONLY defined.
 *
 * Message layout (little-endian through the v_msg_get/put accessors):
 *   bytes 0-1  request code (CL_REQ_*) / reply code (V_OK, V_BAD_BUFFER...)
 *   bytes 4-7  request: sequence number; reply: result (0 or -errno)
 *   bytes 8-31 per request, see below
 */
#ifndef CLUSTER_PROTOCOL
#define CLUSTER_PROTOCOL

#include <stddef.h>
#include <stdint.h>
#include "libv.h"

#define CL_LID		4711		/* the server's logical id (remote scope) */
#define CL_BUF_MAX	(16U << 20)	/* largest segment the server moves */
#define CL_PIGGY_MAX	(64U << 10)	/* its ReceiveWithSegment buffer */

enum {
	/*
	 * Echo: reply V_OK, bytes 4-7 = seq + 1, bytes 8-31 = request bytes
	 * 8-31 XOR 0x5a.
	 */
	CL_REQ_ECHO = V_REQ_SERVICE_BASE + 0x71,
	/*
	 * Move: request 8-15 len, 16-19 seed_in, 20-23 seed_out, 24-27 chunk
	 * (0: one MoveFrom and one MoveTo of len bytes).  MoveFrom [0, len)
	 * chunk by chunk and check it against pattern seed_in, then write
	 * pattern seed_out with MoveTo chunk by chunk.  Reply 4-7 first
	 * error, 8-15 mismatching bytes, 16-23 first mismatch offset (~0:
	 * none).  Reply code V_OK, or V_BAD_BUFFER when len is too large.
	 */
	CL_REQ_MOVE,
	/*
	 * Piggy-back: request 8-15 segment length, 16-19 seed.  Reply 8-15
	 * bytes ReceiveWithSegment copied, 16-23 of those that mismatch.
	 */
	CL_REQ_PIGGY,
	/*
	 * ReplyWithSegment: request 8-15 offset, 16-23 len, 24-27 seed: write
	 * pattern seed (as at segment offset) at offset and reply V_OK.  If
	 * that fails, a plain reply V_BAD_BUFFER with the error in bytes 4-7.
	 */
	CL_REQ_RWS,
	/* Hang: held, never replied to. */
	CL_REQ_HANG,
	/* Status: reply 8-15 = number of Hang requests held. */
	CL_REQ_STATUS,
};

/*
 * The test pattern: byte i (an offset in the segment) of pattern seed, from
 * a hash of the 4-byte word i falls in: a shifted copy never matches.
 */
static inline uint32_t cl_word(uint32_t seed, uint64_t w)
{
	uint32_t x = (uint32_t)w * 0x9e3779b1U ^ seed;

	x ^= x >> 15;
	x *= 0x85ebca6bU;
	x ^= x >> 13;
	return x;
}

static inline uint8_t cl_pat(uint32_t seed, uint64_t i)
{
	return (uint8_t)(cl_word(seed, i >> 2) >> (8 * (i & 3)));
}

/* Fill buf with pattern seed as it appears at segment offset off. */
static inline void cl_fill(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	uint32_t x = cl_word(seed, off >> 2);

	for (size_t i = 0; i < len; i++) {
		uint64_t p = off + i;

		if (!(p & 3))
			x = cl_word(seed, p >> 2);
		buf[i] = (uint8_t)(x >> (8 * (p & 3)));
	}
}

/*
 * Count the bytes of buf that differ from pattern seed at offset off; the
 * first mismatching offset goes to *first (~0 if none).
 */
static inline uint64_t cl_check(const uint8_t *buf, size_t len, uint32_t seed,
				uint64_t off, uint64_t *first)
{
	uint32_t x = cl_word(seed, off >> 2);
	uint64_t bad = 0;

	*first = ~0ULL;
	for (size_t i = 0; i < len; i++) {
		uint64_t p = off + i;

		if (!(p & 3))
			x = cl_word(seed, p >> 2);
		if (buf[i] != (uint8_t)(x >> (8 * (p & 3)))) {
			if (!bad)
				*first = p;
			bad++;
		}
	}
	return bad;
}

#endif /* CLUSTER_PROTOCOL */

#ifndef CL_PROTOCOL_ONLY
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint8_t *buf, *piggy;
static uint64_t held;		/* Hang requests held */

static void reply(int fd, uint64_t to, struct v_msg *m, const char *what)
{
	int e = v_reply(fd, to, m);

	if (e)
		printf("cluster_peer: reply to %s from 0x%" PRIx64 ": %s\n", what, to,
		       strerror(-e));
}

/* MoveFrom, check, fill, MoveTo, as CL_REQ_MOVE describes. */
static void serve_move(int fd, const struct v_receive *r, struct v_msg *m)
{
	uint64_t len = v_msg_get64(&r->msg, 8), first = ~0ULL, bad = 0, f, off, n;
	uint32_t seed_in = v_msg_get32(&r->msg, 16), seed_out = v_msg_get32(&r->msg, 20);
	uint64_t chunk = v_msg_get32(&r->msg, 24);
	int err = 0;

	if (len > CL_BUF_MAX) {
		v_msg_set_code(m, V_BAD_BUFFER);
		return;
	}
	if (!chunk)
		chunk = len ? len : 1;
	for (off = 0; off < len && !err; off += n) {
		n = len - off < chunk ? len - off : chunk;
		err = v_move_from(fd, r->sender, off, buf + off, n);
	}
	if (!err) {
		bad = cl_check(buf, len, seed_in, 0, &first);
		cl_fill(buf, len, seed_out, 0);
		for (off = 0; off < len && !err; off += n) {
			n = len - off < chunk ? len - off : chunk;
			err = v_move_to(fd, r->sender, off, buf + off, n);
		}
	}
	if (err)
		printf("cluster_peer: move %" PRIu64 " bytes: %s\n", len, strerror(-err));
	if (bad)
		printf("cluster_peer: MoveFrom data: %" PRIu64 " bad bytes, first at %" PRIu64 "\n",
		       bad, first);
	v_msg_put32(m, 4, (uint32_t)err);
	v_msg_put64(m, 8, bad);
	f = first;
	v_msg_put64(m, 16, f);
}

int main(void)
{
	uint64_t me;
	int fd, e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	buf = malloc(CL_BUF_MAX);
	piggy = malloc(CL_PIGGY_MAX);
	if (!buf || !piggy) {
		printf("cluster_peer: out of memory\n");
		return 1;
	}
	fd = v_open();
	if (fd < 0) {
		printf("cluster_peer: v_open: %s\n", strerror(-fd));
		return 1;
	}
	e = v_self(fd, &me);
	if (!e)
		e = v_set_pid(fd, CL_LID, me, V_SCOPE_REMOTE);
	if (e) {
		printf("cluster_peer: SetPid %u: %s\n", CL_LID, strerror(-e));
		return 1;
	}
	printf("cluster_peer: serving as 0x%" PRIx64 ", logical id %u\n", me, CL_LID);

	for (;;) {
		struct v_receive r;
		struct v_msg m;
		uint64_t first, len, off;
		uint32_t seed;

		memset(&r, 0, sizeof(r));
		r.buf_addr = (uintptr_t)piggy;
		r.buf_len = CL_PIGGY_MAX;
		e = v_receive_ex(fd, &r);
		if (e == -EINTR)
			continue;
		if (e) {
			printf("cluster_peer: Receive: %s\n", strerror(-e));
			return 1;
		}
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, V_OK);
		switch (v_msg_code(&r.msg)) {
		case CL_REQ_ECHO:
			v_msg_put32(&m, 4, v_msg_get32(&r.msg, 4) + 1);
			for (int i = 8; i < V_MSG_SIZE; i++)
				m.b[i] = r.msg.b[i] ^ 0x5a;
			reply(fd, r.sender, &m, "echo");
			break;
		case CL_REQ_MOVE:
			serve_move(fd, &r, &m);
			reply(fd, r.sender, &m, "move");
			break;
		case CL_REQ_PIGGY:
			seed = v_msg_get32(&r.msg, 16);
			v_msg_put64(&m, 8, r.copied);
			v_msg_put64(&m, 16, cl_check(piggy, r.copied, seed, 0, &first));
			reply(fd, r.sender, &m, "piggy");
			break;
		case CL_REQ_RWS:
			off = v_msg_get64(&r.msg, 8);
			len = v_msg_get64(&r.msg, 16);
			seed = v_msg_get32(&r.msg, 24);
			if (len > CL_BUF_MAX) {
				v_msg_set_code(&m, V_BAD_BUFFER);
				v_msg_put32(&m, 4, (uint32_t)-EMSGSIZE);
				reply(fd, r.sender, &m, "rws");
				break;
			}
			cl_fill(buf, len, seed, off);
			e = v_reply_with_segment(fd, r.sender, &m, off, buf, len);
			if (e) {
				v_msg_set_code(&m, V_BAD_BUFFER);
				v_msg_put32(&m, 4, (uint32_t)e);
				reply(fd, r.sender, &m, "rws");
			}
			break;
		case CL_REQ_HANG:
			held++;
			printf("cluster_peer: holding a request of 0x%llx for ever\n",
			       (unsigned long long)r.sender);
			break;
		case CL_REQ_STATUS:
			v_msg_put64(&m, 8, held);
			reply(fd, r.sender, &m, "status");
			break;
		default:
			v_msg_set_code(&m, V_ILLEGAL_REQUEST);
			reply(fd, r.sender, &m, "unknown request");
			break;
		}
	}
	return 0;
}
#endif /* CL_PROTOCOL_ONLY */
