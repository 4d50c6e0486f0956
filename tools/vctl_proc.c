// SPDX-License-Identifier: GPL-2.0
/*
 * vctl proc query|suspend|resume|kill [-s SIG] ID: act on a V process of
 * any host through the program manager of its host (CONTROL, <vexec.h>:
 * sent to V_GROUP_SCHEDULERS qualified by ID, so that host's vexecd
 * answers), and print its state after it.  Unlike the rest of vctl this
 * speaks V, not netlink: it works on any host of the cluster.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include "libv_services.h"
#include "parse.h"
#include "vctl_proc.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define SIG_MAX		64	/* Linux numbering, as <vexec.h> wants it */

static const struct proc_op {
	const char *name;
	unsigned int op;
} proc_ops[] = {
	{ "query",   VEXEC_OP_QUERY },
	{ "suspend", VEXEC_OP_SUSPEND },
	{ "resume",  VEXEC_OP_RESUME },
	{ "kill",    VEXEC_OP_KILL },
};

static const char usage_control[] =
	"Usage: vctl [-j] proc query ID\n"
	"       vctl [-j] proc suspend ID\n"
	"       vctl [-j] proc resume ID\n"
	"       vctl [-j] proc kill [-s SIG] ID\n"
	"\n"
	"Act on the V process ID, on any host of the cluster, through the program\n"
	"manager (vexecd) of its host, and print its state afterwards.  ID is a\n"
	"program vexecd runs (as 'vps' lists them: the operation applies to the\n"
	"program's whole session) or any other V process of that host (the\n"
	"operation applies to the process that created its socket).\n"
	"\n"
	"  query    only print its state\n"
	"  suspend  stop it (SIGSTOP)\n"
	"  resume   continue it (SIGCONT)\n"
	"  kill     send it SIG (default TERM): a name (TERM, SIGTERM, KILL, HUP,\n"
	"           INT, USR1, RTMIN+2, ...) or a number, 1..64\n"
	"\n"
	"The state, one line:\n"
	"  ID program|process uid U pid P state S cpu SECONDSs\n"
	"       [exited status N | killed by SIG [(core dumped)]]\n"
	"program: one that vexecd runs; process: another V process.  pid is its\n"
	"pid on its host ('-' when not visible there), state a letter of\n"
	"/proc/PID/stat (R, S, T, Z, ...; X once exited), cpu the CPU time it\n"
	"used.  After kill it is the state right after the signal was sent (the\n"
	"process may not have acted on it yet: query shows how it ended).\n"
	"A user may act on their own processes, root on any (a remote\n"
	"root as vexecd allows it; never over an unkeyed link: <vexec.h>).\n"
	"With -j one JSON object: id (a hex string), kind, uid, pid (null when\n"
	"not visible), state, cpu_ns, exited (a boolean), and once exited status\n"
	"(the wait status) with exit_status, or signal and core_dumped.\n"
	"\n"
	"Exit status: 0 on success; 1 when the program manager refused (no such\n"
	"process, permission denied) or cannot be reached (no vexecd on that\n"
	"host, the host is down); 2 on bad usage.\n";

bool vctl_proc_is_control(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(proc_ops) / sizeof(proc_ops[0]); i++)
		if (!strcmp(word, proc_ops[i].name))
			return true;
	return false;
}

/* ---- signals ------------------------------------------------------------ */

/* Names sigabbrev_np() does not give. */
static const struct {
	const char *name;
	int sig;
} sig_aliases[] = {
	{ "IOT", SIGABRT },
	{ "CLD", SIGCHLD },
	{ "IO", SIGIO },
};

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (as kill(1) numbers them), or 0. */
static int parse_rt(const char *s)
{
	uint64_t n = 0;

	if (!strncasecmp(s, "RTMIN", 5)) {
		if (s[5] && (s[5] != '+' || vtool_parse_u64(s + 6, 0, SIG_MAX, &n)))
			return 0;
		return SIGRTMIN + (int)n <= SIGRTMAX ? SIGRTMIN + (int)n : 0;
	}
	if (!strncasecmp(s, "RTMAX", 5)) {
		if (s[5] && (s[5] != '-' || vtool_parse_u64(s + 6, 0, SIG_MAX, &n)))
			return 0;
		return SIGRTMAX - (int)n >= SIGRTMIN ? SIGRTMAX - (int)n : 0;
	}
	return 0;
}

