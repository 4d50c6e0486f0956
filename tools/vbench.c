// SPDX-License-Identifier: GPL-2.0
/*
 * vbench: V IPC beside the Linux alternatives, measured in one run.
 *
 *   vbench [-n N] [-t SECS] [-d MS] [-r ROUNDS] [-c CPU|any] [-j] [-o FILE] [--only KEYS]
 *          [--remote-setup] [--peer IP]
 *   vbench --serve DEV
 *
 * Every row is one measurement (docs/PERFORMANCE.md lists them): local and
 * remote Send-Receive-Reply beside pipes, Unix sockets, eventfd, binder,
 * UDP, TCP, TIPC and raw Ethernet frames; MoveTo / MoveFrom beside
 * process_vm_readv / writev, raw frames and a TCP stream; reads of a file
 * served by vfsd (4 KiB pages in sequence, and 1 MiB at a time) beside the
 * same reads answered by pread() over TCP; transactions per second with 1,
 * 2 and 4 client/server pairs.  Latency rows
 * report the median (and p99) of N timed iterations after a warm-up; bulk
 * rows report bytes over the median time of one transfer.  A row that
 * cannot be measured is reported as skipped, with the reason.
 *
 * Each measurement runs in fresh processes (fork): a server and a client,
 * joined by what is measured, with results in shared memory.  The remote
 * rows need two V hosts: with --remote-setup (root) vbench makes them
 * itself, two network namespaces joined by one veth pair, both ends
 * attached to V with vctl, and removes them at the end.  Both are in one
 * kernel, which TIPC notices and short-cuts; so the peer_ rows measure
 * the round trips again to another kernel (--peer IP), where
 * "vbench --serve DEV" runs their servers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/android/binder.h>
#include <linux/if_packet.h>
#include <linux/tipc.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "libv.h"
#include "libv_services.h"
#include "parse.h"

#define MAXP		4		/* client/server pairs at most */
#define MIN_SAMPLES	20		/* timed iterations even past the budget */
#define LOCAL_MOVES	8		/* local MoveFrom/MoveTo rows: calls per message */
#define SAMPLES_MAX	1000000
#define MSG		32		/* request and reply bytes */
#define KB64		(64u << 10)
#define MB1		(1u << 20)

/* The remote topology --remote-setup makes (and removes). */
#define NS_A		"vbench-a"	/* clients */
#define NS_B		"vbench-b"	/* servers */
#define IF_A		"vbench0"
#define IF_B		"vbench1"
#define IP_A		"10.199.0.1"
#define IP_B		"10.199.0.2"
#define ETH_P_VBENCH	0x88B5		/* IEEE local experimental */
#define RAW_PAYLOAD	1500		/* bytes of data per raw frame (the MTU) */
#define TIPC_TYPE	18888
#define PORT_BASE	17900
#define PORT_FILE	(PORT_BASE + 16)	/* the TCP file server (past the pairs' ports) */
#define FILE_SIZE	(4u << 20)	/* the file read through vfsd and over TCP */
#define FILE_PAGE	4096u		/* file_seq_read_page_us: bytes per read */
#define FILE_NAME	"data"
#define VB_LID		0x5642		/* the V echo server of vbench --serve */

/* ------------------------------------------------------------------------ */
/* Options and results                                                       */

static struct {
	uint64_t n;		/* timed iterations of a latency row */
	uint64_t budget_ns;	/* time one row may take (then MIN_SAMPLES) */
	uint64_t scale_ms;	/* each scaling run */
	uint64_t rounds;	/* every row is measured in this many interleaved rounds */
	int cpu;		/* pin both sides of a row to this CPU; -1: no pinning */
	int insns;		/* --insns: marks for a TCG plugin around client loops */
	int json;
	int remote_setup;
	const char *serve_dev;	/* --serve DEV */
	const char *peer_ip;	/* --peer IP */
	const char *out;
	const char *only;
	char bindir[PATH_MAX];	/* where vbench itself is */
	char vctl[PATH_MAX + 8];
} opt = { .n = 2000, .budget_ns = 5000000000ULL, .scale_ms = 1000, .rounds = 3, .cpu = 0 };

static int remote_ok;		/* the two hosts exist */
static char remote_why[160] = "no second V host (run as root with --remote-setup)";

/*
 * The other kernel of the peer_ rows (--peer): a host running vbench
 * --serve, reached over dev.  Its MAC and dev come from the neighbour
 * table, its V echo server from GetPid(VB_LID).
 */
static struct {
	int tried, ok;
	char dev[IF_NAMESIZE];
	uint64_t mac, v_id;
	const char *no_tipc;	/* why there is no TIPC bearer on dev, or NULL */
	char why[200];
} peer = { .why = "no other kernel (--peer IP of a host running vbench --serve)" };

enum { R_LAT, R_BW, R_RATE };	/* latency (p99 too), MB/s, per second */

struct row {
	const char *key;
	const char *unit;
	int kind;
	const char *vref;	/* the V row this one is a baseline for */
	int done;		/* skipped, or final */
	double value, p99;
	uint64_t samples;
	char skipped[200];
	/* gathered over the rounds */
	uint64_t *acc, nacc, ops, lost;
	uint64_t frames, iters;	/* round trips: frames on the link, iterations */
	int rounds;
	size_t bytes;		/* bulk rows: bytes per sample */
	double div;		/* latency rows: ns per unit */
};

#define ROW(k, u, kd, v) { .key = (k), .unit = (u), .kind = (kd), .vref = (v) }

