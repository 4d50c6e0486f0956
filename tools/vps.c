// SPDX-License-Identifier: GPL-2.0
/*
 * vps: the cluster's hosts with their loads, and the programs every
 * program manager (vexecd, <vexec.h>) runs, with their V ids.
 *
 *   vps [-j] [-s ID] [-t MS] [hosts|programs]
 *
 * HOSTS goes to one vexecd (this host's, else any host's, or -s ID); LIST
 * to each host's vexecd it names.  A host that does not answer is a
 * warning on stderr and exit status 1; the others are still listed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <endian.h>
#include "libv_services.h"
#include "parse.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

#define TIMEOUT_MS_DEFAULT	5000
#define TIMEOUT_MS_MAX		600000
#define RECORDS_START		256	/* HOSTS: 12 KiB, LIST: 28 KiB */
#define RECORDS_MAX		65536

#define SYNOPSIS "Usage: vps [-j] [-s ID] [-t MS] [hosts|programs]\n"

static void usage(FILE *f)
{
	fputs(SYNOPSIS
	      "\n"
	      "List the hosts of the V cluster that run a program manager (vexecd)\n"
	      "with their loads, then the programs those vexecds run, with their V\n"
	      "ids (the ids 'vctl proc query|suspend|resume|kill' take).  'hosts' or\n"
	      "'programs' prints only the one list.\n"
	      "\n"
	      "The hosts are what one vexecd (this host's, else any host's, or -s ID)\n"
	      "heard in the last 5 s, its own load included; one line each, by host\n"
	      "part:\n"
	      "  HOST     the host part (hex); '*' marks the least loaded host, the\n"
	      "           one placement picks for a program sent to any host\n"
	      "  VEXECD   the vexecd's V process id\n"
	      "  SCORE    RUNQ + CPU, in hundredths (placement takes the lowest)\n"
	      "  RUNQ     runnable tasks per CPU\n"
	      "  CPU      CPU used by the vexecd's programs, percent of the host's\n"
	      "  PROGS    programs the vexecd runs\n"
	      "  VPROCS   V processes on the host\n"
	      "  MEM      memory available, MiB\n"
	      "  CPUS     CPUs online\n"
	      "  AGE      milliseconds since its last load report\n"
	      "\n"
	      "Then each of those vexecds is asked for its programs, listed one line\n"
	      "each, by host, oldest first:\n"
	      "  ID       the program's V process id\n"
	      "  HOST     the host part of the host it runs on\n"
	      "  UID      the user it runs as\n"
	      "  PID      its pid on that host\n"
	      "  STATE    R running, S sleeping, T stopped, ... (as /proc/PID/stat);\n"
	      "           X exited, its status not yet collected\n"
	      "  CPU      CPU time of its session, seconds\n"
	      "  STARTED  when it started, local time (the date when not today)\n"
	      "  CMD      its arguments (the first 63 bytes)\n"
	      "A vexecd shows a user their own programs, and all of them only to a\n"
	      "process of its own host holding CAP_NET_ADMIN.\n"
	      "\n"
	      "  -j, --json          one JSON object {\"hosts\": [...], \"programs\": [...]}\n"
	      "                      with the keys of struct vexec_host and vexec_prog\n"
	      "                      (<vexec.h>) in their units: ids as \"0x...\" strings,\n"
	      "                      everything else numbers (runq, cpu and score in\n"
	      "                      hundredths; started_ns since the epoch); \"best\":\n"
	      "                      true on the least loaded host; a program's wait\n"
	      "                      \"status\" is null until it exited\n"
	      "  -s, --server ID     ask the vexecd ID for the hosts\n"
	      "  -t, --timeout MS    wait at most MS milliseconds (1..600000, default\n"
	      "                      5000) for each vexecd's answer\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "Exit status: 0 on success; 1 when no vexecd answers the hosts request,\n"
	      "or when a host's vexecd could not list its programs (a warning on\n"
	      "stderr for each; the others are listed); 2 on bad usage.\n", f);
}

/* Bad usage: the message given, the synopsis, exit status 2. */
static int bad_usage(void)
{
	fputs(SYNOPSIS "Try 'vps --help' for more.\n", stderr);
	return EXIT_USAGE;
}

