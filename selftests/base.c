// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "base": the AF_V family itself — registration, V processes and
 * their ids, per-namespace hosts, ioctl dispatch, module lifetime and the
 * 32-bit ioctl path.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include "vtest.h"
#include "kselftest_harness.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A process id as the contract describes it, on the given host part. */
static int well_formed(uint64_t id, uint32_t host)
{
	return id && !v_id_is_group(id) && !(id & V_ID_WELLKNOWN) &&
	       v_id_host(id) == host && v_id_index(id) != 0;
}

TEST(family_registered)
{
	int fd;

	ASSERT_EQ(V_AF_DEFAULT, vt_param("family"));
	ASSERT_EQ(V_AF_DEFAULT, v_family());
	fd = socket(V_AF_DEFAULT, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(AF_V): %s", strerror(errno));
	ASSERT_EQ(0, close(fd));
	fd = v_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_close(fd));
}

TEST(module_parameters)
{
	ASSERT_EQ(V_ETHERTYPE_DEFAULT, vt_param("ethertype"));
	ASSERT_EQ((long long)V_SEG_MAX_DEFAULT, vt_param("seg_max"));
	ASSERT_EQ(V_REPLY_SEG_MAX_DEFAULT, vt_param("reply_seg_max"));
	ASSERT_EQ(0, vt_param("host_part"));
}

TEST(getsockname_returns_id)
{
	struct sockaddr_v sv;
	socklen_t len = sizeof(sv) + 8;
	char big[sizeof(sv) + 8];
	int fd = vt_socket();

	ASSERT_LE(0, fd);
	memset(big, 0xa5, sizeof(big));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)big, &len));
	ASSERT_EQ(sizeof(struct sockaddr_v), len);
	memcpy(&sv, big, sizeof(sv));
	ASSERT_EQ(V_AF_DEFAULT, sv.sv_family);
	ASSERT_EQ(0, sv.sv_reserved1);
	ASSERT_EQ(0, sv.sv_reserved2);
	ASSERT_TRUE(well_formed(sv.sv_id, v_id_host(sv.sv_id)));
	ASSERT_NE(0, v_id_host(sv.sv_id));
	ASSERT_EQ(sv.sv_id, vt_id(fd));
	/* A V process has no peer. */
	len = sizeof(sv);
	ASSERT_EQ(-1, getpeername(fd, (struct sockaddr *)&sv, &len));
	ASSERT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

#define NSOCK 2000

TEST(ids_unique_and_well_formed)
{
	static int fds[NSOCK];
	static uint64_t ids[NSOCK];
	struct rlimit rl = { NSOCK + 64, NSOCK + 64 };
	uint32_t host;
	int i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < NSOCK; i++) {
		fds[i] = vt_socket();
		ASSERT_LE(0, fds[i]) TH_LOG("socket %d: %s", i, strerror(errno));
		ids[i] = vt_id(fds[i]);
	}
	host = v_id_host(ids[0]);
	for (i = 0; i < NSOCK && well_formed(ids[i], host); i++)
		;
	ASSERT_EQ(NSOCK, i);
	qsort(ids, NSOCK, sizeof(ids[0]), cmp_u64);
	for (i = 1; i < NSOCK; i++)
		ASSERT_NE(ids[i - 1], ids[i]);
	for (i = 0; i < NSOCK; i++)
		close(fds[i]);
}

/* A closed process's id is not handed out again soon. */
TEST(ids_not_reused)
{
	static uint64_t ids[NSOCK];
	int i, fd;

	for (i = 0; i < NSOCK; i++) {
		fd = vt_socket();
		ASSERT_LE(0, fd);
		ids[i] = vt_id(fd);
		ASSERT_NE(0, ids[i]);
		close(fd);
	}
	qsort(ids, NSOCK, sizeof(ids[0]), cmp_u64);
	for (i = 1; i < NSOCK; i++)
		ASSERT_NE(ids[i - 1], ids[i]);
}

/* Each network namespace is its own V host with its own host part. */
TEST(two_namespaces_two_hosts)
{
	int pfd[2], fd, status, i;
	uint64_t here[4], there[4];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(2);
		for (i = 0; i < 4; i++) {
			fd = vt_socket();
			if (fd < 0)
				_exit(3);
			there[i] = vt_id(fd);
		}
		if (write(pfd[1], there, sizeof(there)) != sizeof(there))
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(there), read(pfd[0], there, sizeof(there)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	for (i = 0; i < 4; i++) {
		fd = vt_socket();
		ASSERT_LE(0, fd);
		here[i] = vt_id(fd);
	}
	for (i = 0; i < 4; i++) {
		ASSERT_TRUE(well_formed(there[i], v_id_host(there[0])));
		ASSERT_TRUE(well_formed(here[i], v_id_host(here[0])));
	}
	/* Random 30-bit host parts: equal with probability 1e-9. */
	ASSERT_NE(v_id_host(here[0]), v_id_host(there[0]));
	close(pfd[0]);
}

TEST(unsupported_type_and_protocol)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ASSERT_EQ(-1, socket(v_family(), types[i], 0));
		ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	}
	ASSERT_EQ(-1, socket(v_family(), SOCK_DGRAM, 1));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
	ASSERT_EQ(-1, socket(v_family(), SOCK_DGRAM, 0x805c));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
}