static struct row rows[] = {
	ROW("local_srr_ns", "ns", R_LAT, NULL),
	ROW("pipe_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("uds_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("eventfd_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("binder_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("local_movefrom_64k_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_readv_64k_mbps", "MB/s", R_BW, "local_movefrom_64k_mbps"),
	ROW("local_moveto_64k_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_writev_64k_mbps", "MB/s", R_BW, "local_moveto_64k_mbps"),
	ROW("local_movefrom_1m_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_readv_1m_mbps", "MB/s", R_BW, "local_movefrom_1m_mbps"),
	ROW("local_moveto_1m_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_writev_1m_mbps", "MB/s", R_BW, "local_moveto_1m_mbps"),
	ROW("remote_srr_us", "us", R_LAT, NULL),
	ROW("udp_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("tcp_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("tipc_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("raw_packet_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("peer_srr_us", "us", R_LAT, NULL),
	ROW("peer_udp_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_tcp_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_tipc_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_raw_packet_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("remote_moveto_64k_ms", "ms", R_LAT, NULL),
	ROW("raw_packet_64k_ms", "ms", R_LAT, "remote_moveto_64k_ms"),
	ROW("remote_movefrom_1m_mbps", "MB/s", R_BW, NULL),
	ROW("tcp_stream_1m_mbps", "MB/s", R_BW, "remote_movefrom_1m_mbps"),
	ROW("file_seq_read_page_us", "us", R_LAT, NULL),
	ROW("tcp_file_page_us", "us", R_LAT, "file_seq_read_page_us"),
	ROW("file_read_mbps", "MB/s", R_BW, NULL),
	ROW("tcp_file_read_mbps", "MB/s", R_BW, "file_read_mbps"),
	ROW("local_srr_per_s_1", "1/s", R_RATE, NULL),
	ROW("local_srr_per_s_2", "1/s", R_RATE, NULL),
	ROW("local_srr_per_s_4", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_1", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_2", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_4", "1/s", R_RATE, NULL),
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

static struct row *row_get(const char *key)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].key, key))
			return &rows[i];
	return NULL;
}

static void __attribute__((format(printf, 2, 3))) row_skip(const char *key, const char *fmt, ...)
{
	struct row *r = row_get(key);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->skipped, sizeof(r->skipped), fmt, ap);
	va_end(ap);
	r->done = 1;
	if (!opt.json)
		fprintf(stderr, "vbench: %-28s skipped: %s\n", key, r->skipped);
}

/* Is key selected by --only (substrings separated by , or +)? */
static int selected(const char *key)
{
	char buf[512], *tok, *save = NULL;

	if (!opt.only)
		return 1;
	snprintf(buf, sizeof(buf), "%s", opt.only);
	for (tok = strtok_r(buf, ",+", &save); tok; tok = strtok_r(NULL, ",+", &save))
		if (strstr(key, tok))
			return 1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------------ */
/* Jobs: server and client processes, results in shared memory               */

struct shm {
	volatile int go;		/* scaling: the clients may start */
	volatile uint64_t deadline;	/* scaling: and stop then */
	uint64_t token[MAXP];		/* what each server tells its client */
	uint64_t ops[MAXP];		/* scaling: transactions per client */
	uint64_t lost;			/* raw frames: iterations lost */
	char err[200];
	int marked;			/* --insns: the client's end mark ran */
	uint64_t n;			/* timed samples so far */
	uint64_t iters;			/* iterations, warm-up included */
	uint64_t s[SAMPLES_MAX];	/* ns each */
};

static struct shm *G;

struct job;
typedef void (*role_fn)(struct job *j, int idx);

struct job {
	role_fn srv, cli;
	const char *srv_ns, *cli_ns;	/* NULL: this namespace */
	int peer;			/* the server is the --peer host's (srv NULL) */
	int pairs;
	size_t size;			/* bytes moved per iteration */
	int mode;			/* role-specific */
	int server_times;		/* V moves: the server times its calls */
	unsigned int moves;		/* V moves: calls per message (local: LOCAL_MOVES) */
	int scaling;			/* clients count transactions until the deadline */
	uint64_t count, warm;		/* timed and untimed iterations */
	int fds[4];			/* made before the fork, for both sides */
	uint64_t server;		/* file rows: vfsd's id */
	pid_t srv_pid[MAXP];
	int ready_w;			/* a role writes 'R' (ready) or 'E' here */
};

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (G->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(G->err, sizeof(G->err), fmt, ap);
	va_end(ap);
}

/* Tell the parent this role is ready ('R') or failed ('E', after fail()). */
static void ready(struct job *j, int ok)
{
	char c = ok ? 'R' : 'E';

	if (write(j->ready_w, &c, 1) != 1)
		_exit(1);
	if (!ok)
		_exit(1);
}

static void __attribute__((noreturn)) die(struct job *j, const char *what, int err)
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

static int mark_init(void)
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
static int more(const struct job *j, uint64_t i, uint64_t t_start)
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

static void record(const struct job *j, uint64_t i, uint64_t ns)
{
	G->iters++;
	if (i >= j->warm && G->n < SAMPLES_MAX)
		G->s[G->n++] = ns;
}

static int enter_ns(const char *name)
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

static void *alloc_touched(size_t len, uint8_t seed)
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
static int wait_ready(int rfd, int n, int ms)
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

static pid_t spawn(struct job *j, role_fn fn, const char *ns, int idx, int alarm_s)
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

static void reap(pid_t pid, int sig)
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
static int run_job(struct job *j, int scaling)
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
static void finish(const char *key, int ret, size_t bytes, double div)
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
static void finalize(struct row *r)
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
static void iters(struct job *j, uint64_t div)
{
	j->count = opt.n / div / opt.rounds;
	if (j->count < MIN_SAMPLES)
		j->count = MIN_SAMPLES;
	j->warm = j->count / 10 < 5 ? 5 : j->count / 10;
}

/* ------------------------------------------------------------------------ */
/* V: echo server, MoveFrom / MoveTo server, client                          */

enum { V_ECHO, V_MOVEFROM, V_MOVETO };

static void v_srv(struct job *j, int idx)
{
	struct v_receive r;
	struct v_msg reply;
	uint64_t from = 0, id, k, t0;
	uint8_t *buf = alloc_touched(j->size, 3);
	unsigned int m;
	int fd = v_open(), ret;

	if (fd < 0)
		die(j, "v_open", -fd);
	if (j->size && !buf)
		die(j, "mmap", ENOMEM);
	ret = v_self(fd, &id);
	if (ret < 0)
		die(j, "v_self", -ret);
	G->token[idx] = id;
	ready(j, 1);
	memset(&reply, 0, sizeof(reply));
	for (k = 0;; k++) {
		memset(&r, 0, sizeof(r));
		ret = v_reply_receive(fd, from, &reply, &r);
		if (ret < 0) {
			fail("v_reply_receive: %s", strerror(-ret));
			_exit(1);
		}
		from = r.sender;
		reply = r.msg;
		if (j->mode == V_ECHO)
			continue;
		for (m = 0; m < j->moves; m++) {
			t0 = now_ns();
			if (j->mode == V_MOVEFROM)
				ret = v_move_from(fd, from, 0, buf, j->size);
			else
				ret = v_move_to(fd, from, 0, buf, j->size);
			t0 = now_ns() - t0;
			if (ret < 0) {
				fail("%s: %s", j->mode == V_MOVEFROM ? "MoveFrom" : "MoveTo",
				     strerror(-ret));
				v_msg_set_code(&reply, V_BAD_BUFFER);
				break;
			}
			/* The first transfer is checked byte for byte. */
			if (k == 0 && m == 0 && j->mode == V_MOVEFROM) {
				size_t i;

				for (i = 0; i < j->size; i++)
					if (buf[i] != (uint8_t)(i * 7 + 5)) {
						fail("MoveFrom: byte %zu differs", i);
						break;
					}
			}
			if (j->server_times)
				record(j, k, t0);
		}
	}
}

static struct v_msg req(uint32_t seq)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, 0x4000);
	v_msg_put32(&m, 4, seq);
	v_msg_put64(&m, 8, 0x5642454e43480000ULL | seq);
	return m;
}

static void v_cli(struct job *j, int idx)
{
	uint8_t *seg = alloc_touched(j->size, 5);
	unsigned int access = j->mode == V_MOVEFROM ? V_SEG_READ :
			      j->mode == V_MOVETO ? V_SEG_WRITE : 0;
	uint64_t dst = j->peer ? peer.v_id : G->token[idx], i, t0, t_start, ops = 0;
	struct v_msg m, want;
	int fd = v_open(), ret;

	if (fd < 0)
		die(j, "v_open", -fd);
	if (j->size && !seg)
		die(j, "mmap", ENOMEM);
	if (j->scaling) {
		for (i = 0; i < 10; i++) {
			m = req((uint32_t)i);
			ret = v_send(fd, dst, &m);
			if (ret < 0)
				die(j, "v_send", -ret);
		}
		ready(j, 1);
		while (!__atomic_load_n(&G->go, __ATOMIC_SEQ_CST))
			usleep(1000);
		while (now_ns() < G->deadline) {
			m = req((uint32_t)ops);
			ret = v_send(fd, dst, &m);
			if (ret < 0) {
				fail("v_send: %s", strerror(-ret));
				_exit(1);
			}
			ops++;
		}
		G->ops[idx] = ops;
		return;
	}
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		m = req((uint32_t)i);
		want = m;
		t0 = now_ns();
		ret = v_send_seg(fd, dst, &m, seg, j->size, access);
		t0 = now_ns() - t0;
		if (ret < 0) {
			fail("v_send: %s", strerror(-ret));
			_exit(1);
		}
		if (memcmp(&m, &want, sizeof(m))) {
			fail("iteration %" PRIu64 ": the reply differs from the request", i);
			_exit(1);
		}
		if (!j->server_times)
			record(j, i, t0);
	}
	if (j->mode == V_MOVETO && seg) {
		size_t k;

		for (k = 0; k < j->size; k++)
			if (seg[k] != (uint8_t)(k * 7 + 3)) {
				fail("MoveTo: byte %zu differs", k);
				_exit(1);
			}
	}
}

static int v_job(const char *srv_ns, const char *cli_ns, int mode, size_t size, int server_times,
		 uint64_t div, int pairs, int scaling)
{
	struct job j = { .srv = v_srv, .cli = v_cli, .srv_ns = srv_ns, .cli_ns = cli_ns,
			 .pairs = pairs, .size = size, .mode = mode, .moves = 1,
			 .server_times = server_times, .scaling = scaling };

	iters(&j, div);
	/*
	 * Local moves are timed call after call on one held message, as
	 * process_vm_readv/writev are: the copy path, not the wake-up before
	 * it (which local_srr_ns measures).  As many calls in all.
	 */
	if (server_times && !srv_ns && mode != V_ECHO) {
		j.moves = LOCAL_MOVES;
		j.count = j.count / LOCAL_MOVES < MIN_SAMPLES ? MIN_SAMPLES : j.count / LOCAL_MOVES;
		j.warm = 1;
	}
	return run_job(&j, scaling);
}

/* ------------------------------------------------------------------------ */
/* Local baselines: pipe, Unix seqpacket, eventfd, binder, process_vm_*      */

enum { B_PIPE, B_UDS, B_EVENTFD };

static int rd_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int wr_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;
	ssize_t n;

	while (put < len) {
		n = write(fd, (const char *)buf + put, len - put);
		if (n <= 0)
			return -1;
		put += (size_t)n;
	}
	return 0;
}

/* fds: [0] client reads, [1] client writes, [2] server reads, [3] server writes */
static void fd_srv(struct job *j, int idx)
{
	char buf[MSG];
	size_t len = j->mode == B_EVENTFD ? 8 : MSG;

	(void)idx;
	ready(j, 1);
	for (;;) {
		if (read(j->fds[2], buf, len) != (ssize_t)len)
			_exit(0);
		if (write(j->fds[3], buf, len) != (ssize_t)len)
			_exit(0);
	}
}

