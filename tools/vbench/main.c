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
 * same reads answered by pread() over TCP; 4 KiB page writes through vfsd
 * beside the same writes pwrite() over TCP; transactions per second with 1,
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
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "libv.h"
#include "../parse.h"
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* Options                                                                   */

struct opt opt = { .n = 2000, .budget_ns = 5000000000ULL, .scale_ms = 1000, .rounds = 3, .cpu = 0 };

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
		"the same reads answered by pread() over TCP, 4 KiB page writes through vfsd\n"
		"beside pwrite() over TCP, and transactions per second with 1, 2 and 4\n"
		"client/server pairs.  docs/PERFORMANCE.md explains them.\n"
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
		"                  beside vbench) in " NS_B " on two files in $TMPDIR (or /tmp)\n"
		"                  and remove them afterwards.  Remote round-trip rows and\n"
		"                  the page write rows also count the frames each round\n"
		"                  trip put on the link (JSON link_frames_per_rt): TIPC\n"
		"                  between two namespaces of one kernel bypasses the link\n"
		"                  and shows about 0.\n"
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
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vbench: cannot open a V process: %s\n", v_strerror(fd));
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