TEST(unknown_ioctl_eopnotsupp)
{
	char arg[256] = { 0 };
	int fd = vt_socket();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ioctl(fd, _IO(V_IOC_TYPE, 0xff)));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, ioctl(fd, _IOWR(V_IOC_TYPE, 0x7f, char[64]), arg));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* Known number, wrong size: not a V command either. */
	ASSERT_EQ(-1, ioctl(fd, _IOWR(V_IOC_TYPE, 0x01, char[8]), arg));
	ASSERT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

TEST(unsupported_socket_calls)
{
	struct sockaddr_v sv = { .sv_family = V_AF_DEFAULT };
	int fd = vt_socket();
	char b;

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sv, sizeof(sv)));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sv, sizeof(sv)));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, listen(fd, 1));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, send(fd, "x", 1, 0));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, recv(fd, &b, 1, MSG_DONTWAIT));
	ASSERT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

/* A socket inherited across fork is the same V process in both. */
TEST(fork_shares_process)
{
	int fd = vt_socket(), status;
	uint64_t id = vt_id(fd);
	pid_t pid;

	ASSERT_NE(0, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(vt_id(fd) == id ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	close(fd);
}

/*
 * Every socket pins the module: rmmod is refused while one is open and
 * succeeds once all are closed; then the family is gone.  Reloading with
 * host_part= fixes the initial namespace's host part; bad parameters are
 * refused at load.  The fixture's teardown reloads the module whatever
 * happens, so later tests still have it.
 */
FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
	ASSERT_TRUE(vt_module_loaded());
}

FIXTURE_TEARDOWN(module)
{
	if (!vt_module_loaded())
		vt_module_load(NULL);
}

/* Each tool, without the module: exit status 1 and "vkmod is not loaded". */
static void base_tools_say_not_loaded(struct __test_metadata *_metadata)
{
	static const char *const cmds[] = { "tools/vid", "tools/vping 0x1", "tools/vecho",
		"tools/vtime", "tools/vfile ls /", "tools/vrun /bin/true", "daemons/vfsd /" };
	const char *b = getenv("VK_BUILD");
	char cmd[600], out[512];
	unsigned int i;
	size_t n;
	FILE *f;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s 2>&1", b ? b : "build", cmds[i]);
		f = popen(cmd, "r");
		ASSERT_NE(NULL, f);
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		ASSERT_EQ(1, WEXITSTATUS(pclose(f))) TH_LOG("%s: %s", cmds[i], out);
		ASSERT_NE(NULL, strstr(out, "vkmod is not loaded")) TH_LOG("%s: %s", cmds[i], out);
	}
}

TEST_F(module, rmmod_refused_while_open_then_clean)
{
	int fd = vt_socket();
	pid_t pid;
	int status;

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, vt_module_unload());
	ASSERT_EQ(EWOULDBLOCK, errno);
	/* A socket held only by another process pins it too. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sleep(2);
		_exit(0);
	}
	close(fd);
	ASSERT_EQ(-1, vt_module_unload());
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, vt_module_unload()) TH_LOG("rmmod: %s", strerror(errno));
	ASSERT_FALSE(vt_module_loaded());
	ASSERT_EQ(-1, socket(V_AF_DEFAULT, SOCK_DGRAM, 0));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	/* libv and the tools say so in words (a fresh process: no cached family). */
	ASSERT_EQ(-EAFNOSUPPORT, v_open());
	ASSERT_NE(NULL, strstr(v_strerror(-EAFNOSUPPORT), "vkmod is not loaded"));
	base_tools_say_not_loaded(_metadata);
	ASSERT_EQ(0, vt_module_load(NULL)) TH_LOG("insmod: %s", strerror(errno));
	fd = vt_socket();
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(module, host_part_parameter)
{
	uint64_t id;
	int fd;

	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(0, vt_module_load("host_part=12345"));
	ASSERT_EQ(12345, vt_param("host_part"));
	fd = vt_socket();
	ASSERT_LE(0, fd);
	id = vt_id(fd);
	ASSERT_EQ(12345, v_id_host(id));
	close(fd);
	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(0, vt_module_load(NULL));
}

