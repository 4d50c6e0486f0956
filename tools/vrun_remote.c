// SPDX-License-Identifier: GPL-2.0
/*
 * vrun -H: run a program on another V host through that host's vexecd
 * (the program manager protocol, <vexec.h>), behaving like running it
 * here, as `ssh HOST cmd` does: its stdin, stdout and stderr are ours,
 * the signals we get are passed on, and we end with its status.
 *
 * Three V processes, because a V process has one Send in flight:
 *   run     Sends RUN, then WAIT, which is held until the program ended;
 *   ctl     the signal thread's SIGNAL and WINSIZE, which cannot wait
 *           behind WAIT;
 *   stream  the stream server (vrun_stream.c): the program's stdin,
 *           stdout and stderr as V I/O instances that vexecd's relays
 *           READ and WRITE.
 *
 * Signals: a Send interrupted by a signal that has a handler fails EINTR
 * and is not restarted (<linux/v.h>), so no handlers: every thread blocks
 * the signals we take, and one thread takes them with sigwait().
 *
 * Job control in pty mode (our terminal raw while the program runs): the
 * signal thread takes SIGTSTP, SIGTTIN and SIGTTOU too, restores the
 * terminal, stops us, and makes it raw again on SIGCONT.  Blocked, the
 * kernel no longer stops us for touching the terminal from the background
 * (a read fails EIO, a write or tcsetattr() goes through): the threads that
 * touch it check first and have the signal thread stop us
 * (vrun_job_foreground()).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "libv_services.h"
#include "parse.h"
#include "vrun.h"

extern char **environ;

#define HOSTS_MAX	512		/* 24 KiB of HOSTS records: one ReplyWithSegment */

/* Passed on to the program (SIGWINCH: as WINSIZE). */
static const int sig_forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
/*
 * Fatal to us by default: taken too, so that the terminal is restored
 * before we die of them, as are the real-time signals.  Not the faults
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT: a bug of ours, which
 * a blocked signal would not stop) nor SIGKILL; a SIGSYS of seccomp and a
 * SIGXFSZ of our own write are sent to the thread at fault and kill it
 * blocked or not (SIGXFSZ then fails the write, EFBIG, told to the relay).
 */