static void fd_cli(struct job *j, int idx)
{
	char buf[MSG], back[MSG];
	size_t len = j->mode == B_EVENTFD ? 8 : MSG;
	uint64_t i, t0, t_start = now_ns(), one = 1;

	(void)idx;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		if (j->mode == B_EVENTFD)
			memcpy(buf, &one, 8);
		else
			memcpy(buf, &i, sizeof(i));
		t0 = now_ns();
		if (write(j->fds[1], buf, len) != (ssize_t)len ||
		    read(j->fds[0], back, len) != (ssize_t)len) {
			fail("round trip: %s", strerror(errno));
			_exit(1);
		}
		t0 = now_ns() - t0;
		if (memcmp(buf, back, len)) {
			fail("iteration %" PRIu64 ": the answer differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

static int fd_job(int mode)
{
	struct job j = { .srv = fd_srv, .cli = fd_cli, .pairs = 1, .mode = mode };
	int a[2], b[2], ret, i;

	iters(&j, 1);
	switch (mode) {
	case B_PIPE:
		if (pipe(a) || pipe(b))
			return -1;
		j.fds[0] = b[0];	/* server -> client */
		j.fds[3] = b[1];
		j.fds[2] = a[0];	/* client -> server */
		j.fds[1] = a[1];
		break;
	case B_UDS:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a))
			return -1;
		j.fds[0] = j.fds[1] = a[0];
		j.fds[2] = j.fds[3] = a[1];
		break;
	default:
		a[0] = eventfd(0, 0);	/* client -> server */
		b[0] = eventfd(0, 0);	/* server -> client */
		if (a[0] < 0 || b[0] < 0)
			return -1;
		j.fds[1] = j.fds[2] = a[0];
		j.fds[0] = j.fds[3] = b[0];
		break;
	}
	ret = run_job(&j, 0);
	for (i = 0; i < 4; i++)
		close(j.fds[i]);	/* shared fds close twice: harmless EBADF */
	return ret;
}

/*
 * Binder: the server is the context manager of /dev/binder (handle 0), the
 * client sends it 32-byte transactions and waits for the reply, as an
 * Android client does (one BINDER_WRITE_READ: free the last reply, send,
 * read until BR_REPLY).
 */
#define BINDER_DEV	"/dev/binder"
#define BINDER_MAP	(1u << 20)

struct bwr_buf {
	uint8_t b[512];
	size_t len;
};

static void bput(struct bwr_buf *w, uint32_t cmd, const void *arg, size_t len)
{
	memcpy(w->b + w->len, &cmd, 4);
	memcpy(w->b + w->len + 4, arg, len);
	w->len += 4 + len;
}

/*
 * One BINDER_WRITE_READ with w (may be empty), then reads until want
 * (BR_TRANSACTION or BR_REPLY) comes: its data copied into tr.
 */
static int binder_io(int fd, struct bwr_buf *w, uint32_t want,
		     struct binder_transaction_data *tr)
{
	uint8_t rb[512];
	struct binder_write_read bwr;
	int first = 1;

	for (;;) {
		size_t off = 0;

		memset(&bwr, 0, sizeof(bwr));
		if (first && w->len) {
			bwr.write_buffer = (uintptr_t)w->b;
			bwr.write_size = w->len;
		}
		first = 0;
		bwr.read_buffer = (uintptr_t)rb;
		bwr.read_size = sizeof(rb);
		if (ioctl(fd, BINDER_WRITE_READ, &bwr) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (off + 4 <= bwr.read_consumed) {
			uint32_t cmd;

			memcpy(&cmd, rb + off, 4);
			off += 4;
			if (cmd == want) {
				memcpy(tr, rb + off, sizeof(*tr));
				return 0;
			}
			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
			case BR_SPAWN_LOOPER:
			case BR_OK:
				break;
			case BR_DEAD_REPLY:
				return -EPIPE;
			case BR_FAILED_REPLY:
				return -EIO;
			default:
				if (cmd == BR_ERROR)
					return -EIO;
				break;
			}
			off += _IOC_SIZE(cmd);
		}
	}
}

static int binder_open(void)
{
	int fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (mmap(NULL, BINDER_MAP, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void binder_srv(struct job *j, int idx)
{
	struct binder_transaction_data tr, rep;
	struct bwr_buf w = { .len = 0 };
	uint8_t data[MSG];
	binder_uintptr_t buf;
	uint32_t zero = 0;
	int fd = binder_open(), ret;

	(void)idx;
	if (fd < 0)
		die(j, BINDER_DEV, -fd);
	if (ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero) < 0)
		die(j, "BINDER_SET_CONTEXT_MGR", errno);
	bput(&w, BC_ENTER_LOOPER, NULL, 0);
	ready(j, 1);
	for (;;) {
		ret = binder_io(fd, &w, BR_TRANSACTION, &tr);
		if (ret < 0) {
			fail("binder server: %s", strerror(-ret));
			_exit(1);
		}
		memcpy(data, (void *)(uintptr_t)tr.data.ptr.buffer,
		       tr.data_size < MSG ? tr.data_size : MSG);
		buf = tr.data.ptr.buffer;
		memset(&rep, 0, sizeof(rep));
		rep.data_size = MSG;
		rep.data.ptr.buffer = (uintptr_t)data;
		w.len = 0;
		bput(&w, BC_FREE_BUFFER, &buf, sizeof(buf));
		bput(&w, BC_REPLY, &rep, sizeof(rep));
	}
}

static void binder_cli(struct job *j, int idx)
{
	struct binder_transaction_data tr, rep;
	struct bwr_buf w;
	uint8_t data[MSG];
	binder_uintptr_t last = 0;
	uint64_t i, t0, t_start = now_ns();
	int fd = binder_open(), ret;

	(void)idx;
	if (fd < 0) {
		fail("%s: %s", BINDER_DEV, strerror(-fd));
		_exit(1);
	}
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		memset(data, 0x42, sizeof(data));
		memcpy(data, &i, sizeof(i));
		memset(&tr, 0, sizeof(tr));
		tr.target.handle = 0;
		tr.code = 1;
		tr.data_size = MSG;
		tr.data.ptr.buffer = (uintptr_t)data;
		w.len = 0;
		t0 = now_ns();
		if (last)
			bput(&w, BC_FREE_BUFFER, &last, sizeof(last));
		bput(&w, BC_TRANSACTION, &tr, sizeof(tr));
		ret = binder_io(fd, &w, BR_REPLY, &rep);
		t0 = now_ns() - t0;
		if (ret < 0) {
			fail("binder transaction: %s", strerror(-ret));
			_exit(1);
		}
		last = rep.data.ptr.buffer;
		if (rep.data_size != MSG ||
		    memcmp((void *)(uintptr_t)rep.data.ptr.buffer, data, MSG)) {
			fail("iteration %" PRIu64 ": the binder reply differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* binder_linux: loaded if it can be; a reason when there is no device. */
static const char *binder_prepare(void)
{
	if (access(BINDER_DEV, R_OK | W_OK) == 0)
		return NULL;
	if (geteuid() == 0 && access("/sys/module/binder_linux", F_OK))
		if (system("modprobe -q binder_linux devices=binder 2>/dev/null") != 0)
			return "binder_linux cannot be loaded (modprobe failed)";
	if (access(BINDER_DEV, R_OK | W_OK) == 0)
		return NULL;
	return "no " BINDER_DEV " (binder_linux not loaded, or no access)";
}

/* process_vm_readv / writev on the server's buffer. */
static void pvm_srv(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 3);

	if (!buf)
		die(j, "mmap", ENOMEM);
	G->token[idx] = (uintptr_t)buf;
	ready(j, 1);
	for (;;)
		pause();
}

static void pvm_cli(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 5);
	struct iovec l = { buf, j->size }, r = { (void *)(uintptr_t)G->token[idx], j->size };
	uint64_t i, t0, t_start = now_ns();
	ssize_t n;

	if (!buf) {
		fail("mmap: %s", strerror(ENOMEM));
		_exit(1);
	}
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		t0 = now_ns();
		if (j->mode)
			n = process_vm_writev(j->srv_pid[idx], &l, 1, &r, 1, 0);
		else
			n = process_vm_readv(j->srv_pid[idx], &l, 1, &r, 1, 0);
		t0 = now_ns() - t0;
		if (n != (ssize_t)j->size) {
			fail("process_vm_%s: %s", j->mode ? "writev" : "readv",
			     n < 0 ? strerror(errno) : "short");
			_exit(1);
		}
		if (i == 0 && !j->mode && buf[j->size - 1] != (uint8_t)((j->size - 1) * 7 + 3)) {
			fail("process_vm_readv: wrong data");
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* The client needs the server's pid: it is forked after the server. */
static int pvm_job(int write, size_t size, uint64_t div)
{
	struct job j = { .srv = pvm_srv, .cli = pvm_cli, .pairs = 1, .mode = write, .size = size };

	iters(&j, div);
	return run_job(&j, 0);
}

/* ------------------------------------------------------------------------ */
/* Remote baselines: UDP, TCP, TIPC, raw Ethernet frames                     */

enum { N_UDP, N_TCP, N_TIPC };

static int sock_opt1(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one));
}

static void net_srv(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE + idx) };
	struct sockaddr_tipc t;
	struct sockaddr_storage from;
	socklen_t flen;
	uint8_t *data;
	char buf[MSG];
	ssize_t n;
	int fd, c;

	if (j->mode == N_TIPC) {
		memset(&t, 0, sizeof(t));
		t.family = AF_TIPC;
		t.addrtype = TIPC_ADDR_NAMESEQ;
		t.scope = TIPC_CLUSTER_SCOPE;
		t.addr.nameseq.type = TIPC_TYPE;
		t.addr.nameseq.lower = t.addr.nameseq.upper = (uint32_t)idx + 1;
		fd = socket(AF_TIPC, SOCK_SEQPACKET, 0);
		if (fd < 0)
			die(j, "socket(AF_TIPC)", errno);
		if (bind(fd, (struct sockaddr *)&t, sizeof(t)) || listen(fd, 4))
			die(j, "TIPC bind/listen", errno);
	} else {
		fd = socket(AF_INET, j->mode == N_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0)
			die(j, "socket", errno);
		sock_opt1(fd, SOL_SOCKET, SO_REUSEADDR);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die(j, "bind", errno);
		if (j->mode == N_TCP && listen(fd, 4))
			die(j, "listen", errno);
	}
	ready(j, 1);
	if (j->mode == N_UDP) {
		for (;;) {
			flen = sizeof(from);
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n <= 0 || sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) != n)
				_exit(0);
		}
	}
	data = j->size ? alloc_touched(j->size, 3) : NULL;
	/* One client after the other: vbench --serve outlives its clients. */
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		if (j->mode == N_TCP)
			sock_opt1(c, IPPROTO_TCP, TCP_NODELAY);
		if (j->size)	/* TCP stream: a byte asks for size bytes */
			while (data && read(c, buf, 1) == 1 && !wr_full(c, data, j->size))
				;
		else
			while (!(j->mode == N_TCP ? rd_full(c, buf, MSG) :
				 read(c, buf, MSG) == MSG ? 0 : -1) && !wr_full(c, buf, MSG))
				;
		close(c);
	}
	_exit(0);
}

