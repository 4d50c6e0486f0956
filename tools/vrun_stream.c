// SPDX-License-Identifier: GPL-2.0
/*
 * vrun -H's stream server: the program's stdin, stdout and stderr, served
 * as instances of the V I/O protocol with stream semantics (<vexec.h>,
 * "Stdio as V I/O stream instances") to the exec host's relays.
 *
 * STREAM_THREADS threads Receive on one V process, one request at a time
 * each, so that a READ blocked on our stdin never holds up the program's
 * output, nor stdout's blocked WRITE its stderr.  A request is answered
 * once our read() or write() is done: a WRITE replied to is output that
 * reached our stdout (vexecd answers WAIT only after that).
 *
 * Whom we answer: stdin may carry passwords and stdout is our terminal, so
 * only the relays vexecd starts for this run.  They are V processes of the
 * exec host Sending as the program's uid, which is ours (vexecd runs the
 * program as the uid our kernel reported for RUN: our effective uid), not
 * forwarded, naming the instances by the random ids this run sent in the
 * run block.  A sender on another host is taken at its kernel's word for
 * its uid: with V_CRED_KEYED a keyed host's, without it (a link without
 * the cluster key) anyone's claim, so over an unkeyed link a process on
 * the LAN that learns the ids could still read or write them; vexecd
 * refuses RUN over such links unless started with --allow-insecure-exec.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "libv_services.h"
#include "vrun.h"

#define STREAM_THREADS	3		/* stdin's read, stdout's and stderr's writes */
#define STREAM_BUF	(64U << 10)	/* a ReceiveWithSegment's worth of WRITE data */

static struct {
	int fd;
	uint32_t host;			/* the exec host: whose requests we take */
	uint32_t uid;			/* ours: the relays' */
	uint32_t id[VRUN_INST_END];	/* the instance ids named in the run block */
	int live[VRUN_INST_END];	/* atomic: served and not closed */
} S;

static int stream_code(struct v_msg *reply, unsigned int code, int err)
{
	v_msg_set_code(reply, (uint16_t)code);
	if (err)
		v_msg_put32(reply, VIO_ARG_ERRNO_OFF, (uint32_t)err);
	return 0;
}

/* One read (out: write) of fd, waiting out EINTR and, for a descriptor
 * left non-blocking by whoever shares it, EAGAIN. */
static ssize_t fd_io(int fd, void *buf, size_t len, int out)
{
	struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
	ssize_t n;

	for (;;) {
		n = out ? write(fd, buf, len) : read(fd, buf, len);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
		if (errno == EAGAIN)
			poll(&p, 1, -1);
	}
}

/* One read of stdin.  From the background of the terminal (pty mode) it
 * fails EIO, SIGTTIN being blocked: stopped and continued, read again. */
static ssize_t stdin_read(void *buf, size_t len)
{
	ssize_t n;
	int err;

	for (;;) {
		n = fd_io(0, buf, len, 0);
		if (n >= 0 || errno != EIO)
			return n;
		err = errno;
		if (vrun_job_foreground(0, SIGTTIN) <= 0) {
			errno = err;
			return n;
		}
	}
}

/*
 * READ of stdin: one read of what is there, at most the length asked and
 * VEXEC_CHUNK (we never take more input than the program asked for).
 * Replies itself: 1.
 */
static int stream_read(const struct v_receive *rcv, void *buf, struct v_msg *reply)
{
	uint64_t len = v_msg_get64(&rcv->msg, 16);
	ssize_t n;

	if (len && (!(rcv->seg_access & V_SEG_WRITE) || rcv->seg_len < len))
		return stream_code(reply, V_BAD_BUFFER, 0);
	if (len > VEXEC_CHUNK)
		len = VEXEC_CHUNK;
	if (!len)
		return stream_code(reply, V_OK, 0);
	n = stdin_read(buf, len);
	if (n < 0)
		return stream_code(reply, V_IO_ERROR, errno);
	if (n == 0)
		return stream_code(reply, V_END_OF_FILE, 0);
	stream_code(reply, V_OK, 0);
	v_msg_put64(reply, 8, (uint64_t)n);
	/* A reply_seg_max set below VEXEC_CHUNK: MoveTo, then the Reply.
	 * Any other failure: the relay is gone, and the input with it. */
	if (v_reply_with_segment(S.fd, rcv->sender, reply, 0, buf, (size_t)n) == -EMSGSIZE &&
	    v_move_to(S.fd, rcv->sender, 0, buf, (size_t)n) == 0)
		v_reply(S.fd, rcv->sender, reply);
	return 1;
}

/*
 * WRITE to stdout or stderr: one write of what fits our buffer (a short
 * write is the protocol's: the relay sends the rest again).  1 when the
 * relay went away while we read its data.
 */
static int stream_write(const struct v_receive *rcv, void *buf, uint32_t inst,
			struct v_msg *reply)
{
	uint64_t len = v_msg_get64(&rcv->msg, 16);
	ssize_t n = 0;
	int ret;

