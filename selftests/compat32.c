// SPDX-License-Identifier: GPL-2.0
/*
 * Built with -m32: the V ioctls and calls from a 32-bit process must reach
 * vkmod's compat_ioctl with the same struct layout (all __aligned_u64).
 * Exits 0 when all is well, otherwise the number of the failing step.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "libv.h"

#define CHECK(n, cond) do { if (!(cond)) { fprintf(stderr, "compat32: step %d: %s\n", n, #cond); return n; } } while (0)

int main(void)
{
	struct v_send s;
	uint64_t id = 0;
	int fd;

	/* Layouts must not depend on the ABI. */
	CHECK(1, sizeof(struct v_send) == 88 && sizeof(struct v_receive) == 120);
	CHECK(2, sizeof(struct sockaddr_v) == 16 && sizeof(struct v_reply) == 72);
	fd = v_open();
	CHECK(3, fd >= 0);
	CHECK(4, v_self(fd, &id) == 0 && id != 0 && v_id_index(id) != 0);
	/* An unknown V command is EOPNOTSUPP, not ENOTTY or EINVAL. */
	CHECK(5, ioctl(fd, _IO(V_IOC_TYPE, 0xff)) == -1 && errno == EOPNOTSUPP);
	memset(&s, 0, sizeof(s));
	errno = 0;
	CHECK(6, ioctl(fd, _IO(V_IOC_TYPE, 0x7e), &s) == -1 && errno == EOPNOTSUPP);
	CHECK(7, v_close(fd) == 0);
	return 0;
}
