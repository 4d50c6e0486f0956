// SPDX-License-Identifier: GPL-2.0
/*
 * vecho: a V echo server.
 *
 *   vecho [-q] [-l LID] [-n COUNT]
 *
 * Opens a V process, prints "vecho: listening as 0x<id>" and replies to
 * every message with the same 32 bytes.  When the sender granted a segment
 * with read and write access, its contents are read with MoveFrom and
 * written back with MoveTo before the Reply (segments above ECHO_SEG_MAX get
 * the reply code V_BAD_BUFFER instead).  SIGTERM / SIGINT end it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "libv.h"
#include "parse.h"

#define ECHO_SEG_MAX	(1U << 20)	/* largest segment echoed: 1 MiB */

/*
 * A signal that lands after the loop checked `stop` but before the thread
 * sleeps in Receive runs its handler at once and does not interrupt the
 * Receive: the wait is bounded so such a stop is seen within this time.
 */
#define IDLE_WAKEUP_US	500000

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vecho [-q] [-l LID] [-n COUNT]\n"
		"\n"
		"Open a V process, print its id and reply to every message with the\n"
		"same 32 bytes.  A segment granted with read and write access (up to\n"
		"%u bytes) is read with MoveFrom and written back with MoveTo before\n"
		"the Reply; a larger one gets the reply code V_BAD_BUFFER.\n"
		"SIGTERM or SIGINT stops the server (exit status 0).\n"
		"\n"
		"  -l LID    also register the process under logical id LID (SetPid,\n"
		"            local and remote scope; LID < %u needs CAP_NET_ADMIN)\n"
		"  -n COUNT  exit after replying to COUNT requests (default: never)\n"
		"  -q        quiet: print only the id line\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: 0 on success, 1 on an error from vkmod, 2 on bad usage.\n",
		ECHO_SEG_MAX, V_LID_PRIVILEGED);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}


/*
 * Echo the segment of the held message r->sender: MoveFrom into buf, MoveTo
 * back.  Returns 0 (reply with msg, possibly with the code set to
 * V_BAD_BUFFER) or -ENOENT when the sender is gone (nothing to reply to).
 */
