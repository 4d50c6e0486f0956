// SPDX-License-Identifier: GPL-2.0
/*
 * vfile: use a V file server (V I/O protocol) from the shell.
 *
 *   vfile [-s ID | -L LID] ls|get|put|cat|rm ...
 *   vfile [-j] lookup NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>
#include "vsvc.h"

#define CHUNK	(4U << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfile [-s ID | -L LID] COMMAND ...\n"
		"       vfile [-j] lookup NAME\n"
		"\n"
		"  ls NAME          list a directory (or show one file): TYPE SIZE NAME\n"
		"  get NAME [FILE]  copy NAME into FILE (default: its last component)\n"
		"  put FILE NAME    copy FILE to NAME (created or truncated)\n"
		"  cat NAME         write NAME to standard output\n"
		"  rm NAME          remove a file or an empty directory\n"
		"  lookup NAME      resolve NAME through the name-handling group and print\n"
		"                   it as [MANAGER:CONTEXT]REST (hex), a name the others\n"
		"                   take as it is, with no lookup\n"
		"\n"
		VSVC_USAGE_SERVER
		"  -j        lookup: JSON (name, manager, context, type, prefix_len, rest,\n"
		"            direct)\n"
		"  -h        show this help\n"
		"\n"
		"Exit status: 0 on success, 1 on an error (reported on stderr), 2 on bad usage.\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "vfile: %s: %s\n", what, v_strerror(err));
	return 1;
}

static char type_char(uint32_t t)
{
	return t == VIO_TYPE_DIR ? 'd' : t == VIO_TYPE_FILE ? 'f' : '?';
}

static int cmd_ls(int fd, const struct vsvc *s, const char *name)
{
	struct v_dirent ents[64];
	struct v_file_info info;
	uint64_t cursor = 0;
	struct v_file *f;
	int n, i, ret = vsvc_open(fd, s, name, VIO_O_READ, &f);

	if (ret < 0)
		return fail(name, ret);
	ret = v_file_query(f, &info);
	if (ret == 0 && info.type != VIO_TYPE_DIR) {
		printf("%c %" PRIu64 " %s\n", type_char(info.type), info.size, name);
	} else if (ret == 0) {
		while ((n = v_file_list(f, &cursor, ents, 64)) > 0)
			for (i = 0; i < n; i++)
				printf("%c %" PRIu64 " %s\n", type_char(ents[i].type), ents[i].size,
				       ents[i].name);
		ret = n;
	}
	v_file_close(f);
	return ret < 0 ? fail(name, ret) : 0;
}

/* Copy NAME to the local fd out. */
static int cmd_get(int fd, const struct vsvc *s, const char *name, int out)
{
	struct v_file *f;
	uint64_t off = 0;
	int64_t n;
	char *buf = malloc(CHUNK);
	int ret = buf ? vsvc_open(fd, s, name, VIO_O_READ, &f) : -ENOMEM;

	if (ret < 0) {
		free(buf);
		return fail(name, ret);
	}
	while ((n = v_file_read(f, buf, CHUNK, off)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			n = -errno;
			break;
		}
		off += (uint64_t)n;
	}
	v_file_close(f);
	free(buf);
	return n < 0 ? fail(name, (int)n) : 0;
}

static int cmd_put(int fd, const struct vsvc *s, const char *local, const char *name)
{
	struct v_file *f;
	uint64_t off = 0;
	ssize_t n;
	int64_t w = 0;
	char *buf = malloc(CHUNK);
	int in = open(local, O_RDONLY | O_CLOEXEC), ret;

	if (in < 0 || !buf) {
		ret = in < 0 ? -errno : -ENOMEM;
		free(buf);
		if (in >= 0)
			close(in);
		return fail(local, ret);
	}
	ret = vsvc_open(fd, s, name, VIO_O_WRITE | VIO_O_CREATE | VIO_O_TRUNC, &f);
	if (ret < 0) {
		close(in);
		free(buf);
		return fail(name, ret);
	}
	while ((n = read(in, buf, CHUNK)) > 0) {
		w = v_file_write(f, buf, (size_t)n, off);
		if (w != n) {
			if (w >= 0)
				w = -EIO;
			break;
		}
		off += (uint64_t)n;
	}
	if (n < 0)
		w = -errno;
	close(in);
	free(buf);
	ret = v_file_close(f);
	if (w < 0)
		return fail(name, (int)w);
	return ret < 0 ? fail(name, ret) : 0;
}