static int net_connect(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE + idx) };
	struct sockaddr_tipc t;
	uint64_t end = now_ns() + 20000000000ULL;
	int fd;

	inet_pton(AF_INET, j->peer ? opt.peer_ip : j->size ? IP_A : IP_B, &a.sin_addr);
	if (j->mode != N_TIPC) {
		fd = socket(AF_INET, j->mode == N_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			fail("connect: %s", strerror(errno));
			_exit(1);
		}
		if (j->mode == N_TCP)
			sock_opt1(fd, IPPROTO_TCP, TCP_NODELAY);
		return fd;
	}
	/* The service name needs time to reach this node over the new link. */
	memset(&t, 0, sizeof(t));
	t.family = AF_TIPC;
	t.addrtype = TIPC_ADDR_NAME;
	t.addr.name.name.type = TIPC_TYPE;
	t.addr.name.name.instance = (uint32_t)idx + 1;
	for (;;) {
		fd = socket(AF_TIPC, SOCK_SEQPACKET, 0);
		if (fd < 0) {
			fail("socket(AF_TIPC): %s", strerror(errno));
			_exit(1);
		}
		if (connect(fd, (struct sockaddr *)&t, sizeof(t)) == 0)
			return fd;
		close(fd);
		if (now_ns() > end) {
			fail("TIPC connect: %s (no link between the nodes?)", strerror(errno));
			_exit(1);
		}
		usleep(100000);
	}
}

static void net_cli(struct job *j, int idx)
{
	char buf[MSG], back[MSG];
	uint64_t i, t0, t_start;
	uint8_t *data = NULL;
	int fd = net_connect(j, idx);

	if (j->size && !(data = malloc(j->size))) {
		fail("malloc: %s", strerror(ENOMEM));
		_exit(1);
	}
	if (data)
		memset(data, 0, j->size);
	memset(buf, 0x33, sizeof(buf));
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		memcpy(buf, &i, sizeof(i));
		t0 = now_ns();
		if (j->size) {
			if (write(fd, buf, 1) != 1 || rd_full(fd, data, j->size)) {
				fail("TCP stream: %s", strerror(errno));
				_exit(1);
			}
		} else if (write(fd, buf, MSG) != MSG ||
			   (j->mode == N_TCP ? rd_full(fd, back, MSG) :
			    (read(fd, back, MSG) == MSG ? 0 : -1))) {
			fail("round trip: %s", strerror(errno));
			_exit(1);
		}
		t0 = now_ns() - t0;
		if (!j->size && memcmp(buf, back, MSG)) {
			fail("iteration %" PRIu64 ": the answer differs", i);
			_exit(1);
		}
		record(j, i, t0);
	}
}

/* TCP stream: the server role pushes (in A), the client role times (in B). */
static int net_job(int mode, size_t size, uint64_t div)
{
	struct job j = { .srv = net_srv, .cli = net_cli, .pairs = 1, .mode = mode, .size = size,
			 .srv_ns = size ? NS_A : NS_B, .cli_ns = size ? NS_B : NS_A };

	iters(&j, div);
	return run_job(&j, 0);
}

/* AF_PACKET sockets on this namespace's end of the veth. */
static int raw_open(const char *ifname, uint8_t mac[6])
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_VBENCH)), big = 4 << 20;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_VBENCH);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	return fd;
}

static uint64_t mac64(const uint8_t mac[6])
{
	uint64_t v = 0;

	memcpy(&v, mac, 6);
	return v;
}

/* A frame: dst, src, type, then seq (4), index (2), count (2), data. */
struct rawf {
	struct ether_header eh;
	uint32_t seq;
	uint16_t index, count;
	uint8_t data[RAW_PAYLOAD - 8];
} __attribute__((packed));

static void raw_hdr(struct rawf *f, uint64_t dst, const uint8_t src[6])
{
	memcpy(f->eh.ether_dhost, &dst, 6);
	memcpy(f->eh.ether_shost, src, 6);
	f->eh.ether_type = htons(ETH_P_VBENCH);
}

/*
 * Server role: echo each frame back (RR), or (bulk) collect the frames of
 * train seq and answer with one frame once all of them are in.
 */
static void raw_srv(struct job *j, int idx)
{
	static struct rawf f;
	uint8_t mac[6], from[6];
	uint32_t seq = ~0u;
	uint64_t have = 0, need = 0;
	ssize_t n;
	int fd = raw_open(j->peer ? peer.dev : j->size ? IF_A : IF_B, mac);

	if (fd < 0)
		die(j, "AF_PACKET socket", -fd);
	G->token[idx] = mac64(mac);
	ready(j, 1);
	for (;;) {
		n = recv(fd, &f, sizeof(f), 0);
		if (n < (ssize_t)offsetof(struct rawf, data))
			continue;
		if (!j->size) {
			memcpy(from, f.eh.ether_shost, 6);
			raw_hdr(&f, mac64(from), mac);
			if (send(fd, &f, (size_t)n, 0) != n)
				_exit(0);
			continue;
		}
		if (f.seq != seq) {
			seq = f.seq;
			have = 0;
			need = f.count >= 64 ? ~0ULL : (1ULL << f.count) - 1;
		}
		have |= 1ULL << (f.index & 63);
		if (have == need) {
			memcpy(from, f.eh.ether_shost, 6);
			raw_hdr(&f, mac64(from), mac);
			f.index = 0xffff;
			if (send(fd, &f, 60, 0) != 60)
				_exit(0);
			have = 0;
		}
	}
}

static void raw_cli(struct job *j, int idx)
{
	static struct rawf f, back;
	struct timeval tv = { .tv_sec = 1 };
	uint64_t dst = j->peer ? peer.mac : G->token[idx], i, t0, t_start;
	uint16_t count = (uint16_t)((j->size + sizeof(f.data) - 1) / sizeof(f.data)), k;
	uint8_t mac[6];
	size_t len;
	ssize_t n;
	int fd = raw_open(j->peer ? peer.dev : j->size ? IF_B : IF_A, mac), lost;

	if (fd < 0) {
		fail("AF_PACKET socket: %s", strerror(-fd));
		_exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&f, 0x77, sizeof(f));
	raw_hdr(&f, dst, mac);
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		f.seq = (uint32_t)i;
		lost = 0;
		t0 = now_ns();
		if (!j->size) {
			f.index = 0;
			f.count = 1;
			if (send(fd, &f, 14 + MSG, 0) != 14 + MSG) {
				fail("send: %s", strerror(errno));
				_exit(1);
			}
		} else {
			for (k = 0; k < count; k++) {
				len = j->size - (size_t)k * sizeof(f.data);
				if (len > sizeof(f.data))
					len = sizeof(f.data);
				f.index = k;
				f.count = count;
				if (send(fd, &f, offsetof(struct rawf, data) + len, 0) < 0) {
					fail("send: %s", strerror(errno));
					_exit(1);
				}
			}
		}
		for (;;) {
			n = recv(fd, &back, sizeof(back), 0);
			if (n < 0 && errno == EAGAIN) {
				lost = 1;
				break;
			}
			if (n < 0) {
				fail("recv: %s", strerror(errno));
				_exit(1);
			}
			if (n >= (ssize_t)offsetof(struct rawf, data) && back.seq == f.seq)
				break;
		}
		t0 = now_ns() - t0;
		if (lost) {
			G->lost++;	/* a frame was lost: not a sample */
			if (G->lost > 50) {
				fail("more than 50 iterations lost frames");
				_exit(1);
			}
			continue;
		}
		record(j, i, t0);
	}
}

/* Bulk: the server role receives (in A), the client role pushes and times (in B). */
static int raw_job(size_t size, uint64_t div)
{
	struct job j = { .srv = raw_srv, .cli = raw_cli, .pairs = 1, .size = size,
			 .srv_ns = size ? NS_A : NS_B, .cli_ns = size ? NS_B : NS_A };

	iters(&j, div);
	return run_job(&j, 0);
}

/* ------------------------------------------------------------------------ */
/* File reads: vfsd in B, a client in A; pread over TCP beside it           */

/*
 * One file of FILE_SIZE bytes in a directory of its own, served by vfsd and
 * by the TCP baseline alike (both read it from the same page cache).  Byte
 * o of the file is file_byte(o), so that any read can be checked.
 */
static struct {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char vfsd[PATH_MAX + 32];
	int made;
} file;

static uint8_t file_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 11);
}

/* The first byte of buf that is not the file's at off, or -1. */
static long file_differs(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != file_byte(off + i))
			return (long)i;
	return -1;
}

/* Find vfsd (built beside vbench, or installed), make the file; why not, or NULL. */
static const char *file_prepare(void)
{
	static const char *const where[] = { "../daemons/vfsd", "../sbin/vfsd" };
	static uint8_t chunk[64 << 10];
	const char *tmp = getenv("TMPDIR");
	uint64_t off;
	size_t i;
	int fd;

	if (file.made)
		return NULL;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(file.vfsd, sizeof(file.vfsd), "%s/%s", opt.bindir, where[i]);
		if (!access(file.vfsd, X_OK))
			break;
	}
	if (i == sizeof(where) / sizeof(where[0]))
		return "vfsd not built (looked for ../daemons/vfsd and ../sbin/vfsd beside vbench)";
	snprintf(file.dir, sizeof(file.dir), "%s/vbench-files.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(file.dir))
		return "cannot make a temporary directory";
	snprintf(file.path, sizeof(file.path), "%s/" FILE_NAME, file.dir);
	fd = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rmdir(file.dir);
		return "cannot create the test file";
	}
	for (off = 0; off < FILE_SIZE; off += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = file_byte(off + i);
		if (wr_full(fd, chunk, sizeof(chunk))) {
			close(fd);
			unlink(file.path);
			rmdir(file.dir);
			return "cannot write the test file";
		}
	}
	close(fd);
	file.made = 1;
	return NULL;
}