/*
 * Each request is bounded by the Send's own timeout (struct v_send.timeout_ns),
 * so a vexecd that is alive but does not answer does not hang vps.  (A host
 * that is down fails by itself, with EHOSTUNREACH, after the host's
 * host-down-ms.)  Not a timer's signal: one that fires before the Send
 * blocks is missed, and the Send then waits for ever.
 */
static unsigned int timeout_ms = TIMEOUT_MS_DEFAULT;

/* ---- asking ------------------------------------------------------------- */

/*
 * HOSTS or LIST from server into a malloc()ed array (*out, *n records):
 * a segment of RECORDS_START records, larger while the answer fills it.
 */
static int fetch(int fd, uint64_t server, bool list, void **out, unsigned int *n)
{
	size_t rec = list ? sizeof(struct vexec_prog) : sizeof(struct vexec_host);
	unsigned int max = RECORDS_START;
	uint64_t tmo = (uint64_t)timeout_ms * 1000000;
	void *buf = NULL;
	int ret;

	for (;;) {
		void *nb = realloc(buf, (size_t)max * rec);

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		memset(buf, 0, (size_t)max * rec);
		ret = list ? v_exec_list_tmo(fd, server, buf, max, tmo) :
			     v_exec_hosts_tmo(fd, server, buf, max, tmo);
		if (ret < 0) {
			free(buf);
			return ret;
		}
		if ((unsigned int)ret < max || max >= RECORDS_MAX)
			break;
		max *= 2;
	}
	*out = buf;
	*n = (unsigned int)ret;
	return 0;
}

/*
 * No vexecd here and none registered for other hosts (a vexecd registers
 * in local scope): any member of the scheduler group, as the hosts that
 * answer a members query within its wait (200 ms) name them.
 */
static int any_vexecd(int fd, uint64_t *server)
{
	uint64_t ids[64];
	int n = v_group_members(fd, V_GROUP_SCHEDULERS, ids, 64, 0);

	if (n < 0)
		return n;
	if (!n)
		return -ESRCH;
	*server = ids[0];
	return 0;
}

/* ---- records ------------------------------------------------------------ */

/* One host's programs, or why it has none to show. */
struct host_progs {
	struct vexec_prog *p;
	unsigned int n;
	int err;		/* LIST failed: -errno */
};

static int cmp_host(const void *a, const void *b)
{
	uint32_t x = le32toh(((const struct vexec_host *)a)->host);
	uint32_t y = le32toh(((const struct vexec_host *)b)->host);

	return x < y ? -1 : x > y;
}

/* Oldest first; ties by id. */
static int cmp_prog(const void *a, const void *b)
{
	const struct vexec_prog *p = a, *q = b;
	uint64_t x = le64toh(p->started_ns), y = le64toh(q->started_ns);

	if (x != y)
		return x < y ? -1 : 1;
	x = le64toh(p->id);
	y = le64toh(q->id);
	return x < y ? -1 : x > y;
}

/*
 * A record's command (not trusted to be terminated, nor to be text: the
 * cut may split a character) into out: bytes that are not valid UTF-8
 * become '?' (a lone byte 0x80-0xff among them), and for text control
 * characters too, C0 (below 0x20), DEL and C1 (U+0080-U+009F: CSI is
 * U+009B), so that a command cannot drive the terminal (JSON escapes
 * them).  out has room for cap + 1 bytes: nothing gets longer.
 */
