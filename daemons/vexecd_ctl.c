// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: each program's own V process (its V id).  WAIT is held until the
 * program has ended and its output reached the caller, SIGNAL goes to its
 * process group (as a terminal's would), WINSIZE to its terminal.  The
 * caller's end (a death notice) hangs the program up; a waiter that gives
 * up (an unblock notice) is forgotten.
 */
#include <sys/ioctl.h>
#include <termios.h>
#include "vexecd.h"

/* ---- WAIT, SIGNAL, WINSIZE: the program's own V process ------------------ */

static void vx_wait_reply(struct vx_prog *p, uint64_t to)
{
	struct v_msg m = vio_reply_code(V_OK);

	v_msg_put32(&m, 8, (uint32_t)p->status);
	v_msg_put32(&m, 12, p->drained ? VEXEC_W_DRAINED : 0);
	if (v_reply(p->vfd, to, &m) == 0 && !p->answered) {
		p->answered = 1;
		p->answer_ms = vx_now_ms();
	}
}

/* Exited, and the output relays are done: answer the WAITs.  Under vx_lock. */
void vx_prog_check_done(struct vx_prog *p)
{
	int i;

	if (!p->exited || p->outputs || p->finished)
		return;
	p->finished = 1;
	p->finish_ms = vx_now_ms();
	for (i = 0; i < p->nwait; i++)
		vx_wait_reply(p, p->waiters[i]);
	p->nwait = 0;
	vx_load_kick();
}

/* Who may WAIT, SIGNAL, WINSIZE: vexecd.c's vx_who rules, the owner or root. */
static int vx_may(const struct vx_prog *p, const struct v_receive *r)
{
	int remote = !!(r->creds.flags & V_CRED_REMOTE);
	int keyed = !!(r->creds.flags & V_CRED_KEYED);

	if (r->forwarder || (remote && !keyed && !vx.allow_insecure))
		return 0;
	if (r->creds.uid == 0)
		return !remote || (keyed && vx.allow_root);
	return r->creds.uid == p->uid;
}

static unsigned int vx_ctl_wait(struct vx_prog *p, const struct v_receive *r)
{
	if (p->finished) {
		vx_wait_reply(p, r->sender);
		return V_OK + 0x100;	/* replied */
	}
	if (p->nwait == VX_WAITERS_MAX)
		return V_NO_SERVER_RESOURCES;
	p->waiters[p->nwait++] = r->sender;
	return V_OK + 0x100;
}

static unsigned int vx_ctl_winsize(struct vx_prog *p, const struct v_msg *m)
{
	struct winsize ws = { .ws_row = v_msg_get16(m, 4), .ws_col = v_msg_get16(m, 6),
			      .ws_xpixel = v_msg_get16(m, 8), .ws_ypixel = v_msg_get16(m, 10) };

	if (p->pty < 0 || p->exited)
		return V_BAD_STATE;
	return ioctl(p->pty, TIOCSWINSZ, &ws) < 0 ? V_BAD_ARGS : V_OK;
}

/* One request to the program's V process; under vx_lock. */
static unsigned int vx_ctl_request(struct vx_prog *p, const struct v_receive *r)
{
	uint32_t sig = v_msg_get32(&r->msg, 4);
	unsigned int code = v_msg_code(&r->msg);

	if (!vx_may(p, r))
		return V_NO_PERMISSION;
	/* The bytes after the code are reserved but SIGNAL's 4-7 and
	 * WINSIZE's 4-11. */
	if (!vx_zero(&r->msg, 2, 4) ||
	    !vx_zero(&r->msg, code == VEXEC_SIGNAL ? 8 : code == VEXEC_WINSIZE ? 12 : 4, V_MSG_SIZE))
		return V_BAD_ARGS;
	switch (code) {
	case VEXEC_WAIT:
		return vx_ctl_wait(p, r);
	case VEXEC_SIGNAL:
		if (!sig || sig > 64)
			return V_BAD_ARGS;
		if (p->exited)
			return V_BAD_STATE;
		return kill(-p->pid, (int)sig) < 0 ? V_IO_ERROR : V_OK;
	case VEXEC_WINSIZE:
		return vx_ctl_winsize(p, &r->msg);
	default:
		return V_ILLEGAL_REQUEST;
	}
}

/* A notice: the caller ended (hang the program up), or a waiter gave up. */
static void vx_ctl_notice(struct vx_prog *p, const struct v_receive *r)
{
	int i;

	if (r->kind == V_KIND_UNBLOCK) {
		for (i = 0; i < p->nwait; i++)
			if (p->waiters[i] == r->sender)
				p->waiters[i--] = p->waiters[--p->nwait];
		return;
	}
	if (r->kind == V_KIND_NOTICE && r->sender == p->client && !p->exited)
		kill(-p->pid, SIGHUP);
}

/* Serve the program's V process until vx_prog_free shuts it down. */
void vx_ctl_serve(struct vx_prog *p)
{
	struct v_receive r;
	struct v_msg reply;
	unsigned int code;
	int ret;

	for (;;) {
		memset(&r, 0, sizeof(r));
		ret = v_receive_ex(p->vfd, &r);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			break;
		pthread_mutex_lock(&vx_lock);
		if (r.kind != V_KIND_MESSAGE) {
			vx_ctl_notice(p, &r);
			pthread_mutex_unlock(&vx_lock);
			continue;
		}
		code = vx_ctl_request(p, &r);
		pthread_mutex_unlock(&vx_lock);
		if (code < 0x100) {
			reply = vio_reply_code(code);
			if (code != V_OK)
				v_msg_put32(&reply, VEXEC_ERRNO_OFF, code == V_NO_PERMISSION ? EPERM :
					    code == V_BAD_STATE ? ESRCH : code == V_NO_SERVER_RESOURCES ?
					    EAGAIN : EINVAL);
			v_reply(p->vfd, r.sender, &reply);
		}
	}
}

