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
#include <sys/wait.h>
#include <unistd.h>
#include "libv.h"

#define CHECK(n, cond) do { if (!(cond)) { fprintf(stderr, "compat32: step %d: %s\n", n, #cond); return n; } } while (0)

int main(void)
{
	struct v_send s;
	uint64_t id = 0;
	int fd;

	/* Layouts must not depend on the ABI. */
	CHECK(1, sizeof(struct v_send) == 88 && sizeof(struct v_receive) == 152 &&
		 sizeof(struct v_receive_v1) == 120);
	CHECK(2, sizeof(struct sockaddr_v) == 16 && sizeof(struct v_reply) == 72);
	fd = v_open();
	CHECK(3, fd >= 0);
	CHECK(4, v_self(fd, &id) == 0 && id != 0 && v_id_index(id) != 0);
	/* An unknown V command is EOPNOTSUPP, not ENOTTY or EINVAL. */
	CHECK(5, ioctl(fd, _IO(V_IOC_TYPE, 0xff)) == -1 && errno == EOPNOTSUPP);
	memset(&s, 0, sizeof(s));
	errno = 0;
	CHECK(6, ioctl(fd, _IO(V_IOC_TYPE, 0x7e), &s) == -1 && errno == EOPNOTSUPP);
	/* A whole transaction with a segment, both ends 32-bit. */
	{
		static char seg[10000], buf[10000];
		struct v_receive r;
		struct v_msg m;
		int status, srv;
		uint64_t sid;
		pid_t pid;

		srv = v_open();
		CHECK(7, srv >= 0 && v_self(srv, &sid) == 0);
		pid = fork();
		CHECK(8, pid >= 0);
		if (pid == 0) {
			memset(&m, 0, sizeof(m));
			v_msg_put64(&m, 8, 0x1122334455667788ULL);
			memset(seg, 'x', sizeof(seg));
			if (v_send_seg(fd, sid, &m, seg, sizeof(seg), V_SEG_READ | V_SEG_WRITE))
				_exit(1);
			if (v_msg_get64(&m, 8) != 0x8877665544332211ULL || seg[9999] != 'y')
				_exit(2);
			_exit(0);
		}
		memset(&r, 0, sizeof(r));
		CHECK(9, v_receive_ex(srv, &r) == 0);
		CHECK(10, r.seg_len == sizeof(seg) && r.seg_access == (V_SEG_READ | V_SEG_WRITE));
		CHECK(11, v_msg_get64(&r.msg, 8) == 0x1122334455667788ULL);
		CHECK(12, v_move_from(srv, r.sender, 0, buf, sizeof(buf)) == 0 && buf[5000] == 'x');
		memset(buf, 'y', sizeof(buf));
		CHECK(13, v_move_to(srv, r.sender, 0, buf, sizeof(buf)) == 0);
		v_msg_put64(&m, 8, 0x8877665544332211ULL);
		CHECK(14, v_reply(srv, r.sender, &m) == 0);
		CHECK(15, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			  WEXITSTATUS(status) == 0);
		CHECK(16, v_close(srv) == 0);
	}
	CHECK(17, v_close(fd) == 0);
	return 0;
}
