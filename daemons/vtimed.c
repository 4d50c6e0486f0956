// SPDX-License-Identifier: GPL-2.0
/*
 * vtimed: the V time server, one per host.  Keeps this host's V clock
 * (CLOCK_REALTIME plus an offset it owns; network-namespace hosts share
 * one system clock, so the offset is what differs between them), answers
 * VTIME_GET / VTIME_SET (<vio.h>) and joins V_GROUP_TIME_SERVERS.  Every
 * interval it multicasts VTIME_GET to the group, takes the member with the
 * lowest id as the reference, measures the reference's clock with a direct
 * GET (midpoint of the round trip) and slews: half the error per round, at
 * most VTIMED_SLEW_MAX_MS.  The reference itself does not move.
 *
 *   vtimed [-q] [--offset-ms MS] [-i MS] [-l LID]
 */
#include <getopt.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"

#define VTIMED_SLEW_MAX_MS	500
#define VTIMED_WINDOW_MS	200	/* collecting the group's replies */
#define VTIMED_MEMBERS_MAX	64

static struct vd vd = { .name = "vtimed" };
static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t offset_ns;
static uint64_t reference;
static unsigned int interval_ms = 500;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtimed [-q] [--offset-ms MS] [-i MS] [-l LID]\n"
		"\n"
		"The V time server of this host.  Prints \"vtimed: serving as 0x<id>\" once\n"
		"ready; SIGTERM or SIGINT stops it (exit status 0).  SetTime is taken from\n"
		"root of this host, or from root of a host holding the cluster key (its\n"
		"request tagged: see vctl set key); anyone else gets V_NO_PERMISSION.\n"
		"\n"
		"  --offset-ms MS  start with the V clock MS milliseconds off the system\n"
		"                  clock (may be negative)\n"
		"  -i MS      synchronisation interval (default 500, 50..60000)\n"
		"  -l LID     register under logical id LID with local scope (default %u;\n"
		"             0: do not)\n"
		"  -q         log less\n"
		"  -h         show this help\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on an error, 2 on bad usage.\n",
		V_LID_TIME_SERVER);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fill_time(struct v_msg *reply)
{
	pthread_mutex_lock(&clock_lock);
	v_msg_put64(reply, VTIME_CLOCK_OFF, (uint64_t)(realtime_ns() + offset_ns));
	v_msg_put64(reply, VTIME_OFFSET_OFF, (uint64_t)offset_ns);
	v_msg_put64(reply, VTIME_REFERENCE_OFF, reference);
	pthread_mutex_unlock(&clock_lock);
}

/*
 * Who may set the V clock: root of this host, or root of a host that holds
 * the cluster key (its REQUEST was tagged: V_CRED_KEYED).  A remote uid on
 * an unkeyed link is anyone's claim, and a local user's group Send is
 * reported with its own uid (no V_CRED_REMOTE).
 */
static int may_set_time(const struct v_receive *r)
{
	/* Forward keeps root's credentials on a message the forwarder wrote. */
	if (r->forwarder)
		return 0;
	if (r->creds.flags & V_CRED_REMOTE)
		return (r->creds.flags & V_CRED_KEYED) && r->creds.uid == 0;
	return r->creds.uid == 0;
}

static int handle(int fd, const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	(void)fd;
	(void)seg;
	*reply = vio_reply_code(V_OK);
	switch (v_msg_code(&r->msg)) {
	case VTIME_GET:
		break;
	case VTIME_SET:
		if (!may_set_time(r)) {
			*reply = vio_reply_code(V_NO_PERMISSION);
			return 0;
		}
		pthread_mutex_lock(&clock_lock);
		offset_ns = (int64_t)v_msg_get64(&r->msg, VTIME_CLOCK_OFF) - realtime_ns();
		pthread_mutex_unlock(&clock_lock);
		if (!vd.quiet)
			vd_log(&vd, "time set by 0x%016" PRIx64 ": offset %lld ms",
			       (uint64_t)r->sender, (long long)(offset_ns / 1000000));
		break;
	default:
		*reply = vio_reply_code(V_ILLEGAL_REQUEST);
		return 0;
	}
	fill_time(reply);
	return 0;
}

