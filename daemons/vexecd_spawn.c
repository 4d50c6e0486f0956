// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: starting a program.  Everything the child needs is prepared
 * before fork() (vexecd has threads: between fork and exec the child calls
 * only async-signal-safe functions), and the child reports a failed exec
 * through a close-on-exec pipe, so that RUN is answered only once the
 * program is executing, or with exec's errno.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "vexecd.h"

#define VX_GROUPS_MAX	256
#define VX_PATHS_MAX	64

struct vx_child {
	int fd[3];		/* becomes 0, 1, 2 */
	int ctty;		/* fd[0] is a terminal: make it the controlling one */
	uid_t uid;
	gid_t gid;
	gid_t groups[VX_GROUPS_MAX];
	int ngroups;
	const char *cwd;
	char *paths[VX_PATHS_MAX];	/* tried in order, as execvp() does */
	int npaths;
	int image_fd;
	char **argv;
	char **envp;
	int status_fd;
	pid_t parent;
	char loginuid[16];	/* the audit login uid, as /proc wants it */
};

/* Load an image of len bytes at segment offset off into a sealed memfd. */
int vx_image_load(int fd, const struct v_receive *r, const void *seg, uint64_t off,
		  uint64_t len)
{
	int mfd, ret = 0;
	char *map;

	mfd = memfd_create("vexec-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, (off_t)len) < 0) {
		ret = -errno;
		close(mfd);
		return ret;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		close(mfd);
		return ret;
	}
	ret = vio_segment_get(fd, r, seg, off, len, map) ? -EFAULT : 0;
	munmap(map, len);
	if (ret < 0) {
		close(mfd);
		return ret;
	}
	fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return mfd;
}

/*
 * The user's groups here.  An unknown uid keeps the gid its kernel vouched
 * for; a claimed one (an unkeyed link) gets nogroup: a claim of gid 0 or
 * of "disk" must not be worth anything.
 */
static void vx_child_user(struct vx_child *c, const struct vx_who *w)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	c->uid = w->uid;
	c->gid = w->claimed ? 65534 : w->gid;
	c->groups[0] = c->gid;
	c->ngroups = 1;
	snprintf(c->loginuid, sizeof(c->loginuid), "%u", w->uid);
	if (getpwuid_r(w->uid, &pw, buf, sizeof(buf), &res) || !res)
		return;
	c->gid = pw.pw_gid;
	c->ngroups = VX_GROUPS_MAX;
	if (getgrouplist(pw.pw_name, pw.pw_gid, c->groups, &c->ngroups) < 0) {
		c->groups[0] = pw.pw_gid;
		c->ngroups = 1;
	}
}

static void vx_paths_free(struct vx_child *c)
{
	int i;

	for (i = 0; i < c->npaths; i++)
		free(c->paths[i]);
	c->npaths = 0;
}

/* The candidates for name: itself with a '/', else each PATH entry's. */
static int vx_child_paths(struct vx_child *c, const char *name, char **envp)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin", *d, *end;
	int i;

	if (strchr(name, '/')) {
		c->paths[c->npaths] = strdup(name);
		return c->paths[c->npaths++] ? 0 : -ENOMEM;
	}
	for (i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	for (d = path; c->npaths < VX_PATHS_MAX; d = end + 1) {
		end = strchrnul(d, ':');
		if (asprintf(&c->paths[c->npaths], "%.*s/%s", end == d ? 1 : (int)(end - d),
			     end == d ? "." : d, name) < 0)
			return -ENOMEM;
		c->npaths++;
		if (!*end)
			break;
	}
	return 0;
}