	if (len && (!(rcv->seg_access & V_SEG_READ) || rcv->seg_len < len))
		return stream_code(reply, V_BAD_BUFFER, 0);
	if (len > STREAM_BUF)
		len = STREAM_BUF;
	if (rcv->copied < len) {
		ret = v_move_from(S.fd, rcv->sender, rcv->copied, (char *)buf + rcv->copied,
				  len - rcv->copied);
		if (ret == -ENOENT || ret == -ETIMEDOUT)
			return 1;
		if (ret < 0)
			return stream_code(reply, V_BAD_BUFFER, 0);
	}
	if (len) {
		vrun_job_output(inst == VRUN_INST_STDOUT ? 1 : 2);
		n = fd_io(inst == VRUN_INST_STDOUT ? 1 : 2, buf, len, 1);
	}
	if (n < 0)	/* EPIPE: the relay closes the program's end */
		return stream_code(reply, V_IO_ERROR, errno);
	v_msg_put64(reply, 8, (uint64_t)n);
	return stream_code(reply, V_OK, 0);
}

/* Is the sender one of this run's relays, as far as we can tell? */
static int stream_sender_ok(const struct v_receive *rcv)
{
	/* The sender's id carries its host: only the exec host's processes. */
	if (v_id_host(rcv->sender) != S.host)
		return 0;
	/* A forwarder vouches only for itself (and a relay Sends directly). */
	if (rcv->forwarder || rcv->group)
		return 0;
	/* Remote: the uid is its kernel's word, keyed or not (see above). */
	return rcv->creds.uid == S.uid;
}

/* The instance an id names, or 0. */
static uint32_t stream_inst(uint32_t id)
{
	uint32_t i;

	for (i = 1; id && i < VRUN_INST_END; i++)
		if (S.id[i] == id)
			return i;
	return 0;
}

/* One request into reply (0), or answered already (1). */
static int stream_serve(const struct v_receive *rcv, void *buf, struct v_msg *reply)
{
	uint16_t code = v_msg_code(&rcv->msg);
	uint32_t inst = stream_inst(v_msg_get32(&rcv->msg, 4));

	if (!stream_sender_ok(rcv))
		return stream_code(reply, V_NO_PERMISSION, EPERM);
	if (code != VIO_READ && code != VIO_WRITE && code != VIO_CLOSE)
		return stream_code(reply, V_ILLEGAL_REQUEST, 0);
	if (!inst || !__atomic_load_n(&S.live[inst], __ATOMIC_SEQ_CST))
		return stream_code(reply, V_NOT_FOUND, 0);
	if (code == VIO_CLOSE) {
		__atomic_store_n(&S.live[inst], 0, __ATOMIC_SEQ_CST);
		return stream_code(reply, V_OK, 0);
	}
	if ((code == VIO_READ) != (inst == VRUN_INST_STDIN))
		return stream_code(reply, V_BAD_STATE, 0);
	if (code == VIO_READ)
		return stream_read(rcv, buf, reply);
	return stream_write(rcv, buf, inst, reply);
}

static void *stream_main(void *buf)
{
	struct v_receive rcv;
	struct v_msg reply;
	int ret;

	for (;;) {
		memset(&rcv, 0, sizeof(rcv));
		rcv.buf_addr = (uint64_t)(uintptr_t)buf;
		rcv.buf_len = STREAM_BUF;
		ret = v_receive_ex(S.fd, &rcv);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			vrun_note("stream server: %s", v_strerror(ret));
			return NULL;
		}
		if (rcv.kind != V_KIND_MESSAGE)
			continue;
		memset(&reply, 0, sizeof(reply));
		/* A failed Reply (ENOENT): the relay gave up; nothing to do. */
		if (stream_serve(&rcv, buf, &reply) == 0)
			v_reply(S.fd, rcv.sender, &reply);
	}
}

/* Random instance ids, nonzero and distinct: guessing one takes 2^32 tries
 * of a process that passes stream_sender_ok() anyway. */
static int stream_ids_pick(void)
{
	uint32_t *id = &S.id[VRUN_INST_STDIN];
	size_t got = 0, len = sizeof(uint32_t) * (VRUN_INST_END - 1);
	ssize_t n;

	for (;;) {
		while (got < len) {
			n = getrandom((char *)id + got, len - got, 0);
			if (n < 0 && errno != EINTR)
				return -errno;
			if (n > 0)
				got += (size_t)n;
		}
		if (id[0] && id[1] && id[2] && id[0] != id[1] && id[0] != id[2] && id[1] != id[2])
			return 0;
		got = 0;
	}
}

int vrun_stream_start(int fd, uint32_t host, int with_stderr, uint32_t stdio[3])
{
	pthread_t t;
	void *buf;
	int i, ret;

	S.fd = fd;
	S.host = host;
	S.uid = (uint32_t)geteuid();
	ret = stream_ids_pick();
	if (ret < 0)
		return ret;
	S.live[VRUN_INST_STDIN] = S.live[VRUN_INST_STDOUT] = 1;
	S.live[VRUN_INST_STDERR] = with_stderr;
	for (i = 0; i < 3; i++)
		stdio[i] = S.live[i + 1] ? S.id[i + 1] : 0;
	for (i = 0; i < STREAM_THREADS; i++) {
		buf = malloc(STREAM_BUF);
		if (!buf)
			return -ENOMEM;
		ret = pthread_create(&t, NULL, stream_main, buf);
		if (ret) {
			free(buf);
			return -ret;
		}
		pthread_detach(t);
	}
	return 0;
}
