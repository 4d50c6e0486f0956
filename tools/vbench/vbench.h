/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vbench's shared declarations: the constants, the options, the rows
 * (rows.c) and the jobs that measure them (job.c), and what each family
 * of rows offers the others: V (v.c), the local baselines (local.c), the
 * remote ones and the two V hosts (remote.c), the file rows (files.c), the
 * mount rows (mounts.c) and the other kernel (peer.c).  main.c reads the options and prints.
 */
#ifndef VBENCH_H
#define VBENCH_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

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
#define FILE_SIZE	(4u << 20)	/* the files read and written through vfsd and over TCP */
#define FILE_PAGE	4096u		/* the page rows (read and write): bytes per call */
#define FILE_NAME	"data"		/* the file the read rows read */
#define FILE_WNAME	"wdata"		/* the file the page write rows write */
#define VB_LID		0x5642		/* the V echo server of vbench --serve */

/* ------------------------------------------------------------------------ */
/* Options and results                                                       */

extern struct opt {
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
} opt;

extern int remote_ok;		/* the two hosts exist (remote.c) */
extern char remote_why[160];

/*
 * The other kernel of the peer_ rows (--peer): a host running vbench
 * --serve, reached over dev.  Its MAC and dev come from the neighbour
 * table, its V echo server from GetPid(VB_LID).
 */
extern struct peer {
	int tried, ok;
	char dev[IF_NAMESIZE];
	uint64_t mac, v_id;
	const char *no_tipc;	/* why there is no TIPC bearer on dev, or NULL */
	char why[200];
} peer;

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

/* The table of rows (rows.c): one entry a row, in the order of the output. */
extern struct row rows[];
extern const size_t rows_n;

#define NROWS	rows_n

struct row *row_get(const char *key);
void __attribute__((format(printf, 2, 3))) row_skip(const char *key, const char *fmt, ...);
void lat_row(const char *key, int ret, double div);
void run_rows(void);

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Jobs (job.c)                                                              */

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

extern struct shm *G;

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

void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...);
void ready(struct job *j, int ok);
void __attribute__((noreturn)) die(struct job *j, const char *what, int err);
int mark_init(void);
int more(const struct job *j, uint64_t i, uint64_t t_start);
void record(const struct job *j, uint64_t i, uint64_t ns);
int enter_ns(const char *name);
void *alloc_touched(size_t len, uint8_t seed);
int wait_ready(int rfd, int n, int ms);
pid_t spawn(struct job *j, role_fn fn, const char *ns, int idx, int alarm_s);
void reap(pid_t pid, int sig);
int run_job(struct job *j, int scaling);
void finish(const char *key, int ret, size_t bytes, double div);
void finalize(struct row *r);
void iters(struct job *j, uint64_t div);

/* ------------------------------------------------------------------------ */
/* V (v.c)                                                                   */

enum { V_ECHO, V_MOVEFROM, V_MOVETO };

void v_srv(struct job *j, int idx);
void v_cli(struct job *j, int idx);
int v_job(const char *srv_ns, const char *cli_ns, int mode, size_t size, int server_times,
	  uint64_t div, int pairs, int scaling);

/* ------------------------------------------------------------------------ */
/* Local baselines (local.c)                                                 */

enum { B_PIPE, B_UDS, B_EVENTFD };

int fd_job(int mode);
void binder_srv(struct job *j, int idx);
void binder_cli(struct job *j, int idx);
const char *binder_prepare(void);
int pvm_job(int write, size_t size, uint64_t div);

/* ------------------------------------------------------------------------ */
/* Remote baselines, the two V hosts, remote round trips (remote.c)          */

enum { N_UDP, N_TCP, N_TIPC };
enum { RR_V, RR_UDP, RR_TCP, RR_TIPC, RR_RAW };

int rd_full(int fd, void *buf, size_t len);
int wr_full(int fd, const void *buf, size_t len);
int sock_opt1(int fd, int level, int name);
void net_srv(struct job *j, int idx);
void net_cli(struct job *j, int idx);
int net_job(int mode, size_t size, uint64_t div);
uint64_t mac64(const uint8_t mac[6]);
void raw_srv(struct job *j, int idx);
void raw_cli(struct job *j, int idx);
int raw_job(size_t size, uint64_t div);
int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...);
void remote_teardown(void);
void remote_setup(void);
int remote_key(int on);
int remote_udp(int on);
const char *tipc_enable(const char *ns, const char *dev);
const char *tipc_prepare(void);
int64_t link_frames(const char *ns, const char *dev);
void rr_row(const char *key, int kind, int on_peer);

/* ------------------------------------------------------------------------ */
/* File reads and writes, name lookups (files.c)                           */

enum { F_VFSD, F_TCP };
#define F_WRITE		0x100	/* file_job: write FILE_WNAME (else read FILE_NAME) */

const char *file_prepare(void);
void file_cleanup(void);
int file_job(int mode, size_t size, uint64_t div);
int name_job(uint64_t div);

/* Byte o of the test files (file rows, mount rows): any read can be checked. */
static inline uint8_t vb_file_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 11);
}

/* ------------------------------------------------------------------------ */
/* Mounts: vfs and NFS side by side (mounts.c)                               */

enum { M_UNCACHED, M_CACHED, M_SEQ_READ, M_SEQ_WRITE, M_META };
#define M_NFS		0x100	/* the NFS mount (else vfs) */

void mount_prepare(void);
const char *mount_why(int which);
void mount_cleanup(void);
int mount_job(int mode);
void mount_rows(int (*want)(const char *key));

/* ------------------------------------------------------------------------ */
/* The other kernel (peer.c)                                                 */

void peer_setup(void);
int serve(void);

#endif /* VBENCH_H */