static const int sig_fatal[] = {
	SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGSYS, SIGPWR,
	SIGIO,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

/* What the threads share; set before they start but for the atomics. */
static struct {
	char name[16];		/* the exec host in messages: "0x%x", or "any" */
	uint32_t host;		/* its host part: whose requests the stream server takes */
	uint64_t dst;		/* RUN goes to: V_GROUP_SCHEDULERS */
	uint64_t qualifier;	/* qualified by the exec host (host part << 32) */
	int run_fd, ctl_fd, stream_fd;
	int pty;		/* VEXEC_RUN_PTY */
	int jobctl;		/* pty mode with a terminal on stdin: made raw, so
				 * SIGTSTP, SIGTTIN, SIGTTOU and SIGCONT are taken */
	int want_raw;		/* atomic: raw while the program runs (after a stop too) */
	int tty_fd;		/* our terminal the size comes from, or -1 */
	uint16_t ws[4];		/* the size sent: rows, cols, xpixel, ypixel */
	uint32_t stdio[3];	/* the stream server's instance ids, for the run block */
	int verbose;
	pthread_t sig_thread;
	uint64_t program;	/* atomic: the program's V process once it runs */
} R;

/* ---- the terminal ------------------------------------------------------- */

static pthread_mutex_t term_lock = PTHREAD_MUTEX_INITIALIZER;
static struct termios term_saved;
static int term_raw;		/* term_saved is to be restored (atomic; set under term_lock) */

/* Is fd a terminal whose foreground process group is not ours? */
static int term_background(int fd)
{
	pid_t fg = tcgetpgrp(fd);

	return fg > 0 && fg != getpgrp();
}

/* Every way out goes through here (atexit, the signal thread, failf). */
static void term_restore(void)
{
	pthread_mutex_lock(&term_lock);
	if (term_raw && tcsetattr(0, TCSADRAIN, &term_saved) == 0)
		__atomic_store_n(&term_raw, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&term_lock);
}

/* The program's terminal interprets the keys (^C is a byte for it).  Not
 * from the background (SIGTTOU blocked, it would go through), and not
 * twice: term_saved stays what to restore. */
static void term_make_raw(void)
{
	struct termios t;

	pthread_mutex_lock(&term_lock);
	if (!term_raw && !term_background(0) && tcgetattr(0, &term_saved) == 0) {
		t = term_saved;
		cfmakeraw(&t);
		__atomic_store_n(&term_raw, tcsetattr(0, TCSADRAIN, &t) == 0, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&term_lock);
}

static int term_size(uint16_t ws[4])
{
	struct winsize w;

	if (R.tty_fd < 0 || ioctl(R.tty_fd, TIOCGWINSZ, &w) < 0)
		return -1;
	ws[0] = w.ws_row;
	ws[1] = w.ws_col;
	ws[2] = w.ws_xpixel;
	ws[3] = w.ws_ypixel;
	return 0;
}

/* A pseudo-terminal when asked, by default when stdin and stdout are
 * terminals; its size from ours. */
static void term_setup(const struct vrun_opts *o)
{
	R.pty = o->pty == VRUN_PTY_ON || (o->pty == VRUN_PTY_AUTO && isatty(0) && isatty(1));
	R.tty_fd = isatty(0) ? 0 : isatty(1) ? 1 : -1;
	R.jobctl = R.pty && isatty(0);
	if (R.pty)
		term_size(R.ws);
}

/* ---- messages ----------------------------------------------------------- */

/* A line on stderr; "\r\n" while the terminal is raw. */
static void vnote(const char *fmt, va_list ap)
{
	fprintf(stderr, "vrun: %s: ", R.name);
	vfprintf(stderr, fmt, ap);
	fputs(__atomic_load_n(&term_raw, __ATOMIC_RELAXED) ? "\r\n" : "\n", stderr);
}

void vrun_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

/* vrun cannot go on: the terminal restored, "vrun: HOST: ...", status. */
__attribute__((format(printf, 2, 3)))
static int failf(int status, const char *fmt, ...)
{
	va_list ap;

	term_restore();
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	return status;
}

/* Kernel and vexecd errnos in words that say what happened here. */
static const char *reason(int err)
{
	switch (err) {
	case EHOSTUNREACH:
		return "host unreachable";
	case EPROTO:
		return "the host runs another V wire version";
	case EPERM:
		return "refused (root, or a link without the cluster key: see docs/SECURITY.md)";
	case EAGAIN:
		return "the host runs as many programs as it takes (or as many of yours)";
	}
	return v_strerror(-err);
}

/* The status a failure to start the program gives, as a shell's. */
static int status_of(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return VRUN_EXIT_NOENT;
	if (err == EACCES || err == ENOEXEC)
		return VRUN_EXIT_NOEXEC;
	return VRUN_EXIT_FAIL;
}

/* ---- signals ------------------------------------------------------------ */

static int sig_in(int sig, const int *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == sig)
			return 1;
	return 0;
}

/* Into set unless we were started with it ignored (a shell's background
 * job, nohup): a blocked signal is queued even so, and we would pass on
 * what whoever started us meant nobody to get. */
static void signal_add(sigset_t *set, int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
		return;
	sigaddset(set, sig);
}

static int sig_is_fatal(int sig)
{
	return sig_in(sig, sig_fatal, sizeof(sig_fatal) / sizeof(sig_fatal[0])) ||
	       (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

/* Blocked in every thread (the mask is inherited: before any exists,
 * libv's own included); SIGPIPE ignored: a closed stdout is EPIPE, told
 * to the relay. */
static void signals_block(sigset_t *set)
{
	size_t i;
	int sig;

	sigemptyset(set);
	for (i = 0; i < sizeof(sig_forwarded) / sizeof(sig_forwarded[0]); i++)
		signal_add(set, sig_forwarded[i]);
	for (i = 0; i < sizeof(sig_fatal) / sizeof(sig_fatal[0]); i++)
		signal_add(set, sig_fatal[i]);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		signal_add(set, sig);
	if (R.jobctl) {
		signal_add(set, SIGTSTP);
		signal_add(set, SIGTTIN);
		signal_add(set, SIGTTOU);
		sigaddset(set, SIGCONT);	/* it continues us all the same */
	}
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* End as the signal would have ended us, the terminal restored first. */
static void die_of(int sig)
{
	sigset_t one;

	term_restore();
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(VRUN_EXIT_SIGNAL + sig);
}

/* SIGNAL or WINSIZE to the program, from the ctl process.  Once it ended
 * (V_BAD_STATE, or ESRCH: its V process closed) WAIT tells the rest. */
static void control_send(uint64_t prog, struct v_msg *m, const char *what)
{
	int ret = v_send(R.ctl_fd, prog, m);

	if (ret == 0)
		ret = -v_exec_errno(m);
	if (ret < 0 && ret != -ESRCH && v_msg_code(m) != V_BAD_STATE)
		vrun_note("cannot pass %s on: %s", what, reason(-ret));
}

static void winsize_send(uint64_t prog)
{
	struct v_msg m;

	if (term_size(R.ws))
		return;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VEXEC_WINSIZE);
	v_msg_put16(&m, 4, R.ws[0]);
	v_msg_put16(&m, 6, R.ws[1]);
	v_msg_put16(&m, 8, R.ws[2]);
	v_msg_put16(&m, 10, R.ws[3]);
	control_send(prog, &m, "the window size");
}

static void signal_send(uint64_t prog, int sig)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VEXEC_SIGNAL);
	v_msg_put32(&m, 4, (uint32_t)sig);
	control_send(prog, &m, strsignal(sig));
}

/* ---- job control (R.jobctl) --------------------------------------------- */

static sigset_t sig_set;	/* the signals the signal thread takes */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cond = PTHREAD_COND_INITIALIZER;
static unsigned long job_gen;	/* bumped once the signal thread handled a stop
				 * signal or SIGCONT (under job_lock) */

/* The parent, process group and session of pid (/proc/PID/stat); -1. */
static int proc_ids(int pid, int *ppid, int *pgrp, int *sid)
{
	char path[32], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* after the command, which may hold anything */
	return p && sscanf(p + 1, " %*c %d %d %d", ppid, pgrp, sid) == 3 ? 0 : -1;
}

/*
 * Would the kernel discard a stop signal to our process group, as it does
 * to an orphaned one (no member has its parent in another group of the
 * session)?  Asked of our ancestors in the group: 0 when one of them has
 * its parent in another group of our session, else 1 (another member
 * could still hold the group: we then act as if orphaned, and never stop
 * where nobody would continue us).
 */
static int pgrp_orphaned(void)
{
	int pid = getppid(), pgrp = getpgrp(), sid = getsid(0), ppid, pg, s, depth;

	for (depth = 0; pid > 0 && depth < 64; depth++) {
		if (proc_ids(pid, &ppid, &pg, &s) < 0 || s != sid)
			return 1;
		if (pg != pgrp)
			return 0;
		pid = ppid;
	}
	return 1;
}

/* Continued (SIGCONT, or a stop signal ended): raw again if the program
 * still runs and the terminal is ours again, with its size, which may
 * have changed meanwhile.  Then whoever waits for it looks again. */
static void job_continued(void)
{
	uint64_t prog = __atomic_load_n(&R.program, __ATOMIC_SEQ_CST);

	if (__atomic_load_n(&R.want_raw, __ATOMIC_SEQ_CST) && !term_background(0)) {
		term_make_raw();
		if (prog)
			winsize_send(prog);
	}
	pthread_mutex_lock(&job_lock);
	job_gen++;
	pthread_cond_broadcast(&job_cond);
	pthread_mutex_unlock(&job_lock);
}

/*
 * SIGTSTP, SIGTTIN, SIGTTOU: the terminal restored, stop as the signal's
 * default action would (so the shell says why, and the kernel discards it
 * in an orphaned group: SIGSTOP would stop us for ever there), then raw
 * again.  SIGTTIN and SIGTTOU only from the background, where the kernel
 * sends them: one asked for by vrun_job_foreground() may come after a
 * continue in the foreground.
 */
static void job_stop(int sig)
{
	sigset_t one;

	if (sig == SIGTSTP || term_background(0)) {
		term_restore();
		sigemptyset(&one);
		sigaddset(&one, sig);
		raise(sig);				/* pending on this thread */
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);	/* delivered: stopped */
		pthread_sigmask(SIG_BLOCK, &one, NULL);
	}
	job_continued();
}

