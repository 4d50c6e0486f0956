/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vexecd, the V program manager of one host: what its files share.
 *
 *   vexecd.c        options, the requests to vexecd's own process (RUN,
 *                   LOAD, HOSTS, LIST, CONTROL) and who may make them
 *   vexecd_spawn.c  starting a program: its user, stdio, fork and exec
 *   vexecd_prog.c   the program table, waiting for exec, the reaper, the
 *                   sweep of finished programs
 *   vexecd_ctl.c    each program's V process: WAIT, SIGNAL, WINSIZE
 *   vexecd_relay.c  the stdio relays
 *   vexecd_proc.c   /proc (states, CPU, sessions) and the state file
 *   vexecd_load.c   measuring the load, LOAD to the scheduler group, the
 *                   table of hosts heard; V processes by netlink
 *
 * Locking: vx_lock (vexecd_prog.c) guards the program table and every
 * field of a program that changes after it started (exited, status,
 * waiters, outputs, ...); the hosts table has a lock of its own
 * (vexecd_load.c).  Neither is held across a Send.
 */
#ifndef VEXECD_H
#define VEXECD_H

#include <limits.h>
#include <pthread.h>
#include <sys/types.h>
#include "daemon.h"

#define VX_WAITERS_MAX	8
#define VX_LEFT_MAX	64

struct vx_conf {
	int allow_root;		/* --allow-root: remote root may run as root */
	int allow_insecure;	/* --allow-insecure-exec */
	unsigned int max_programs;
	unsigned int max_per_user;
	unsigned int interval_ms;	/* LOAD interval */
	const char *state_dir;
	char vrun[PATH_MAX];	/* runs VEXEC_RUN_VFILE programs */
	uint32_t host;		/* this host's part */
};

extern struct vx_conf vx;
extern struct vd vxd;

/* Whose request it is (vexecd.c: vx_who). */
struct vx_who {
	uint32_t uid;
	uint32_t gid;
	int root;		/* acts as root here */
	int admin;		/* a local sender with CAP_NET_ADMIN (or root) */
	int claimed;		/* over an unkeyed link: the uid is a claim */
};

/* What a RUN asks for, parsed and checked (vexecd.c). */
struct vx_req {
	struct vx_who who;
	uint64_t client;	/* the RUN sender */
	uint64_t stream;	/* the stream server, 0: none */
	uint32_t stdio[3];
	uint16_t ws[4];
	unsigned int flags;	/* VEXEC_RUN_* */
	const char *program;
	const char *cwd;
	char **argv;		/* NULL-terminated */
	char **envp;
	int image_fd;		/* VEXEC_RUN_IMAGE: a memfd, else -1 */
};

struct vx_prog {
	struct vx_prog *next;
	uint64_t id;		/* its V process */
	int vfd;
	uint64_t client;
	uint64_t stream;
	uint32_t stdio[3];
	uint32_t uid;
	uint32_t gid;		/* its primary group: the relays Send with it */
	pid_t pid;		/* session and group leader */
	unsigned long long start_ticks;	/* /proc/PID/stat starttime */
	int64_t started_ns;	/* CLOCK_REALTIME */
	int pty;		/* the terminal's master, or -1 */
	int fd_in;		/* our end of stdin, or -1 */
	int fd_out[2];		/* our ends of stdout and stderr, or -1 */
	int relay_sock[3];	/* each relay's V process, or -1 */
	int evfd;		/* readable once the program ended */
	int status_fd;		/* exec's outcome (the child's CLOEXEC pipe) */
	int started;		/* exec succeeded: threads run */
	int failed;		/* exec failed: RUN answered, to be swept */
	int exited;
	int status;
	int64_t exit_ms;
	int outputs;		/* output relays still running */
	int finished;		/* exited, output drained or cut */
	int drained;
	int64_t finish_ms;
	int answered;		/* a WAIT was answered */
	int64_t answer_ms;
	uint64_t waiters[VX_WAITERS_MAX];
	int nwait;
	uint64_t cpu_ns;	/* its session's CPU time, last sample */
	pid_t left_pid[VX_LEFT_MAX];	/* what it left in its session at its
					 * end (hung up; killed at the drain
					 * bound if still there) */
	unsigned long long left_start[VX_LEFT_MAX];
	int nleft;
	char cmd[64];
	pthread_t th[4];	/* ctl, stdin, stdout, stderr */
	int th_used[4];
};

extern pthread_mutex_t vx_lock;

/* vexecd.c */
struct v_msg vx_run_error(int err);
int vx_zero(const struct v_msg *m, unsigned int from, unsigned int to);

/* vexecd_spawn.c */
int vx_spawn(struct vx_req *q, struct vx_prog *p);
int vx_image_load(int fd, const struct v_receive *r, const void *seg, uint64_t off,
		  uint64_t len);

/* vexecd_prog.c */
int64_t vx_now_ms(void);
struct vx_prog *vx_prog_new(uint32_t uid, int *err);
void vx_prog_discard(struct vx_prog *p);
int vx_prog_run(struct vx_req *q, struct vx_prog *p);
struct vx_prog *vx_prog_find(uint64_t id);	/* under vx_lock */
struct vx_prog *vx_prog_first(void);		/* under vx_lock */
unsigned int vx_prog_running(void);		/* under vx_lock */
void vx_prog_reap_start(void);
void vx_reap_kick(void);
void vx_prog_sweep(void);
void vx_prog_stop_all(void);

/* vexecd_ctl.c */
void vx_prog_check_done(struct vx_prog *p);	/* under vx_lock */
void vx_ctl_serve(struct vx_prog *p);

/* vexecd_relay.c */
int vx_relays_start(struct vx_prog *p);
void vx_relays_cut(struct vx_prog *p, int64_t now);	/* under vx_lock */

/* vexecd_proc.c */
int vx_stat_fields(pid_t pid, char *state, int *sid, unsigned long long *cpu,
		   unsigned long long *start);
char vx_proc_state(pid_t pid);
unsigned long long vx_start_ticks(pid_t pid);
void vx_sessions_cpu(const pid_t *sids, uint64_t *ns, unsigned int n);
int vx_session_cpu(pid_t sid, uint64_t *ns);
int vx_session_kill(pid_t sid, int sig);
void vx_session_hangup(struct vx_prog *p);
void vx_session_end(struct vx_prog *p);
void vx_state_save(void);			/* under vx_lock */
void vx_state_recover(void);

/* vexecd_load.c */
void vx_load_record(const struct v_receive *r);
int vx_load_hosts(struct vexec_host *out, unsigned int max, unsigned int *total);
void vx_load_kick(void);
void *vx_load_thread(void *arg);
int vx_vproc_lookup(uint64_t id, uint32_t *uid, uint32_t *pid);

#endif /* VEXECD_H */
