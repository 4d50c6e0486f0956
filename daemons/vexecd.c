// SPDX-License-Identifier: GPL-2.0
/*
 * vexecd: the V program manager of one host (<vexec.h>).  It runs programs
 * on request, each with a V process of its own (its V id), relays their
 * stdio to stream instances the caller serves, multicasts this host's load
 * to V_GROUP_SCHEDULERS, and suspends, resumes, kills or describes any V
 * process of this host on a CONTROL sent to the group qualified by the
 * process's id.
 *
 * This file: options, the requests to vexecd's own process, and who may
 * make them (docs/SECURITY.md, "Remote execution").
 */
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vexecd.h"

struct vx_conf vx = {
	.max_programs = 256,
	.max_per_user = 64,
	.interval_ms = VEXEC_LOAD_INTERVAL_MS,
	.state_dir = "/run/vexecd",
};
struct vd vxd = { .name = "vexecd" };

#define VX_CLAIM_UID_MIN	1000	/* login.defs' UID_MIN */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vexecd [-q] [-l LID] [-i MS] [--allow-root] [--allow-insecure-exec]\n"
		"              [--max-programs N] [--max-per-user N] [--state-dir DIR]\n"
		"              [--vrun PATH]\n"
		"\n"
		"The V program manager of this host: runs programs for `vrun -H`, each as a\n"
		"V process of its own, multicasts this host's load to the scheduler group\n"
		"and acts on process control (`vctl proc`).  Prints \"vexecd: serving as\n"
		"0x<id>\" once ready; SIGTERM or SIGINT stops it and ends its programs.\n"
		"\n"
		"A program runs as the uid the sender's kernel reports: this host's kernel\n"
		"for a local sender, the sender's kernel over a keyed link.  Requests over\n"
		"an unkeyed link are refused, and uid 0 from another host too.\n"
		"\n"
		"  --allow-root           run programs as root for root of another host\n"
		"                         (keyed links only)\n"
		"  --allow-insecure-exec  take requests over unkeyed links (their uids are\n"
		"                         claims; never root)\n"
		"  --max-programs N       programs at once (default 256, 1..4096)\n"
		"  --max-per-user N       programs at once per uid (default 64)\n"
		"  --state-dir DIR        where the running programs are recorded, so that\n"
		"                         a restarted vexecd ends what its predecessor left\n"
		"                         (default /run/vexecd; one file per host part)\n"
		"  --vrun PATH            the vrun that loads V-file programs (default: vrun\n"
		"                         beside this program's directory, ../tools/vrun, or\n"
		"                         vrun in PATH)\n"
		"  -i MS      load interval (default %u, 100..60000)\n"
		"  -l LID     register under logical id LID, local scope (default %u; 0: not)\n"
		"  -q         log less\n"
		"  -h         show this help\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on an error, 2 on bad usage.\n",
		VEXEC_LOAD_INTERVAL_MS, V_LID_EXEC_SERVER);
}

/* Are the message's bytes [from, to) zero (reserved bytes)? */
int vx_zero(const struct v_msg *m, unsigned int from, unsigned int to)
{
	while (from < to)
		if (m->b[from++])
			return 0;
	return 1;
}

static struct v_msg vx_fail(unsigned int code, int err)
{
	struct v_msg m = vio_reply_code(code);

	v_msg_put32(&m, VEXEC_ERRNO_OFF, (uint32_t)err);
	return m;
}

/* Is the local process pid in our user namespace (its capabilities mean
 * something here: in a namespace of its own a user holds them all)? */
static int vx_pid_our_userns(uint32_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/ns/user", pid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Does the local process pid hold CAP_NET_ADMIN here (its status says so)? */
static int vx_pid_admin(uint32_t pid, uint32_t uid)
{
	unsigned long long caps = 0;
	unsigned int ruid, euid;
	int seen_uid = 0;
	char path[64], line[256];
	FILE *f;

	if (!pid || !vx_pid_our_userns(pid))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = pid ? fopen(path, "re") : NULL;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u", &ruid, &euid) == 2)
			seen_uid = euid == uid;
		sscanf(line, "CapEff: %llx", &caps);
	}
	fclose(f);
	/* The same process still (its uid), and in our namespace still. */
	return seen_uid && (caps & (1ULL << CAP_NET_ADMIN)) && vx_pid_our_userns(pid);
}