static void file_cleanup(void)
{
	if (!file.made)
		return;
	unlink(file.path);
	rmdir(file.dir);
	file.made = 0;
}

/*
 * Start vfsd (read-only, no logical id: nothing else is disturbed) in the
 * server namespace on the rows' CPU; its id from its ready line
 * "vfsd: serving DIR as 0x<id>".  0, or -1 after fail().
 */
static int vfsd_start(uint64_t *id, pid_t *pidp)
{
	struct pollfd pfd;
	char line[PATH_MAX + 64], *as;
	size_t got = 0;
	int p[2], ret;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (opt.cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(opt.cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		ret = enter_ns(NS_B);
		if (ret) {
			fprintf(stderr, "vbench: %s: %s\n", NS_B, strerror(-ret));
			_exit(127);
		}
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(file.vfsd, "vfsd", "-q", "-l", "0", file.dir, (char *)NULL);
		fprintf(stderr, "vbench: %s: %s\n", file.vfsd, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && poll(&pfd, 1, 30000) == 1 &&
	       read(p[0], line + got, 1) == 1)
		if (line[got++] == '\n')
			break;
	line[got] = '\0';
	close(p[0]);
	as = strstr(line, " as 0x");
	if (!as) {
		fail("vfsd did not start (its first line: '%.80s')", line);
		kill(pid, SIGKILL);
		reap(pid, 0);
		return -1;
	}
	*id = strtoull(as + 4, NULL, 16);
	*pidp = pid;
	return 0;
}

/* SIGTERM, then 5 s for a clean exit (status 0); -1 when it did not. */
static int vfsd_stop(pid_t pid)
{
	uint64_t end = now_ns() + 5000000000ULL;
	int st;

	kill(pid, SIGTERM);
	while (now_ns() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		usleep(20000);
	}
	reap(pid, SIGKILL);
	return -1;
}

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

enum { F_VFSD, F_TCP };

/*
 * The TCP baseline's server: a request is (u64 offset, u64 length), the
 * answer a u64 count and that many bytes pread() from the file -- a file
 * server reduced to its data path, on a connection made once.
 */
static void file_tcp_srv(struct job *j, int idx)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_FILE) };
	uint64_t q[2];
	uint8_t *buf = malloc(8 + j->size);
	ssize_t n;
	int fd = open(file.path, O_RDONLY | O_CLOEXEC), l, c;

	(void)idx;
	if (fd < 0)
		die(j, file.path, errno);
	if (!buf)
		die(j, "malloc", ENOMEM);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die(j, "socket", errno);
	sock_opt1(l, SOL_SOCKET, SO_REUSEADDR);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
		die(j, "bind/listen", errno);
	ready(j, 1);
	c = accept(l, NULL, NULL);
	if (c < 0)
		_exit(0);
	sock_opt1(c, IPPROTO_TCP, TCP_NODELAY);
	for (;;) {
		if (rd_full(c, q, sizeof(q)))
			_exit(0);
		n = pread_full(fd, buf + 8, q[1] < j->size ? q[1] : j->size, (off_t)q[0]);
		if (n < 0)
			n = 0;
		memcpy(buf, &(uint64_t){ (uint64_t)n }, 8);
		if (wr_full(c, buf, 8 + (size_t)n))
			_exit(0);
	}
}

static int file_tcp_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_FILE) };
	int fd;

	inet_pton(AF_INET, IP_B, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fail("connect: %s", strerror(errno));
		_exit(1);
	}
	sock_opt1(fd, IPPROTO_TCP, TCP_NODELAY);
	return fd;
}

/*
 * Client: read the file sequentially, j->size bytes per read, from the
 * start again at its end; each read timed, the first checked byte for byte.
 */
static void file_cli(struct job *j, int idx)
{
	uint8_t *buf = alloc_touched(j->size, 9);
	uint64_t i, t0, t_start, off = 0, q[2], cnt;
	struct v_file *f = NULL;
	int64_t got;
	long bad;
	int fd, ret;

	(void)idx;
	if (!buf)
		die(j, "mmap", ENOMEM);
	if (j->mode == F_VFSD) {
		fd = v_open();
		if (fd < 0)
			die(j, "v_open", -fd);
		ret = v_file_open_on(fd, j->server, 0, FILE_NAME, VIO_O_READ, &f);
		if (ret < 0)
			die(j, "v_file_open_on", -ret);
	} else {
		fd = file_tcp_connect();
	}
	t_start = now_ns();
	for (i = 0; more(j, i, t_start); i++) {
		if (i == j->warm)
			t_start = now_ns();
		t0 = now_ns();
		if (j->mode == F_VFSD) {
			got = v_file_read(f, buf, j->size, off);
			if (got < 0) {
				fail("v_file_read: %s", strerror((int)-got));
				_exit(1);
			}
		} else {
			q[0] = off;
			q[1] = j->size;
			if (wr_full(fd, q, sizeof(q)) || rd_full(fd, &cnt, sizeof(cnt)) ||
			    cnt > j->size || rd_full(fd, buf, (size_t)cnt)) {
				fail("TCP file read: %s", errno ? strerror(errno) : "bad answer");
				_exit(1);
			}
			got = (int64_t)cnt;
		}
		t0 = now_ns() - t0;
		if ((uint64_t)got != j->size) {
			fail("read at %" PRIu64 ": %" PRId64 " bytes, not %zu", off, got, j->size);
			_exit(1);
		}
		if (i == 0 && (bad = file_differs(buf, j->size, off)) >= 0) {
			fail("read at %" PRIu64 ": byte %ld differs", off, bad);
			_exit(1);
		}
		record(j, i, t0);
		off = (off + j->size) % FILE_SIZE;
	}
	if (f) {
		ret = v_file_close(f);
		if (ret < 0) {
			fail("v_file_close: %s", strerror(-ret));
			_exit(1);
		}
	}
}

/* vfsd is started for the row (in B) and stopped after it: a fresh server each round. */
static int file_job(int mode, size_t size, uint64_t div)
{
	struct job j = { .srv = mode == F_TCP ? file_tcp_srv : NULL, .cli = file_cli,
			 .pairs = 1, .mode = mode, .size = size, .srv_ns = NS_B, .cli_ns = NS_A };
	pid_t vfsd = 0;
	int ret;

	iters(&j, div);
	G->err[0] = '\0';
	if (mode == F_VFSD && vfsd_start(&j.server, &vfsd))
		return -1;
	ret = run_job(&j, 0);
	if (vfsd && vfsd_stop(vfsd) && !ret) {
		fail("vfsd did not stop cleanly on SIGTERM");
		ret = -1;
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* The two V hosts, TIPC on their link                                       */

static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void remote_teardown(void)
{
	sh("ip netns del " NS_A " >/dev/null 2>&1; ip netns del " NS_B " >/dev/null 2>&1");
}

static void remote_setup(void)
{
	if (geteuid() != 0) {
		snprintf(remote_why, sizeof(remote_why), "--remote-setup needs root");
		return;
	}
	remote_teardown();
	sh("modprobe -q veth 2>/dev/null");
	if (sh("ip netns add " NS_A " && ip netns add " NS_B " && "
	       "ip link add " IF_A " netns " NS_A " type veth peer name " IF_B " netns " NS_B " && "
	       "ip -n " NS_A " link set lo up && ip -n " NS_B " link set lo up && "
	       "ip -n " NS_A " addr add " IP_A "/24 dev " IF_A " && "
	       "ip -n " NS_B " addr add " IP_B "/24 dev " IF_B " && "
	       "ip -n " NS_A " link set " IF_A " up && ip -n " NS_B " link set " IF_B " up")) {
		snprintf(remote_why, sizeof(remote_why),
			 "could not make namespaces " NS_A "/" NS_B " and their veth");
		return;
	}
	if (sh("ip netns exec " NS_A " %s link add dev " IF_A " insecure && "
	       "ip netns exec " NS_B " %s link add dev " IF_B " insecure", opt.vctl, opt.vctl)) {
		snprintf(remote_why, sizeof(remote_why), "vctl link add failed (%.100s)", opt.vctl);
		return;
	}
	/* IPv6 DAD and neighbour discovery are not what is measured. */
	sh("ip netns exec " NS_A " ping -c 1 -W 2 " IP_B " >/dev/null 2>&1");
	remote_ok = 1;
}

/* A TIPC bearer on dev in network namespace ns (NULL: this one): NULL, or why not. */
static const char *tipc_enable(const char *ns, const char *dev)
{
	char in[64] = "";

	if (access("/sys/module/tipc", F_OK) && sh("modprobe -q tipc 2>/dev/null"))
		return "tipc module cannot be loaded";
	if (sh("command -v tipc >/dev/null 2>&1"))
		return "no tipc tool (iproute2) to enable bearers";
	if (ns)
		snprintf(in, sizeof(in), "ip netns exec %s ", ns);
	/* A second enable fails: one made before (another vbench) is as good. */
	if (sh("%stipc bearer list 2>/dev/null | grep -qx 'eth:%s' || "
	       "%stipc bearer enable media eth dev %s >/dev/null 2>&1", in, dev, in, dev))
		return "tipc bearer enable failed";
	return NULL;
}

/* Bearers on the veth, once. */
static const char *tipc_prepare(void)
{
	static const char *why;
	static int done;

	if (!done) {
		why = tipc_enable(NS_A, IF_A);
		if (!why)
			why = tipc_enable(NS_B, IF_B);
	}
	done = 1;
	return why;
}

/* ------------------------------------------------------------------------ */
/* The other kernel: --peer (client side) and --serve (its servers)         */

/*
 * Our device towards the --peer host and its MAC, from the neighbour table
 * (a UDP datagram to its echo port makes the entry): 0, or -1.
 */
static int peer_neigh(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE) };
	char line[256], ip[64], hw[32], dev[IF_NAMESIZE];
	unsigned int flags, m[6];
	uint8_t mac[6];
	int fd, k;
	FILE *f;

	inet_pton(AF_INET, opt.peer_ip, &a.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a)))
		(void)!send(fd, "?", 1, MSG_DONTWAIT);
	if (fd >= 0)
		close(fd);
	usleep(200000);
	f = fopen("/proc/net/arp", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %x %31s %*s %15s", ip, &flags, hw, dev) == 4 &&
		    !strcmp(ip, opt.peer_ip) && (flags & 0x2) &&
		    sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
			for (k = 0; k < 6; k++)
				mac[k] = (uint8_t)m[k];
			peer.mac = mac64(mac);
			snprintf(peer.dev, sizeof(peer.dev), "%s", dev);
		}
	if (f)
		fclose(f);
	return peer.dev[0] ? 0 : -1;
}

