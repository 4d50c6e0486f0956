// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: the programs it runs.  Each has a V process of its own (its V
 * id: WAIT, SIGNAL, WINSIZE arrive there, served by its ctl thread), and
 * up to three relays, each a thread with a V process of its own (one Send
 * in flight per V process), moving stdio between the program's pipes or
 * terminal and the caller's stream instances.  One reaper thread collects
 * every child.  A program's record stays until its status was collected
 * (VEXEC_LINGER_MS after a WAIT was answered, or after it ended when
 * nobody asked), then the load thread's sweep frees it.
 *
 * Each program's ctl thread (vexecd_ctl.c) waits for its exec, answers
 * RUN, then serves its V process; the relays are in vexecd_relay.c.
 */
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "vexecd.h"

/* Guards the table and what changes in a program after it started. */
pthread_mutex_t vx_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vx_reap_cond = PTHREAD_COND_INITIALIZER;
static struct vx_prog *vx_progs;
static unsigned int vx_nprogs;

int64_t vx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vx_prog *vx_prog_first(void)
{
	return vx_progs;
}

struct vx_prog *vx_prog_find(uint64_t id)
{
	struct vx_prog *p;

	for (p = vx_progs; p; p = p->next)
		if (p->id == id && p->started)
			return p;
	return NULL;
}

unsigned int vx_prog_running(void)
{
	struct vx_prog *p;
	unsigned int n = 0;

	for (p = vx_progs; p; p = p->next)
		n += p->started && !p->exited;
	return n;
}

/* A slot in the table, within the limits (EAGAIN beyond). */
struct vx_prog *vx_prog_new(uint32_t uid, int *err)
{
	unsigned int mine = 0;
	struct vx_prog *p;
	int i;

	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = p->next)
		mine += p->uid == uid;
	if (vx_nprogs >= vx.max_programs || mine >= vx.max_per_user) {
		pthread_mutex_unlock(&vx_lock);
		*err = EAGAIN;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		pthread_mutex_unlock(&vx_lock);
		*err = ENOMEM;
		return NULL;
	}
	p->uid = uid;
	p->vfd = p->pty = p->fd_in = p->evfd = p->status_fd = -1;
	p->fd_out[0] = p->fd_out[1] = -1;
	for (i = 0; i < 3; i++)
		p->relay_sock[i] = -1;
	p->next = vx_progs;
	vx_progs = p;
	vx_nprogs++;
	pthread_mutex_unlock(&vx_lock);
	return p;
}

static void vx_prog_unlink(struct vx_prog *p)
{
	struct vx_prog **pp;

	for (pp = &vx_progs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			vx_nprogs--;
			return;
		}
}

static void vx_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Free p once out of the table and with its threads ended. */
static void vx_prog_free(struct vx_prog *p)
{
	int i;

	if (p->vfd >= 0)
		shutdown(p->vfd, SHUT_RDWR);
	for (i = 0; i < 3; i++)
		if (p->relay_sock[i] >= 0)
			shutdown(p->relay_sock[i], SHUT_RDWR);
	for (i = 0; i < 4; i++)
		if (p->th_used[i])
			pthread_join(p->th[i], NULL);
	for (i = 0; i < 3; i++)
		vx_close(&p->relay_sock[i]);
	vx_close(&p->vfd);
	vx_close(&p->pty);
	vx_close(&p->fd_in);
	vx_close(&p->fd_out[0]);
	vx_close(&p->fd_out[1]);
	vx_close(&p->evfd);
	vx_close(&p->status_fd);
	free(p);
}

/* A program that never started (its exec failed, or it could not). */
void vx_prog_discard(struct vx_prog *p)
{
	pthread_mutex_lock(&vx_lock);
	vx_prog_unlink(p);
	pthread_mutex_unlock(&vx_lock);
	vx_prog_free(p);
}

/* ---- running one --------------------------------------------------------- */