int vrun_job_foreground(int fd, int sig)
{
	unsigned long gen;

	if (!R.jobctl || !term_background(fd))
		return 0;
	for (;;) {
		if (!sigismember(&sig_set, sig) || pgrp_orphaned())
			return -1;
		pthread_mutex_lock(&job_lock);
		gen = job_gen;
		pthread_mutex_unlock(&job_lock);
		kill(getpid(), sig);	/* blocked everywhere: the signal thread's */
		pthread_mutex_lock(&job_lock);
		while (job_gen == gen)
			pthread_cond_wait(&job_cond, &job_lock);
		pthread_mutex_unlock(&job_lock);
		if (!term_background(fd))
			return 1;
	}
}

int vrun_job_output(int fd)
{
	struct termios t;

	if (!R.jobctl || !term_background(fd) || tcgetattr(fd, &t) < 0 || !(t.c_lflag & TOSTOP))
		return 0;
	return vrun_job_foreground(fd, SIGTTOU);
}

/* ---- the signal thread -------------------------------------------------- */

/* Before the program runs there is nobody to pass a signal to: it is ours. */
static void signal_take(int sig)
{
	uint64_t prog = __atomic_load_n(&R.program, __ATOMIC_SEQ_CST);

	if (sig == SIGCONT) {
		job_continued();
		return;
	}
	if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
		job_stop(sig);
		return;
	}
	if (sig == SIGWINCH) {
		if (prog && R.pty)
			winsize_send(prog);
		return;
	}
	if (!prog || sig_is_fatal(sig))
		die_of(sig);
	signal_send(prog, sig);
}