static void clean_cmd(const char *cmd, size_t cap, bool text, char *out)
{
	const unsigned char *s = (const unsigned char *)cmd;
	size_t len = strnlen(cmd, cap), i = 0, o = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 ? 4 : 0;
		size_t k;

		if (n == 1) {
			out[o++] = text && (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			i++;
			continue;
		}
		for (k = 1; n && k < n; k++)
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				n = 0;
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && c < 0xc2) || (n == 3 && c == 0xe0 && s[i + 1] < 0xa0) ||
		    (n == 3 && c == 0xed && s[i + 1] >= 0xa0) ||
		    (n == 4 && c == 0xf0 && s[i + 1] < 0x90) || (n == 4 && c > 0xf4) ||
		    (n == 4 && c == 0xf4 && s[i + 1] >= 0x90))
			n = 0;
		if (!n) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (text && n == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
			out[o++] = '?';
			i += n;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

/* The state letter, if it is one. */
static char state_char(uint8_t st)
{
	return isgraph(st) ? (char)st : '?';
}

/* "HH:MM:SS" today, else "MonDD" (as ps does); "-" when not known. */
static void format_started(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL), now = time(NULL);
	struct tm tm, today;

	if (!ns || !localtime_r(&t, &tm) || !localtime_r(&now, &today)) {
		snprintf(buf, len, "-");
		return;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		strftime(buf, len, "%b%d", &tm);
}

/* ---- printing ----------------------------------------------------------- */

static void print_hosts_text(const struct vexec_host *h, unsigned int n, int best)
{
	unsigned int i;

	printf("%-11s  %-18s %6s %6s %5s %6s %6s %8s %4s %6s\n", "HOST", "VEXECD", "SCORE",
	       "RUNQ", "CPU", "PROGS", "VPROCS", "MEM", "CPUS", "AGE");
	for (i = 0; i < n; i++) {
		char cpu[16];

		snprintf(cpu, sizeof(cpu), "%" PRIu32 "%%", le32toh(h[i].cpu));
		printf("0x%08" PRIx32 "%c  0x%016" PRIx64 " %6" PRIu32 " %6.2f %5s %6" PRIu32
		       " %6" PRIu32 " %8" PRIu64 " %4u %6" PRIu32 "\n",
		       le32toh(h[i].host), (int)i == best ? '*' : ' ', le64toh(h[i].server),
		       le32toh(h[i].score), le32toh(h[i].runq) / 100.0, cpu,
		       le32toh(h[i].programs), le32toh(h[i].vprocs), le64toh(h[i].mem_kib) / 1024,
		       le16toh(h[i].ncpus), le32toh(h[i].age_ms));
	}
}

static void print_hosts_json(const struct vexec_host *h, unsigned int n, int best)
{
	unsigned int i;

	printf("\"hosts\":[");
	for (i = 0; i < n; i++)
		printf("%s{\"host\":%" PRIu32 ",\"vexecd\":\"0x%016" PRIx64 "\",\"best\":%s"
		       ",\"score\":%" PRIu32 ",\"runq\":%" PRIu32 ",\"cpu\":%" PRIu32
		       ",\"programs\":%" PRIu32 ",\"vprocs\":%" PRIu32 ",\"mem_kib\":%" PRIu64
		       ",\"ncpus\":%u,\"age_ms\":%" PRIu32 "}",
		       i ? "," : "", le32toh(h[i].host), le64toh(h[i].server),
		       (int)i == best ? "true" : "false", le32toh(h[i].score), le32toh(h[i].runq),
		       le32toh(h[i].cpu), le32toh(h[i].programs), le32toh(h[i].vprocs),
		       le64toh(h[i].mem_kib), le16toh(h[i].ncpus), le32toh(h[i].age_ms));
	printf("]");
}

static void print_progs_text(const struct vexec_host *h, const struct host_progs *hp,
			     unsigned int n)
{
	char cmd[sizeof(hp->p->cmd) + 1], started[32];
	unsigned int i, j;

	printf("%-18s  %-10s %6s %7s %5s %8s %8s  %s\n", "ID", "HOST", "UID", "PID", "STATE",
	       "CPU", "STARTED", "CMD");
	for (i = 0; i < n; i++) {
		for (j = 0; j < hp[i].n; j++) {
			const struct vexec_prog *p = &hp[i].p[j];

			clean_cmd(p->cmd, sizeof(p->cmd), true, cmd);
			format_started(le64toh(p->started_ns), started, sizeof(started));
			printf("0x%016" PRIx64 "  0x%08" PRIx32 " %6" PRIu32 " %7" PRIu32 " %5c"
			       " %8.2f %8s  %s\n",
			       le64toh(p->id), le32toh(h[i].host), le32toh(p->uid), le32toh(p->pid),
			       state_char(p->state), le64toh(p->cpu_ns) / 1e9, started, cmd);
		}
	}
}

static void print_progs_json(const struct vexec_host *h, const struct host_progs *hp,
			     unsigned int n)
{
	char cmd[sizeof(hp->p->cmd) + 1];
	unsigned int i, j;
	bool first = true;

	printf("\"programs\":[");
	for (i = 0; i < n; i++) {
		for (j = 0; j < hp[i].n; j++) {
			const struct vexec_prog *p = &hp[i].p[j];

			clean_cmd(p->cmd, sizeof(p->cmd), false, cmd);
			printf("%s{\"id\":\"0x%016" PRIx64 "\",\"host\":%" PRIu32
			       ",\"client\":\"0x%016" PRIx64 "\",\"uid\":%" PRIu32 ",\"pid\":%" PRIu32
			       ",\"state\":\"%c\",\"cpu_ns\":%" PRIu64 ",\"started_ns\":%" PRIu64,
			       first ? "" : ",", le64toh(p->id), le32toh(h[i].host),
			       le64toh(p->client), le32toh(p->uid), le32toh(p->pid),
			       state_char(p->state), le64toh(p->cpu_ns), le64toh(p->started_ns));
			if (p->state == 'X')
				printf(",\"status\":%" PRIu32, le32toh(p->status));
			else
				printf(",\"status\":null");
			printf(",\"cmd\":");
			vtool_json_string(cmd);
			printf("}");
			first = false;
		}
	}
	printf("]");
}

/* ---- options ------------------------------------------------------------ */

struct vps_opts {
	bool json;
	bool want_hosts, want_progs;
	uint64_t server;	/* -s, or 0: find one */
};

/* The one option getopt_long() refused, as "vps: ..."; bad usage. */
static int bad_option(char **argv)
{
	if (optopt && strchr("st", optopt))
		fprintf(stderr, "vps: -%c needs a value\n", optopt);
	else if (optopt)
		fprintf(stderr, "vps: unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "vps: unknown option '%s'\n", argv[optind - 1]);
	return bad_usage();
}

/* One option into o: -1 to go on, else the exit status. */
static int parse_option(int opt, char **argv, struct vps_opts *o)
{
	uint64_t v;

	switch (opt) {
	case 'j':
		o->json = true;
		return -1;
	case 's':
		if (vtool_parse_u64(optarg, 1, UINT64_MAX, &o->server) || v_id_is_group(o->server)) {
			fprintf(stderr, "vps: -s wants a process id, not '%s'\n", optarg);
			return bad_usage();
		}
		return -1;
	case 't':
		if (vtool_parse_u64(optarg, 1, TIMEOUT_MS_MAX, &v)) {
			fprintf(stderr, "vps: -t wants milliseconds, 1..%u, not '%s'\n",
				TIMEOUT_MS_MAX, optarg);
			return bad_usage();
		}
		timeout_ms = (unsigned int)v;
		return -1;
	case 'h':
		usage(stdout);
		return EXIT_OK;
	}
	return bad_option(argv);
}

/* hosts|programs, if given: -1 to go on, else the exit status. */
static int parse_operand(int argc, char **argv, struct vps_opts *o)
{
	const char *what;

	if (optind >= argc)
		return -1;
	what = argv[optind];
	if (!strcmp(what, "hosts") || !strcmp(what, "host")) {
		o->want_progs = false;
	} else if (!strcmp(what, "programs") || !strcmp(what, "program") ||
		   !strcmp(what, "progs")) {
		o->want_hosts = false;
	} else if (!strcmp(what, "help")) {
		usage(stdout);
		return EXIT_OK;
	} else {
		fprintf(stderr, "vps: unknown argument '%s' (hosts or programs)\n", what);
		return bad_usage();
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "vps: unexpected argument '%s'\n", argv[optind + 1]);
		return bad_usage();
	}
	return -1;
}

/* The command line into o: -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct vps_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "server", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	memset(o, 0, sizeof(*o));
	o->want_hosts = o->want_progs = true;
	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opterr = 0;	/* report bad options as "vps: ..." ourselves */
	while ((opt = getopt_long(argc, argv, "js:t:h", longopts, NULL)) != -1)
		if ((rc = parse_option(opt, argv, o)) >= 0)
			return rc;
	return parse_operand(argc, argv, o);
}