static void vx_prog_cmd(struct vx_prog *p, char **argv)
{
	size_t used = 0;
	int i;

	for (i = 0; argv[i] && used + 1 < sizeof(p->cmd); i++)
		used += (size_t)snprintf(p->cmd + used, sizeof(p->cmd) - used, "%s%s",
					 i ? " " : "", argv[i]);
}

static int vx_prog_open(struct vx_prog *p, const struct vx_req *q)
{
	int ret;

	p->client = q->client;
	p->stream = q->stream;
	memcpy(p->stdio, q->stdio, sizeof(p->stdio));
	vx_prog_cmd(p, q->argv);
	p->evfd = eventfd(0, EFD_CLOEXEC);
	p->vfd = v_open();
	if (p->evfd < 0 || p->vfd < 0)
		return p->vfd < 0 ? p->vfd : -errno;
	ret = v_self(p->vfd, &p->id);
	if (!ret)
		ret = v_notify(p->vfd, V_NOTIFY_UNBLOCK);
	/* The caller's end hangs the program up, as a terminal's would. */
	if (!ret)
		ret = v_watch(p->vfd, p->client, 0);
	return ret;
}

/* Exec failed or could not be waited for: answer RUN, leave p to the sweep. */
static void vx_prog_failed(struct vx_prog *p, int err)
{
	struct v_msg m = vx_run_error(err);

	v_reply(vxd.fd, p->client, &m);
	pthread_mutex_lock(&vx_lock);
	p->failed = 1;
	pthread_mutex_unlock(&vx_lock);
}

/* Exec succeeded: the relays, then RUN's answer (its V id and pid). */
static void vx_prog_started(struct vx_prog *p)
{
	struct v_msg m = vio_reply_code(V_OK);
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	p->started_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	p->start_ticks = vx_start_ticks(p->pid);
	p->drained = 1;
	ret = vx_relays_start(p);
	pthread_mutex_lock(&vx_lock);
	p->started = 1;
	if (ret < 0 && !p->exited) {	/* half started: end it */
		vx_session_kill(p->pid, SIGKILL);
		p->drained = 0;
	}
	vx_prog_check_done(p);
	vx_state_save();
	pthread_mutex_unlock(&vx_lock);
	vx_load_kick();
	v_msg_put64(&m, 8, p->id);
	v_msg_put32(&m, 16, (uint32_t)p->pid);
	v_reply(vxd.fd, p->client, &m);
}

/*
 * The program's ctl thread: wait for exec here, not in a worker (a user's
 * FUSE mount can hold chdir or exec for as long as it likes), answer RUN,
 * then serve the program's V process.
 */
static void *vx_ctl_thread(void *arg)
{
	struct vx_prog *p = arg;
	int err = 0;
	ssize_t n;

	do
		n = read(p->status_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p->status_fd);
	p->status_fd = -1;
	if (n == sizeof(err)) {
		vx_prog_failed(p, err ? err : EIO);
		return NULL;
	}
	vx_prog_started(p);
	vx_ctl_serve(p);
	return NULL;
}

/*
 * Start the program of q in p (a slot from vx_prog_new): fork it, and
 * leave the rest (and RUN's answer) to its ctl thread.  0 (RUN will be
 * answered), or an errno for the caller to answer with.
 */
int vx_prog_run(struct vx_req *q, struct vx_prog *p)
{
	int ret;

	ret = vx_prog_open(p, q);
	if (!ret)
		ret = vx_spawn(q, p);
	if (ret) {
		vx_prog_discard(p);
		return -ret;
	}
	if (pthread_create(&p->th[0], NULL, vx_ctl_thread, p)) {
		pthread_mutex_lock(&vx_lock);
		if (!p->exited)
			vx_session_kill(p->pid, SIGKILL);
		p->failed = 1;
		pthread_mutex_unlock(&vx_lock);
		return EAGAIN;
	}
	p->th_used[0] = 1;
	return 0;
}