static void *signal_main(void *arg)
{
	int sig;

	(void)arg;
	for (;;)
		if (sigwait(&sig_set, &sig) == 0)
			signal_take(sig);
	return NULL;
}

static int threads_start(void)
{
	int ret = vrun_stream_start(R.stream_fd, R.host, !R.pty, R.stdio);

	if (ret < 0)
		return failf(VRUN_EXIT_FAIL, "cannot start the stream server: %s", strerror(-ret));
	ret = pthread_create(&R.sig_thread, NULL, signal_main, NULL);
	if (ret)
		return failf(VRUN_EXIT_FAIL, "cannot start a thread: %s", strerror(ret));
	return 0;
}

/* ---- the exec host ------------------------------------------------------ */

/* RUN to the scheduler group's member on host: the kernel delivers a
 * qualified group Send to that host only. */
static int target_host(uint32_t host)
{
	R.host = host;
	R.dst = V_GROUP_SCHEDULERS;
	R.qualifier = v_id_make(host, 0);
	return 0;
}

int vrun_host_option(struct vrun_opts *o, const char *arg)
{
	uint64_t v;

	if (!strcmp(arg, "any")) {
		o->host = 0;
		return 0;
	}
	if (vtool_parse_u64(arg, 1, V_ID_HOST_MASK, &v) == 0) {
		o->host = (uint32_t)v;
		return 0;
	}
	fprintf(stderr, "vrun: -H wants a host part (1..0x%x) or any, not '%s'\n",
		V_ID_HOST_MASK, arg);
	return -1;
}