/* A signal by number (1..64) or name (SIG prefix optional, any case); 0: none. */
static int parse_signal(const char *s)
{
	uint64_t n;
	size_t i;
	int sig;

	if (isdigit((unsigned char)s[0]))
		return vtool_parse_u64(s, 1, SIG_MAX, &n) ? 0 : (int)n;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (sig = 1; sig < SIGRTMIN; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && !strcasecmp(s, abbrev))
			return sig;
	}
	for (i = 0; i < sizeof(sig_aliases) / sizeof(sig_aliases[0]); i++)
		if (!strcasecmp(s, sig_aliases[i].name))
			return sig_aliases[i].sig;
	return parse_rt(s);
}

/* "SIGTERM", "SIGRTMIN+2", or the number. */
static void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig == SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "%d", sig);
}

/* ---- the state ---------------------------------------------------------- */

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case VEXEC_KIND_PROGRAM:
		return "program";
	case VEXEC_KIND_PROCESS:
		return "process";
	default:
		return "unknown";
	}
}

static void print_state(uint64_t id, const struct v_exec_state *st, bool json)
{
	char state = isgraph(st->state) ? (char)st->state : '?';
	bool exited = st->flags & VEXEC_Q_EXITED;
	int w = (int)st->status;
	char sig[32];

	if (json) {
		printf("{\"id\":\"0x%016" PRIx64 "\",\"kind\":\"%s\",\"uid\":%" PRIu32,
		       id, kind_name(st->kind), st->uid);
		if (st->pid)
			printf(",\"pid\":%" PRIu32, st->pid);
		else
			printf(",\"pid\":null");
		printf(",\"state\":\"%c\",\"cpu_ns\":%" PRIu64 ",\"exited\":%s", state,
		       st->cpu_ns, exited ? "true" : "false");
		if (exited) {
			printf(",\"status\":%" PRIu32, st->status);
			if (WIFEXITED(w))
				printf(",\"exit_status\":%d", WEXITSTATUS(w));
			else if (WIFSIGNALED(w))
				printf(",\"signal\":%d,\"core_dumped\":%s", WTERMSIG(w),
				       WCOREDUMP(w) ? "true" : "false");
		}
		printf("}\n");
		return;
	}
	printf("0x%016" PRIx64 " %s uid %" PRIu32, id, kind_name(st->kind), st->uid);
	if (st->pid)
		printf(" pid %" PRIu32, st->pid);
	else
		printf(" pid -");
	printf(" state %c cpu %.2fs", state, st->cpu_ns / 1e9);
	if (exited && WIFEXITED(w)) {
		printf(" exited status %d", WEXITSTATUS(w));
	} else if (exited && WIFSIGNALED(w)) {
		signal_name(WTERMSIG(w), sig, sizeof(sig));
		printf(" killed by %s%s", sig, WCOREDUMP(w) ? " (core dumped)" : "");
	} else if (exited) {
		printf(" exited wait status 0x%" PRIx32, st->status);
	}
	printf("\n");
}

/* ---- asking ------------------------------------------------------------- */

/*
 * After ESRCH: was it the kernel's (no member of V_GROUP_SCHEDULERS on
 * host: no vexecd there) rather than the vexecd's (no such process)?
 * v_exec_control() returns both alike, so ask who the members are: 1 when
 * host has none, 0 when it has one, -1 when it cannot be told (the query
 * failed, or too many members to look at).  A remote host's members are
 * what it answered within the query's wait (200 ms, asked three times).
 */
