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
 * The running programs are written to STATE_DIR/<host part>.pids (pid and
 * start time), so that a vexecd started after one that was killed ends
 * their sessions: a program dies with vexecd (PR_SET_PDEATHSIG), its own
 * children would not.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
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
	p->vfd = p->pty = p->fd_in = p->evfd = -1;
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
static void vx_prog_check_done(struct vx_prog *p)
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

static int vx_may(const struct vx_prog *p, const struct v_receive *r)
{
	int remote = !!(r->creds.flags & V_CRED_REMOTE);
	int keyed = !!(r->creds.flags & V_CRED_KEYED);

	if (remote && !keyed && !vx.allow_insecure)
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

	if (!vx_may(p, r))
		return V_NO_PERMISSION;
	switch (v_msg_code(&r->msg)) {
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

static void *vx_ctl_thread(void *arg)
{
	struct vx_prog *p = arg;
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
			v_reply(p->vfd, r.sender, &reply);
		}
	}
	return NULL;
}

/* ---- stdio relays ------------------------------------------------------- */

struct vx_relay {
	struct vx_prog *p;
	int i;			/* 0 stdin, 1 stdout, 2 stderr */
	int fd;
};

static int vx_write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* stdin: READ from the caller's instance, write to the program. */
static void *vx_relay_in(void *arg)
{
	struct vx_relay *rl = arg;
	struct vx_prog *p = rl->p;
	char *buf = malloc(VEXEC_CHUNK);
	uint64_t n;
	struct v_msg m;

	while (buf) {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VIO_READ);
		v_msg_put32(&m, 4, p->stdio[0]);
		v_msg_put64(&m, 16, VEXEC_CHUNK);
		if (v_send_seg(p->relay_sock[0], p->stream, &m, buf, VEXEC_CHUNK, V_SEG_WRITE) < 0 ||
		    v_msg_code(&m) != V_OK)
			break;
		n = v_msg_get64(&m, 8);
		if (n > VEXEC_CHUNK || vx_write_all(rl->fd, buf, n) < 0)
			break;
	}
	free(buf);
	/* End of input: the program reads EOF (a terminal's is ^D, its own). */
	if (p->pty < 0) {
		pthread_mutex_lock(&vx_lock);
		vx_close(&p->fd_in);
		pthread_mutex_unlock(&vx_lock);
	}
	free(rl);
	return NULL;
}

/* Send n bytes to the caller's instance i; short writes are written again. */
static int vx_relay_send(struct vx_prog *p, int i, char *b, size_t n)
{
	struct v_msg m;
	uint64_t w;

	while (n) {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VIO_WRITE);
		v_msg_put32(&m, 4, p->stdio[i]);
		v_msg_put64(&m, 16, n);
		if (v_send_seg(p->relay_sock[i], p->stream, &m, b, n, V_SEG_READ) < 0 ||
		    v_msg_code(&m) != V_OK)
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
	int ok = 1, drained = 0;
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
		if (ok && vx_relay_send(p, rl->i, buf, (size_t)n) < 0) {
			ok = 0;
			if (p->pty < 0)
				break;
		}
	}
	free(buf);
	pthread_mutex_lock(&vx_lock);
	if (p->pty < 0)
		vx_close(&p->fd_out[rl->i - 1]);
	p->drained &= drained;
	p->outputs--;
	vx_prog_check_done(p);
	pthread_mutex_unlock(&vx_lock);
	free(rl);
	return NULL;
}

static int vx_thread(struct vx_prog *p, int slot, void *(*fn)(void *), void *arg)
{
	if (pthread_create(&p->th[slot], NULL, fn, arg))
		return -EAGAIN;
	p->th_used[slot] = 1;
	return 0;
}

static int vx_relay_start(struct vx_prog *p, int i, int fd)
{
	struct vx_relay *rl = calloc(1, sizeof(*rl));
	int ret;

	if (!rl)
		return -ENOMEM;
	rl->p = p;
	rl->i = i;
	rl->fd = fd;
	p->relay_sock[i] = v_open();
	if (p->relay_sock[i] < 0) {
		free(rl);
		return p->relay_sock[i];
	}
	ret = vx_thread(p, i + 1, i ? vx_relay_out : vx_relay_in, rl);
	if (ret)
		free(rl);
	return ret;
}

/* The relays: the number of output relays started, or -errno. */
static int vx_relays_start(struct vx_prog *p)
{
	int i, fd, ret = 0, outs = 0;

	for (i = 0; i < 3 && !ret; i++) {
		fd = p->pty >= 0 ? (i == 2 ? -1 : p->pty) : i == 0 ? p->fd_in : p->fd_out[i - 1];
		if (fd < 0 || !p->stdio[i])
			continue;
		if (i) {
			pthread_mutex_lock(&vx_lock);
			p->outputs++;
			pthread_mutex_unlock(&vx_lock);
		}
		ret = vx_relay_start(p, i, fd);
		if (ret && i) {
			pthread_mutex_lock(&vx_lock);
			p->outputs--;
			pthread_mutex_unlock(&vx_lock);
		}
		outs += i && !ret;
	}
	return ret ? ret : outs;
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

static unsigned long long vx_start_ticks(pid_t pid);

/* Start the program of q in p (a slot from vx_prog_new).  0 or errno. */
int vx_prog_run(struct vx_req *q, struct vx_prog *p)
{
	struct timespec ts;
	int ret, err = 0;

	ret = vx_prog_open(p, q);
	if (!ret)
		ret = vx_spawn(q, p, &err);
	if (ret) {
		vx_prog_discard(p);
		return -ret;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	p->started_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	p->start_ticks = vx_start_ticks(p->pid);
	p->drained = 1;
	ret = vx_thread(p, 0, vx_ctl_thread, p);
	if (!ret)
		ret = vx_relays_start(p);
	pthread_mutex_lock(&vx_lock);
	p->started = 1;
	if (ret < 0) {	/* half started: end it, the reaper and sweep clean up */
		kill(-p->pid, SIGKILL);
		p->drained = 0;
	}
	vx_prog_check_done(p);
	vx_state_save();
	pthread_mutex_unlock(&vx_lock);
	vx_load_kick();
	return ret < 0 ? -ret : 0;
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
	if (waitpid(pid, &status, WNOHANG) != pid) {
		pthread_mutex_unlock(&vx_lock);
		return;
	}
	for (p = vx_progs; p; p = p->next)
		if (p->pid == pid && !p->exited)
			break;
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

void vx_prog_reap_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, vx_reaper, NULL) == 0)
		pthread_detach(t);
}

