// SPDX-License-Identifier: GPL-2.0
/*
 * vping: measure Send-Receive-Reply round trips to a V process.
 *
 *   vping [-c COUNT] [-s SEGSIZE] [-w WARMUP] [-q] [-j] TARGET
 *
 * Each round trip Sends a 32-byte message carrying a sequence number (and,
 * with -s, grants a read/write segment filled with a pattern) to TARGET,
 * an echo server such as vecho, and checks that the reply and the segment
 * come back unchanged.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libv.h"
#include "parse.h"

#define SEG_MAX		(1ULL << 30)	/* the default seg_max of vkmod */
#define COUNT_MAX	100000000ULL
#define WARMUP_SEQ	0x80000000U	/* warm-up sequence numbers start here */

/* Request layout: code 0 (echo), seq at 4, a per-run tag at 8, filler after. */
#define OFF_SEQ		4
#define OFF_TAG		8
#define OFF_FILL	16

static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vping [-c COUNT] [-s SEGSIZE] [-w WARMUP] [-q] [-j] TARGET\n"
		"\n"
		"Send COUNT 32-byte messages to the V process TARGET (an echo server\n"
		"such as vecho), check that each reply carries the same message back and\n"
		"report the round-trip times.  TARGET is an entity id (0x... hex or\n"
		"decimal) or lid:N, a logical id looked up with GetPid.\n"
		"\n"
		"  -c COUNT    round trips to time (default 10)\n"
		"  -s SEGSIZE  also grant a read/write segment of SEGSIZE bytes (suffix\n"
		"              k, M or G for KiB, MiB, GiB) filled with a pattern, and\n"
		"              check that it comes back intact\n"
		"  -w WARMUP   untimed round trips first (default 2 when COUNT >= 10,\n"
		"              else 0)\n"
		"  -q          quiet: print only the summary\n"
		"  -j          print only the summary, as one JSON object\n"
		"  -h          show this help\n"
		"\n"
		"SIGINT stops early and prints the summary.\n"
		"Exit status: 0 when every round trip was replied to correctly, 1 otherwise\n"
		"(or on an error from vkmod), 2 on bad usage.\n");
}

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* A non-negative integer with an optional k/M/G suffix (binary units). */
static int parse_size(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end && end[1])
		return -1;
	if (v > (max >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* An entity id: 0x... (hex) or decimal, never 0. */
static int parse_id(const char *s, uint64_t *id)
{
	return vtool_parse_u64(s, 1, UINT64_MAX, id);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fill_msg(struct v_msg *m, uint32_t seq, uint64_t tag)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	v_msg_set_code(m, 0);
	v_msg_put32(m, OFF_SEQ, seq);
	v_msg_put64(m, OFF_TAG, tag);
	for (i = OFF_FILL; i < V_MSG_SIZE; i++)
		m->b[i] = (uint8_t)(seq * 13 + i);
}

/* The segment pattern depends on the sequence number: stale data shows. */
static void fill_seg(uint8_t *seg, size_t len, uint32_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		seg[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16) ^ seq);
}

static size_t check_seg(const uint8_t *seg, size_t len, uint32_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (seg[i] != (uint8_t)(i ^ (i >> 8) ^ (i >> 16) ^ seq))
			return i;
	return len;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One round trip.  Returns 0 when the reply is correct (its time in *ns),
 * 1 when a reply came back wrong, or -errno when the Send failed.
 */
static int round_trip(int fd, uint64_t dst, uint32_t seq, uint64_t tag, uint8_t *seg,
		      size_t seglen, uint64_t *ns)
{
	struct v_msg m, want;
	uint64_t t0;
	size_t bad;
	int ret;

	fill_msg(&m, seq, tag);
	want = m;
	if (seglen)
		fill_seg(seg, seglen, seq);
	t0 = now_ns();
	ret = v_send_seg(fd, dst, &m, seglen ? seg : NULL, seglen,
			 seglen ? V_SEG_READ | V_SEG_WRITE : 0);
	*ns = now_ns() - t0;
	if (ret < 0)
		return ret;
	if (v_msg_get32(&m, OFF_SEQ) != seq) {
		fprintf(stderr, "vping: seq=%u: the reply carries seq=%u\n", seq,
			v_msg_get32(&m, OFF_SEQ));
		return 1;
	}
	if (v_msg_code(&m) != v_msg_code(&want)) {
		fprintf(stderr, "vping: seq=%u: reply code %u%s\n", seq, v_msg_code(&m),
			v_msg_code(&m) == V_BAD_BUFFER ? " (V_BAD_BUFFER: segment refused)" : "");
		return 1;
	}
	if (memcmp(&m, &want, sizeof(m))) {
		fprintf(stderr, "vping: seq=%u: the reply differs from the request\n", seq);
		return 1;
	}
	if (seglen) {
		bad = check_seg(seg, seglen, seq);
		if (bad < seglen) {
			fprintf(stderr, "vping: seq=%u: segment corrupted at byte %zu\n", seq, bad);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t count = 10, seglen = 0, warmup = 0, lid = 0, dst = 0, tag, i;
	uint64_t sent = 0, replied = 0, sum = 0, ns, *rtt;
	int quiet = 0, json = 0, have_warmup = 0, opt, ret, fd, rc;
	const char *target;
	struct sigaction sa;
	double pct;
	uint8_t *seg = NULL;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:s:w:qjh")) != -1) {
		switch (opt) {
		case 'c':
			if (vtool_parse_u64(optarg, 1, COUNT_MAX, &count)) {
				fprintf(stderr, "vping: -c wants 1..%llu, not '%s'\n",
					COUNT_MAX, optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_size(optarg, SEG_MAX, &seglen)) {
				fprintf(stderr, "vping: -s wants a size 0..1G, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'w':
			if (vtool_parse_u64(optarg, 0, COUNT_MAX, &warmup)) {
				fprintf(stderr, "vping: -w wants 0..%llu, not '%s'\n",
					COUNT_MAX, optarg);
				return 2;
			}
			have_warmup = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind < argc ? "vping: one TARGET only\n" : "vping: no TARGET\n");
		usage(stderr);
		return 2;
	}
	if (!have_warmup)
		warmup = count >= 10 ? 2 : 0;
	target = argv[optind];
	if (strncmp(target, "lid:", 4) == 0) {
		if (vtool_parse_u64(target + 4, 1, UINT32_MAX, &lid)) {
			fprintf(stderr, "vping: '%s': a logical id is 1..%u\n", target, UINT32_MAX);
			return 2;
		}
	} else if (parse_id(target, &dst)) {
		fprintf(stderr, "vping: '%s' is not a V process id (0x..., decimal or lid:N)\n",
			target);
		return 2;
	}

	rtt = calloc(count, sizeof(*rtt));
	if (seglen)
		seg = malloc(seglen);
	if (!rtt || (seglen && !seg)) {
		fprintf(stderr, "vping: out of memory\n");
		return 1;
	}
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vping: cannot open a V process: %s\n", v_strerror(fd));
		return 1;
	}
	if (lid) {
		ret = v_get_pid(fd, (uint32_t)lid, V_SCOPE_BOTH, &dst);
		if (ret < 0) {
			fprintf(stderr, "vping: cannot resolve logical id %" PRIu64 ": %s\n",
				lid, strerror(-ret));
			v_close(fd);
			return 1;
		}
	}
	tag = ((uint64_t)getpid() << 32) ^ now_ns();

	/* No SA_RESTART: a Send in progress returns EINTR (and is cancelled). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	for (i = 0; i < warmup && !interrupted; i++) {
		ret = round_trip(fd, dst, WARMUP_SEQ + (uint32_t)i, tag, seg, seglen, &ns);
		if (ret == -EINTR && interrupted)
			break;
		if (ret) {
			if (ret < 0)
				fprintf(stderr, "vping: 0x%016" PRIx64 ": %s\n", dst, strerror(-ret));
			fprintf(stderr, "vping: warm-up round trip failed\n");
			v_close(fd);
			return 1;
		}
	}
	for (i = 0; i < count && !interrupted; i++) {
		uint32_t seq = (uint32_t)i + 1;

		ret = round_trip(fd, dst, seq, tag, seg, seglen, &ns);
		if (ret == -EINTR && interrupted)
			break;		/* cancelled, not counted */
		sent++;
		if (ret < 0) {
			fprintf(stderr, "vping: 0x%016" PRIx64 ": seq=%u: %s\n", dst, seq,
				strerror(-ret));
			break;		/* the target is gone or unreachable */
		}
		if (ret > 0)
			continue;	/* wrong reply: reported, not counted */
		rtt[replied++] = ns;
		sum += ns;
		if (!quiet) {
			printf("32 bytes from 0x%016" PRIx64 ": seq=%u time=%.1f us", dst, seq,
			       ns / 1e3);
			if (seglen)
				printf(" segment=%" PRIu64, seglen);
			printf("\n");
			fflush(stdout);
		}
	}
	v_close(fd);

	qsort(rtt, replied, sizeof(*rtt), cmp_u64);
	if (json) {
		printf("{\"target\":\"0x%016" PRIx64 "\",\"count\":%" PRIu64 ",\"replied\":%" PRIu64,
		       dst, sent, replied);
		if (replied)
			printf(",\"min_us\":%.1f,\"avg_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f",
			       rtt[0] / 1e3, sum / 1e3 / replied,
			       rtt[(replied * 99 + 99) / 100 - 1] / 1e3, rtt[replied - 1] / 1e3);
		else
			printf(",\"min_us\":null,\"avg_us\":null,\"p99_us\":null,\"max_us\":null");
		printf("}\n");
	} else {
		if (!quiet)
			printf("\n");
		printf("--- 0x%016" PRIx64 " vping statistics ---\n", dst);
		pct = sent ? 100.0 * (double)(sent - replied) / (double)sent : 0.0;
		/* never "0%" or "100%" unless it is exactly that */
		printf(pct == (int)pct ? "%" PRIu64 " sent, %" PRIu64 " replied, %.0f%% failed\n" :
		       "%" PRIu64 " sent, %" PRIu64 " replied, %.3g%% failed\n", sent, replied, pct);
		if (replied)
			printf("rtt min/avg/p99/max = %.1f/%.1f/%.1f/%.1f us\n",
			       rtt[0] / 1e3, sum / 1e3 / replied,
			       rtt[(replied * 99 + 99) / 100 - 1] / 1e3, rtt[replied - 1] / 1e3);
	}
	rc = sent == count && replied == count ? 0 : 1;
	free(rtt);
	free(seg);
	return rc;
}