static int no_vexecd_on(int fd, uint32_t host)
{
	uint64_t ids[1024];
	int n = v_group_members(fd, V_GROUP_SCHEDULERS, ids, 1024, 0);
	int i;

	if (n < 0)
		return -1;
	for (i = 0; i < n && i < 1024; i++)
		if (v_id_host(ids[i]) == host)
			return 0;
	return n <= 1024 ? 1 : -1;
}

static int proc_control(const struct proc_op *op, uint64_t id, int sig, bool json)
{
	struct v_exec_state st;
	char what[64];
	int fd, ret;

	snprintf(what, sizeof(what), "proc %s 0x%016" PRIx64, op->name, id);
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vctl: %s: cannot open a V process: %s\n", what, v_strerror(fd));
		return EXIT_RUNTIME;
	}
	memset(&st, 0, sizeof(st));
	ret = v_exec_control(fd, id, op->op, sig, &st);
	if (ret == -ESRCH && no_vexecd_on(fd, v_id_host(id)) == 1)
		fprintf(stderr, "vctl: %s: no program manager (vexecd) on host 0x%08" PRIx32 "\n",
			what, v_id_host(id));
	else if (ret == -EHOSTUNREACH)
		fprintf(stderr, "vctl: %s: host 0x%08" PRIx32 ": %s\n", what, v_id_host(id),
			strerror(-ret));
	else if (ret < 0)
		fprintf(stderr, "vctl: %s: %s\n", what, strerror(-ret));
	v_close(fd);
	if (ret < 0)
		return EXIT_RUNTIME;
	print_state(id, &st, json);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vctl: %s: cannot write the output\n", what);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* ---- the command line --------------------------------------------------- */

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

static int bad_usage(void)
{
	fputs(usage_control, stderr);
	return EXIT_USAGE;
}

int vctl_proc_control(int argc, char **argv, bool json)
{
	const struct proc_op *op = NULL;
	const char *id_arg = NULL, *sig_arg = NULL;
	uint64_t id;
	size_t k;
	int i, sig = 0;

	for (k = 0; k < sizeof(proc_ops) / sizeof(proc_ops[0]); k++)
		if (argc > 0 && !strcmp(argv[0], proc_ops[k].name))
			op = &proc_ops[k];
	if (!op)
		return bad_usage();
	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(usage_control, stdout);
			return EXIT_OK;
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--signal")) {
			if (op->op != VEXEC_OP_KILL) {
				fprintf(stderr, "vctl: proc %s: %s is for kill only\n", op->name, a);
				return bad_usage();
			}
			if (sig_arg) {
				fprintf(stderr, "vctl: proc kill: %s given twice\n", a);
				return bad_usage();
			}
			if (i + 1 >= argc) {
				fprintf(stderr, "vctl: proc kill: %s needs a signal\n", a);
				return bad_usage();
			}
			sig_arg = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "vctl: proc %s: unknown option '%s'\n", op->name, a);
			return bad_usage();
		} else if (id_arg) {
			fprintf(stderr, "vctl: proc %s: unexpected argument '%s'\n", op->name, a);
			return bad_usage();
		} else {
			id_arg = a;
		}
	}
	if (!id_arg) {
		fprintf(stderr, "vctl: proc %s: which process? (ID)\n", op->name);
		return bad_usage();
	}
	if (vtool_parse_u64(id_arg, 1, UINT64_MAX, &id) || v_id_is_group(id) ||
	    (id & V_ID_WELLKNOWN) || !v_id_host(id)) {
		fprintf(stderr, "vctl: proc %s: '%s' is not a process id (0x-prefixed hex, as "
			"vps and 'vctl proc show' print them)\n", op->name, id_arg);
		return EXIT_USAGE;
	}
	if (sig_arg) {
		sig = parse_signal(sig_arg);
		if (!sig) {
			fprintf(stderr, "vctl: proc kill: '%s' is not a signal (a name such as "
				"TERM or SIGKILL, or 1..%d)\n", sig_arg, SIG_MAX);
			return EXIT_USAGE;
		}
	}
	return proc_control(op, id, sig, json);
}