/* ---- sweeping, stopping ---------------------------------------------------- */

static int vx_prog_stale(const struct vx_prog *p, int64_t now)
{
	if (!p->finished)
		return 0;
	if (p->answered)
		return now - p->answer_ms >= VEXEC_LINGER_MS;
	return now - p->finish_ms >= VEXEC_LINGER_MS;
}

/* Free the programs whose status was collected (or nobody asked for). */
void vx_prog_sweep(void)
{
	struct vx_prog *p, *next, *dead = NULL;
	int64_t now = vx_now_ms();

	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = next) {
		next = p->next;
		if (p->started && vx_prog_stale(p, now)) {
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

/* At a clean stop: end every program's session (TERM, then KILL). */
void vx_prog_stop_all(void)
{
	struct vx_prog *p;
	int i, left = 1;

	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = p->next)
		if (p->started && !p->exited)
			kill(-p->pid, SIGTERM);
	pthread_mutex_unlock(&vx_lock);
	for (i = 0; i < 20 && left; i++) {
		usleep(50000);
		pthread_mutex_lock(&vx_lock);
		left = vx_prog_running();
		pthread_mutex_unlock(&vx_lock);
	}
	pthread_mutex_lock(&vx_lock);
	for (p = vx_progs; p; p = p->next)
		if (p->started && !p->exited)
			kill(-p->pid, SIGKILL);
	vx_progs = NULL;
	vx_state_save();
	pthread_mutex_unlock(&vx_lock);
}

/* ---- /proc ------------------------------------------------------------------ */

/* Fields of /proc/PID/stat after the command: state is field 3. */
static int vx_stat_fields(pid_t pid, char *state, int *sid, unsigned long long *cpu,
			  unsigned long long *start)
{
	char path[64], buf[1024], *s;
	unsigned long long ut, st, t;
	int n, sess;
	char c;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = (int)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = 0;
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 2, "%c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
			 &c, &sess, &ut, &st, &t) != 5)
		return -1;
	if (state)
		*state = c;
	if (sid)
		*sid = sess;
	if (cpu)
		*cpu = ut + st;
	if (start)
		*start = t;
	return 0;
}

char vx_proc_state(pid_t pid)
{
	char c = 'X';

	if (pid <= 0 || vx_stat_fields(pid, &c, NULL, NULL, NULL))
		return 'X';
	return c;
}

static unsigned long long vx_start_ticks(pid_t pid)
{
	unsigned long long t = 0;

	vx_stat_fields(pid, NULL, NULL, NULL, &t);
	return t;
}

/* Call fn on each process of session sid. */
static void vx_session_each(pid_t sid, void (*fn)(pid_t, unsigned long long, void *),
			    void *arg)
{
	unsigned long long cpu;
	struct dirent *e;
	DIR *d;
	int s;

	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    !vx_stat_fields(atoi(e->d_name), NULL, &s, &cpu, NULL) && s == sid)
			fn(atoi(e->d_name), cpu, arg);
	closedir(d);
}

static void vx_add_cpu(pid_t pid, unsigned long long ticks, void *arg)
{
	(void)pid;
	*(unsigned long long *)arg += ticks;
}

/* CPU time of the processes of session sid now (ns). */
int vx_session_cpu(pid_t sid, uint64_t *ns)
{
	unsigned long long ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (sid <= 0)
		return -1;
	vx_session_each(sid, vx_add_cpu, &ticks);
	*ns = ticks * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
	return 0;
}

/* ---- the state file ----------------------------------------------------------- */

static void vx_state_path(char *out, size_t n)
{
	snprintf(out, n, "%s/%08x.pids", vx.state_dir, vx.host);
}

/* Record the running programs (pid and start time).  Under vx_lock. */
void vx_state_save(void)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct vx_prog *p;
	FILE *f;

	vx_state_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	mkdir(vx.state_dir, 0700);
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (p = vx_progs; p; p = p->next)
		if (p->pid > 0 && !p->exited)
			fprintf(f, "%d %llu\n", (int)p->pid, p->start_ticks);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void vx_kill_one(pid_t pid, unsigned long long ticks, void *arg)
{
	(void)ticks;
	(void)arg;
	kill(pid, SIGKILL);
}

/* End what a killed predecessor on this host left running. */
void vx_state_recover(void)
{
	unsigned long long start;
	char path[PATH_MAX];
	int pid, n = 0;
	FILE *f;

	vx_state_path(path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d %llu", &pid, &start) == 2)
		if (pid > 1 && vx_start_ticks(pid) == start) {
			kill(-pid, SIGKILL);
			vx_session_each(pid, vx_kill_one, NULL);
			n++;
		}
	fclose(f);
	unlink(path);
	if (n)
		vd_log(&vxd, "ended %d program%s a previous vexecd left", n, n == 1 ? "" : "s");
}