/* ---- fetching ----------------------------------------------------------- */

/* The vexecd to ask for the hosts, unless -s named one: 0, or -1 after a
 * message. */
static int find_server(int fd, uint64_t *server)
{
	int ret;

	if (*server)
		return 0;
	ret = v_exec_server(fd, server);
	if (ret == -ESRCH)
		ret = any_vexecd(fd, server);
	if (ret == -ESRCH)
		fprintf(stderr, "vps: no program manager (vexecd) on this host, "
			"nor one that answers on another\n");
	else if (ret < 0)
		fprintf(stderr, "vps: cannot find a program manager (vexecd): %s\n",
			strerror(-ret));
	return ret < 0 ? -1 : 0;
}

/* HOSTS, sorted by host part: 0, or -1 after a message. */
static int fetch_hosts(int fd, uint64_t server, struct vexec_host **hosts, unsigned int *n)
{
	int ret = fetch(fd, server, false, (void **)hosts, n);

	if (ret < 0) {
		fprintf(stderr, "vps: vexecd 0x%016" PRIx64 ": cannot list the hosts: %s\n",
			server, strerror(-ret));
		return -1;
	}
	qsort(*hosts, *n, sizeof(**hosts), cmp_host);
	return 0;
}

/* LIST at one host's vexecd into *hp, oldest first: 0, or -1 after a
 * warning. */
