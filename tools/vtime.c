// SPDX-License-Identifier: GPL-2.0
/*
 * vtime: read and set V clocks (the time servers, vtimed).
 *
 *   vtime [-s ID] [get]      this host's V clock (or server ID's)
 *   vtime all                every time server's clock and offset
 *   vtime [-s ID] set NS     set the cluster's V time (or server ID's)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libv_services.h"
#include "parse.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtime [-s ID] [get]     show this host's V clock (or server ID's)\n"
		"       vtime all              show every time server: id, clock, offset\n"
		"       vtime [-s ID] set NS   set the V time to NS nanoseconds since the epoch,\n"
		"                              on every host (or on server ID only)\n"
		"\n"
		"A line reads: SERVER CLOCK_NS OFFSET_MS REFERENCE (offset = V clock minus\n"
		"the system clock; reference = the member it follows).\n"
		"\n"
		"  -s ID     ask the time server process ID\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: 0 on success, 1 on an error (reported on stderr), 2 on bad usage.\n");
}

static void print_time(const struct v_time *t)
{
	printf("0x%016" PRIx64 " %" PRIu64 " %+.3f 0x%016" PRIx64 "\n", t->server, t->clock_ns,
	       t->offset_ns / 1e6, t->reference);
}

/* Every member of the time-server group, one line each. */
static int show_all(int fd)
{
	uint64_t ids[64];
	struct v_time t;
	int n, i, ret, rc = 0;

	n = v_group_members(fd, V_GROUP_TIME_SERVERS, ids, 64, 0);
	if (n < 0) {
		fprintf(stderr, "vtime: time-server group: %s\n", strerror(-n));
		return 1;
	}
	for (i = 0; i < n && i < 64; i++) {
		ret = v_time_get(fd, ids[i], &t);
		if (ret < 0) {
			fprintf(stderr, "vtime: 0x%016" PRIx64 ": %s\n", ids[i], strerror(-ret));
			rc = 1;
			continue;
		}
		print_time(&t);
	}
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t server = 0, ns;
	const char *cmd = "get";
	struct v_time t;
	int opt, fd, ret, rc = 0;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's':
			if (vtool_parse_u64(optarg, 1, UINT64_MAX, &server)) {
				fprintf(stderr, "vtime: -s wants a process id, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (!((!strcmp(cmd, "get") || !strcmp(cmd, "all")) && optind == argc) &&
	    !(!strcmp(cmd, "set") && optind == argc - 1)) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "set") && vtool_parse_u64(argv[optind], 1, UINT64_MAX, &ns)) {
		fprintf(stderr, "vtime: set wants nanoseconds since the epoch, not '%s'\n",
			argv[optind]);
		return 2;
	}
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vtime: cannot open a V process: %s\n", v_strerror(fd));
		return 1;
	}
	if (!strcmp(cmd, "all")) {
		rc = show_all(fd);
	} else if (!strcmp(cmd, "set")) {
		ret = v_time_set(fd, server ? server : V_GROUP_TIME_SERVERS, ns);
		if (ret < 0) {
			fprintf(stderr, "vtime: set: %s\n", strerror(-ret));
			rc = 1;
		} else {
			printf("set on %d time server(s)\n", ret);
		}
	} else {
		ret = v_time_get(fd, server, &t);
		if (ret < 0) {
			fprintf(stderr, "vtime: %s\n", strerror(-ret));
			rc = 1;
		} else {
			print_time(&t);
		}
	}
	v_close(fd);
	return rc;
}
