// SPDX-License-Identifier: GPL-2.0
/*
 * vbench's jobs: a row's server and client processes, forked, with their
 * results in shared memory (G); the samples of each round kept per row.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* Jobs: server and client processes, results in shared memory               */

struct shm *G;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (G->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(G->err, sizeof(G->err), fmt, ap);
	va_end(ap);
}

/* Tell the parent this role is ready ('R') or failed ('E', after fail()). */
void ready(struct job *j, int ok)
{
	char c = ok ? 'R' : 'E';

	if (write(j->ready_w, &c, 1) != 1)
		_exit(1);
	if (!ok)
		_exit(1);
}

void __attribute__((noreturn)) die(struct job *j, const char *what, int err)
{
	fail("%s: %s", what, strerror(err));
	ready(j, 0);
	_exit(1);
}

/*
 * --insns: instruction-count marks (selftests/qemu/insns.c, a TCG plugin,
 * prints the guest's instructions so far when one executes).  A mark is
 * the 8-byte NOP `nopl 0x0(%rax,%rax,1)` whose displacement names it:
 * INSNS_MAGIC, the job's serial and start (0) or end (1).  It is written
 * into a page of its own and called, so one function makes them all.
 */
#define INSNS_MAGIC	0x564bu
static uint8_t *mark_page;	/* NULL: no marks */
static uint32_t insns_serial;	/* the job being run (set before the fork) */

static void mark(int end)
{
	uint32_t disp = INSNS_MAGIC << 16 | (insns_serial & 0x7fff) << 1 | (end ? 1 : 0);
	static const uint8_t nopl[4] = { 0x0f, 0x1f, 0x84, 0x00 };

	if (!mark_page)
		return;
	memcpy(mark_page, nopl, sizeof(nopl));
	memcpy(mark_page + 4, &disp, sizeof(disp));
	mark_page[8] = 0xc3;	/* ret */
	__builtin___clear_cache((char *)mark_page, (char *)mark_page + 9);
	((void (*)(void))(uintptr_t)mark_page)();
}

int mark_init(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	mark_page = p;
	return 0;
}

/*
 * Keep iterating?  i counts every iteration, warm-up first.  The timed
 * iterations are what --insns marks: every client loop calls this.
 */
int more(const struct job *j, uint64_t i, uint64_t t_start)
{
	int go;

	if (i < j->warm)
		return 1;
	if (i == j->warm)
		mark(0);
	go = i - j->warm < j->count &&
	     (i - j->warm < MIN_SAMPLES || now_ns() - t_start < opt.budget_ns / opt.rounds);
	if (!go) {
		mark(1);
		G->marked = 1;
	}
	return go;
}

void record(const struct job *j, uint64_t i, uint64_t ns)
{
	G->iters++;
	if (i >= j->warm && G->n < SAMPLES_MAX)
		G->s[G->n++] = ns;
}

int enter_ns(const char *name)
{
	char path[128];
	int fd, ret;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

void *alloc_touched(size_t len, uint8_t seed)
{
	uint8_t *p;
	size_t i;

	if (!len)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
	return p;
}

/* One byte per role from the ready pipe, within ms; 0 when all said 'R'. */
int wait_ready(int rfd, int n, int ms)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	char c;

	while (n-- > 0) {
		if (poll(&p, 1, ms) != 1 || read(rfd, &c, 1) != 1)
			return -1;
		if (c != 'R')
			return -1;
	}
	return 0;
}

pid_t spawn(struct job *j, role_fn fn, const char *ns, int idx, int alarm_s)
{
	pid_t pid;
	int ret;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	alarm(alarm_s);
	if (opt.serve_dev)	/* --serve: its servers end with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (opt.cpu >= 0) {
		/* Latency rows: both sides on one CPU; pairs: pair i on CPU i. */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(j->scaling ? (int)(idx % (ncpu > 0 ? ncpu : 1)) : opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die(j, "sched_setaffinity", errno);
	}
	ret = enter_ns(ns);
	if (ret)
		die(j, ns, -ret);
	fn(j, idx);
	_exit(G->err[0] ? 1 : 0);
}