static int fetch_host_programs(int fd, const struct vexec_host *h, struct host_progs *hp)
{
	uint64_t vexecd = le64toh(h->server);
	/* Asked through the scheduler group, qualified by the host: a
	 * HOSTS record's server id is whatever a LOAD said. */
	int ret = fetch(fd, v_id_make(le32toh(h->host), 0), true, (void **)&hp->p, &hp->n);

	if (ret == -ETIMEDOUT)
		fprintf(stderr, "vps: host 0x%08" PRIx32 " (vexecd 0x%016" PRIx64
			"): no answer within %u ms\n", le32toh(h->host), vexecd, timeout_ms);
	else if (ret < 0)
		fprintf(stderr, "vps: host 0x%08" PRIx32 " (vexecd 0x%016" PRIx64
			"): cannot list its programs: %s\n", le32toh(h->host), vexecd,
			strerror(-ret));
	if (ret < 0) {
		hp->err = ret;
		return -1;
	}
	qsort(hp->p, hp->n, sizeof(*hp->p), cmp_prog);
	return 0;
}

/* Every host's programs into *hp (n entries): EXIT_OK, or EXIT_RUNTIME
 * when one could not be listed (the others are) or out of memory (*hp
 * NULL). */
static int fetch_programs(int fd, const struct vexec_host *hosts, unsigned int n,
			  struct host_progs **hp)
{
	unsigned int i;
	int rc = EXIT_OK;

	*hp = calloc(n ? n : 1, sizeof(**hp));
	if (!*hp) {
		fprintf(stderr, "vps: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++)
		if (fetch_host_programs(fd, &hosts[i], &(*hp)[i]) < 0)
			rc = EXIT_RUNTIME;
	return rc;
}

/* ---- main --------------------------------------------------------------- */

/* The lists asked for, text or JSON: EXIT_OK, or EXIT_RUNTIME when the
 * output could not be written. */
static int print_all(const struct vps_opts *o, const struct vexec_host *hosts,
		     unsigned int n, const struct host_progs *hp)
{
	int best = v_exec_pick(hosts, n);

	if (o->json)
		printf("{");
	if (o->want_hosts)
		(o->json ? print_hosts_json : print_hosts_text)(hosts, n, best);
	if (o->want_hosts && o->want_progs)
		printf(o->json ? "," : "\n");
	if (o->want_progs)
		(o->json ? print_progs_json : print_progs_text)(hosts, hp, n);
	if (o->json)
		printf("}\n");
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vps: cannot write the output\n");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct vps_opts o;
	struct vexec_host *hosts = NULL;
	struct host_progs *hp = NULL;
	unsigned int nhosts = 0, i;
	int fd, rc;

	if ((rc = parse_options(argc, argv, &o)) >= 0)
		return rc;
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vps: cannot open a V process: %s\n", v_strerror(fd));
		return EXIT_RUNTIME;
	}
	if (find_server(fd, &o.server) < 0 || fetch_hosts(fd, o.server, &hosts, &nhosts) < 0) {
		v_close(fd);
		return EXIT_RUNTIME;
	}
	rc = o.want_progs ? fetch_programs(fd, hosts, nhosts, &hp) : EXIT_OK;
	v_close(fd);
	if (!o.want_progs || hp) {
		if (print_all(&o, hosts, nhosts, hp) != EXIT_OK)
			rc = EXIT_RUNTIME;
	}
	for (i = 0; hp && i < nhosts; i++)
		free(hp[i].p);
	free(hp);
	free(hosts);
	return rc;
}
