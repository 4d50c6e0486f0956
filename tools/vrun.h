/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vrun's two modes share main()'s option parsing (vrun.c): without -H it
 * loads a program from a V file server and executes it here; with -H a
 * host's vexecd runs it there (vrun_remote.c, the protocol of <vexec.h>).
 */
#ifndef VTOOL_VRUN_H
#define VTOOL_VRUN_H

#include <stdint.h>

/* -t, -T or neither (a pseudo-terminal when stdin and stdout are ones). */
enum vrun_pty { VRUN_PTY_AUTO, VRUN_PTY_ON, VRUN_PTY_OFF };

/* What PROGRAM names: a path on the exec host, a local file sent along
 * (-c), a V file name (-f). */
enum vrun_what { VRUN_PATH, VRUN_COPY, VRUN_VFILE };

struct vrun_opts {
	uint32_t host;		/* -H: a host part, or 0: any (the least loaded) */
	int pty;		/* enum vrun_pty */
	int what;		/* enum vrun_what */
	const char *cwd;	/* -C, or NULL: this process's working directory */
	int verbose;		/* -v */
};

/* Exit statuses of the remote mode besides the program's own (as a shell
 * gives them). */
#define VRUN_EXIT_USAGE		2
#define VRUN_EXIT_NOEXEC	126	/* not executable, permission denied */
#define VRUN_EXIT_NOENT		127	/* no such program */
#define VRUN_EXIT_SIGNAL	128	/* + N: killed by signal N */
#define VRUN_EXIT_FAIL		255	/* vrun's own failure */

/* -H's argument: a host part (decimal or 0x-hex) or "any" into o->host.
 * 0, or -1 after a message. */
int vrun_host_option(struct vrun_opts *o, const char *arg);

/* Run argv[0] (argv NULL-terminated) as o says; the exit status. */
int vrun_remote(const struct vrun_opts *o, char **argv);

/* "vrun: HOST: ..." and a newline on stderr ("\r\n" while the terminal
 * is raw). */
__attribute__((format(printf, 1, 2)))
void vrun_note(const char *fmt, ...);

/* The program's stdio, indexes of the stream server's instances. */
enum { VRUN_INST_STDIN = 1, VRUN_INST_STDOUT, VRUN_INST_STDERR, VRUN_INST_END };

/*
 * vrun_stream.c: serve the program's stdin, stdout and (with_stderr)
 * stderr on the V process fd, by threads of its own (they inherit the
 * caller's signal mask), to the exec host's processes (host) running as
 * our uid that Send directly, under instance ids picked at random for
 * this run: stdio gets them for struct vexec_run.stdio (0 for stderr
 * without with_stderr).  0 or -errno.
 */
int vrun_stream_start(int fd, uint32_t host, int with_stderr, uint32_t stdio[3]);

/*
 * Job control in pty mode (vrun_remote.c), for threads other than the
 * signal thread: fd is our terminal and we are in its background, where
 * the kernel would have stopped us with sig (SIGTTIN for a read, SIGTTOU
 * for tcsetattr(); blocked, it does not).  Have the signal thread stop us
 * (the terminal restored) and wait until continued in the foreground: 1
 * then; 0 when not in the background, or not in pty mode; -1 when we
 * cannot stop (sig ignored when vrun started, or an orphaned process
 * group): go on as the kernel would then.
 */
int vrun_job_foreground(int fd, int sig);

/* Before output to fd: as vrun_job_foreground(fd, SIGTTOU) when fd is a
 * terminal with TOSTOP set and we are in its background, else 0. */
int vrun_job_output(int fd);

#endif /* VTOOL_VRUN_H */