/*
 * max_members= caps group memberships over all namespaces: with 3, the
 * initial namespace's two and another namespace's one fill it, a fourth
 * join anywhere is ENOSPC (each host's own limit is far away), and a leave
 * makes room again.  max_members_ns= (2) is what a namespace but the
 * initial one may hold of it, whatever its own limit: with room left in
 * the module, that namespace's third join is ENOSPC, the initial one's is
 * not.
 */
TEST_F(module, max_members_parameter)
{
	uint64_t g[4];
	int a, b, i;

	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(0, vt_module_load("max_members=3 max_members_ns=2"));
	ASSERT_EQ(3, vt_param("max_members"));
	ASSERT_EQ(2, vt_param("max_members_ns"));
	vt_root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, vt_root_ns);
	ASSERT_EQ(0, system("ip netns add vkbm"));
	a = vt_socket();
	ASSERT_LE(0, a);
	b = vt_ns_vopen("vkbm", 0);
	ASSERT_LE(0, b);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, v_group_create(a, &g[i]));
	ASSERT_EQ(0, v_group_join(a, g[0]));
	ASSERT_EQ(0, v_group_join(a, g[1]));
	ASSERT_EQ(0, v_group_join(b, g[2]));
	ASSERT_EQ(-ENOSPC, v_group_join(b, g[3]));
	ASSERT_EQ(-ENOSPC, v_group_join(a, g[3]));
	ASSERT_EQ(0, v_group_leave(a, g[0]));
	ASSERT_EQ(0, v_group_join(b, g[3]));
	ASSERT_EQ(-ENOSPC, v_group_join(a, g[0]));
	/* b's namespace holds its share: full for it alone. */
	ASSERT_EQ(0, v_group_leave(a, g[1]));
	ASSERT_EQ(-ENOSPC, v_group_join(b, g[0]));
	ASSERT_EQ(0, v_group_join(a, g[1]));
	/* Closing a socket gives its memberships back. */
	close(b);
	ASSERT_EQ(0, v_group_join(a, g[0]));
	close(a);
	ASSERT_EQ(0, system("ip netns del vkbm"));
	close(vt_root_ns);
	vt_root_ns = -1;
	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(0, vt_module_load(NULL));
}

TEST_F(module, bad_parameters_refused)
{
	ASSERT_EQ(0, vt_module_unload());
	/* Wider than the 30-bit host part. */
	ASSERT_EQ(-1, vt_module_load("host_part=0x40000000"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, vt_module_load("family=0"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, vt_module_load("family=46"));
	ASSERT_EQ(EINVAL, errno);
	/* AF_INET is taken. */
	ASSERT_EQ(-1, vt_module_load("family=2"));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(-1, vt_module_load("ethertype=0x100"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, vt_module_load("reply_seg_max=4096 seg_max=1024"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_FALSE(vt_module_loaded());
	ASSERT_EQ(0, vt_module_load(NULL));
	ASSERT_TRUE(vt_module_loaded());
}

/*
 * ifaces= attaches interfaces of the initial namespace at load, as
 * insecure links (no key exists at load), so only with insecure_ifaces=1:
 * without it the load is refused (ENOKEY); a name that is not there or
 * not Ethernet refuses the load too.  `link show` marks the links insecure.
 */
TEST_F(module, ifaces_parameter)
{
	const char *b = getenv("VK_BUILD");
	char cmd[512], out[4096];
	size_t n;
	FILE *f;

	ASSERT_EQ(0, system("ip link add vkb0 type veth peer name vkb1"));
	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(-1, vt_module_load("ifaces=vkb0,vkb1"));
	ASSERT_EQ(ENOKEY, errno);
	ASSERT_EQ(-1, vt_module_load("ifaces=nosuch0 insecure_ifaces=1"));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_EQ(-1, vt_module_load("ifaces=lo insecure_ifaces=1"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_FALSE(vt_module_loaded());
	ASSERT_EQ(0, vt_module_load("ifaces=vkb0,vkb1 insecure_ifaces=1"))
		TH_LOG("%s", strerror(errno));
	snprintf(cmd, sizeof(cmd), "%s/tools/vctl link show", b ? b : "build");
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ASSERT_EQ(0, pclose(f));
	EXPECT_NE(NULL, strstr(out, ": vkb0 ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ": vkb1 ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " insecure paths ")) TH_LOG("%s", out);
	ASSERT_EQ(0, vt_module_unload());
	ASSERT_EQ(0, vt_module_load(NULL));
	ASSERT_EQ(0, system("ip link del vkb0"));
}

/* The same ioctls from a 32-bit process (compat_ioctl). */
TEST(compat_32bit)
{
	char path[512];
	const char *b = getenv("VK_BUILD");
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/tests/compat32", b ? b : "build");
	if (access(path, X_OK))
		SKIP(return, "no 32-bit helper: gcc-multilib could not build %s", path);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("compat32 failed at step %d",
						  WEXITSTATUS(status));
}

VT_HARNESS_MAIN
