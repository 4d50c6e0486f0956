// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: client stubs of the program manager protocol (<vexec.h>). */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "libv_services.h"

int v_exec_errno(const struct v_msg *reply)
{
	uint32_t e;

	if (v_msg_code(reply) == V_OK)
		return 0;
	e = v_msg_get32(reply, VEXEC_ERRNO_OFF);
	if (e > 0 && e < 4096)
		return (int)e;
	return v_reply_errno(v_msg_code(reply));
}

int v_exec_server(int fd, uint64_t *server)
{
	int ret = v_get_pid(fd, V_LID_EXEC_SERVER, V_SCOPE_LOCAL, server);

	if (ret < 0 || !*server)
		ret = v_get_pid(fd, V_LID_EXEC_SERVER, V_SCOPE_REMOTE, server);
	if (ret == 0 && !*server)
		ret = -ESRCH;
	return ret;
}

/* HOSTS or LIST: records of size rec into out, ReplyWithSegment's way;
 * the Send bounded by timeout_ns (0: none). */
static int vexec_records(int fd, uint64_t server, unsigned int code, void *out,
			 size_t rec, unsigned int max, uint64_t timeout_ns)
{
	struct v_send s;
	uint32_t n;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = server;
	/* A host, not a process: its vexecd through the scheduler group
	 * (only root joins it, so no record names who answers). */
	if (server && !v_id_is_group(server) && !v_id_local(server)) {
		s.dst = V_GROUP_SCHEDULERS;
		s.qualifier = server;
	}
	s.seg_addr = (uint64_t)(uintptr_t)out;
	s.seg_len = (uint64_t)max * rec;
	s.seg_access = s.seg_len ? V_SEG_WRITE : 0;
	s.timeout_ns = timeout_ns;
	v_msg_set_code(&s.msg, (uint16_t)code);
	ret = v_send_ex(fd, &s);
	if (ret < 0)
		return ret;
	if (v_msg_code(&s.msg) != V_OK)
		return -v_exec_errno(&s.msg);
	n = v_msg_get32(&s.msg, 8);
	return (int)(n < max ? n : max);
}

int v_exec_hosts(int fd, uint64_t server, struct vexec_host *out, unsigned int max)
{
	return vexec_records(fd, server, VEXEC_HOSTS, out, sizeof(*out), max, 0);
}

int v_exec_list(int fd, uint64_t server, struct vexec_prog *out, unsigned int max)
{
	return vexec_records(fd, server, VEXEC_LIST, out, sizeof(*out), max, 0);
}

int v_exec_hosts_tmo(int fd, uint64_t server, struct vexec_host *out, unsigned int max,
		     uint64_t timeout_ns)
{
	return vexec_records(fd, server, VEXEC_HOSTS, out, sizeof(*out), max, timeout_ns);
}

int v_exec_list_tmo(int fd, uint64_t server, struct vexec_prog *out, unsigned int max,
		    uint64_t timeout_ns)
{
	return vexec_records(fd, server, VEXEC_LIST, out, sizeof(*out), max, timeout_ns);
}

/* Is a less loaded than b (the order <vexec.h> gives)? */
static int vexec_better(const struct vexec_host *a, const struct vexec_host *b)
{
	if (le32toh(a->score) != le32toh(b->score))
		return le32toh(a->score) < le32toh(b->score);
	if (le64toh(a->mem_kib) != le64toh(b->mem_kib))
		return le64toh(a->mem_kib) > le64toh(b->mem_kib);
	if (le32toh(a->vprocs) != le32toh(b->vprocs))
		return le32toh(a->vprocs) < le32toh(b->vprocs);
	return le32toh(a->host) < le32toh(b->host);
}

int v_exec_pick(const struct vexec_host *h, unsigned int n)
{
	unsigned int i, best = 0;

	if (!n)
		return -1;
	for (i = 1; i < n; i++)
		if (vexec_better(&h[i], &h[best]))
			best = i;
	return (int)best;
}

int v_exec_control(int fd, uint64_t id, unsigned int op, int sig, struct v_exec_state *st)
{
	struct v_msg m;
	int ret;

	if (!id || v_id_is_group(id) || sig < 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VEXEC_CONTROL);
	v_msg_put16(&m, 2, (uint16_t)op);
	v_msg_put32(&m, 4, (uint32_t)sig);
	v_msg_put64(&m, 8, id);
	ret = v_send_qualified(fd, V_GROUP_SCHEDULERS, id, &m, NULL);
	if (ret < 0)
		return ret;
	if (v_msg_code(&m) != V_OK)
		return -v_exec_errno(&m);
	if (st) {
		st->kind = v_msg_get16(&m, 2);
		st->uid = v_msg_get32(&m, 4);
		st->pid = v_msg_get32(&m, 8);
		st->state = m.b[12];
		st->flags = m.b[13];
		st->cpu_ns = v_msg_get64(&m, 16);
		st->status = v_msg_get32(&m, 24);
	}
	return 0;
}

static size_t vexec_strings_len(char *const v[], unsigned int *count)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; v && v[i]; i++)
		len += strlen(v[i]) + 1;
	*count = i;
	return len;
}

static char *vexec_put(char *p, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p, s, n);
	return p + n;
}

int v_exec_run_pack(const char *program, const char *cwd, char *const argv[],
		    char *const envp[], const uint32_t stdio[3], const uint16_t ws[4],
		    size_t extra, void **blk, size_t *len)
{
	unsigned int argc, envc, i;
	size_t slen, total;
	struct vexec_run *r;
	char *p;

	slen = strlen(program) + 1 + strlen(cwd) + 1;
	slen += vexec_strings_len(argv, &argc);
	slen += vexec_strings_len(envp, &envc);
	if (!argc)
		return -EINVAL;
	if (argc + envc > VEXEC_STRINGS_MAX || slen > VEXEC_RUN_MAX - sizeof(*r))
		return -E2BIG;
	total = sizeof(*r) + slen;
	r = calloc(1, VEXEC_IMAGE_OFF(total) + extra);
	if (!r)
		return -ENOMEM;
	r->size = htole32(sizeof(*r));
	r->argc = htole32(argc);
	r->envc = htole32(envc);
	r->strings_len = htole32((uint32_t)slen);
	for (i = 0; i < 3; i++)
		r->stdio[i] = htole32(stdio ? stdio[i] : 0);
	if (ws) {
		r->rows = htole16(ws[0]);
		r->cols = htole16(ws[1]);
		r->xpixel = htole16(ws[2]);
		r->ypixel = htole16(ws[3]);
	}
	p = (char *)(r + 1);
	p = vexec_put(p, program);
	p = vexec_put(p, cwd);
	for (i = 0; i < argc; i++)
		p = vexec_put(p, argv[i]);
	for (i = 0; i < envc; i++)
		p = vexec_put(p, envp[i]);
	*blk = r;
	*len = total;
	return 0;
}