/*
 * Whose request r is.  A uid is vouched for by this kernel (a local
 * sender) or by the sender's over a keyed link; over an unkeyed link it is
 * a claim, taken only with --allow-insecure-exec, never as root, and for
 * RUN never below VX_CLAIM_UID_MIN (system accounts).  Forwarded requests
 * are refused.
 * Remote root is root here only with --allow-root.  -EPERM: refused;
 * -EACCES: uid 0 that is not root here (*w is filled: LIST shows it
 * nothing, everything else refuses it).
 */
static int vx_who(const struct v_receive *r, struct vx_who *w)
{
	int remote = !!(r->creds.flags & V_CRED_REMOTE);
	int keyed = !!(r->creds.flags & V_CRED_KEYED);

	/* A Forward keeps the first sender's credentials but not its
	 * request: whoever forwarded could lend root's uid to any message. */
	if (r->forwarder || (remote && !keyed && !vx.allow_insecure))
		return -EPERM;
	w->uid = r->creds.uid;
	w->gid = r->creds.gid;
	w->claimed = remote && !keyed;
	w->root = w->uid == 0 && (!remote || (keyed && vx.allow_root));
	w->admin = !remote && (w->uid == 0 || vx_pid_admin(r->creds.pid, w->uid));
	return w->uid == 0 && !w->root ? -EACCES : 0;
}

/*
 * The run block's strings: exactly 2 + argc + envc NUL-terminated ones
 * filling strings_len.  Fills q's pointers into blk (which stays).
 */
static int vx_run_strings(struct vx_req *q, char *s, size_t len, uint32_t argc, uint32_t envc)
{
	size_t i, n = 0, want = 2 + (size_t)argc + envc;
	char **v;

	if (!len || s[len - 1])
		return -EINVAL;
	for (i = 0; i < len; i++)
		n += !s[i];
	if (n != want)
		return -EINVAL;
	v = calloc(want + 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0, n = 0; n < want; n++) {
		v[n] = s + i;
		i += strlen(s + i) + 1;
	}
	q->program = v[0];
	q->cwd = v[1];
	/* argv then envp, each NULL-terminated: shift envp up by one. */
	memmove(&v[argc + 3], &v[argc + 2], envc * sizeof(*v));
	v[argc + 2] = NULL;
	q->argv = &v[2];
	q->envp = &v[argc + 3];
	q->envp[envc] = NULL;
	/* A relative directory would be vexecd's, not the caller's. */
	if (!*q->program || q->cwd[0] != '/' || !*q->argv[0])
		return -EINVAL;
	return 0;
}

static int vx_run_block(struct vx_req *q, const struct vexec_run *h, char *strings,
			uint32_t run_len)
{
	uint32_t argc = le32toh(h->argc), envc = le32toh(h->envc);
	int i;

	if (le32toh(h->size) != VEXEC_RUN_SIZE || h->reserved[0] || h->reserved[1] ||
	    h->reserved[2] || le32toh(h->strings_len) != run_len - VEXEC_RUN_SIZE)
		return -EINVAL;
	if (!argc || argc > VEXEC_STRINGS_MAX || envc > VEXEC_STRINGS_MAX - argc)
		return -E2BIG;
	for (i = 0; i < 3; i++)
		q->stdio[i] = q->stream ? le32toh(h->stdio[i]) : 0;
	q->ws[0] = le16toh(h->rows);
	q->ws[1] = le16toh(h->cols);
	q->ws[2] = le16toh(h->xpixel);
	q->ws[3] = le16toh(h->ypixel);
	return vx_run_strings(q, strings, run_len - VEXEC_RUN_SIZE, argc, envc);
}

