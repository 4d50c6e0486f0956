/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the service tools (vfile, vrun) share: choosing the file server
 * (-s ID, -L LID, or neither: names resolve through the name-handling
 * group) and opening a V file there.
 */
#ifndef VTOOL_VSVC_H
#define VTOOL_VSVC_H

#include <stdio.h>
#include <string.h>
#include "libv_services.h"
#include "parse.h"

struct vsvc {
	uint64_t server;	/* -s: this process */
	uint32_t lid;		/* -L: the process registered under it */
};

/* Handle option -s or -L; 0, or -1 after a message. */
static inline int vsvc_option(const char *tool, struct vsvc *s, int opt, const char *arg)
{
	uint64_t v;

	if (opt == 's' && vtool_parse_u64(arg, 1, UINT64_MAX, &v) == 0) {
		s->server = v;
		return 0;
	}
	if (opt == 'L' && vtool_parse_u64(arg, 1, UINT32_MAX, &v) == 0) {
		s->lid = (uint32_t)v;
		return 0;
	}
	fprintf(stderr, "%s: -%c wants %s, not '%s'\n", tool, opt,
		opt == 's' ? "a process id" : "a logical id", arg);
	return -1;
}

static inline int vsvc_open(int fd, const struct vsvc *s, const char *name, unsigned int flags,
			    struct v_file **f)
{
	if (s->server || s->lid)
		return v_file_open_on(fd, s->server, s->lid, name, flags, f);
	return v_file_open(fd, name, flags, f);
}

static inline int vsvc_remove(int fd, const struct vsvc *s, const char *name)
{
	if (s->server || s->lid)
		return v_file_remove_on(fd, s->server, s->lid, name);
	return v_file_remove(fd, name);
}

#define VSVC_USAGE_SERVER \
	"  -s ID     use the file server process ID\n" \
	"  -L LID    use the file server registered under logical id LID (GetPid)\n" \
	"            (without -s or -L, NAME is resolved through the name-handling\n" \
	"            group, e.g. /files/a.txt)\n"

#endif /* VTOOL_VSVC_H */