/*
 * Find the --peer host, once: device and MAC (peer_neigh), its V echo
 * server by GetPid(VB_LID), a TIPC bearer on the device.  Waits up to a
 * minute for a peer that is still starting.
 */
static void peer_setup(void)
{
	uint64_t end = now_ns() + 60000000000ULL;
	int fd, ret;

	peer.tried = 1;
	while (peer_neigh())
		if (now_ns() > end) {
			snprintf(peer.why, sizeof(peer.why),
				 "no neighbour entry for %s (not on a directly attached Ethernet link?)",
				 opt.peer_ip);
			return;
		}
	fd = v_open();
	do {
		ret = fd < 0 ? fd : v_get_pid(fd, VB_LID, V_SCOPE_REMOTE, &peer.v_id);
		if (ret == -ESRCH && now_ns() < end)
			usleep(200000);
	} while (ret == -ESRCH && now_ns() < end);
	if (fd >= 0)
		v_close(fd);
	if (ret < 0) {
		snprintf(peer.why, sizeof(peer.why),
			 "GetPid(%#x) found no V server beyond %s: %s (vbench --serve there, both "
			 "ends attached with vctl link add?)", VB_LID, peer.dev, strerror(-ret));
		return;
	}
	peer.no_tipc = tipc_enable(NULL, peer.dev);
	peer.ok = 1;
}

static volatile sig_atomic_t serve_stop;

static void serve_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

/*
 * --serve DEV: the other kernel's half of the peer_ rows, until a signal.
 * Echo servers for V (registered as VB_LID for other hosts), UDP and TCP
 * (port PORT_BASE), TIPC (name {TIPC_TYPE, 1}) and raw frames on DEV; one
 * that ends is started again.
 */