/* VEXEC_RUN_VFILE: vrun -q NAME ARG... loads the program over V as the user. */
static char **vx_vfile_argv(const struct vx_req *q)
{
	int i, argc = 0;
	char **v;

	while (q->argv[argc])
		argc++;
	v = calloc((size_t)argc + 4, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = (char *)"vrun";
	v[1] = (char *)"-q";
	v[2] = (char *)q->program;
	for (i = 1; i < argc; i++)
		v[i + 2] = q->argv[i];
	return v;
}

/*
 * In the child: nothing of vexecd's but what the program is given.  Its
 * descriptors go first (closed, not just marked: another user's pipes and
 * status pipes must not stay open in a child that hangs in chdir), the
 * status pipe and the image kept at 3 and 4.
 */
static int vx_child_fds(const struct vx_child *c, int *status_fd, int *image_fd)
{
	int i, s, img = -1;

	for (i = 0; i < 3; i++)
		if (dup2(c->fd[i], i) < 0)
			return -1;
	s = fcntl(c->status_fd, F_DUPFD_CLOEXEC, 64);
	if (c->image_fd >= 0)
		img = fcntl(c->image_fd, F_DUPFD_CLOEXEC, 64);
	if (s < 0 || (c->image_fd >= 0 && img < 0) || dup3(s, 3, O_CLOEXEC) < 0 ||
	    (img >= 0 && dup3(img, 4, O_CLOEXEC) < 0))
		return -1;
	*status_fd = 3;
	*image_fd = img >= 0 ? 4 : -1;
	return close_range(img >= 0 ? 5 : 4, ~0U, 0);
}

/* Every signal at its default, unblocked: vexecd ignores SIGPIPE, and may
 * have been started ignoring SIGINT (a shell's background job); exec
 * keeps what is ignored. */
static void vx_child_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int i;

	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The audit login uid: unset, the program could set it to anything. */
static void vx_child_loginuid(const struct vx_child *c)
{
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = write(fd, c->loginuid, strlen(c->loginuid));
	(void)n;
	close(fd);
}

static void __attribute__((noreturn)) vx_child_fail(int status_fd, int err)
{
	ssize_t n = write(status_fd, &err, sizeof(err));

	(void)n;
	_exit(127);
}

/* In the child: async-signal-safe calls only, up to exec. */
static void __attribute__((noreturn)) vx_child_exec(const struct vx_child *c)
{
	int i, err = ENOENT, sfd = c->status_fd, ifd = -1;

	vx_child_signals();
	if (setsid() < 0 || vx_child_fds(c, &sfd, &ifd) < 0)
		vx_child_fail(sfd, errno);
	if (c->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		vx_child_fail(sfd, errno);
	vx_child_loginuid(c);
	if (setgroups((size_t)c->ngroups, c->groups) < 0 || setgid(c->gid) < 0 ||
	    setuid(c->uid) < 0)
		vx_child_fail(sfd, errno);
	/* After setuid (which clears it).  The forking thread is a worker,
	 * which lives until vexecd has ended its programs (on_stop). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != c->parent)
		vx_child_fail(sfd, ESRCH);
	if (chdir(c->cwd) < 0)
		vx_child_fail(sfd, errno);
	umask(022);
	if (ifd >= 0) {
		fexecve(ifd, c->argv, c->envp);
		vx_child_fail(sfd, errno);
	}
	for (i = 0; i < c->npaths; i++) {
		execve(c->paths[i], c->argv, c->envp);
		/* As execvp(): a later directory may still have it. */
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
			break;
	}
	vx_child_fail(sfd, err);
}

/* A terminal for the program: our end (master) and its (slave, ours). */
static int vx_pty_open(struct vx_prog *p, const struct vx_req *q, int *slave)
{
	struct winsize ws = { .ws_row = q->ws[0], .ws_col = q->ws[1],
			      .ws_xpixel = q->ws[2], .ws_ypixel = q->ws[3] };
	char name[64];

	/* Non-blocking: a relay never waits on the program for ever. */
	p->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (p->pty < 0)
		return -errno;
	if (grantpt(p->pty) || unlockpt(p->pty) || ptsname_r(p->pty, name, sizeof(name)))
		return -errno;
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return -errno;
	if (fchown(*slave, p->uid, (gid_t)-1) < 0 || fchmod(*slave, 0620) < 0)
		return -errno;
	if (ws.ws_row && ws.ws_col)
		ioctl(p->pty, TIOCSWINSZ, &ws);
	return 0;
}

/* Stdio: a terminal, pipes to the relays, or /dev/null. */
static int vx_stdio_open(struct vx_prog *p, const struct vx_req *q, struct vx_child *c)
{
	int i, pfd[2], null, ret = 0;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (i = 0; i < 3; i++)
		c->fd[i] = -1;
	if (q->flags & VEXEC_RUN_PTY) {
		ret = vx_pty_open(p, q, &c->fd[0]);
		c->fd[1] = c->fd[0] >= 0 ? dup(c->fd[0]) : -1;
		c->fd[2] = c->fd[0] >= 0 ? dup(c->fd[0]) : -1;
		c->ctty = 1;
		close(null);
		return ret < 0 ? ret : c->fd[2] < 0 ? -errno : 0;
	}
	for (i = 0; i < 3 && !ret; i++) {
		if (!q->stdio[i]) {
			c->fd[i] = dup(null);
			ret = c->fd[i] < 0 ? -errno : 0;
			continue;
		}
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			ret = -errno;
			break;
		}
		c->fd[i] = pfd[i == 0 ? 0 : 1];
		if (i == 0)	/* our end only: the program's stays blocking */
			p->fd_in = pfd[1];
		else
			p->fd_out[i - 1] = pfd[0];
		if (i == 0 && fcntl(p->fd_in, F_SETFL, O_NONBLOCK) < 0)
			ret = -errno;
	}
	close(null);
	return ret;
}