/* The message of a RUN: flags, lengths, and whether the segment holds them. */
static int vx_run_msg(const struct v_receive *r, struct vx_req *q, uint32_t *run_len,
		      uint64_t *img_len)
{
	const struct v_msg *m = &r->msg;
	uint64_t need;

	q->flags = v_msg_get16(m, 2);
	*run_len = v_msg_get32(m, 4);
	q->stream = v_msg_get64(m, 8);
	*img_len = v_msg_get64(m, 16);
	if (!vx_zero(m, 24, V_MSG_SIZE))
		return -EINVAL;
	if (q->flags & ~VEXEC_RUN_MASK ||
	    (q->flags & VEXEC_RUN_IMAGE && q->flags & VEXEC_RUN_VFILE) ||
	    !(q->flags & VEXEC_RUN_IMAGE) != !*img_len)
		return -EINVAL;
	if (*run_len < VEXEC_RUN_SIZE)
		return -EINVAL;
	if (*run_len > VEXEC_RUN_MAX || *img_len > VEXEC_IMAGE_MAX)
		return -E2BIG;
	/* The stream server is the caller's: relays write to nobody else. */
	if (q->stream && (v_id_is_group(q->stream) ||
			  v_id_host(q->stream) != v_id_host(r->sender)))
		return -EINVAL;
	need = *img_len ? VEXEC_IMAGE_OFF(*run_len) + *img_len : *run_len;
	if (r->seg_len < need || !(r->seg_access & V_SEG_READ))
		return -EFAULT;
	return 0;
}

static void vx_req_free(struct vx_req *q, char *blk)
{
	if (q->argv)
		free(q->argv - 2);
	if (q->image_fd >= 0)
		close(q->image_fd);
	free(blk);
}

struct v_msg vx_run_error(int err)
{
	switch (err) {
	case EFAULT:
		return vx_fail(V_BAD_BUFFER, EFAULT);
	case EINVAL:
	case E2BIG:
		return vx_fail(V_BAD_ARGS, err);
	case ENOENT:
	case ENOTDIR:
		return vx_fail(V_NOT_FOUND, err);
	case EPERM:
	case EACCES:
		return vx_fail(V_NO_PERMISSION, err);
	case EAGAIN:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
		return vx_fail(V_NO_SERVER_RESOURCES, err);
	default:
		return vx_fail(V_IO_ERROR, err);
	}
}

/* RUN: parse, check, then start the program (vexecd_prog.c), whose ctl
 * thread answers (1); or 0 with *reply the refusal. */
static int vx_handle_run(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	struct vx_req q = { .client = r->sender, .image_fd = -1 };
	struct vx_prog *p = NULL;
	uint32_t run_len = 0;
	uint64_t img_len = 0;
	char *blk = NULL;
	int err;

	err = vx_who(r, &q.who) ? EPERM : 0;
	if (!err && q.who.claimed && q.who.uid < VX_CLAIM_UID_MIN)
		err = EPERM;
	if (!err)
		err = -vx_run_msg(r, &q, &run_len, &img_len);
	if (!err) {
		blk = malloc(run_len + 1);
		err = !blk ? ENOMEM : vio_segment_get(vxd.fd, r, seg, 0, run_len, blk) ? EFAULT : 0;
	}
	if (!err)
		err = -vx_run_block(&q, (const struct vexec_run *)blk, blk + VEXEC_RUN_SIZE,
				    run_len);
	if (!err && img_len) {
		q.image_fd = vx_image_load(vxd.fd, r, seg, VEXEC_IMAGE_OFF(run_len), img_len);
		err = q.image_fd < 0 ? -q.image_fd : 0;
	}
	if (!err)
		p = vx_prog_new(q.who.uid, &err);
	if (p)
		err = vx_prog_run(&q, p);
	if (err)
		*reply = vx_run_error(err);
	vx_req_free(&q, blk);
	return err ? 0 : 1;
}