/* Resolve NAME afresh and print its direct form [MANAGER:CONTEXT]REST (-j: JSON). */
static int cmd_lookup(int fd, const char *name, int json)
{
	struct v_name_binding b;
	const char *rest;
	char *direct;
	int ret = v_name_lookup(fd, name, V_NAME_NOCACHE, &b);

	if (ret < 0)
		return fail(name, ret);
	rest = name + b.prefix_len;
	if (asprintf(&direct, "[%" PRIx64 ":%" PRIx32 "]%s", b.manager, b.local, rest) < 0)
		return fail(name, -ENOMEM);
	if (!json) {
		printf("%s\n", direct);
		free(direct);
		return 0;
	}
	printf("{\"name\":");
	vtool_json_string(name);
	printf(",\"manager\":\"0x%016" PRIx64 "\",\"context\":%" PRIu32 ",\"type\":\"%s\","
	       "\"prefix_len\":%zu,\"rest\":", b.manager, b.local,
	       b.type == VNAME_TYPE_CONTEXT ? "context" : b.type == VNAME_TYPE_OBJECT ? "object" :
	       "unknown", b.prefix_len);
	vtool_json_string(rest);
	printf(",\"direct\":");
	vtool_json_string(direct);
	printf("}\n");
	free(direct);
	return 0;
}

int main(int argc, char **argv)
{
	struct vsvc s = { 0 };
	const char *cmd, *local;
	int opt, fd, rc, out, nargs, json = 0;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "+s:L:jh")) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
		case 'L':
			if (vsvc_option("vfile", &s, opt, optarg))
				return 2;
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
	cmd = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(cmd, "lookup") && (s.server || s.lid)) {
		fprintf(stderr, "vfile: lookup asks the name-handling group: no -s or -L\n");
		return 2;
	}
	if (json && strcmp(cmd, "lookup")) {
		fprintf(stderr, "vfile: -j is for lookup\n");
		return 2;
	}
	if (!((!strcmp(cmd, "ls") || !strcmp(cmd, "cat") || !strcmp(cmd, "rm") ||
	       !strcmp(cmd, "lookup")) && nargs == 1) &&
	    !(!strcmp(cmd, "get") && (nargs == 1 || nargs == 2)) &&
	    !(!strcmp(cmd, "put") && nargs == 2)) {
		fprintf(stderr, "vfile: bad command or arguments: '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	fd = v_open();
	if (fd < 0)
		return fail("cannot open a V process", fd);
	if (!strcmp(cmd, "lookup")) {
		rc = cmd_lookup(fd, argv[optind], json);
	} else if (!strcmp(cmd, "ls")) {
		rc = cmd_ls(fd, &s, argv[optind]);
	} else if (!strcmp(cmd, "cat")) {
		rc = cmd_get(fd, &s, argv[optind], 1);
	} else if (!strcmp(cmd, "rm")) {
		rc = vsvc_remove(fd, &s, argv[optind]);
		rc = rc < 0 ? fail(argv[optind], rc) : 0;
	} else if (!strcmp(cmd, "put")) {
		rc = cmd_put(fd, &s, argv[optind], argv[optind + 1]);
	} else {
		local = nargs == 2 ? argv[optind + 1] : strrchr(argv[optind], '/');
		local = local ? (nargs == 2 ? local : local + 1) : argv[optind];
		out = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			rc = fail(local, -errno);
		} else {
			rc = cmd_get(fd, &s, argv[optind], out);
			if (close(out) < 0 && rc == 0)
				rc = fail(local, -errno);
		}
	}
	v_close(fd);
	return rc;
}