static void vx_child_close(struct vx_child *c)
{
	int i;

	for (i = 0; i < 3; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	vx_paths_free(c);
}

static int vx_child_prepare(struct vx_req *q, struct vx_prog *p, struct vx_child *c,
			    char ***vargv)
{
	int ret;

	c->image_fd = q->image_fd;
	c->cwd = q->cwd;
	c->argv = q->argv;
	c->envp = q->envp;
	c->parent = getpid();
	vx_child_user(c, &q->who);
	p->gid = c->gid;
	ret = vx_stdio_open(p, q, c);
	if (ret)
		return ret;
	if (q->flags & VEXEC_RUN_VFILE) {
		*vargv = vx_vfile_argv(q);
		if (!*vargv)
			return -ENOMEM;
		c->argv = *vargv;
		return vx_child_paths(c, vx.vrun, q->envp);
	}
	return q->image_fd >= 0 ? 0 : vx_child_paths(c, q->program, q->envp);
}

/*
 * Fork the program for p.  Its pid is set under vx_lock before the reaper
 * can look it up; p->status_fd tells how exec went (vexecd_prog.c's ctl
 * thread reads it: a worker must not wait on a user's file system).
 * 0, or -errno.
 */
int vx_spawn(struct vx_req *q, struct vx_prog *p)
{
	struct vx_child c = { .fd = { -1, -1, -1 } };
	char **vargv = NULL;
	int st[2], ret;
	pid_t pid;

	ret = vx_child_prepare(q, p, &c, &vargv);
	if (!ret && pipe2(st, O_CLOEXEC) < 0)
		ret = -errno;
	if (ret) {
		vx_child_close(&c);
		free(vargv);
		return ret;
	}
	c.status_fd = st[1];
	pthread_mutex_lock(&vx_lock);
	pid = fork();
	if (pid == 0)
		vx_child_exec(&c);
	p->pid = pid > 0 ? pid : 0;
	vx_reap_kick();
	pthread_mutex_unlock(&vx_lock);
	ret = pid < 0 ? -errno : 0;
	close(st[1]);
	vx_child_close(&c);
	free(vargv);
	if (ret)
		close(st[0]);
	else
		p->status_fd = st[0];
	return ret;
}