/* HOSTS and LIST: records written to the sender's segment, then the counts. */
static int vx_reply_records(const struct v_receive *r, const void *recs, size_t size,
			    unsigned int n, unsigned int total, struct v_msg *reply)
{
	unsigned int fit = (unsigned int)(r->seg_len / size);
	int ret = 0;

	if (!(r->seg_access & V_SEG_WRITE)) {
		*reply = vx_fail(V_BAD_BUFFER, EFAULT);
		return 0;
	}
	if (n > fit)
		n = fit;
	if (n)
		ret = v_move_to(vxd.fd, r->sender, 0, recs, (size_t)n * size);
	if (ret < 0) {
		*reply = vx_fail(V_BAD_BUFFER, -ret);
		return 0;
	}
	*reply = vio_reply_code(V_OK);
	v_msg_put32(reply, 8, n);
	v_msg_put32(reply, 12, total);
	return 0;
}

static void vx_handle_hosts(const struct v_receive *r, struct v_msg *reply)
{
	struct vexec_host *h = calloc(1024, sizeof(*h));
	unsigned int total;
	int n;

	if (!h) {
		*reply = vx_fail(V_NO_SERVER_RESOURCES, ENOMEM);
		return;
	}
	n = vx_load_hosts(h, 1024, &total);
	vx_reply_records(r, h, sizeof(*h), (unsigned int)n, total, reply);
	free(h);
}

static void vx_prog_record(const struct vx_prog *p, struct vexec_prog *o)
{
	memset(o, 0, sizeof(*o));
	o->id = htole64(p->id);
	o->client = htole64(p->client);
	o->cpu_ns = htole64(p->cpu_ns);
	o->started_ns = htole64((uint64_t)p->started_ns);
	o->uid = htole32(p->uid);
	o->pid = htole32((uint32_t)p->pid);
	o->status = htole32((uint32_t)p->status);
	o->state = p->exited ? 'X' : (uint8_t)vx_proc_state(p->pid);
	memcpy(o->cmd, p->cmd, sizeof(o->cmd));
}

/* LIST: the sender's own programs; all of them for a local admin. */
static void vx_handle_list(const struct v_receive *r, struct v_msg *reply)
{
	struct vexec_prog *o;
	struct vx_prog *p;
	unsigned int n = 0, cap;
	struct vx_who w;

	if (vx_who(r, &w) == -EPERM) {
		*reply = vx_fail(V_NO_PERMISSION, EPERM);
		return;
	}
	cap = vx.max_programs + 16;
	o = calloc(cap, sizeof(*o));
	if (!o) {
		*reply = vx_fail(V_NO_SERVER_RESOURCES, ENOMEM);
		return;
	}
	pthread_mutex_lock(&vx_lock);
	for (p = vx_prog_first(); p && n < cap; p = p->next)
		if (p->started && (w.admin || w.root || (w.uid && p->uid == w.uid)))
			vx_prog_record(p, &o[n++]);
	pthread_mutex_unlock(&vx_lock);
	vx_reply_records(r, o, sizeof(*o), n, n, reply);
	free(o);
}

static int vx_signal_of(unsigned int op, uint32_t sig)
{
	switch (op) {
	case VEXEC_OP_QUERY:
		return sig ? -1 : 0;
	case VEXEC_OP_SUSPEND:
		return sig ? -1 : SIGSTOP;
	case VEXEC_OP_RESUME:
		return sig ? -1 : SIGCONT;
	case VEXEC_OP_KILL:
		return !sig ? SIGTERM : sig < 65 ? (int)sig : -1;
	default:
		return -1;
	}
}

/* The state CONTROL answers with (kind at 2 ... wait status at 24). */
static void vx_control_state(struct v_msg *reply, unsigned int kind, uint32_t uid, pid_t pid,
			     int exited, int status, uint64_t cpu)
{
	*reply = vio_reply_code(V_OK);
	v_msg_put16(reply, 2, (uint16_t)kind);
	v_msg_put32(reply, 4, uid);
	v_msg_put32(reply, 8, (uint32_t)pid);
	reply->b[12] = exited ? 'X' : (uint8_t)vx_proc_state(pid);
	reply->b[13] = exited ? VEXEC_Q_EXITED : 0;
	if (!exited)
		vx_session_cpu(pid, &cpu);
	v_msg_put64(reply, 16, cpu);	/* once exited: the last sample */
	v_msg_put32(reply, 24, exited ? (uint32_t)status : 0);
}