/* The lowest id among this server and the group members that answer GET. */
static uint64_t find_reference(int fd)
{
	uint64_t best = vd.self, who = 0;
	struct v_send s;
	struct v_msg m;

	memset(&s, 0, sizeof(s));
	s.dst = V_GROUP_TIME_SERVERS;
	v_msg_set_code(&s.msg, VTIME_GET);
	s.timeout_ns = 2000ULL * 1000000;
	if (v_send_ex(fd, &s) < 0)
		return best;
	who = s.replier;
	do {
		if (who && who < best)
			best = who;
		who = 0;
	} while (v_get_reply(fd, &m, &who, (uint64_t)VTIMED_WINDOW_MS * 1000000) == 0);
	return best;
}

/* One round: follow the reference (or be it). */
static void sync_round(int fd)
{
	int64_t t0, t1, mid, err, corr, max = (int64_t)VTIMED_SLEW_MAX_MS * 1000000;
	uint64_t ref = find_reference(fd);
	struct v_msg m;

	if (ref == vd.self) {
		pthread_mutex_lock(&clock_lock);
		reference = ref;
		pthread_mutex_unlock(&clock_lock);
		return;
	}
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VTIME_GET);
	t0 = realtime_ns();
	if (v_send(fd, ref, &m) < 0 || v_msg_code(&m) != V_OK)
		return;
	t1 = realtime_ns();
	mid = t0 + (t1 - t0) / 2;
	pthread_mutex_lock(&clock_lock);
	err = (int64_t)v_msg_get64(&m, VTIME_CLOCK_OFF) - (mid + offset_ns);
	corr = err / 2;
	if (err > -1000000 && err < 1000000)
		corr = err;		/* within a millisecond: take it whole */
	if (corr > max)
		corr = max;
	if (corr < -max)
		corr = -max;
	offset_ns += corr;
	if (reference != ref && !vd.quiet)
		vd_log(&vd, "following 0x%016" PRIx64 " (error %lld ms)", ref,
		       (long long)(err / 1000000));
	reference = ref;
	pthread_mutex_unlock(&clock_lock);
}

static void *sync_thread(void *arg)
{
	int fd = v_open();
	unsigned int slept;

	(void)arg;
	if (fd < 0) {
		vd_log(&vd, "synchroniser: cannot open a V process: %s", strerror(-fd));
		return NULL;
	}
	while (!vd.stopping) {
		sync_round(fd);
		for (slept = 0; slept < interval_ms && !vd.stopping; slept += 50)
			usleep(50000);
	}
	v_close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset-ms", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t lid = V_LID_TIME_SERVER, v;
	char *end;
	long long off;
	int opt, rc;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt_long(argc, argv, "o:i:l:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			off = strtoll(optarg, &end, 10);
			if (!*optarg || *end || off < -86400000LL * 365 || off > 86400000LL * 365) {
				fprintf(stderr, "vtimed: --offset-ms wants milliseconds, not '%s'\n",
					optarg);
				return 2;
			}
			offset_ns = off * 1000000;
			break;
		case 'i':
			if (vtool_parse_u64(optarg, 50, 60000, &v)) {
				fprintf(stderr, "vtimed: -i wants 50..60000 ms, not '%s'\n", optarg);
				return 2;
			}
			interval_ms = (unsigned int)v;
			break;
		default:
			rc = vd_option(&vd, opt, optarg, &lid, NULL, usage);
			if (rc != VD_CONTINUE)
				return rc;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	vd.handle = handle;
	vd.extra = sync_thread;
	if (vd_open(&vd) || (lid && vd_register(&vd, (uint32_t)lid, V_SCOPE_LOCAL)) ||
	    vd_join(&vd, V_GROUP_TIME_SERVERS, "the time-server group"))
		return 1;
	printf("vtimed: serving as 0x%016" PRIx64 "\n", vd.self);
	fflush(stdout);
	return vd_run(&vd, 2);
}
