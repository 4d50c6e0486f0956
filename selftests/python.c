// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "python": the Python bindings (python/vkmod, ctypes over libv.so.1)
 * against C, both ways, on one host: a Python server answering a C client
 * (blocking, and from asyncio's loop.add_reader()), a C server answering a
 * Python client (MoveTo into its bytearray segment), a MoveFrom of 1 MiB
 * into a bytearray, and errors raised as OSError with the kernel's errno,
 * death notices and groups from Python.  The Python side is
 * selftests/py/peer.py, run with PYTHONPATH at the tree's python/.
 */
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "vtest.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define REQ_CODE	0x0777
#define MIB		(1U << 20)

/* `python3 selftests/py/peer.py ARGS` with the tree's bindings, as a shell command. */
static const char *py_cmd(const char *args)
{
	static char cmd[1024];
	const char *b = getenv("VK_BUILD");

	snprintf(cmd, sizeof(cmd), "cd %s/.. && PYTHONPATH=python python3 selftests/py/peer.py %s",
		 b ? b : "build", args);
	return cmd;
}

static struct v_msg py_request(uint64_t v)
{
	struct v_msg m = mk(REQ_CODE, 0);

	v_msg_put64(&m, 8, v);
	return m;
}

/* A Python server (mode), its id read from its first line: the pipe, or NULL. */
static FILE *py_server(const char *mode, uint64_t *id)
{
	char args[64], line[64];
	FILE *f;

	snprintf(args, sizeof(args), "server %s", mode);
	f = popen(py_cmd(args), "r");
	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f)) {
		pclose(f);
		return NULL;
	}
	*id = strtoull(line, NULL, 16);
	return f;
}


FIXTURE(python) {
	int fd;
};

FIXTURE_SETUP(python)
{
	struct timeval tv = { .tv_sec = 30 * vt_scale() };

	ASSERT_EQ(0, system("python3 -c 'import ctypes'")) TH_LOG("python3 (make deps)");
	self->fd = v_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

FIXTURE_TEARDOWN(python)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void py_server_case(struct __test_metadata *_metadata, int fd, const char *mode)
{
	struct v_msg m = py_request(41);
	uint64_t id = 0;
	FILE *f;

	f = py_server(mode, &id);
	ASSERT_NE(NULL, f);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, vt_send_timed(fd, id, &m, NULL, 0, 30000));
	ASSERT_EQ(V_OK, v_msg_code(&m));
	ASSERT_EQ(42, v_msg_get64(&m, 8));
	ASSERT_EQ(0, WEXITSTATUS(pclose(f)));
}

/* A Python server answers a C client. */
TEST_F(python, python_server_c_client)
{
	py_server_case(_metadata, self->fd, "echo");
}

/* The same server from asyncio: the socket's fd in loop.add_reader(). */
TEST_F(python, python_server_asyncio)
{
	py_server_case(_metadata, self->fd, "asyncio");
}

/* A Python server MoveFroms a C client's 1 MiB segment into a bytearray. */
TEST_F(python, python_move_from_1mib)
{
	static uint8_t seg[MIB];
	struct v_msg m = py_request(0);
	uint64_t id = 0, sum = 0;
	unsigned int i;
	FILE *f;

	fill(seg, sizeof(seg), 0x9e, 0);
	for (i = 0; i < sizeof(seg); i++)
		sum += seg[i];
	f = py_server("movefrom", &id);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, vt_send_timed(self->fd, id, &m, seg, sizeof(seg), 30000));
	ASSERT_EQ(sum, v_msg_get64(&m, 8));
	ASSERT_EQ(0, WEXITSTATUS(pclose(f)));
}

/* A C server answers a Python client, writing into its bytearray first. */
TEST_F(python, c_server_python_client)
{
	struct v_msg reply = mk(V_OK, 0);
	struct v_receive r;
	char args[64];
	pid_t pid;
	int st;

	snprintf(args, sizeof(args), "client %#llx", (unsigned long long)vt_id(self->fd));
	pid = kid_fork(0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", py_cmd(args), (char *)NULL);
		_exit(127);
	}
	ASSERT_LT(0, pid);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_receive_ex(self->fd, &r));
	ASSERT_EQ(REQ_CODE, v_msg_code(&r.msg));
	ASSERT_EQ(41, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(600, r.seg_len);
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r.seg_access);
	ASSERT_EQ(0, v_move_to(self->fd, r.sender, 0, "HELLO", 5));
	v_msg_put64(&reply, 8, 42);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	st = kid_wait(pid);
	ASSERT_EQ(0, st);
}

/* Errors as OSError (ENOENT, EINVAL, ESRCH, EAGAIN), a death notice, a group. */
TEST_F(python, python_errors_and_notices)
{
	ASSERT_EQ(0, WEXITSTATUS(system(py_cmd("errors"))));
}

VT_HARNESS_MAIN