/* CONTROL of a program: its whole session's process group. */
static int vx_control_prog(uint64_t id, const struct vx_who *w, int sig, struct v_msg *reply)
{
	struct vx_prog *p;
	int exited, status, ret = 0;
	uint64_t cpu;
	uint32_t uid;
	pid_t pid;

	pthread_mutex_lock(&vx_lock);
	p = vx_prog_find(id);
	if (!p) {
		pthread_mutex_unlock(&vx_lock);
		return -ENOENT;
	}
	uid = p->uid;
	pid = p->pid;
	exited = p->exited;
	status = p->status;
	cpu = p->cpu_ns;
	if (!w->root && w->uid != uid)
		ret = -EPERM;
	else if (sig && exited)
		ret = -ESRCH;
	else if (sig)
		ret = vx_session_kill(pid, sig);
	pthread_mutex_unlock(&vx_lock);
	if (!ret)
		vx_control_state(reply, VEXEC_KIND_PROGRAM, uid, pid, exited, status, cpu);
	return ret;
}

/*
 * Signal the creator pid of V process id.  The number could be reaped
 * and reused between the dump and the signal: a pidfd pins the process
 * that has it now, and a second dump still naming pid proves that this
 * process is the creator (the dump names only a creator not yet reaped).
 */
static int vx_vproc_signal(uint64_t id, uint32_t pid, int sig)
{
	uint32_t uid2, pid2;
	int pfd, ret;

	pfd = pidfd_open((pid_t)pid, 0);
	if (pfd < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	ret = vx_vproc_lookup(id, &uid2, &pid2);
	if (!ret && pid2 != pid)
		ret = -ESRCH;
	if (!ret && pidfd_send_signal(pfd, sig, NULL, 0) < 0)
		ret = -errno;
	close(pfd);
	return ret;
}

/* CONTROL of another V process of this host: the process that made it. */
static int vx_control_vproc(uint64_t id, const struct vx_who *w, int sig, struct v_msg *reply)
{
	uint32_t uid, pid;
	int ret = vx_vproc_lookup(id, &uid, &pid);

	if (ret < 0)
		return ret;
	if (!w->root && w->uid != uid)
		return -EPERM;
	if (sig && !pid)
		return -ESRCH;
	if (sig) {
		ret = vx_vproc_signal(id, pid, sig);
		if (ret < 0)
			return ret;
	}
	vx_control_state(reply, VEXEC_KIND_PROCESS, uid, (pid_t)pid, 0, 0, 0);
	return 0;
}

static void vx_handle_control(const struct v_receive *r, struct v_msg *reply)
{
	unsigned int op = v_msg_get16(&r->msg, 2);
	uint64_t id = v_msg_get64(&r->msg, 8);
	int sig = vx_signal_of(op, v_msg_get32(&r->msg, 4));
	struct vx_who w;
	int ret;

	if (!vx_zero(&r->msg, 16, V_MSG_SIZE))
		sig = -1;
	if (sig < 0 || !id || v_id_is_group(id)) {
		*reply = vx_fail(V_BAD_ARGS, EINVAL);
		return;
	}
	if (v_id_host(id) != vx.host) {
		*reply = vx_fail(V_NOT_FOUND, ESRCH);
		return;
	}
	if (vx_who(r, &w)) {
		*reply = vx_fail(V_NO_PERMISSION, EPERM);
		return;
	}
	ret = vx_control_prog(id, &w, sig, reply);
	if (ret == -ENOENT)
		ret = vx_control_vproc(id, &w, sig, reply);
	if (ret == -ENOENT || ret == -ESRCH)
		*reply = vx_fail(V_NOT_FOUND, ESRCH);
	else if (ret == -EPERM)
		*reply = vx_fail(V_NO_PERMISSION, EPERM);
	else if (ret < 0)
		*reply = vx_fail(V_IO_ERROR, -ret);
}

static int vx_handle(int fd, const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	unsigned int code = v_msg_code(&r->msg);

	(void)fd;
	if ((code == VEXEC_HOSTS || code == VEXEC_LIST) && !vx_zero(&r->msg, 2, V_MSG_SIZE)) {
		*reply = vx_fail(V_BAD_ARGS, EINVAL);
		return 0;
	}
	switch (code) {
	case VEXEC_RUN:
		return vx_handle_run(r, seg, reply);
	case VEXEC_LOAD:
		if (vx_zero(&r->msg, 2, 4) && vx_zero(&r->msg, 30, V_MSG_SIZE))
			vx_load_record(r);
		*reply = vio_reply_code(V_OK);
		break;
	case VEXEC_HOSTS:
		vx_handle_hosts(r, reply);
		break;
	case VEXEC_LIST:
		vx_handle_list(r, reply);
		break;
	case VEXEC_CONTROL:
		vx_handle_control(r, reply);
		break;
	default:
		*reply = vio_reply_code(V_ILLEGAL_REQUEST);
	}
	return 0;
}

/* vrun for V-file programs: beside us, in the build tree, or in PATH. */
static void vx_find_vrun(void)
{
	static const char *const rel[] = { "vrun", "../tools/vrun", "../bin/vrun" };
	char self[PATH_MAX - 32], *slash;
	ssize_t n;
	size_t i;

	if (vx.vrun[0])
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(vx.vrun, sizeof(vx.vrun), "%s/%s", self, rel[i]);
			if (access(vx.vrun, X_OK) == 0)
				return;
		}
	}
	snprintf(vx.vrun, sizeof(vx.vrun), "vrun");
}