/*
 * The least loaded host the local vexecd heard of.  Only the host is taken
 * from its record: RUN goes to that host's member of V_GROUP_SCHEDULERS,
 * as for -H HOST, never to the record's server id.  Anyone can multicast
 * a LOAD, so a record may be forged; joining the group needs CAP_NET_ADMIN,
 * so a forged record can at worst pick the wrong host.
 */
static int target_any(void)
{
	static struct vexec_host recs[HOSTS_MAX];
	uint64_t server;
	uint32_t host;
	int n, i, ret;

	ret = v_exec_server(R.run_fd, &server);
	if (ret < 0)
		return failf(VRUN_EXIT_FAIL, "no vexecd to ask for the hosts' loads: %s",
			     ret == -ESRCH ? "none runs" : reason(-ret));
	n = v_exec_hosts(R.run_fd, server, recs, HOSTS_MAX);
	if (n < 0)
		return failf(VRUN_EXIT_FAIL, "HOSTS from 0x%" PRIx64 ": %s", server, reason(-n));
	i = v_exec_pick(recs, (unsigned int)n);
	if (i < 0)
		return failf(VRUN_EXIT_FAIL, "no exec host heard from");
	host = le32toh(recs[i].host);
	if (!host || host > V_ID_HOST_MASK)
		return failf(VRUN_EXIT_FAIL, "HOSTS from 0x%" PRIx64 ": a bad record", server);
	snprintf(R.name, sizeof(R.name), "0x%x", host);
	return target_host(host);
}

/* A host named (or picked): its vexecd is the member of V_GROUP_SCHEDULERS
 * there. */
static int target_pick(uint32_t host)
{
	return host ? target_host(host) : target_any();
}

/* ---- the run block ------------------------------------------------------ */

/* The block's program: as given, or (-f) the V file name resolved here to
 * "[MANAGER:CONTEXT]rest", so the exec host need not look it up. */
static int program_name(const struct vrun_opts *o, const char *prog, char **out)
{
	struct v_name_binding b;
	int ret;

	if (o->what != VRUN_VFILE)
		*out = strdup(prog);
	else if ((ret = v_name_lookup(R.run_fd, prog, 0, &b)) < 0)
		return failf(ret == -ENOENT ? VRUN_EXIT_NOENT : VRUN_EXIT_FAIL, "%s: %s", prog,
			     ret == -ENOENT ? "no V manager owns that name" :
			     ret == -ESRCH ? "no name handler runs" : reason(-ret));
	else if (asprintf(out, "[%" PRIx64 ":%" PRIx32 "]%s", b.manager, b.local,
			  prog + b.prefix_len) < 0)
		*out = NULL;
	return *out ? 0 : failf(VRUN_EXIT_FAIL, "out of memory");
}

static int cwd_get(const struct vrun_opts *o, char **out)
{
	*out = o->cwd ? strdup(o->cwd) : getcwd(NULL, 0);
	if (!*out)
		return failf(VRUN_EXIT_FAIL, "this working directory: %s (-C DIR names one there)",
			     strerror(errno));
	return 0;
}

/* -c: the local file to send; its size (the room the block leaves). */
static int image_open(const char *path, int *fd, size_t *size)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) < 0)
		return failf(status_of(errno), "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return failf(VRUN_EXIT_NOEXEC, "%s: not an executable file", path);
	if ((uint64_t)st.st_size > VEXEC_IMAGE_MAX)
		return failf(VRUN_EXIT_FAIL, "%s: %lld bytes, over the %llu a RUN carries", path,
			     (long long)st.st_size, (unsigned long long)VEXEC_IMAGE_MAX);
	*size = (size_t)st.st_size;
	return 0;
}

static int image_read(int fd, const char *path, char *dst, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = pread(fd, dst + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return failf(VRUN_EXIT_FAIL, "%s: %s", path,
				     n < 0 ? strerror(errno) : "shorter than it was");
		got += (size_t)n;
	}
	return 0;
}

/* The run block (and -c's image after it) in *blk: *len bytes of block,
 * *img of image. */