void reap(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (sig)
		kill(pid, sig);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Run job j: its servers (ready when they say so), then its clients, which
 * end by themselves; then the servers are killed.  With scale_ms the
 * clients count transactions between go and the deadline.  0, or -1 with
 * the reason in G->err.
 */
int run_job(struct job *j, int scaling)
{
	int p[2], i, st, ok = 0, alarm_s;
	pid_t cli[MAXP] = { 0 };

	memset(G, 0, offsetof(struct shm, s));
	insns_serial++;
	if (pipe(p))
		return -1;
	j->ready_w = p[1];
	alarm_s = (int)(opt.budget_ns / 1000000000ULL) * 4 + 60 + (int)(opt.scale_ms / 1000);
	for (i = 0; i < j->pairs; i++)
		j->srv_pid[i] = 0;
	for (i = 0; i < j->pairs && j->srv; i++) {	/* no srv: started by the row */
		j->srv_pid[i] = spawn(j, j->srv, j->srv_ns, i, alarm_s + 30);
		if (j->srv_pid[i] < 0 || wait_ready(p[0], 1, 30000)) {
			if (!G->err[0])
				fail("server did not start");
			goto out;
		}
	}
	for (i = 0; i < j->pairs; i++)
		cli[i] = spawn(j, j->cli, j->cli_ns, i, alarm_s);
	if (scaling) {
		if (wait_ready(p[0], j->pairs, 30000)) {
			if (!G->err[0])
				fail("client did not start");
			goto out;
		}
		G->deadline = now_ns() + opt.scale_ms * 1000000ULL;
		__atomic_store_n(&G->go, 1, __ATOMIC_SEQ_CST);
	}
	ok = 1;
	for (i = 0; i < j->pairs; i++) {
		while (waitpid(cli[i], &st, 0) < 0 && errno == EINTR)
			;
		cli[i] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (!G->err[0])
				fail("client %s", WIFSIGNALED(st) ? "killed (timeout?)" : "failed");
			ok = 0;
		}
	}
out:
	for (i = 0; i < j->pairs; i++) {
		reap(cli[i], SIGKILL);
		reap(j->srv_pid[i], SIGKILL);
	}
	close(p[0]);
	close(p[1]);
	return ok && !G->err[0] ? 0 : -1;
}

/* Keep this round's samples of row key (bulk rows: bytes each, else ns / div). */
void finish(const char *key, int ret, size_t bytes, double div)
{
	struct row *r = row_get(key);
	uint64_t *acc;

	if (ret || !G->n) {
		row_skip(key, "failed: %s", G->err[0] ? G->err : "no samples");
		return;
	}
	/* For bench.sh: the samples between this job's marks. */
	if (mark_page && G->marked)
		fprintf(stderr, "# vk-insns-row %s %u %" PRIu64 "\n", key,
			insns_serial & 0x7fff, G->n);
	acc = realloc(r->acc, (r->nacc + G->n) * sizeof(*acc));
	if (!acc) {
		row_skip(key, "out of memory");
		return;
	}
	memcpy(acc + r->nacc, G->s, G->n * sizeof(*acc));
	r->acc = acc;
	r->nacc += G->n;
	r->lost += G->lost;
	r->bytes = bytes;
	r->div = div;
	r->rounds++;
}

/* Median (and p99) of every round's samples; MB/s for bulk rows. */
void finalize(struct row *r)
{
	uint64_t n = r->nacc, *s = r->acc;

	if (r->done || !r->rounds)
		return;
	r->done = 1;
	if (r->kind == R_RATE) {
		r->value = (double)r->ops / ((double)opt.scale_ms / 1000.0 * r->rounds);
		r->samples = r->ops;
	} else {
		qsort(s, n, sizeof(*s), cmp_u64);
		r->samples = n;
		if (r->bytes) {
			r->value = (double)r->bytes / ((double)s[n / 2] / 1e9) / 1e6;
		} else {
			r->value = (double)s[n / 2] / r->div;
			r->p99 = (double)s[(n * 99 + 99) / 100 - 1] / r->div;
		}
	}
	if (!opt.json)
		fprintf(stderr, "vbench: %-28s %12.2f %s (%" PRIu64 " %s%s)\n", r->key, r->value,
			r->unit, r->samples, r->kind == R_RATE ? "transactions" : "samples",
			r->lost ? ", some iterations lost frames" : "");
}

/* The iterations of a row: n divided by div, never below MIN_SAMPLES. */
void iters(struct job *j, uint64_t div)
{
	j->count = opt.n / div / opt.rounds;
	if (j->count < MIN_SAMPLES)
		j->count = MIN_SAMPLES;
	j->warm = j->count / 10 < 5 ? 5 : j->count / 10;
}
