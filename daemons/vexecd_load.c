// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: this host's load, told to V_GROUP_SCHEDULERS about once a second
 * (and at once when a program starts or ends), and the loads heard from
 * the other hosts, which HOSTS reports and `vrun -H any` places by.
 *
 * Hosts of one kernel (network namespaces) share its load average, so the
 * score adds what tells them apart: the CPU the programs this vexecd runs
 * used (their sessions' processes) over the last interval.
 *
 * Also here: vkmod's generic netlink, for how many V processes the host
 * has (V_CMD_HOST_GET) and who made one of them (a V_CMD_PROC_GET dump,
 * for CONTROL of processes vexecd did not start).
 */
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <time.h>
#include <unistd.h>
#include "vexecd.h"

#define VX_HOSTS_MAX	1024

struct vx_host {
	uint64_t server;
	uint32_t host;
	int64_t heard_ms;
	struct v_msg load;	/* the LOAD as received */
};

/* Guards the hosts table. */
static pthread_mutex_t vx_hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vx_host vx_hosts[VX_HOSTS_MAX];
static unsigned int vx_nhosts;

static unsigned int vx_host_procs(void);

static pthread_mutex_t vx_kick_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vx_kick_cond = PTHREAD_COND_INITIALIZER;
static int vx_kicked;

/*
 * Record a LOAD: only from root of this host or of a keyed host (another
 * vexecd), never forwarded; over an unkeyed link only with
 * --allow-insecure-exec.  A user claiming a host is idle would draw
 * programs to it (vrun -H any then Sends RUN to the scheduler group
 * qualified by the host, which only root can join, so a forged record
 * can at worst pick the wrong host).
 */
void vx_load_record(const struct v_receive *r)
{
	uint32_t host = v_id_host(r->sender);
	int remote = !!(r->creds.flags & V_CRED_REMOTE);
	unsigned int i;

	if (r->forwarder || r->creds.uid != 0 ||
	    (remote && !(r->creds.flags & V_CRED_KEYED) && !vx.allow_insecure))
		return;
	pthread_mutex_lock(&vx_hosts_lock);
	for (i = 0; i < vx_nhosts; i++)
		if (vx_hosts[i].host == host)
			break;
	if (i == vx_nhosts && vx_nhosts < VX_HOSTS_MAX)
		vx_nhosts++;
	if (i < vx_nhosts) {
		vx_hosts[i].server = r->sender;
		vx_hosts[i].host = host;
		vx_hosts[i].heard_ms = vx_now_ms();
		vx_hosts[i].load = r->msg;
	}
	pthread_mutex_unlock(&vx_hosts_lock);
}

static void vx_host_record(const struct vx_host *h, int64_t now, struct vexec_host *o)
{
	const struct v_msg *m = &h->load;
	uint64_t score;

	memset(o, 0, sizeof(*o));
	o->server = htole64(h->server);
	o->host = htole32(h->host);
	o->age_ms = htole32((uint32_t)(now - h->heard_ms));
	o->runq = htole32(v_msg_get32(m, 4));
	o->cpu = htole32(v_msg_get32(m, 8));
	o->programs = htole32(v_msg_get32(m, 12));
	o->mem_kib = htole64(v_msg_get64(m, 16));
	o->vprocs = htole32(v_msg_get32(m, 24));
	o->ncpus = htole16(v_msg_get16(m, 28));
	score = (uint64_t)v_msg_get32(m, 4) + v_msg_get32(m, 8);
	o->score = htole32(score > UINT32_MAX ? UINT32_MAX : (uint32_t)score);
}

/* The hosts heard within VEXEC_LOAD_AGE_MS; older ones are dropped. */
int vx_load_hosts(struct vexec_host *out, unsigned int max, unsigned int *total)
{
	int64_t now = vx_now_ms();
	unsigned int i, n = 0;

	pthread_mutex_lock(&vx_hosts_lock);
	for (i = 0; i < vx_nhosts;) {
		if (now - vx_hosts[i].heard_ms > VEXEC_LOAD_AGE_MS) {
			vx_hosts[i] = vx_hosts[--vx_nhosts];
			continue;
		}
		if (n < max)
			vx_host_record(&vx_hosts[i], now, &out[n++]);
		i++;
	}
	*total = vx_nhosts;
	pthread_mutex_unlock(&vx_hosts_lock);
	return (int)n;
}

/* A program started or ended: tell the group now. */
void vx_load_kick(void)
{
	pthread_mutex_lock(&vx_kick_lock);
	vx_kicked = 1;
	pthread_cond_signal(&vx_kick_cond);
	pthread_mutex_unlock(&vx_kick_lock);
}

/* ---- measuring ----------------------------------------------------------- */

static unsigned long long vx_read_field(const char *path, const char *key)
{
	unsigned long long v = 0;
	size_t klen = strlen(key);
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && sscanf(line + klen, "%llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define VX_CPU_MAX	4096

/*
 * CPU time of each running program's session (one /proc scan, outside
 * vx_lock), and their sum's growth since the last call.
 */
static uint64_t vx_programs_cpu(void)
{
	static pid_t sids[VX_CPU_MAX];
	static uint64_t ns[VX_CPU_MAX], last;
	uint64_t sum = 0, grew;
	unsigned int i, n = 0;
	struct vx_prog *p;

	pthread_mutex_lock(&vx_lock);
	for (p = vx_prog_first(); p && n < VX_CPU_MAX; p = p->next)
		if (p->started && !p->exited)
			sids[n++] = p->pid;
	pthread_mutex_unlock(&vx_lock);
	vx_sessions_cpu(sids, ns, n);
	pthread_mutex_lock(&vx_lock);
	for (p = vx_prog_first(); p; p = p->next)
		for (i = 0; i < n; i++)
			if (p->pid == sids[i] && !p->exited)
				p->cpu_ns = ns[i];
	pthread_mutex_unlock(&vx_lock);
	for (i = 0; i < n; i++)
		sum += ns[i];
	grew = sum > last ? sum - last : 0;
	last = sum;
	return grew;
}

/* The 1-minute load average, in hundredths (an instant's run queue is
 * noise: hosts sharing a kernel would differ by when they looked). */
static unsigned long long vx_loadavg_centi(void)
{
	double avg = 0;
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (fscanf(f, "%lf", &avg) != 1)
			avg = 0;
		fclose(f);
	}
	return (unsigned long long)(avg * 100);
}

static void vx_load_measure(struct v_msg *m, int64_t interval_ms)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long running, cpu;
	unsigned int progs, vprocs;

	if (ncpu < 1)
		ncpu = 1;
	running = vx_loadavg_centi();
	cpu = vx_programs_cpu();
	if (interval_ms < 1)
		interval_ms = 1;
	pthread_mutex_lock(&vx_lock);
	progs = vx_prog_running();
	pthread_mutex_unlock(&vx_lock);
	vprocs = vx_host_procs();
	memset(m, 0, sizeof(*m));
	v_msg_set_code(m, VEXEC_LOAD);
	v_msg_put32(m, 4, (uint32_t)(running / (unsigned long)ncpu));
	v_msg_put32(m, 8, (uint32_t)(cpu / 10000ULL / (unsigned long long)interval_ms /
				     (unsigned long long)ncpu));
	v_msg_put32(m, 12, progs);
	v_msg_put64(m, 16, vx_read_field("/proc/meminfo", "MemAvailable:"));
	v_msg_put32(m, 24, vprocs);
	v_msg_put16(m, 28, (uint16_t)ncpu);
}

/* Sleep until the interval is over, a kick, or a stop. */
static void vx_load_sleep(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(vx.interval_ms % 1000) * 1000000;
	ts.tv_sec += vx.interval_ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&vx_kick_lock);
	while (!vx_kicked && !vxd.stopping &&
	       pthread_cond_timedwait(&vx_kick_cond, &vx_kick_lock, &ts) == 0)
		;
	vx_kicked = 0;
	pthread_mutex_unlock(&vx_kick_lock);
}

