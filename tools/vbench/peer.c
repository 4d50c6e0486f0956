// SPDX-License-Identifier: GPL-2.0
/* vbench's other kernel: the peer_ rows' host (--peer) and its servers (--serve). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libv.h"
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* The other kernel: --peer (client side) and --serve (its servers)         */

struct peer peer = { .why = "no other kernel (--peer IP of a host running vbench --serve)" };

/*
 * Our device towards the --peer host and its MAC, from the neighbour table
 * (a UDP datagram to its echo port makes the entry): 0, or -1.
 */
static int peer_neigh(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT_BASE) };
	char line[256], ip[64], hw[32], dev[IF_NAMESIZE];
	unsigned int flags, m[6];
	uint8_t mac[6];
	int fd, k;
	FILE *f;

	inet_pton(AF_INET, opt.peer_ip, &a.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a)))
		(void)!send(fd, "?", 1, MSG_DONTWAIT);
	if (fd >= 0)
		close(fd);
	usleep(200000);
	f = fopen("/proc/net/arp", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %x %31s %*s %15s", ip, &flags, hw, dev) == 4 &&
		    !strcmp(ip, opt.peer_ip) && (flags & 0x2) &&
		    sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
			for (k = 0; k < 6; k++)
				mac[k] = (uint8_t)m[k];
			peer.mac = mac64(mac);
			snprintf(peer.dev, sizeof(peer.dev), "%s", dev);
		}
	if (f)
		fclose(f);
	return peer.dev[0] ? 0 : -1;
}

/*
 * Find the --peer host, once: device and MAC (peer_neigh), its V echo
 * server by GetPid(VB_LID), a TIPC bearer on the device.  Waits up to a
 * minute for a peer that is still starting.
 */
void peer_setup(void)
{
	uint64_t end = now_ns() + 60000000000ULL;
	int fd, ret;

	peer.tried = 1;
	while (peer_neigh())
		if (now_ns() > end) {
			snprintf(peer.why, sizeof(peer.why),
				 "no neighbour entry for %s (not on a directly attached Ethernet link?)",
				 opt.peer_ip);
			return;
		}
	fd = v_open();
	do {
		ret = fd < 0 ? fd : v_get_pid(fd, VB_LID, V_SCOPE_REMOTE, &peer.v_id);
		if (ret == -ESRCH && now_ns() < end)
			usleep(200000);
	} while (ret == -ESRCH && now_ns() < end);
	if (fd >= 0)
		v_close(fd);
	if (ret < 0) {
		snprintf(peer.why, sizeof(peer.why),
			 "GetPid(%#x) found no V server beyond %s: %s (vbench --serve there, both "
			 "ends attached with vctl link add?)", VB_LID, peer.dev, strerror(-ret));
		return;
	}
	peer.no_tipc = tipc_enable(NULL, peer.dev);
	peer.ok = 1;
}

static volatile sig_atomic_t serve_stop;

static void serve_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

/*
 * --serve DEV: the other kernel's half of the peer_ rows, until a signal.
 * Echo servers for V (registered as VB_LID for other hosts), UDP and TCP
 * (port PORT_BASE), TIPC (name {TIPC_TYPE, 1}) and raw frames on DEV; one
 * that ends is started again.
 */
int serve(void)
{
	static struct job jobs[] = {
		{ .srv = v_srv, .mode = V_ECHO, .pairs = 1, .moves = 1 },
		{ .srv = net_srv, .mode = N_UDP, .pairs = 1 },
		{ .srv = net_srv, .mode = N_TCP, .pairs = 1 },
		{ .srv = net_srv, .mode = N_TIPC, .pairs = 1 },
		{ .srv = raw_srv, .peer = 1, .pairs = 1 },
	};
	static const char *const what[] = { "V", "UDP", "TCP", "TIPC", "raw frame" };
	enum { S_V, S_TIPC = 3, S_N = sizeof(jobs) / sizeof(jobs[0]) };
	struct sigaction sa = { .sa_handler = serve_signal };
	pid_t pid[S_N] = { 0 }, w;
	int p[2], i, fd, ret, said = 0, rc = 1;
	const char *no_tipc;
	uint64_t v_id = 0;

	snprintf(peer.dev, sizeof(peer.dev), "%s", opt.serve_dev);
	if (!if_nametoindex(peer.dev)) {
		fprintf(stderr, "vbench: --serve %s: %s\n", peer.dev, strerror(errno));
		return 1;
	}
	no_tipc = tipc_enable(NULL, peer.dev);
	if (no_tipc)
		fprintf(stderr, "vbench: --serve: no TIPC server: %s\n", no_tipc);
	fd = v_open();
	if (fd < 0 || pipe(p)) {
		fprintf(stderr, "vbench: --serve: %s\n", strerror(fd < 0 ? -fd : errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!serve_stop) {
		for (i = 0; i < S_N; i++) {
			if (pid[i] || (i == S_TIPC && no_tipc))
				continue;
			G->err[0] = '\0';
			jobs[i].ready_w = p[1];
			pid[i] = spawn(&jobs[i], jobs[i].srv, NULL, 0, 0);
			if (pid[i] < 0 || wait_ready(p[0], 1, 30000)) {
				fprintf(stderr, "vbench: --serve: the %s server did not start: %s\n",
					what[i], G->err[0] ? G->err : "?");
				goto out;
			}
			if (i != S_V)
				continue;
			v_id = G->token[0];
			v_set_pid(fd, VB_LID, 0, V_SCOPE_REMOTE);
			ret = v_set_pid(fd, VB_LID, v_id, V_SCOPE_REMOTE);
			if (ret < 0) {
				fprintf(stderr, "vbench: --serve: SetPid(%#x): %s\n", VB_LID,
					strerror(-ret));
				goto out;
			}
		}
		if (!said++) {
			printf("vbench: serving on %s: V %#" PRIx64 " (logical id %#x), UDP and TCP "
			       "port %d, TIPC {%d, 1}%s, raw frames of type %#x\n", peer.dev,
			       v_id, VB_LID, PORT_BASE, TIPC_TYPE, no_tipc ? " (off)" : "",
			       ETH_P_VBENCH);
			fflush(stdout);
		}
		w = wait(NULL);
		if (w < 0 && errno != EINTR)
			break;
		for (i = 0; i < S_N; i++)
			if (w > 0 && pid[i] == w) {
				fprintf(stderr, "vbench: --serve: the %s server ended; again\n",
					what[i]);
				pid[i] = 0;
				sleep(1);
			}
	}
	rc = 0;
out:
	for (i = 0; i < S_N; i++)
		reap(pid[i], SIGKILL);
	v_close(fd);
	return rc;
}
