// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: the stdio relays.  Each is a thread with a V process of its own
 * (one Send in flight per V process) moving bytes between the program's
 * pipe or terminal and the caller's stream instance (<vexec.h>).
 *
 * A relay Sends as the program's user: its thread alone takes the user's
 * effective uid and gid (raw setresuid/setresgid: glibc's wrappers would
 * change every thread) before it opens its V process, so the caller's
 * stream server, or whoever it forwards to, sees the user and never
 * vexecd's root.  The real and saved ids stay root's, which keeps the
 * user from signalling the thread (kill(2)'s rule), and nothing but the
 * relay's own code runs on it.
 *
 * Nothing a relay waits for is the program's or the caller's to hold for
 * ever: writes to the program are non-blocking and end when it does, and
 * a Send the caller does not answer is cut when the program has ended
 * (stdin) or VEXEC_DRAIN_MS after (stdout, stderr: vx_prog_sweep).
 */
#include <poll.h>
#include <termios.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vexecd.h"

struct vx_relay {
	struct vx_prog *p;
	int i;			/* 0 stdin, 1 stdout, 2 stderr */
	int fd;
};

/* Become the program's user (this thread only) and open the V process. */
static int vx_relay_open(struct vx_relay *rl)
{
	struct vx_prog *p = rl->p;
	int s, gone;

	if (syscall(SYS_setresgid, (gid_t)-1, p->gid, (gid_t)-1) ||
	    syscall(SYS_setresuid, (uid_t)-1, (uid_t)p->uid, (uid_t)-1))
		return -1;
	s = v_open();
	if (s < 0)
		return -1;
	pthread_mutex_lock(&vx_lock);
	p->relay_sock[rl->i] = s;	/* closed by vx_prog_free */
	gone = rl->i == 0 && p->exited;
	pthread_mutex_unlock(&vx_lock);
	return gone ? -1 : s;
}

/* Write to the program without blocking past its end. */
static int vx_relay_write(struct vx_prog *p, int fd, const char *b, size_t n)
{
	struct pollfd pf[2] = { { .fd = fd, .events = POLLOUT },
				{ .fd = p->evfd, .events = POLLIN } };
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return -1;
		if (pf[1].revents)	/* it ended: nobody reads the rest */
			return -1;
	}
	return 0;
}

/* Type the terminal's end-of-input character. */
static void vx_relay_eof(struct vx_prog *p, int fd)
{
	struct termios t;
	char eof = 4;	/* ^D */

	if (tcgetattr(fd, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
		eof = (char)t.c_cc[VEOF];
	vx_relay_write(p, fd, &eof, 1);
}

/* stdin: READ from the caller's instance, write to the program. */
static void *vx_relay_in(void *arg)
{
	struct vx_relay *rl = arg;
	struct vx_prog *p = rl->p;
	char *buf = malloc(VEXEC_CHUNK);
	int s = vx_relay_open(rl);
	struct v_msg m;
	uint64_t n;

	memset(&m, 0, sizeof(m));

	while (buf && s >= 0) {
		/* A count the server claims without the data: zeros, never
		 * what an earlier user's relay left in this heap. */
		memset(buf, 0, VEXEC_CHUNK);
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VIO_READ);
		v_msg_put32(&m, 4, p->stdio[0]);
		v_msg_put64(&m, 16, VEXEC_CHUNK);
		if (v_send_seg(s, p->stream, &m, buf, VEXEC_CHUNK, V_SEG_WRITE) < 0 ||
		    v_msg_code(&m) != V_OK)
			break;
		n = v_msg_get64(&m, 8);
		if (n > VEXEC_CHUNK || vx_relay_write(p, rl->fd, buf, n) < 0)
			break;
	}
	free(buf);
	/* End of our caller's input on a terminal: the terminal's own end of
	 * input (VEOF), so that a program reading lines sees it. */
	if (p->pty >= 0 && s >= 0 && v_msg_code(&m) == V_END_OF_FILE)
		vx_relay_eof(p, rl->fd);
	/* End of input: the program reads EOF (a terminal's is ^D, its own). */
	if (p->pty < 0) {
		pthread_mutex_lock(&vx_lock);
		if (p->fd_in >= 0)
			close(p->fd_in);
		p->fd_in = -1;
		pthread_mutex_unlock(&vx_lock);
	}
	free(rl);
	return NULL;
}

/* Send n bytes to the caller's instance i; short writes are written again. */
static int vx_relay_send(struct vx_prog *p, int s, int i, char *b, size_t n)
{
	struct v_msg m;
	uint64_t w;

	while (n) {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VIO_WRITE);
		v_msg_put32(&m, 4, p->stdio[i]);
		v_msg_put64(&m, 16, n);
		if (v_send_seg(s, p->stream, &m, b, n, V_SEG_READ) < 0 || v_msg_code(&m) != V_OK)
			return -1;
		w = v_msg_get64(&m, 8);
		if (!w || w > n)
			return -1;
		b += w;
		n -= w;
	}
	return 0;
}

