// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: what /proc says of the programs' processes (state, CPU time, the
 * processes of a session), and the state file that lets a vexecd started
 * after a killed one end what its programs left running.
 *
 * A program is a session: its leader is the process vexecd started, and
 * everything it starts stays in the session unless it calls setsid()
 * itself (a daemon leaving on purpose, as from a login session).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vexecd.h"

/* Fields of /proc/PID/stat after the command: state (3), session (6),
 * utime + stime (14, 15), starttime (22). */
int vx_stat_fields(pid_t pid, char *state, int *sid, unsigned long long *cpu,
		   unsigned long long *start)
{
	char path[64], buf[1024], *s;
	unsigned long long ut, st, t;
	int n, sess, fd;
	char c;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
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

unsigned long long vx_start_ticks(pid_t pid)
{
	unsigned long long t = 0;

	vx_stat_fields(pid, NULL, NULL, NULL, &t);
	return t;
}

static uint64_t vx_ticks_ns(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
}

/* Call fn on each process of /proc (its pid, session, CPU ticks, start). */
static void vx_proc_each(void (*fn)(pid_t, int, unsigned long long, unsigned long long, void *),
			 void *arg)
{
	unsigned long long cpu, start;
	struct dirent *e;
	DIR *d;
	int s;

	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    !vx_stat_fields(atoi(e->d_name), NULL, &s, &cpu, &start))
			fn(atoi(e->d_name), s, cpu, start, arg);
	closedir(d);
}

struct vx_cpu_sum {
	const pid_t *sids;
	uint64_t *ticks;
	unsigned int n;
};

static void vx_cpu_add(pid_t pid, int sid, unsigned long long cpu, unsigned long long start,
		       void *arg)
{
	struct vx_cpu_sum *c = arg;
	unsigned int i;

	(void)pid;
	(void)start;
	for (i = 0; i < c->n; i++)
		if (c->sids[i] == sid)
			c->ticks[i] += cpu;
}

/* CPU time of the processes of each session sids[i] (ns), in one scan. */
void vx_sessions_cpu(const pid_t *sids, uint64_t *ns, unsigned int n)
{
	struct vx_cpu_sum c = { .sids = sids, .ticks = ns, .n = n };
	unsigned int i;

	memset(ns, 0, n * sizeof(*ns));
	if (n)
		vx_proc_each(vx_cpu_add, &c);
	for (i = 0; i < n; i++)
		ns[i] = vx_ticks_ns(ns[i]);
}

int vx_session_cpu(pid_t sid, uint64_t *ns)
{
	if (sid <= 0)
		return -1;
	vx_sessions_cpu(&sid, ns, 1);
	return 0;
}

struct vx_kill {
	pid_t sid;
	int sig;
	unsigned long long since;	/* only processes started since */
	int hit;
};

static void vx_kill_member(pid_t pid, int sid, unsigned long long cpu, unsigned long long start,
			   void *arg)
{
	struct vx_kill *k = arg;

	(void)cpu;
	if (sid == k->sid && start >= k->since && kill(pid, k->sig) == 0)
		k->hit = 1;
}

/*
 * Signal a program: its leader's process group and every process of its
 * session (a shell's jobs are groups of their own).  Called only while
 * the leader is not reaped, so the number still names the session.
 */
int vx_session_kill(pid_t sid, int sig)
{
	struct vx_kill k = { .sid = sid, .sig = sig };

	if (sid <= 1)
		return -ESRCH;
	k.hit = kill(-sid, sig) == 0;
	vx_proc_each(vx_kill_member, &k);
	return k.hit ? 0 : -ESRCH;
}

struct vx_left {
	struct vx_prog *p;
};

static void vx_left_add(pid_t pid, int sid, unsigned long long cpu, unsigned long long start,
			void *arg)
{
	struct vx_prog *p = ((struct vx_left *)arg)->p;

	(void)cpu;
	if (sid != p->pid || pid == p->pid || p->nleft == VX_LEFT_MAX)
		return;
	p->left_pid[p->nleft] = pid;
	p->left_start[p->nleft++] = start;
	kill(pid, SIGHUP);
}

/*
 * The program's leader ended (not yet reaped, so its number still names
 * the session): what it left in its session is hung up, as a terminal's
 * hangup would, and remembered by pid and start time.  Under vx_lock.
 */
void vx_session_hangup(struct vx_prog *p)
{
	struct vx_left l = { .p = p };

	p->nleft = 0;
	vx_proc_each(vx_left_add, &l);
}

/* At the drain bound: kill what is still there of it (the same process:
 * the same start time).  Under vx_lock. */
void vx_session_end(struct vx_prog *p)
{
	int i;

	for (i = 0; i < p->nleft; i++)
		if (vx_start_ticks(p->left_pid[i]) == p->left_start[i])
			kill(p->left_pid[i], SIGKILL);
	p->nleft = 0;
}

/* ---- the state file ----------------------------------------------------- */

static int vx_state_dir_ok;

/* The state directory must be root's and writable by nobody else. */
static int vx_state_dir_check(void)
{
	struct stat st;

	if (mkdir(vx.state_dir, 0700) < 0 && errno != EEXIST)
		return 0;
	if (lstat(vx.state_dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		vd_log(&vxd, "%s: not a directory only we can write: no state kept",
		       vx.state_dir);
		return 0;
	}
	return 1;
}

static void vx_state_path(char *out, size_t n, const char *suffix)
{
	snprintf(out, n, "%s/%08x.pids%s", vx.state_dir, vx.host, suffix);
}

/* Record the running programs (session and its start time).  Under vx_lock. */
void vx_state_save(void)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct vx_prog *p;
	FILE *f;
	int fd;

	if (!vx_state_dir_ok)
		return;
	vx_state_path(path, sizeof(path), "");
	vx_state_path(tmp, sizeof(tmp), ".new");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (p = vx_prog_first(); p; p = p->next)
		if (p->pid > 0 && !p->exited)
			fprintf(f, "%d %llu\n", (int)p->pid, p->start_ticks);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/*
 * End what a killed predecessor's programs left: every process of each
 * recorded session started since the program did.  The leader itself died
 * with that vexecd (PR_SET_PDEATHSIG); a live process that has the
 * leader's number but another start time is somebody else's session.
 */
void vx_state_recover(void)
{
	unsigned long long start;
	struct vx_kill k;
	char path[PATH_MAX];
	int pid, n = 0, fd;
	FILE *f;

	vx_state_dir_ok = vx_state_dir_check();
	if (!vx_state_dir_ok)
		return;
	vx_state_path(path, sizeof(path), "");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fscanf(f, "%d %llu", &pid, &start) == 2) {
		if (pid <= 1 || (vx_start_ticks(pid) && vx_start_ticks(pid) != start))
			continue;
		k = (struct vx_kill){ .sid = pid, .sig = SIGKILL, .since = start };
		vx_proc_each(vx_kill_member, &k);
		n += k.hit;
	}
	fclose(f);
	unlink(path);
	if (n)
		vd_log(&vxd, "ended %d program%s a previous vexecd left", n, n == 1 ? "" : "s");
}
