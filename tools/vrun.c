// SPDX-License-Identifier: GPL-2.0
/*
 * vrun: load a program from a V file server and run it, as the V
 * diskless workstations did: the file server MoveTos the program into a
 * memfd mapped as the Send's segment, and the memfd is executed.  With
 * -H, have another host's vexecd run a program there instead, as if it
 * ran here (vrun_remote.c).
 *
 *   vrun [-q] [-s ID | -L LID] NAME [ARG...]
 *   vrun -H HOST|any [-t|-T] [-c|-f] [-C DIR] [-v] PROGRAM [ARG...]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "vrun.h"
#include "vsvc.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vrun [-q] [-s ID | -L LID] NAME [ARG...]\n"
		"       vrun -H HOST|any [-t|-T] [-c|-f] [-C DIR] [-v] PROGRAM [ARG...]\n"
		"\n"
		"Without -H: load the program NAME from a V file server into memory (one\n"
		"Send; the server moves it with MoveTo) and execute it here with ARG...\n"
		"Prints the time the load took (the one Send moving the program) on stderr\n"
		"unless -q.  The program inherits this process's prefix table (V_PREFIXES).\n"
		"\n"
		VSVC_USAGE_SERVER
		"  -q        do not print the load time\n"
		"\n"
		"With -H: run PROGRAM with ARG... on another V host through that host's\n"
		"program manager, vexecd, as if it ran here (as ssh HOST PROGRAM would):\n"
		"its stdin, stdout and stderr are this process's, SIGINT, SIGTERM, SIGHUP\n"
		"and SIGQUIT are passed on to it (those not ignored when vrun started),\n"
		"and vrun ends when it ends, as it ended.\n"
		"It runs there as your uid (vexecd refuses root unless told otherwise,\n"
		"and anyone over a link without the cluster key: docs/SECURITY.md), in\n"
		"the same working directory, with this environment and prefix table\n"
		"(V_PREFIXES).\n"
		"\n"
		"  -H HOST   the host: its host part (decimal or 0x-hex, as vctl host show\n"
		"            prints it), or any: the least loaded host this host's vexecd\n"
		"            has heard of (HOSTS)\n"
		"  -t        give the program a pseudo-terminal, even when stdin or stdout\n"
		"            is no terminal; while it runs, a terminal on stdin is in raw\n"
		"            mode (the keys, ^C included, go to the program's terminal;\n"
		"            restored while vrun is stopped: SIGTSTP, or this terminal\n"
		"            touched from the background), and the size follows this\n"
		"            terminal's (SIGWINCH)\n"
		"  -T        never a pseudo-terminal (the default gives one when stdin and\n"
		"            stdout are both terminals)\n"
		"  -c        PROGRAM is a local file: send it along (at most 256 MiB) and\n"
		"            execute that, so the host need not have it\n"
		"  -f        PROGRAM is a V file name (e.g. /files/tools/hello), resolved\n"
		"            here; the host loads it over V as vrun without -H does\n"
		"            (without -c or -f: a path on the host, searched in PATH there\n"
		"            when it holds no '/')\n"
		"  -C DIR    the working directory there, an absolute path (default: this\n"
		"            one; no such directory there: as no such program)\n"
		"  -v        print the host and the program's V process once it runs:\n"
		"            vrun: host 0xHOST program 0xID\n"
		"\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: 2 on bad usage.  Without -H: the program's; 1 when it cannot\n"
		"be loaded, 126 when it cannot be executed.  With -H: the program's;\n"
		"128+N when signal N killed it; 127 when there is no such program (or\n"
		"working directory) there, 126 when it is not executable or permission is\n"
		"denied; 255 when vrun fails (host unreachable, no vexecd there or it\n"
		"ended, refused, ...: \"vrun: HOST: reason\" on stderr).\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Without -H: load NAME (argv[0]) over V and execute it here. */
static int run_here(const struct vsvc *s, int quiet, char **argv)
{
	struct v_file_info info;
	struct v_file *f;
	const char *name, *base;
	int fd, mfd, ret;
	double t0, t1, t2;
	int64_t n;
	void *map;

	name = argv[0];
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	fd = v_open();
	if (fd < 0) {
		fprintf(stderr, "vrun: cannot open a V process: %s\n", v_strerror(fd));
		return 1;
	}
	t0 = now_ms();
	ret = vsvc_open(fd, s, name, VIO_O_READ, &f);
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
	fexecve(mfd, argv, environ);
	fprintf(stderr, "vrun: cannot execute %s: %s\n", name, strerror(errno));
	return 126;
}

/* The options of both modes, and which mode's were given. */
struct args {
	struct vsvc s;
	struct vrun_opts o;
	int quiet;
	int remote;		/* -H */
	const char *here;	/* an option of the mode without -H, */
	const char *there;	/* of the mode with it */
};

/* -t/-T and -c/-f each choose one of two: the second one given is a mistake. */
static int choose(int *field, int value, int unset, const char *pair)
{
	if (*field != unset && *field != value) {
		fprintf(stderr, "vrun: %s exclude each other\n", pair);
		return -1;
	}
	*field = value;
	return 0;
}

/* One option into a: 0, or -1 after a message. */
static int option(struct args *a, int opt, const char *arg)
{
	a->here = strchr("qsL", opt) ? "-q, -s and -L" : a->here;
	a->there = strchr("tTcfCv", opt) ? "-t, -T, -c, -f, -C and -v" : a->there;
	switch (opt) {
	case 's':
	case 'L':
		return vsvc_option("vrun", &a->s, opt, arg);
	case 'q':
		a->quiet = 1;
		return 0;
	case 'H':
		a->remote = 1;
		return vrun_host_option(&a->o, arg);
	case 't':
	case 'T':
		return choose(&a->o.pty, opt == 't' ? VRUN_PTY_ON : VRUN_PTY_OFF,
			      VRUN_PTY_AUTO, "-t and -T");
	case 'c':
	case 'f':
		return choose(&a->o.what, opt == 'c' ? VRUN_COPY : VRUN_VFILE,
			      VRUN_PATH, "-c and -f");
	case 'C':
		/* vexecd's own directory means nothing here: no relative one. */
		if (arg[0] != '/') {
			fprintf(stderr, "vrun: -C wants an absolute directory, not '%s'\n", arg);
			return -1;
		}
		a->o.cwd = arg;
		return 0;
	case 'v':
		a->o.verbose = 1;
		return 0;
	}
	return -1;
}

/* Options of one mode only: the other mode's are a mistake. */
static int options_check(const struct args *a)
{
	if (a->remote && a->here)
		fprintf(stderr, "vrun: %s are for running here, without -H (with -f, name the\n"
			"server in PROGRAM: [MANAGER:CONTEXT]NAME)\n", a->here);
	else if (!a->remote && a->there)
		fprintf(stderr, "vrun: %s go with -H\n", a->there);
	else
		return 0;
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int opt;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "+qs:L:H:tTcfC:vh")) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?' || option(&a, opt, optarg)) {
			if (opt == '?')
				usage(stderr);
			return 2;
		}
	}
	if (options_check(&a))
		return 2;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (a.remote)
		return vrun_remote(&a.o, argv + optind);
	return run_here(&a.s, a.quiet, argv + optind);
}