static int block_build(const struct vrun_opts *o, char **argv, void **blk, size_t *len,
		       size_t *img)
{
	char *prog, *cwd;
	int ifd = -1, rc, ret;

	*img = 0;
	if ((rc = program_name(o, argv[0], &prog)) || (rc = cwd_get(o, &cwd)))
		return rc;
	if (o->what == VRUN_COPY && (rc = image_open(argv[0], &ifd, img)))
		return rc;
	/* After -f's lookup: the table the program gets holds that prefix. */
	ret = v_name_export();
	if (ret < 0)
		vrun_note("cannot pass the prefix table on: %s", strerror(-ret));
	ret = v_exec_run_pack(prog, cwd, argv, environ, R.stdio, R.pty ? R.ws : NULL, *img, blk, len);
	free(prog);
	free(cwd);
	if (ret < 0)
		return failf(VRUN_EXIT_FAIL, "%s: %s", argv[0], ret == -E2BIG ?
			     "arguments and environment over what a RUN carries" : strerror(-ret));
	if (ifd >= 0) {
		rc = image_read(ifd, argv[0], (char *)*blk + VEXEC_IMAGE_OFF(*len), *img);
		close(ifd);
	}
	return rc;
}

/* ---- running ------------------------------------------------------------ */

/* RUN: 0 and the program's V process, or -errno (the kernel's, vexecd's;
 * EBADMSG: the reply names no V process of the exec host). */
static int run_send(uint16_t flags, void *blk, size_t len, size_t img, uint64_t *prog)
{
	struct v_send s;
	uint64_t self;
	int ret = v_self(R.stream_fd, &self);

	if (ret < 0)
		return ret;
	memset(&s, 0, sizeof(s));
	s.dst = R.dst;
	s.qualifier = R.qualifier;
	s.seg_addr = (uint64_t)(uintptr_t)blk;
	s.seg_len = img ? VEXEC_IMAGE_OFF(len) + img : len;
	s.seg_access = V_SEG_READ;
	v_msg_set_code(&s.msg, VEXEC_RUN);
	v_msg_put16(&s.msg, 2, flags);
	v_msg_put32(&s.msg, 4, (uint32_t)len);
	v_msg_put64(&s.msg, 8, self);
	v_msg_put64(&s.msg, 16, img);
	ret = v_send_ex(R.run_fd, &s);
	if (ret < 0)
		return ret;
	if (v_msg_code(&s.msg) != V_OK)
		return -v_exec_errno(&s.msg);
	*prog = v_msg_get64(&s.msg, 8);
	/* WAIT, SIGNAL and WINSIZE go there: a V process of the exec host. */
	if (!*prog || v_id_is_group(*prog) || v_id_host(*prog) != R.host)
		return -EBADMSG;
	return 0;
}

static int run_failed(const char *prog, int err)
{
	switch (err) {
	case ENOENT:
		return failf(VRUN_EXIT_NOENT, "%s: no such program, or no such working directory",
			     prog);
	case ENOTDIR:
		return failf(VRUN_EXIT_NOENT, "%s: a path there, or the working directory, is "
			     "not a directory", prog);
	case EACCES:
		return failf(VRUN_EXIT_NOEXEC, "%s: permission denied (not executable, or a "
			     "directory not searchable)", prog);
	case ENOEXEC:
		return failf(VRUN_EXIT_NOEXEC, "%s: not an executable format", prog);
	case ESRCH:
		return failf(VRUN_EXIT_FAIL, "no vexecd runs there (or it ended before answering)");
	case E2BIG:
		return failf(VRUN_EXIT_FAIL, "%s: over a limit of the exec host", prog);
	case EBADMSG:
		return failf(VRUN_EXIT_FAIL, "the RUN reply names no V process of that host");
	}
	return failf(status_of(err), "%s: %s", prog, reason(err));
}

