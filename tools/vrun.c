// SPDX-License-Identifier: GPL-2.0
/*
 * vrun: load a program from a V file server and run it, as the V
 * diskless workstations did: the file server MoveTos the program into a
 * memfd mapped as the Send's segment, and the memfd is executed.
 *
 *   vrun [-q] [-s ID | -L LID] NAME [ARG...]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "vsvc.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vrun [-q] [-s ID | -L LID] NAME [ARG...]\n"
		"\n"
		"Load the program NAME from a V file server into memory (one Send; the\n"
		"server moves it with MoveTo) and execute it with ARG...  Prints the time\n"
		"the load took (the one Send moving the program) on stderr unless -q.\n"
		"The program inherits this process's prefix table (V_PREFIXES).\n"
		"\n"
		VSVC_USAGE_SERVER
		"  -q        do not print the load time\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: the program's; 1 when it cannot be loaded, 126 when it\n"
		"cannot be executed, 2 on bad usage.\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct vsvc s = { 0 };
	struct v_file_info info;
	struct v_file *f;
	const char *name, *base;
	int opt, fd, mfd, ret, quiet = 0;
	double t0, t1, t2;
	int64_t n;
	void *map;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "+qs:L:h")) != -1) {
		switch (opt) {
		case 's':
		case 'L':
			if (vsvc_option("vrun", &s, opt, optarg))
				return 2;
			break;
		case 'q':
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
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	name = argv[optind];
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vrun: cannot open a V process: %s\n", v_strerror(fd));
		return 1;
	}
	t0 = now_ms();
	ret = vsvc_open(fd, &s, name, VIO_O_READ, &f);
	if (ret == 0) {
		ret = v_file_query(f, &info);
		if (ret == 0 && (info.type != VIO_TYPE_FILE || info.size == 0))
			ret = -ENOEXEC;
		if (ret < 0)
			v_file_close(f);
	}
	if (ret < 0) {
		fprintf(stderr, "vrun: %s: %s\n", name, strerror(-ret));
		return 1;
	}
	mfd = memfd_create(base, 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)info.size) < 0) {
		fprintf(stderr, "vrun: memfd: %s\n", strerror(errno));
		return 1;
	}
	map = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vrun: mmap: %s\n", strerror(errno));
		return 1;
	}
	t1 = now_ms();
	n = v_file_read(f, map, info.size, 0);
	t2 = now_ms();
	v_file_close(f);
	v_close(fd);
	munmap(map, info.size);
	if (n != (int64_t)info.size) {
		fprintf(stderr, "vrun: %s: %s\n", name, n < 0 ? strerror((int)-n) : "short read");
		return 1;
	}
	if (!quiet)
		fprintf(stderr, "vrun: loaded %s: %" PRIu64 " bytes in %.3f ms (%.1f MB/s; "
			"lookup, open and query before it: %.3f ms)\n", name, info.size, t2 - t1,
			t2 > t1 ? info.size / 1e3 / (t2 - t1) : 0.0, t1 - t0);
	/* The program resolves what we resolved without asking the group again. */
	ret = v_name_export();
	if (ret < 0)
		fprintf(stderr, "vrun: cannot pass the prefix table on: %s\n", strerror(-ret));
	fexecve(mfd, argv + optind, environ);
	fprintf(stderr, "vrun: cannot execute %s: %s\n", name, strerror(errno));
	return 126;
}
