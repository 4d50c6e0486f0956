// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: process-level calls (open, close, identity). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "libv.h"

static int v_family_cached;

int v_family(void)
{
	int fam = __atomic_load_n(&v_family_cached, __ATOMIC_RELAXED);
	char buf[32];
	ssize_t n;
	int fd;

	if (fam > 0)
		return fam;
	fd = open(V_FAMILY_PARAM_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)	/* no module: what socket() says of a family nobody has */
		return -EAFNOSUPPORT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	fam = atoi(buf);
	if (fam <= 0)
		return -EIO;
	__atomic_store_n(&v_family_cached, fam, __ATOMIC_RELAXED);
	return fam;
}

int v_open(void)
{
	int fam = v_family();
	int fd;

	if (fam < 0)
		return fam;
	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, V_PROTO_DEFAULT);
	return fd < 0 ? -errno : fd;
}

const char *v_strerror(int err)
{
	if (err == -EAFNOSUPPORT)
		return "vkmod is not loaded (modprobe vkmod)";
	return strerror(-err);
}

int v_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

int v_self(int fd, uint64_t *id)
{
	struct sockaddr_v sv;
	socklen_t len = sizeof(sv);

	if (getsockname(fd, (struct sockaddr *)&sv, &len) < 0)
		return -errno;
	if (len != sizeof(sv))
		return -EPROTO;
	*id = sv.sv_id;
	return 0;
}
