// SPDX-License-Identifier: GPL-2.0
/*
 * vid: open V processes and show their entity ids, or decode ids.
 *
 *   vid [-j] [-n COUNT]     open COUNT V processes (default 1), print ids
 *   vid [-j] decode ID...   show the fields of the given ids
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libv.h"
#include "parse.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vid [-j] [-n COUNT]\n"
		"       vid [-j] decode ID...\n"
		"\n"
		"Open COUNT V processes (AF_V sockets) in this network namespace and\n"
		"print their 64-bit entity ids, or decode the given ids.\n"
		"\n"
		"  -n COUNT  number of V processes to open (1..4096, default 1)\n"
		"  -j        print JSON instead of text\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: 0 on success, 1 on an error from vkmod, 2 on bad usage.\n");
}

static void show(uint64_t id, int json, int last)
{
	const char *kind = v_id_is_group(id) ?
		((id & V_ID_WELLKNOWN) ? "well-known-group" : "group") : "process";

	if (json)
		printf("  {\"id\": \"0x%016" PRIx64 "\", \"kind\": \"%s\", \"host\": %u, "
		       "\"index\": %u, \"generation\": %u}%s\n",
		       id, kind, v_id_host(id), v_id_index(id), v_id_generation(id),
		       last ? "" : ",");
	else
		printf("0x%016" PRIx64 "  %-16s host 0x%08x  index %-7u generation %u\n",
		       id, kind, v_id_host(id), v_id_index(id), v_id_generation(id));
}

int main(int argc, char **argv)
{
	int json = 0, n = 1, opt, i, ret;
	uint64_t *ids;
	char *end;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "+jn:h")) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'n':
			n = (int)strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 4096) {
				fprintf(stderr, "vid: -n wants 1..4096, not '%s'\n", optarg);
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
	if (optind < argc && strcmp(argv[optind], "decode") == 0) {
		if (optind + 1 >= argc) {
			fprintf(stderr, "vid: decode needs at least one id\n");
			return 2;
		}
		if (json)
			printf("[\n");
		for (i = optind + 1; i < argc; i++) {
			errno = 0;
			uint64_t id = strtoull(argv[i], &end, 0);

			if (errno || *end || end == argv[i]) {
				fprintf(stderr, "vid: '%s' is not a 64-bit id\n", argv[i]);
				return 2;
			}
			show(id, json, i == argc - 1);
		}
		if (json)
			printf("]\n");
		return 0;
	}
	if (optind < argc) {
		fprintf(stderr, "vid: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return 1;
	for (i = 0; i < n; i++) {
		int fd = v_open();

		if (fd < 0) {
			fprintf(stderr, "vid: cannot open a V process: %s\n", v_strerror(fd));
			return 1;
		}
		ret = v_self(fd, &ids[i]);
		if (ret < 0) {
			fprintf(stderr, "vid: cannot read the id: %s\n", strerror(-ret));
			return 1;
		}
	}
	if (json)
		printf("[\n");
	for (i = 0; i < n; i++)
		show(ids[i], json, i == n - 1);
	if (json)
		printf("]\n");
	free(ids);
	return 0;
}