static int echo_segment(int fd, const struct v_receive *r, struct v_msg *reply,
			void **buf, size_t *cap, int quiet)
{
	uint64_t from = r->sender;
	size_t len = r->seg_len;
	int ret;

	if ((r->seg_access & (V_SEG_READ | V_SEG_WRITE)) != (V_SEG_READ | V_SEG_WRITE))
		return 0;	/* not an echo request: echo the message only */
	if (r->seg_len > ECHO_SEG_MAX) {
		if (!quiet)
			fprintf(stderr, "vecho: 0x%016" PRIx64 ": segment of %llu bytes is "
				"above %u: V_BAD_BUFFER\n", from,
				(unsigned long long)r->seg_len, ECHO_SEG_MAX);
		v_msg_set_code(reply, V_BAD_BUFFER);
		return 0;
	}
	if (len > *cap) {
		void *p = realloc(*buf, len);

		if (!p) {
			v_msg_set_code(reply, V_NO_SERVER_RESOURCES);
			return 0;
		}
		*buf = p;
		*cap = len;
	}
	ret = v_move_from(fd, from, 0, *buf, len);
	if (ret == 0)
		ret = v_move_to(fd, from, 0, *buf, len);
	if (ret == -ENOENT)
		return ret;
	if (ret < 0) {
		fprintf(stderr, "vecho: 0x%016" PRIx64 ": moving %zu bytes: %s\n",
			from, len, strerror(-ret));
		v_msg_set_code(reply, V_BAD_BUFFER);
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t lid = 0, count = 0, served = 0, self, reply_to = 0, v;
	struct sigaction sa;
	struct timeval tv;
	struct v_receive r;
	struct v_msg reply = { { 0 } };
	int quiet = 0, opt, ret, rc = 0, fd;
	size_t cap = 0;
	void *buf = NULL;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "l:n:qh")) != -1) {
		switch (opt) {
		case 'l':
			if (vtool_parse_u64(optarg, 1, UINT32_MAX, &lid)) {
				fprintf(stderr, "vecho: -l wants a logical id 1..%u, not '%s'\n",
					UINT32_MAX, optarg);
				return 2;
			}
			break;
		case 'n':
			if (vtool_parse_u64(optarg, 1, UINT64_MAX, &v)) {
				fprintf(stderr, "vecho: -n wants a positive count, not '%s'\n",
					optarg);
				return 2;
			}
			count = v;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vecho: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* No SA_RESTART: a blocked Receive returns EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
		perror("vecho: sigaction");
		return 1;
	}

	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vecho: cannot open a V process: %s\n", v_strerror(fd));
		return 1;
	}
	ret = v_self(fd, &self);
	if (ret < 0) {
		fprintf(stderr, "vecho: cannot read the id: %s\n", strerror(-ret));
		v_close(fd);
		return 1;
	}
	if (lid) {
		ret = v_set_pid(fd, (uint32_t)lid, self, V_SCOPE_BOTH);
		if (ret < 0) {
			fprintf(stderr, "vecho: cannot register logical id %" PRIu64 ": %s\n",
				lid, strerror(-ret));
			v_close(fd);
			return 1;
		}
	}
	/* Printed once registered, so a script that reads it may send at once. */
	if (lid)
		printf("vecho: listening as 0x%016" PRIx64 " (logical id %" PRIu64 ")\n",
		       self, lid);
	else
		printf("vecho: listening as 0x%016" PRIx64 "\n", self);
	fflush(stdout);
	tv.tv_sec = IDLE_WAKEUP_US / 1000000;
	tv.tv_usec = IDLE_WAKEUP_US % 1000000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		perror("vecho: SO_RCVTIMEO (a stop signal may be noticed late)");

	for (;;) {
		if (stop) {
			if (reply_to)
				v_reply(fd, reply_to, &reply);
			break;
		}
		memset(&r, 0, sizeof(r));
		ret = v_reply_receive(fd, reply_to, &reply, &r);
		if (ret == -EINTR || ret == -EAGAIN) {
			/* the Receive half was interrupted or timed out: the Reply is done */
			reply_to = 0;
			continue;
		}
		if (ret < 0) {
			if (ret == -ENOENT && reply_to) {
				/* the client was interrupted or went away: not ours to mind */
				if (!quiet)
					fprintf(stderr, "vecho: 0x%016" PRIx64 " no longer awaits "
						"a reply\n", reply_to);
				reply_to = 0;
				continue;
			}
			fprintf(stderr, "vecho: %s: %s\n", reply_to ? "reply-receive" : "receive",
				strerror(-ret));
			rc = 1;
			break;
		}
		served++;
		reply = r.msg;
		reply_to = r.sender;
		if (r.seg_len && echo_segment(fd, &r, &reply, &buf, &cap, quiet) == -ENOENT) {
			if (!quiet)
				fprintf(stderr, "vecho: 0x%016" PRIx64 " no longer awaits a "
					"reply\n", reply_to);
			reply_to = 0;
		}
		if (!quiet) {
			printf("32 bytes from 0x%016" PRIx64 " (pid %u)", (uint64_t)r.sender,
			       r.creds.pid);
			if (r.seg_len)
				printf(", segment %llu bytes %s%s", (unsigned long long)r.seg_len,
				       r.seg_access & V_SEG_READ ? "r" : "-",
				       r.seg_access & V_SEG_WRITE ? "w" : "-");
			if (v_msg_code(&reply) != v_msg_code(&r.msg))
				printf(", reply code %u", v_msg_code(&reply));
			printf("\n");
			fflush(stdout);
		}
		if (count && served >= count) {
			if (reply_to) {
				ret = v_reply(fd, reply_to, &reply);
				if (ret < 0 && ret != -ENOENT) {
					fprintf(stderr, "vecho: reply: %s\n", strerror(-ret));
					rc = 1;
				}
			}
			break;
		}
	}
	v_close(fd);
	free(buf);
	return rc;
}