/* WAIT until the program ended: 0 and its wait status, or -errno. */
static int program_wait(uint64_t prog, uint32_t *status, uint32_t *flags)
{
	struct v_msg m;
	int ret;

	do {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, VEXEC_WAIT);
		ret = v_send(R.run_fd, prog, &m);
	} while (ret == -EINTR);	/* any number of WAITs may be held */
	if (ret < 0)
		return ret;
	if (v_msg_code(&m) != V_OK)
		return -v_exec_errno(&m);
	*status = v_msg_get32(&m, 8);
	*flags = v_msg_get32(&m, 12);
	return 0;
}

/* The program runs: take the terminal, wait, and end as it ended. */
static int run_wait(uint64_t prog)
{
	uint32_t status = 0, flags = 0;
	uint16_t ws[4];
	int ret, st;

	__atomic_store_n(&R.program, prog, __ATOMIC_SEQ_CST);
	if (R.jobctl) {
		/* From the background: stopped first, as tcsetattr() would. */
		__atomic_store_n(&R.want_raw, 1, __ATOMIC_SEQ_CST);
		vrun_job_foreground(0, SIGTTOU);
		term_make_raw();
	}
	/* Once the terminal is raw: what is typed after this line reaches the
	 * program's terminal, never ours (a ^D typed into our cooked terminal
	 * would end our input, not the program's). */
	if (R.verbose)
		fprintf(stderr, "vrun: host 0x%x program 0x%llx%s", R.host,
			(unsigned long long)prog, R.jobctl && isatty(2) ? "\r\n" : "\n");
	/* Resized while RUN was on its way: the signal thread sends the size. */
	if (R.pty && term_size(ws) == 0 && memcmp(ws, R.ws, sizeof(ws)))
		pthread_kill(R.sig_thread, SIGWINCH);
	ret = program_wait(prog, &status, &flags);
	__atomic_store_n(&R.want_raw, 0, __ATOMIC_SEQ_CST);
	term_restore();
	if (ret < 0)
		return failf(VRUN_EXIT_FAIL, "%s", ret == -ESRCH ?
			     "its vexecd ended (the program's fate is unknown)" : reason(-ret));
	if (R.verbose && !(flags & VEXEC_W_DRAINED))
		vrun_note("output cut: the program ended, its output did not all come");
	st = (int)status;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WIFSIGNALED(st) ? VRUN_EXIT_SIGNAL + WTERMSIG(st) : VRUN_EXIT_FAIL;
}

/* A closed 0, 1 or 2 would become a V process's descriptor. */
static void stdio_hold(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return;
}

static int remote_open(void)
{
	int *fds[] = { &R.run_fd, &R.ctl_fd, &R.stream_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		*fds[i] = v_open();
		if (*fds[i] < 0)
			return failf(VRUN_EXIT_FAIL, "cannot open a V process: %s",
				     v_strerror(*fds[i]));
	}
	return 0;
}

int vrun_remote(const struct vrun_opts *o, char **argv)
{
	uint16_t flags;
	uint64_t prog = 0;
	size_t len, img;
	void *blk;
	int rc, ret;

	stdio_hold();
	term_setup(o);		/* R.jobctl: which signals to take */
	signals_block(&sig_set);
	atexit(term_restore);
	R.verbose = o->verbose;
	if (o->host)
		snprintf(R.name, sizeof(R.name), "0x%x", o->host);
	else
		snprintf(R.name, sizeof(R.name), "any");
	if ((rc = remote_open()) || (rc = target_pick(o->host)))
		return rc;
	/* The stream server first: it names the instances the block carries. */
	if ((rc = threads_start()) || (rc = block_build(o, argv, &blk, &len, &img)))
		return rc;
	flags = (R.pty ? VEXEC_RUN_PTY : 0) | (o->what == VRUN_COPY ? VEXEC_RUN_IMAGE : 0) |
		(o->what == VRUN_VFILE ? VEXEC_RUN_VFILE : 0);
	ret = run_send(flags, blk, len, img, &prog);
	free(blk);
	if (ret < 0)
		return run_failed(argv[0], -ret);
	return run_wait(prog);
}
