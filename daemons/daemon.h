/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the V service daemons (vfsd, vnamed, vtimed) share: one V process
 * served by a pool of threads Receiving on it, registration (SetPid, group
 * membership), and a clean stop: SIGTERM / SIGINT are taken by sigwait()
 * in the main thread, which then shuts the V socket down (the workers wake
 * with ESHUTDOWN) and joins them.  Logs go to stderr.
 */
#ifndef VDAEMON_H
#define VDAEMON_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "libv_services.h"
#include "../tools/parse.h"

#define VD_THREADS_MAX	64
#define VD_SEGBUF	(64U << 10)	/* ReceiveWithSegment buffer per worker */
#define VD_WRITERS_MAX	32

/* Uids allowed to change what a daemon serves (-w UID). */
struct vd_writers {
	uint32_t uid[VD_WRITERS_MAX];
	int n;
};

static inline int vd_writers_add(struct vd_writers *w, const char *arg, uint64_t v)
{
	if (w->n == VD_WRITERS_MAX) {
		fprintf(stderr, "-w %s: at most %d writer uids\n", arg, VD_WRITERS_MAX);
		return -1;
	}
	w->uid[w->n++] = (uint32_t)v;
	return 0;
}

/* Does the sender of r (its uid as Receive reports it) appear in w? */
static inline int vd_may_write(const struct vd_writers *w, const struct v_receive *r)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->uid[i] == r->creds.uid)
			return 1;
	return 0;
}

/*
 * A request handler: answers r (received into seg, r->copied bytes) by
 * filling *reply, or replies itself (ReplyWithSegment) and returns 1, or
 * returns -1 when there is nobody to reply to (the sender went away).
 */
typedef int (*vd_handler)(int fd, const struct v_receive *r, const void *seg,
			  struct v_msg *reply);

struct vd {
	const char *name;
	int fd;
	uint64_t self;
	int quiet;
	vd_handler handle;
	void (*notice)(const struct v_receive *r);	/* a notice, or NULL to ignore them */
	void *(*extra)(void *);	/* an extra thread (vtimed's synchroniser), or NULL */
	void (*on_stop)(void);	/* at a stop signal, before the socket shuts
				 * down (vexecd ends its programs), or NULL */
	void *extra_arg;
	volatile int stopping;
};

static inline void __attribute__((format(printf, 2, 3))) vd_log(const struct vd *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", d->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define VD_CONTINUE	(-1)

/*
 * The options every daemon takes, and the rest: -l LID (into *lid), -w UID
 * (into w, when the daemon has a writers list), -q, -h, and unknown ones.
 * VD_CONTINUE when parsing goes on, else the exit status for main.
 */
static inline int vd_option(struct vd *d, int opt, const char *arg, uint64_t *lid,
			    struct vd_writers *w, void (*usage)(FILE *))
{
	uint64_t v;

	switch (opt) {
	case 'l':
		if (vtool_parse_u64(arg, 0, UINT32_MAX, lid)) {
			fprintf(stderr, "%s: -l wants a logical id, not '%s'\n", d->name, arg);
			return 2;
		}
		return VD_CONTINUE;
	case 'w':
		if (w && vtool_parse_u64(arg, 0, UINT32_MAX - 1, &v) == 0)
			return vd_writers_add(w, arg, v) ? 2 : VD_CONTINUE;
		fprintf(stderr, "%s: -w wants a uid, not '%s'\n", d->name, arg);
		return 2;
	case 'q':
		d->quiet = 1;
		return VD_CONTINUE;
	case 'h':
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

/* Block the stop signals (before any thread starts: all inherit it). */
static inline int vd_open(struct vd *d)
{
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->fd = v_open();
	if (d->fd < 0) {
		vd_log(d, "cannot open a V process: %s", v_strerror(d->fd));
		return -1;
	}
	ret = v_self(d->fd, &d->self);
	if (ret < 0) {
		vd_log(d, "cannot read the id: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

static inline int vd_register(struct vd *d, uint32_t lid, unsigned int scope)
{
	int ret = v_set_pid(d->fd, lid, d->self, scope);

	if (ret < 0) {
		vd_log(d, "cannot register logical id %u: %s%s", lid, strerror(-ret),
		       ret == -EPERM ? " (ids below 256 need CAP_NET_ADMIN: use -l)" : "");
		return -1;
	}
	return 0;
}

static inline int vd_join(struct vd *d, uint64_t gid, const char *what)
{
	int ret = v_group_join(d->fd, gid);

	if (ret < 0) {
		vd_log(d, "cannot join %s 0x%016" PRIx64 ": %s", what, gid, strerror(-ret));
		return -1;
	}
	return 0;
}

static inline void *vd_worker(void *arg)
{
	struct vd *d = arg;
	struct v_receive r;
	struct v_msg reply;
	void *seg = malloc(VD_SEGBUF);
	int ret;

	if (!seg) {
		vd_log(d, "out of memory");
		return NULL;
	}
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.buf_addr = (uintptr_t)seg;
		r.buf_len = VD_SEGBUF;
		ret = v_receive_ex(d->fd, &r);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0) {
			if (ret != -ESHUTDOWN)
				vd_log(d, "receive: %s", strerror(-ret));
			break;
		}
		if (r.kind != V_KIND_MESSAGE) {	/* nobody waits for a reply */
			if (d->notice)
				d->notice(&r);
			continue;
		}
		reply = vio_reply_code(V_ILLEGAL_REQUEST);
		ret = d->handle(d->fd, &r, seg, &reply);
		if (ret == 0)
			ret = v_reply(d->fd, r.sender, &reply);
		/* ENOENT, ETIMEDOUT: the sender went away or gave up waiting. */
		if (ret < 0 && ret != -1 && ret != -ENOENT && ret != -ETIMEDOUT && !d->quiet)
			vd_log(d, "reply to 0x%016" PRIx64 ": %s", (uint64_t)r.sender, strerror(-ret));
	}
	free(seg);
	return NULL;
}

/*
 * Serve with nthreads workers (and d->extra) until SIGTERM / SIGINT; then
 * shut the socket down, join everything, close.  Returns the exit status.
 */
static inline int vd_run(struct vd *d, int nthreads)
{
	pthread_t th[VD_THREADS_MAX], ex;
	int i, n = 0, sig, have_extra = 0;
	sigset_t set;

	for (i = 0; i < nthreads && i < VD_THREADS_MAX; i++, n++)
		if (pthread_create(&th[i], NULL, vd_worker, d)) {
			vd_log(d, "cannot start a worker thread");
			break;
		}
	if (n && d->extra && pthread_create(&ex, NULL, d->extra, d->extra_arg) == 0)
		have_extra = 1;
	if (n) {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		while (sigwait(&set, &sig))
			;
		if (!d->quiet)
			vd_log(d, "signal %d: stopping", sig);
	}
	d->stopping = 1;
	if (d->on_stop)
		d->on_stop();
	shutdown(d->fd, SHUT_RDWR);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (have_extra)
		pthread_join(ex, NULL);
	v_close(d->fd);
	return n ? 0 : 1;
}

#endif /* VDAEMON_H */