/* ---- the reaper ---------------------------------------------------------- */

/*
 * A child ended: reap it and mark its program, both under vx_lock, so that
 * nobody signals its pid (or process group) after the number was freed.
 */
static void vx_prog_exited(pid_t pid)
{
	struct vx_prog *p;
	uint64_t one = 1;
	int status = 0;
	ssize_t n;

	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = p->next)
		if (p->pid == pid && !p->exited)
			break;
	if (p)
		vx_session_hangup(p);
	if (waitpid(pid, &status, WNOHANG) != pid) {
		pthread_mutex_unlock(&vx_lock);
		return;
	}
	if (p) {
		p->exited = 1;
		p->status = status;
		p->exit_ms = vx_now_ms();
		n = write(p->evfd, &one, sizeof(one));
		(void)n;
		if (p->relay_sock[0] >= 0)	/* a READ the caller may never answer */
			shutdown(p->relay_sock[0], SHUT_RDWR);
		if (p->started)
			vx_prog_check_done(p);
		vx_state_save();
	}
	pthread_mutex_unlock(&vx_lock);
}

static void *vx_reaper(void *arg)
{
	struct timespec ts;
	siginfo_t si;

	(void)arg;
	for (;;) {
		/* Learn of an end without reaping: vx_prog_exited reaps. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid > 0) {
			vx_prog_exited(si.si_pid);
			continue;
		}
		if (errno == EINTR)
			continue;
		/* No children: wait for the next program (or a second). */
		pthread_mutex_lock(&vx_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&vx_reap_cond, &vx_lock, &ts);
		pthread_mutex_unlock(&vx_lock);
	}
	return NULL;
}

/* A child was forked: the reaper may be waiting for one. */
void vx_reap_kick(void)
{
	pthread_cond_signal(&vx_reap_cond);
}

void vx_prog_reap_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, vx_reaper, NULL) == 0)
		pthread_detach(t);
}

/* ---- sweeping, stopping ---------------------------------------------------- */

static int vx_prog_stale(const struct vx_prog *p, int64_t now)
{
	if (p->failed)	/* its ctl thread has answered RUN and ended */
		return p->exited || p->pid <= 0;
	if (!p->started || !p->finished)
		return 0;
	if (p->answered)
		return now - p->answer_ms >= VEXEC_LINGER_MS;
	return now - p->finish_ms >= VEXEC_LINGER_MS;
}

/* Cut what outlived the drain bound; free the programs whose status was
 * collected (or nobody asked for). */
void vx_prog_sweep(void)
{
	struct vx_prog *p, *next, *dead = NULL;
	int64_t now = vx_now_ms();

	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = next) {
		next = p->next;
		vx_relays_cut(p, now);
		if (vx_prog_stale(p, now)) {
			vx_prog_unlink(p);
			p->next = dead;
			dead = p;
		}
	}
	pthread_mutex_unlock(&vx_lock);
	for (p = dead; p; p = next) {
		next = p->next;
		vx_prog_free(p);
	}
}

static void vx_prog_signal_all(int sig)
{
	struct vx_prog *p;

	for (p = vx_progs; p; p = p->next)
		if (p->pid > 0 && !p->exited)
			vx_session_kill(p->pid, sig);
}

/* At a clean stop, before the workers go: TERM every program, then KILL. */
void vx_prog_stop_all(void)
{
	unsigned int left = 1;
	int i;

	pthread_mutex_lock(&vx_lock);
	vx_prog_signal_all(SIGTERM);
	pthread_mutex_unlock(&vx_lock);
	for (i = 0; i < 20 && left; i++) {
		usleep(50000);
		pthread_mutex_lock(&vx_lock);
		left = vx_prog_running();
		pthread_mutex_unlock(&vx_lock);
	}
	pthread_mutex_lock(&vx_lock);
	vx_prog_signal_all(SIGKILL);
	pthread_mutex_unlock(&vx_lock);
	vx_load_kick();
}