static int vx_options(int argc, char **argv, uint64_t *lid)
{
	static const struct option longopts[] = {
		{ "allow-root", no_argument, NULL, 'R' },
		{ "allow-insecure-exec", no_argument, NULL, 'I' },
		{ "max-programs", required_argument, NULL, 'P' },
		{ "max-per-user", required_argument, NULL, 'U' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "vrun", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, rc;
	uint64_t v;

	while ((opt = getopt_long(argc, argv, "i:l:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'R':
			vx.allow_root = 1;
			break;
		case 'I':
			vx.allow_insecure = 1;
			break;
		case 'P':
		case 'U':
		case 'i':
			if (vtool_parse_u64(optarg, opt == 'i' ? 100 : 1,
					    opt == 'i' ? 60000 : 4096, &v)) {
				fprintf(stderr, "vexecd: bad number '%s'\n", optarg);
				return 2;
			}
			*(opt == 'P' ? &vx.max_programs : opt == 'U' ? &vx.max_per_user :
			  &vx.interval_ms) = (unsigned int)v;
			break;
		case 'S':
			vx.state_dir = optarg;
			break;
		case 'V':
			snprintf(vx.vrun, sizeof(vx.vrun), "%s", optarg);
			break;
		default:
			rc = vd_option(&vxd, opt, optarg, lid, NULL, usage);
			if (rc != VD_CONTINUE)
				return rc;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return VD_CONTINUE;
}

int main(int argc, char **argv)
{
	uint64_t lid = V_LID_EXEC_SERVER;
	int rc;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	rc = vx_options(argc, argv, &lid);
	if (rc != VD_CONTINUE)
		return rc;
	vx_find_vrun();
	vxd.handle = vx_handle;
	vxd.extra = vx_load_thread;	/* joined before the socket closes */
	vxd.on_stop = vx_prog_stop_all;	/* TERM, then KILL, while workers live */
	if (vd_open(&vxd))
		return 1;
	vx.host = v_id_host(vxd.self);
	vx_state_recover();
	vx_prog_reap_start();
	if ((lid && vd_register(&vxd, (uint32_t)lid, V_SCOPE_LOCAL)) ||
	    vd_join(&vxd, V_GROUP_SCHEDULERS, "the scheduler group"))
		return 1;
	printf("vexecd: serving as 0x%016" PRIx64 "\n", vxd.self);
	fflush(stdout);
	return vd_run(&vxd, 4);
}