/*
 * The load thread: measure, record our own, multicast it (from vexecd's
 * own process, so that the members learn who to send RUN to), sweep the
 * finished programs.  A stop shuts the socket down: the Send fails.
 */
void *vx_load_thread(void *arg)
{
	int64_t last = vx_now_ms(), now;
	struct v_receive self;
	struct v_msg m;

	(void)arg;
	while (!vxd.stopping) {
		now = vx_now_ms();
		vx_load_measure(&m, now - last);
		last = now;
		memset(&self, 0, sizeof(self));
		self.sender = vxd.self;
		self.msg = m;
		vx_load_record(&self);
		if (v_send(vxd.fd, V_GROUP_SCHEDULERS, &m) == -ESHUTDOWN)
			break;
		vx_prog_sweep();
		vx_load_sleep();
	}
	return NULL;
}

/* ---- V processes, by netlink -------------------------------------------- */

struct vx_vproc_find {
	uint64_t id;
	int found;
	uint32_t uid;
	uint32_t pid;
};

static int vx_vproc_cb(struct nl_msg *msg, void *arg)
{
	struct vx_vproc_find *f = arg;
	struct nlattr *a[V_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, V_A_MAX, NULL) < 0 || !a[V_A_PROC_ID])
		return NL_SKIP;
	if (nla_get_u64(a[V_A_PROC_ID]) == f->id) {
		f->found = 1;
		f->uid = a[V_A_PROC_UID] ? nla_get_u32(a[V_A_PROC_UID]) : UINT32_MAX;
		f->pid = a[V_A_PROC_PID] ? nla_get_u32(a[V_A_PROC_PID]) : 0;
	}
	return NL_OK;
}