static int serve(void)
{
	static struct job jobs[] = {
		{ .srv = v_srv, .mode = V_ECHO, .pairs = 1, .moves = 1 },
		{ .srv = net_srv, .mode = N_UDP, .pairs = 1 },
		{ .srv = net_srv, .mode = N_TCP, .pairs = 1 },
		{ .srv = net_srv, .mode = N_TIPC, .pairs = 1 },
		{ .srv = raw_srv, .peer = 1, .pairs = 1 },
	};
	static const char *const what[] = { "V", "UDP", "TCP", "TIPC", "raw frame" };
	enum { S_V, S_TIPC = 3, S_N = sizeof(jobs) / sizeof(jobs[0]) };
	struct sigaction sa = { .sa_handler = serve_signal };
	pid_t pid[S_N] = { 0 }, w;
	int p[2], i, fd, ret, said = 0, rc = 1;
	const char *no_tipc;
	uint64_t v_id = 0;

	snprintf(peer.dev, sizeof(peer.dev), "%s", opt.serve_dev);
	if (!if_nametoindex(peer.dev)) {
		fprintf(stderr, "vbench: --serve %s: %s\n", peer.dev, strerror(errno));
		return 1;
	}
	no_tipc = tipc_enable(NULL, peer.dev);
	if (no_tipc)
		fprintf(stderr, "vbench: --serve: no TIPC server: %s\n", no_tipc);
	fd = v_open();
	if (fd < 0 || pipe(p)) {
		fprintf(stderr, "vbench: --serve: %s\n", strerror(fd < 0 ? -fd : errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!serve_stop) {
		for (i = 0; i < S_N; i++) {
			if (pid[i] || (i == S_TIPC && no_tipc))
				continue;
			G->err[0] = '\0';
			jobs[i].ready_w = p[1];
			pid[i] = spawn(&jobs[i], jobs[i].srv, NULL, 0, 0);
			if (pid[i] < 0 || wait_ready(p[0], 1, 30000)) {
				fprintf(stderr, "vbench: --serve: the %s server did not start: %s\n",
					what[i], G->err[0] ? G->err : "?");
				goto out;
			}
			if (i != S_V)
				continue;
			v_id = G->token[0];
			v_set_pid(fd, VB_LID, 0, V_SCOPE_REMOTE);
			ret = v_set_pid(fd, VB_LID, v_id, V_SCOPE_REMOTE);
			if (ret < 0) {
				fprintf(stderr, "vbench: --serve: SetPid(%#x): %s\n", VB_LID,
					strerror(-ret));
				goto out;
			}
		}
		if (!said++) {
			printf("vbench: serving on %s: V %#" PRIx64 " (logical id %#x), UDP and TCP "
			       "port %d, TIPC {%d, 1}%s, raw frames of type %#x\n", peer.dev,
			       v_id, VB_LID, PORT_BASE, TIPC_TYPE, no_tipc ? " (off)" : "",
			       ETH_P_VBENCH);
			fflush(stdout);
		}
		w = wait(NULL);
		if (w < 0 && errno != EINTR)
			break;
		for (i = 0; i < S_N; i++)
			if (w > 0 && pid[i] == w) {
				fprintf(stderr, "vbench: --serve: the %s server ended; again\n",
					what[i]);
				pid[i] = 0;
				sleep(1);
			}
	}
	rc = 0;
out:
	for (i = 0; i < S_N; i++)
		reap(pid[i], SIGKILL);
	v_close(fd);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */

static void lat_row(const char *key, int ret, double div)
{
	finish(key, ret, 0, div);
}

/*
 * Frames that crossed the link, both ways (dev's received and sent
 * packets, read in namespace ns), or -1.  What a remote round trip costs on the
 * wire: and whether it used the link at all, as TIPC between two
 * namespaces of one kernel does not (it hands messages across directly).
 */
static int64_t link_frames(const char *ns, const char *dev)
{
	unsigned long long rx, tx;
	int64_t frames = -1;
	char line[512];
	int fds[2];
	pid_t pid;
	FILE *f;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		f = enter_ns(ns) ? NULL : fopen("/proc/self/net/dev", "r");
		while (f && fgets(line, sizeof(line), f)) {
			char *p = strchr(line, ':');

			*(p ? p : line) = '\0';
			if (p && !strcmp(line + strspn(line, " "), dev) &&
			    sscanf(p + 1, "%*u %llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) == 2)
				frames = (int64_t)(rx + tx);
		}
		if (write(fds[1], &frames, sizeof(frames)) != sizeof(frames))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &frames, sizeof(frames)) != sizeof(frames))
		frames = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return frames;
}

enum { RR_V, RR_UDP, RR_TCP, RR_TIPC, RR_RAW };

/*
 * A remote round-trip row (32 bytes): V or a baseline, across the veth of
 * --remote-setup or (on_peer) to the --peer host's server, with the frames
 * each round trip put on the link.
 */
static void rr_row(const char *key, int kind, int on_peer)
{
	static const int net_mode[] = { [RR_UDP] = N_UDP, [RR_TCP] = N_TCP, [RR_TIPC] = N_TIPC };
	struct job j = { .srv = net_srv, .cli = net_cli, .pairs = 1, .moves = 1,
			 .peer = on_peer, .mode = net_mode[kind] };
	const char *ns = on_peer ? NULL : NS_A, *dev = on_peer ? peer.dev : IF_A;
	struct row *r = row_get(key);
	int64_t f0, f1;
	int ret;

	if (kind == RR_V) {
		j.srv = v_srv;
		j.cli = v_cli;
		j.mode = V_ECHO;
	} else if (kind == RR_RAW) {
		j.srv = raw_srv;
		j.cli = raw_cli;
	}
	if (on_peer) {
		j.srv = NULL;
	} else {
		j.srv_ns = NS_B;
		j.cli_ns = NS_A;
	}
	iters(&j, 1);
	f0 = link_frames(ns, dev);
	ret = run_job(&j, 0);
	f1 = link_frames(ns, dev);
	if (!ret && f0 >= 0 && f1 >= f0) {
		r->frames += (uint64_t)(f1 - f0);
		r->iters += G->iters;
	}
	lat_row(key, ret, 1e3);
}

static void bw_row(const char *key, int ret, size_t bytes)
{
	finish(key, ret, bytes, 1);
}

static void rate_row(const char *key, int ret)
{
	struct row *r = row_get(key);
	uint64_t ops = 0;
	int i;

	if (ret) {
		row_skip(key, "failed: %s", G->err[0] ? G->err : "?");
		return;
	}
	for (i = 0; i < MAXP; i++)
		ops += G->ops[i];
	r->ops += ops;
	r->rounds++;
}

static void run_rows(void)
{
	static const size_t sizes[2] = { KB64, MB1 };
	static const char *const sz[2] = { "64k", "1m" };
	char key[64];
	const char *why;
	uint64_t round;
	int s, p;

	static const char *const remote_rows[] = {
		"remote_srr_us", "udp_rr_us", "tcp_rr_us", "tipc_rr_us", "raw_packet_rr_us",
		"remote_moveto_64k_ms", "raw_packet_64k_ms", "remote_movefrom_1m_mbps",
		"tcp_stream_1m_mbps", "file_seq_read_page_us", "tcp_file_page_us",
		"file_read_mbps", "tcp_file_read_mbps", "remote_srr_per_s_1",
		"remote_srr_per_s_2", "remote_srr_per_s_4",
	};
	/* By RR_ kind. */
	static const char *const peer_rows[] = {
		"peer_srr_us", "peer_udp_rr_us", "peer_tcp_rr_us", "peer_tipc_rr_us",
		"peer_raw_packet_rr_us",
	};
	size_t k;

	for (k = 0; k < sizeof(remote_rows) / sizeof(remote_rows[0]); k++)
		if (opt.remote_setup && selected(remote_rows[k])) {
			remote_setup();
			break;
		}
#define WANT(k) (selected(k) && !row_get(k)->done)
	/*
	 * Rounds: every row once per round, so that V and its baselines share
	 * whatever else the machine was doing meanwhile.
	 */
	for (round = 0; round < opt.rounds; round++) {
		if (!opt.json)
			fprintf(stderr, "vbench: round %" PRIu64 " of %" PRIu64 "\n", round + 1, opt.rounds);
		if (WANT("local_srr_ns"))
			lat_row("local_srr_ns", v_job(NULL, NULL, V_ECHO, 0, 0, 1, 1, 0), 1);
		if (WANT("pipe_rr_ns"))
			lat_row("pipe_rr_ns", fd_job(B_PIPE), 1);
		if (WANT("uds_rr_ns"))
			lat_row("uds_rr_ns", fd_job(B_UDS), 1);
		if (WANT("eventfd_rr_ns"))
			lat_row("eventfd_rr_ns", fd_job(B_EVENTFD), 1);
		if (WANT("binder_rr_ns")) {
			why = binder_prepare();
			if (why) {
				row_skip("binder_rr_ns", "%s", why);
			} else {
				struct job j = { .srv = binder_srv, .cli = binder_cli, .pairs = 1 };

				iters(&j, 1);
				lat_row("binder_rr_ns", run_job(&j, 0), 1);
			}
		}
		for (s = 0; s < 2; s++) {
			uint64_t div = s ? 8 : 2;

			snprintf(key, sizeof(key), "local_movefrom_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, v_job(NULL, NULL, V_MOVEFROM, sizes[s], 1, div, 1, 0), sizes[s]);
			snprintf(key, sizeof(key), "process_vm_readv_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, pvm_job(0, sizes[s], div), sizes[s]);
			snprintf(key, sizeof(key), "local_moveto_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, v_job(NULL, NULL, V_MOVETO, sizes[s], 1, div, 1, 0), sizes[s]);
			snprintf(key, sizeof(key), "process_vm_writev_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, pvm_job(1, sizes[s], div), sizes[s]);
		}

		if (remote_ok) {
			if (WANT("remote_srr_us"))
				rr_row("remote_srr_us", RR_V, 0);
			if (WANT("udp_rr_us"))
				rr_row("udp_rr_us", RR_UDP, 0);
			if (WANT("tcp_rr_us"))
				rr_row("tcp_rr_us", RR_TCP, 0);
			if (WANT("tipc_rr_us")) {
				why = tipc_prepare();
				if (why)
					row_skip("tipc_rr_us", "%s", why);
				else
					rr_row("tipc_rr_us", RR_TIPC, 0);
			}
			if (WANT("raw_packet_rr_us"))
				rr_row("raw_packet_rr_us", RR_RAW, 0);
			if (WANT("remote_moveto_64k_ms"))
				lat_row("remote_moveto_64k_ms",
					v_job(NS_B, NS_A, V_MOVETO, KB64, 1, 8, 1, 0), 1e6);
			if (WANT("raw_packet_64k_ms"))
				lat_row("raw_packet_64k_ms", raw_job(KB64, 8), 1e6);
			if (WANT("remote_movefrom_1m_mbps"))
				bw_row("remote_movefrom_1m_mbps",
				       v_job(NS_B, NS_A, V_MOVEFROM, MB1, 1, 40, 1, 0), MB1);
			if (WANT("tcp_stream_1m_mbps"))
				bw_row("tcp_stream_1m_mbps", net_job(N_TCP, MB1, 40), MB1);
		}

		for (k = 0; opt.peer_ip && k < sizeof(peer_rows) / sizeof(peer_rows[0]); k++) {
			if (!WANT(peer_rows[k]))
				continue;
			if (!peer.tried)
				peer_setup();
			if (!peer.ok)
				break;
			if (k == RR_TIPC && peer.no_tipc)
				row_skip(peer_rows[k], "%s", peer.no_tipc);
			else
				rr_row(peer_rows[k], (int)k, 1);
		}

		if (remote_ok && (WANT("file_seq_read_page_us") || WANT("tcp_file_page_us") ||
				  WANT("file_read_mbps") || WANT("tcp_file_read_mbps"))) {
			why = file_prepare();
			for (k = 0; why && k < 4; k++) {
				static const char *const fk[] = {
					"file_seq_read_page_us", "tcp_file_page_us",
					"file_read_mbps", "tcp_file_read_mbps",
				};

				if (WANT(fk[k]))
					row_skip(fk[k], "%s", why);
			}
			if (WANT("file_seq_read_page_us"))
				lat_row("file_seq_read_page_us", file_job(F_VFSD, FILE_PAGE, 1), 1e3);
			if (WANT("tcp_file_page_us"))
				lat_row("tcp_file_page_us", file_job(F_TCP, FILE_PAGE, 1), 1e3);
			if (WANT("file_read_mbps"))
				bw_row("file_read_mbps", file_job(F_VFSD, MB1, 40), MB1);
			if (WANT("tcp_file_read_mbps"))
				bw_row("tcp_file_read_mbps", file_job(F_TCP, MB1, 40), MB1);
		}

		for (p = 1; p <= MAXP; p *= 2) {
			snprintf(key, sizeof(key), "local_srr_per_s_%d", p);
			if (WANT(key))
				rate_row(key, v_job(NULL, NULL, V_ECHO, 0, 0, 1, p, 1));
		}
		for (p = 1; p <= MAXP && remote_ok; p *= 2) {
			snprintf(key, sizeof(key), "remote_srr_per_s_%d", p);
			if (WANT(key))
				rate_row(key, v_job(NS_B, NS_A, V_ECHO, 0, 0, 1, p, 1));
		}
	}
	for (s = 0; s < (int)NROWS; s++) {
		finalize(&rows[s]);
		if (rows[s].done)
			continue;
		if (!selected(rows[s].key))
			row_skip(rows[s].key, "not selected (--only)");
		else
			row_skip(rows[s].key, "%s",
				 strncmp(rows[s].key, "peer_", 5) ? remote_why : peer.why);
	}
#undef WANT
	file_cleanup();
	if (opt.remote_setup && remote_ok)
		remote_teardown();
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_out(FILE *f)
{
	size_t i;

	fprintf(f, "{\n");
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		fprintf(f, "  \"%s\": {", r->key);
		if (r->skipped[0]) {
			fprintf(f, "\"skipped\": ");
			json_str(f, r->skipped);
		} else {
			fprintf(f, "\"value\": %.6g, \"unit\": \"%s\"", r->value, r->unit);
			if (r->kind == R_LAT)
				fprintf(f, ", \"p99\": %.6g", r->p99);
			fprintf(f, ", \"samples\": %" PRIu64, r->samples);
			if (r->iters)
				fprintf(f, ", \"link_frames_per_rt\": %.3g",
					(double)r->frames / (double)r->iters);
		}
		fprintf(f, "}%s\n", i + 1 < NROWS ? "," : "");
	}
	fprintf(f, "}\n");
}

static const struct row *measured(const char *key)
{
	const struct row *r = row_get(key);

	return r && r->done && !r->skipped[0] ? r : NULL;
}

/* V's figure over the baseline's: < 1 is better for times, > 1 for rates. */
static void target(const char *what, const char *v, const char *base, int higher,
		   double factor)
{
	const struct row *a = measured(v), *b = measured(base);
	double ratio;
	int met;

	if (!a || !b) {
		printf("  %-58s  n/a (a row is skipped)\n", what);
		return;
	}
	ratio = a->value / b->value;
	met = higher ? ratio >= factor : ratio <= factor;
	printf("  %-58s  %5.2f  %s\n", what, ratio, met ? "met" : "MISSED");
}

static void table(void)
{
	struct utsname u;
	size_t i;

	uname(&u);
	printf("vbench: kernel %s, %ld CPUs, n=%" PRIu64 ", %s\n\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), opt.n,
	       opt.cpu >= 0 ? "both sides of a row on one CPU" : "no CPU pinning");
	printf("%-28s %12s %12s %-5s %8s\n", "row", "median", "p99", "unit", "V/this");
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i], *v;

		if (r->skipped[0]) {
			printf("%-28s %12s %12s %-5s %8s  (%s)\n", r->key, "-", "-", "", "",
			       r->skipped);
			continue;
		}
		printf("%-28s %12.2f ", r->key, r->value);
		if (r->kind == R_LAT)
			printf("%12.2f ", r->p99);
		else
			printf("%12s ", "");
		printf("%-5s ", r->unit);
		v = r->vref ? measured(r->vref) : NULL;
		if (v)
			printf("%8.2f", v->value / r->value);
		else if (r->iters)
			printf("%8s", "");
		if (r->iters)
			printf("  %.2f frames/rt on the link",
			       (double)r->frames / (double)r->iters);
		printf("\n");
	}
	printf("\ntargets (V / baseline):\n");
	target("local_srr_ns < pipe_rr_ns", "local_srr_ns", "pipe_rr_ns", 0, 1.0);
	target("local_srr_ns < uds_rr_ns", "local_srr_ns", "uds_rr_ns", 0, 1.0);
	target("local_movefrom_64k_mbps >= 0.9 x process_vm_readv_64k_mbps",
	       "local_movefrom_64k_mbps", "process_vm_readv_64k_mbps", 1, 0.9);
	target("remote_srr_us < udp_rr_us", "remote_srr_us", "udp_rr_us", 0, 1.0);
	target("remote_srr_us < tipc_rr_us", "remote_srr_us", "tipc_rr_us", 0, 1.0);
	target("remote_moveto_64k_ms <= 1.15 x raw_packet_64k_ms", "remote_moveto_64k_ms",
	       "raw_packet_64k_ms", 0, 1.15);
	printf("between two kernels (--peer; not targets of their own):\n");
	target("peer_srr_us < peer_udp_rr_us", "peer_srr_us", "peer_udp_rr_us", 0, 1.0);
	target("peer_srr_us < peer_tipc_rr_us (TIPC over the link)", "peer_srr_us",
	       "peer_tipc_rr_us", 0, 1.0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vbench [-n N] [-t SECS] [-d MS] [-r ROUNDS] [-c CPU|any] [-j] [-o FILE] [--only KEYS]\n"
		"              [--remote-setup] [--peer IP] [--insns]\n"
		"       vbench --serve DEV\n"
		"\n"
		"Measure V IPC (vkmod) beside the Linux alternatives in one run and print\n"
		"a table with V/baseline ratios (or JSON).  Every row is one figure:\n"
		"round trips of 32 bytes (median and p99), MoveTo/MoveFrom of 64 KiB and\n"
		"1 MiB, the same remotely between two V hosts, a 4 MiB file read through\n"
		"vfsd from the other host (4 KiB pages in sequence, then 1 MiB reads) beside\n"
		"the same reads answered by pread() over TCP, and transactions per second\n"
		"with 1, 2 and 4 client/server pairs.  docs/PERFORMANCE.md explains them.\n"
		"\n"
		"  -n N            timed iterations of a latency row (default 2000; bulk rows\n"
		"                  use N/2, N/8, N/40); a tenth more as warm-up first\n"
		"  -r ROUNDS       measure every row in ROUNDS interleaved rounds of N/ROUNDS\n"
		"                  iterations each (default 3), so that V and its baselines\n"
		"                  see the same machine; figures are over all rounds\n"
		"  -t SECS         time budget of one row (default 5, shared by its rounds):\n"
		"                  past it, a round stops after %d timed iterations\n"
		"  -d MS           length of each transactions-per-second run (default 1000)\n"
		"  -c CPU|any      pin both processes of a row to CPU (default 0), pair i of\n"
		"                  a transactions-per-second row to CPU i mod the CPU count;\n"
		"                  'any': no pinning (cross-CPU wake-ups included)\n"
		"  -j              print only the JSON object (keys: the rows)\n"
		"  -o FILE         also write the JSON object to FILE\n"
		"  --only KEYS     only rows whose key contains one of KEYS (separated by\n"
		"                  , or +; the others are reported skipped)\n"
		"  --remote-setup  (root) make two V hosts for the remote rows: network\n"
		"                  namespaces " NS_A " (clients) and " NS_B " (servers) joined by\n"
		"                  the veth pair " IF_A "/" IF_B " (" IP_A ", " IP_B "), both\n"
		"                  attached with vctl; TIPC bearers on the same link.  They\n"
		"                  are removed at the end.  Without it remote rows are skipped.\n"
		"                  The file rows start vfsd (../daemons/vfsd or ../sbin/vfsd\n"
		"                  beside vbench) in " NS_B " on a file in $TMPDIR (or /tmp)\n"
		"                  and remove both afterwards.  Remote round-trip rows also\n"
		"                  count the frames each round trip put on the link\n"
		"                  (JSON link_frames_per_rt): TIPC between two namespaces\n"
		"                  of one kernel bypasses the link and shows about 0.\n"
		"  --peer IP       also measure the round trips to another kernel (rows\n"
		"                  peer_*): IP is a host on a directly attached Ethernet\n"
		"                  link running vbench --serve, both ends attached to V\n"
		"                  with vctl link add.  vbench takes the device and MAC\n"
		"                  from the neighbour table (after a UDP datagram to IP's\n"
		"                  echo port), finds the V server by GetPid (logical id\n"
		"                  %#x, remote scope) and (root) enables a TIPC bearer on\n"
		"                  the device; it waits up to a minute for the peer.\n"
		"                  Without it the peer_ rows are skipped.\n"
		"  --insns         mark each round's timed client loop for an instruction\n"
		"                  counter (selftests/qemu/insns.c, a TCG plugin; make\n"
		"                  bench): 8-byte NOPs the counter recognises, and a line\n"
		"                  '# vk-insns-row KEY SERIAL SAMPLES' on stderr per round.\n"
		"                  Rows without one client loop (transactions per second)\n"
		"                  are not marked.  Harmless without the plugin.\n"
		"  --serve DEV     be that other kernel until SIGTERM/SIGINT: echo servers\n"
		"                  for V (registered as logical id %#x), UDP and TCP (port\n"
		"                  %d), TIPC (name {%d, 1}, bearer on DEV) and raw frames\n"
		"                  (type %#x) on DEV.  Runs no rows.\n"
		"  -h, --help      show this help\n"
		"\n"
		"vkmod must be loaded.  Binder needs /dev/binder (binder_linux; vbench loads\n"
		"it when run as root).  Exit status: 0 when the run finished (skipped rows\n"
		"included), 1 when vkmod is missing, 2 on bad usage.\n", MIN_SAMPLES, VB_LID,
		VB_LID, PORT_BASE, TIPC_TYPE, ETH_P_VBENCH);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "only", required_argument, NULL, 'O' },
		{ "remote-setup", no_argument, NULL, 'R' },
		{ "peer", required_argument, NULL, 'P' },
		{ "serve", required_argument, NULL, 'S' },
		{ "insns", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	char self[PATH_MAX];
	uint64_t v;
	ssize_t n;
	FILE *f;
	int o, fd;

	while ((o = getopt_long(argc, argv, "n:t:d:c:r:jo:h", lopts, NULL)) != -1) {
		switch (o) {
		case 'r':
			if (vtool_parse_u64(optarg, 1, 100, &opt.rounds)) {
				fprintf(stderr, "vbench: -r wants 1..100, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (!strcmp(optarg, "any")) {
				opt.cpu = -1;
			} else if (vtool_parse_u64(optarg, 0, CPU_SETSIZE - 1, &v)) {
				fprintf(stderr, "vbench: -c wants a CPU number or 'any', not '%s'\n",
					optarg);
				return 2;
			} else {
				opt.cpu = (int)v;
			}
			break;
		case 'n':
			if (vtool_parse_u64(optarg, 1, SAMPLES_MAX, &opt.n)) {
				fprintf(stderr, "vbench: -n wants 1..%d, not '%s'\n", SAMPLES_MAX,
					optarg);
				return 2;
			}
			break;
		case 't':
			if (vtool_parse_u64(optarg, 1, 3600, &v)) {
				fprintf(stderr, "vbench: -t wants 1..3600 seconds, not '%s'\n", optarg);
				return 2;
			}
			opt.budget_ns = v * 1000000000ULL;
			break;
		case 'd':
			if (vtool_parse_u64(optarg, 10, 600000, &opt.scale_ms)) {
				fprintf(stderr, "vbench: -d wants 10..600000 ms, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'o':
			opt.out = optarg;
			break;
		case 'O':
			opt.only = optarg;
			break;
		case 'R':
			opt.remote_setup = 1;
			break;
		case 'I':
			opt.insns = 1;
			break;
		case 'P': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1) {
				fprintf(stderr, "vbench: --peer wants an IPv4 address, not '%s'\n",
					optarg);
				return 2;
			}
			opt.peer_ip = optarg;
			break;
		}
		case 'S':
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE) {
				fprintf(stderr, "vbench: --serve wants an interface name, not '%s'\n",
					optarg);
				return 2;
			}
			opt.serve_dev = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vbench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (v_family() < 0) {
		fprintf(stderr, "vbench: vkmod is not loaded\n");
		return 1;
	}
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vbench: cannot open a V process: %s\n", strerror(-fd));
		return 1;
	}
	v_close(fd);
	/* vctl lives beside vbench (build/tools), else on PATH. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(opt.bindir, sizeof(opt.bindir), "%s", n > 0 ? dirname(self) : ".");
	snprintf(opt.vctl, sizeof(opt.vctl), "%s/vctl", opt.bindir);
	if (access(opt.vctl, X_OK))
		snprintf(opt.vctl, sizeof(opt.vctl), "vctl");
	G = mmap(NULL, sizeof(*G), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (G == MAP_FAILED) {
		perror("vbench: mmap");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.serve_dev)
		return serve();
	if (opt.insns && mark_init()) {
		perror("vbench: --insns: mmap");
		return 1;
	}

	run_rows();

	if (opt.out) {
		f = fopen(opt.out, "w");
		if (!f) {
			fprintf(stderr, "vbench: %s: %s\n", opt.out, strerror(errno));
			return 1;
		}
		json_out(f);
		fclose(f);
	}
	if (opt.json)
		json_out(stdout);
	else
		table();
	return 0;
}