/* Wait for output; after the program ended at most until the drain bound. */
static int vx_relay_poll(struct vx_prog *p, int fd)
{
	struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = p->evfd, .events = POLLIN } };
	int64_t left;
	int exited;

	for (;;) {
		pthread_mutex_lock(&vx_lock);
		exited = p->exited;
		left = p->exit_ms + VEXEC_DRAIN_MS - vx_now_ms();
		pthread_mutex_unlock(&vx_lock);
		if (exited && left <= 0)
			return 0;
		if (poll(pf, exited ? 1 : 2, exited ? (int)left : -1) < 0 && errno != EINTR)
			return -1;
		if (pf[0].revents)
			return 1;
	}
}

/* stdout / stderr (a terminal's output: stdout): program to caller. */
static void *vx_relay_out(void *arg)
{
	struct vx_relay *rl = arg;
	struct vx_prog *p = rl->p;
	char *buf = malloc(VEXEC_CHUNK);
	int s = vx_relay_open(rl), ok = s >= 0, drained = 0;
	ssize_t n;

	while (buf && vx_relay_poll(p, rl->fd) > 0) {
		n = read(rl->fd, buf, VEXEC_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {	/* EOF; a terminal's master: EIO once closed */
			drained = ok;
			break;
		}
		/* The caller stopped reading: the program's next write gets
		 * SIGPIPE (a terminal's output is read on and dropped). */
		if (ok && vx_relay_send(p, s, rl->i, buf, (size_t)n) < 0) {
			ok = 0;
			if (p->pty < 0)
				break;
		}
	}
	free(buf);
	pthread_mutex_lock(&vx_lock);
	if (p->pty < 0 && p->fd_out[rl->i - 1] >= 0) {
		close(p->fd_out[rl->i - 1]);
		p->fd_out[rl->i - 1] = -1;
	}
	p->drained &= drained;
	p->outputs--;
	vx_prog_check_done(p);
	pthread_mutex_unlock(&vx_lock);
	free(rl);
	return NULL;
}

static int vx_relay_start(struct vx_prog *p, int i, int fd)
{
	struct vx_relay *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return -ENOMEM;
	rl->p = p;
	rl->i = i;
	rl->fd = fd;
	if (pthread_create(&p->th[i + 1], NULL, i ? vx_relay_out : vx_relay_in, rl)) {
		free(rl);
		return -EAGAIN;
	}
	p->th_used[i + 1] = 1;
	return 0;
}

/* The relays of p's stdio: 0, or -errno (those started run on). */
int vx_relays_start(struct vx_prog *p)
{
	int i, fd, ret = 0;

	for (i = 0; i < 3 && !ret; i++) {
		fd = p->pty >= 0 ? (i == 2 ? -1 : p->pty) : i == 0 ? p->fd_in : p->fd_out[i - 1];
		if (fd < 0 || !p->stdio[i])
			continue;
		pthread_mutex_lock(&vx_lock);
		p->outputs += i > 0;
		pthread_mutex_unlock(&vx_lock);
		ret = vx_relay_start(p, i, fd);
		if (ret && i) {
			pthread_mutex_lock(&vx_lock);
			p->outputs--;
			pthread_mutex_unlock(&vx_lock);
		}
	}
	return ret;
}

/*
 * The drain bound: an output relay whose caller has not answered by
 * VEXEC_DRAIN_MS after the program ended is cut (its Send fails), so that
 * WAIT is answered and the program's record can go; what the program left
 * in its session and did not end on its hangup is killed.  Under vx_lock.
 */
void vx_relays_cut(struct vx_prog *p, int64_t now)
{
	int i;

	if (!p->exited || now - p->exit_ms < VEXEC_DRAIN_MS)
		return;
	vx_session_end(p);
	if (p->finished)
		return;
	for (i = 1; i < 3; i++)
		if (p->relay_sock[i] >= 0)
			shutdown(p->relay_sock[i], SHUT_RDWR);
}