/*
 * One request to vkmod's generic netlink family (a dump with NLM_F_DUMP),
 * each answer to cb.  0, or -errno.
 */
static int vx_genl(uint8_t cmd, int flags, nl_recvmsg_msg_cb_t cb, void *arg)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int family, ret = -EIO;

	if (!sk)
		return -ENOMEM;
	nl_socket_disable_auto_ack(sk);	/* a dump ends with DONE, a get with its answer */
	if (genl_connect(sk) < 0)
		goto out;
	family = genl_ctrl_resolve(sk, V_GENL_NAME);
	msg = nlmsg_alloc();
	if (family < 0 || !msg)
		goto out;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, V_GENL_VERSION))
		goto out;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	if (nl_send_auto(sk, msg) >= 0 && nl_recvmsgs_default(sk) >= 0)
		ret = 0;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

/*
 * The owner (uid, and the pid that created the socket: 0 when gone) of
 * the V process id of this host.  0, -ENOENT (no such process), or
 * another -errno.
 */
int vx_vproc_lookup(uint64_t id, uint32_t *uid, uint32_t *pid)
{
	struct vx_vproc_find f = { .id = id };
	int ret = vx_genl(V_CMD_PROC_GET, NLM_F_DUMP, vx_vproc_cb, &f);

	if (ret < 0)
		return ret;
	if (!f.found)
		return -ENOENT;
	*uid = f.uid;
	*pid = f.pid;
	return 0;
}

static int vx_host_procs_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[V_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, V_A_MAX, NULL) == 0 && a[V_A_HOST_PROCS])
		*(unsigned int *)arg = nla_get_u32(a[V_A_HOST_PROCS]);
	return NL_OK;
}

/* The V processes of this host (V_CMD_HOST_GET: one answer, not a dump
 * of every process each interval); 0 when it cannot be read. */
static unsigned int vx_host_procs(void)
{
	unsigned int n = 0;

	vx_genl(V_CMD_HOST_GET, 0, vx_host_procs_cb, &n);
	return n;
}
